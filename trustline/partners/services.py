from __future__ import annotations

from collections.abc import Sequence

import langcodes
import pycountry
from django.db import transaction

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.models import Organisation
from trustline.accounts.permissions import Actor
from trustline.accounts.services import organisation_create
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.exceptions import ValidationFailed
from trustline.partners.choices import AccreditationStatus
from trustline.partners.models import Accreditation


def normalise_country(code: str, *, field: str = "country") -> str:
    """ISO 3166-1 alpha-2, upper case, checked against pycountry."""
    value = (code or "").strip().upper()
    if len(value) != 2 or pycountry.countries.get(alpha_2=value) is None:
        raise ValidationFailed.field(
            field, f"{code!r} is not an ISO 3166-1 alpha-2 country code (e.g. SD, PK, VE)"
        )
    return value


def normalise_language(tag: str, *, field: str = "language") -> str:
    """A valid BCP 47 tag in its standard form (e.g. ``ar-sd`` -> ``ar-SD``)."""
    value = (tag or "").strip()
    if not value or len(value) > 35 or not langcodes.tag_is_valid(value):
        raise ValidationFailed.field(
            field, f"{tag!r} is not a valid BCP 47 language tag (e.g. ar, ar-SD, ur, es-VE)"
        )
    return langcodes.standardize_tag(value)


@transaction.atomic
def partner_create(
    *,
    actor: Actor,
    name: str,
    countries: Sequence[str],
    languages: Sequence[str] = (),
    expertise: Sequence[str] = (),
    contact_email: str = "",
    slug: str = "",
    awarding_dsc: str = "",
) -> Organisation:
    """Create an active trusted partner with its accreditation (``awarding_dsc``: its DSA Art. 22 status, if any)."""
    country_codes = [normalise_country(c, field="countries") for c in countries]
    if not country_codes:
        raise ValidationFailed.field("countries", "at least one country is required")
    language_tags = [normalise_language(tag, field="languages") for tag in languages]
    organisation = organisation_create(
        actor=actor, name=name, kind=OrganisationKind.PARTNER, slug=slug, contact_email=contact_email
    )
    accreditation = Accreditation.objects.create(
        organisation=organisation,
        status=AccreditationStatus.ACTIVE,
        status_changed_at=clock.now(),
        countries=country_codes,
        languages=language_tags,
        expertise=list(expertise),
        awarding_dsc=awarding_dsc.strip()[:200],
    )
    audit_record(
        actor=actor,
        action=AuditAction.ACCREDITATION_CHANGED,
        target=accreditation,
        data={"status": AccreditationStatus.ACTIVE, "countries": country_codes, "languages": language_tags,
              "awarding_dsc": awarding_dsc.strip()[:200]},
    )
    return organisation


@transaction.atomic
def accreditation_set_status(
    *, actor: Actor, organisation: Organisation, status: AccreditationStatus, reason: str
) -> Accreditation:
    if status != AccreditationStatus.ACTIVE and not reason.strip():
        raise ValidationFailed.field("reason", "a reason is required to suspend or revoke a partner")
    accreditation = Accreditation.objects.select_for_update().get(organisation=organisation)
    previous = accreditation.status
    accreditation.status = status
    accreditation.status_reason = reason.strip()
    accreditation.status_changed_at = clock.now()
    accreditation.save(update_fields=["status", "status_reason", "status_changed_at"])
    audit_record(
        actor=actor,
        action=AuditAction.ACCREDITATION_CHANGED,
        target=accreditation,
        data={"from": previous, "status": status, "reason": accreditation.status_reason},
    )
    return accreditation
