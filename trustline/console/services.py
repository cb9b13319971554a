"""Console writes: two-factor devices, the organisation security policy, a person's viewing preference.

Each service checks who may act, writes in one transaction and records the
audit entry there. Device secrets are never audited.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from trustline.accounts.models import Organisation, User
from trustline.accounts.permissions import Actor, Perm, require
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.console.choices import ImagePreviews
from trustline.console.models import OrganisationSecurityPolicy, ViewingPreference
from trustline.console.selectors import confirmed_device, two_factor_required
from trustline.core import clock
from trustline.core.exceptions import Conflict, PermissionDenied, ValidationFailed

DEVICE_NAME = "Authenticator app"


def _is_self(actor: Actor, user: User) -> None:
    if actor.kind != "system" and (actor.user is None or actor.user.pk != user.pk):
        raise PermissionDenied(_("You can only change your own two-factor sign-in."))


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The person's unconfirmed device, created on first use (a new secret), for the enrolment page.

    Not audited: nothing is enabled until :func:`totp_device_confirm`.
    An enrolment abandoned half-way leaves this row, reused next time.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        return device


def totp_device_confirm(*, actor: Actor, user: User, token: str) -> TOTPDevice:
    """Check a code from the person's new authenticator app and switch two-factor sign-in on.

    Steps: 1. only the person themself (or the system) may do it;
    2. a confirmed device already present is a conflict (remove it first);
    3. the code must match the pending device's secret (django-otp checks
    drift and throttles repeated failures); 4. confirm and audit.
    """
    _is_self(actor, user)
    with transaction.atomic():
        if confirmed_device(user) is not None:
            raise Conflict(_("Two-factor sign-in is already on for this account."), code="already_enabled")
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            raise ValidationFailed(_("Start the set-up again."), fields={"token": [_("No set-up in progress.")]})
        allowed, _info = device.verify_is_allowed()
        if not allowed or not device.verify_token(token.strip().replace(" ", "")):
            raise ValidationFailed(
                _("That code did not match."),
                fields={"token": [_("The code did not match. Check the clock of your phone and try again.")]},
            )
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        device.confirmed = True
        audit_record(actor=actor, action=AuditAction.TWO_FACTOR_ENABLED, target=user,
                     data={"device": device.pk, "kind": "totp"})
    return device


def totp_device_remove(*, actor: Actor, user: User) -> None:
    """Switch two-factor sign-in off for oneself, unless one's organisation requires it."""
    _is_self(actor, user)
    if two_factor_required(user):
        raise PermissionDenied(_("Your organisation requires two-factor sign-in; it cannot be switched off."))
    with transaction.atomic():
        removed, _detail = TOTPDevice.objects.filter(user=user).delete()
        if removed:
            audit_record(actor=actor, action=AuditAction.TWO_FACTOR_REMOVED, target=user, data={"devices": removed})


def security_policy_set(
    *, actor: Actor, organisation: Organisation, require_two_factor: bool
) -> OrganisationSecurityPolicy:
    """A partner admin requires (or stops requiring) two-factor sign-in for their organisation.

    People of the organisation without a device are sent to set one up at
    their next sign-in (and before the next console page they open).
    """
    require(actor, Perm.SECURITY_POLICY_MANAGE_OWN)
    if actor.kind != "system" and actor.organisation_id != organisation.pk:
        raise PermissionDenied(_("You can only change your own organisation's policy."))
    with transaction.atomic():
        policy, _created = OrganisationSecurityPolicy.objects.select_for_update().get_or_create(
            organisation=organisation, defaults={"updated_at": clock.now()}
        )
        before = policy.require_two_factor
        policy.require_two_factor = require_two_factor
        policy.updated_at = clock.now()
        policy.updated_by = actor.user
        policy.save(update_fields=["require_two_factor", "updated_at", "updated_by"])
        audit_record(actor=actor, action=AuditAction.SECURITY_POLICY_CHANGED, target=organisation,
                     data={"require_two_factor": {"before": before, "after": require_two_factor}})
    return policy


def viewing_preference_set(*, actor: Actor, image_previews: str, grayscale: bool) -> ViewingPreference:
    """Set how evidence images are shown to the acting person (their own choice only; audited)."""
    if actor.user is None:
        raise PermissionDenied(_("Only a person has viewing preferences."))
    if image_previews not in ImagePreviews.values:
        raise ValidationFailed.field(
            "image_previews", _("must be one of: %(values)s") % {"values": ", ".join(ImagePreviews.values)})
    with transaction.atomic():
        preference, _created = ViewingPreference.objects.select_for_update().get_or_create(
            user=actor.user, defaults={"updated_at": clock.now()}
        )
        before = {"image_previews": preference.image_previews, "grayscale": preference.grayscale}
        preference.image_previews = image_previews
        preference.grayscale = grayscale
        preference.updated_at = clock.now()
        preference.save(update_fields=["image_previews", "grayscale", "updated_at"])
        after = {"image_previews": image_previews, "grayscale": grayscale}
        if after != before or _created:
            audit_record(actor=actor, action=AuditAction.VIEWING_PREFERENCE_CHANGED, target=actor.user,
                         data={"before": before, "after": after})
    return preference
