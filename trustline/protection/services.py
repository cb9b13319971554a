"""Writes for protected people: nominate, ask for renewal, approve or reject, and expire.

Every write is one transaction with its audit entry; partners hear the
outcome of their nominations (and the expiry of a protection they asked for)
through the outbox, keyed so a retry tells them nothing twice.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from trustline.accounts.models import Organisation
from trustline.accounts.permissions import SYSTEM, Actor, Perm, require
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from trustline.intake.canonical import UrlRejected, canonical_platform_id, canonicalize_url
from trustline.notifications.language import in_language_of
from trustline.notifications.services import notification_send
from trustline.protection.choices import (
    EVENT_NOMINATION_DECIDED,
    EVENT_PROTECTION_EXPIRED,
    NominationKind,
    NominationStatus,
    PersonCategory,
    ProtectionStatus,
)
from trustline.protection.models import Nomination, ProtectedAccount
from trustline.protection.selectors import nomination_get

DEFAULT_PROTECTION_DAYS = 180
MAX_PROTECTION_DAYS = 730
MAX_TEXT = 5000
PLATFORM = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
HANDLE_IN_URL = re.compile(r"^/@([^/]+)$")


def protection_days() -> int:
    """How long an approval protects, unless the approver says otherwise: ``TRUSTLINE["PROTECTION_DAYS"]``."""
    conf: dict[str, Any] = getattr(settings, "TRUSTLINE", {})
    return int(conf.get("PROTECTION_DAYS", DEFAULT_PROTECTION_DAYS))


@dataclass(frozen=True)
class AccountRef:
    platform: str
    key: str
    url: str
    account_id: str
    handle: str


def account_ref(*, platform: str, account_url: str, account_id: str, handle: str) -> AccountRef:
    """Canonicalise what the partner gave (intake's rules), collecting every problem with its field.

    The key is the URL's canonical key when a URL is given (what a report of
    the account deduplicates on), else ``id:account:<platform id>``. A
    ``/@handle`` URL gives the handle when none is given.
    """
    errors: dict[str, list[str]] = {}
    platform = (platform or "").strip().lower()
    if not PLATFORM.match(platform):
        errors["platform"] = ["1 to 64 characters: a-z, 0-9, '_', '.', '-' (e.g. kite)"]
    url, key = "", ""
    account_url, account_id = (account_url or "").strip(), (account_id or "").strip()
    if not account_url and not account_id:
        errors["account_url"] = ["give the account's URL or its platform id"]
    if account_url:
        try:
            canonical = canonicalize_url(account_url)
            url, key = canonical.url, canonical.key
        except UrlRejected as exc:
            errors["account_url"] = [exc.reason]
    if account_id:
        try:
            by_id = canonical_platform_id("account", account_id)
            key = key or by_id.key
        except UrlRejected as exc:
            errors["account_id"] = [exc.reason]
    handle = (handle or "").strip().lstrip("@").lower()
    if len(handle) > 256:
        errors["handle"] = ["at most 256 characters"]
    if not handle and url:
        match = HANDLE_IN_URL.match(urlsplit(url).path)
        handle = match.group(1).lower() if match else ""
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first][0]}", fields=errors)
    return AccountRef(platform=platform, key=key, url=url, account_id=account_id, handle=handle)


def _text(errors: dict[str, list[str]], field: str, value: str, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        errors[field] = ["required"]
    elif len(text) > MAX_TEXT:
        errors[field] = [f"at most {MAX_TEXT} characters"]
    return text


def _partner_required(actor: Actor) -> Organisation:
    """Nominating is for partners (staff get 403: they decide, they do not nominate)."""
    require(actor, Perm.PROTECTION_NOMINATE)
    if actor.organisation is None or actor.is_staff_side:
        raise PermissionDenied("Only a partner organisation can nominate.", code="forbidden")
    return actor.organisation


def nomination_submit(*, actor: Actor, platform: str, category: str, justification: str, account_url: str = "",
                      account_id: str = "", handle: str = "") -> Nomination:
    """A partner nominates an at-risk account for protection.

    1. Partners only (``protection.nominate``). Validate and canonicalise the
       account, the category and the justification (every problem named).
    2. One pending nomination per partner and account (409 ``nomination_pending``).
    3. Save it pending and audit ``protection.nominated`` (category and
       platform; the justification stays in the nomination, staff-only audit).
    """
    organisation = _partner_required(actor)
    errors: dict[str, list[str]] = {}
    try:
        ref = account_ref(platform=platform, account_url=account_url, account_id=account_id, handle=handle)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        ref = None
    if category not in PersonCategory.values:
        errors["category"] = [f"one of: {', '.join(PersonCategory.values)}"]
    text = _text(errors, "justification", justification)
    if errors or ref is None:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first][0]}", fields=errors)
    return _create(actor=actor, organisation=organisation, ref=ref, category=category, justification=text,
                   kind=NominationKind.NEW, renews=None, protected=None)


def _create(*, actor: Actor, organisation: Organisation, ref: AccountRef, category: str, justification: str,
            kind: NominationKind, renews: Nomination | None, protected: ProtectedAccount | None) -> Nomination:
    nomination = Nomination(
        organisation=organisation, submitted_by=actor.user, submitted_by_actor=actor.audit_id, kind=kind,
        renews=renews, platform=ref.platform, account_key=ref.key, account_url=ref.url,
        account_id=ref.account_id, handle=ref.handle, category=category, justification=justification,
        submitted_at=clock.now(), protected_account=protected,
    )
    try:
        with transaction.atomic():
            nomination.save(force_insert=True)
            audit_record(
                actor=actor,
                action=AuditAction.PROTECTION_NOMINATED if kind == NominationKind.NEW
                else AuditAction.PROTECTION_RENEWAL_REQUESTED,
                target=nomination,
                data={"kind": kind, "platform": ref.platform, "category": category,
                      "renews": str(renews.pk) if renews else None, "justification_chars": len(justification)},
            )
    except IntegrityError as exc:
        raise Conflict("You already have a nomination of this account waiting for a decision.",
                       code="nomination_pending") from exc
    return nomination


def nomination_renew(*, actor: Actor, nomination_id: str | uuid.UUID, justification: str) -> Nomination:
    """A partner asks to renew the protection its approved nomination made (before or after it expired).

    Only the partner's own approved nominations (NotFound otherwise, 409
    ``not_approved`` for one that was not approved); staff approve it like a
    new nomination, and the protection then runs on from its current expiry.
    """
    organisation = _partner_required(actor)
    original = nomination_get(actor=actor, nomination_id=nomination_id)
    errors: dict[str, list[str]] = {}
    text = _text(errors, "justification", justification)
    if errors:
        raise ValidationFailed(f"justification: {errors['justification'][0]}", fields=errors)
    if original.status != NominationStatus.APPROVED or original.protected_account is None:
        raise Conflict("Only an approved nomination can be renewed.", code="not_approved")
    ref = AccountRef(platform=original.platform, key=original.account_key, url=original.account_url,
                     account_id=original.account_id, handle=original.handle)
    return _create(actor=actor, organisation=organisation, ref=ref, category=original.category,
                   justification=text, kind=NominationKind.RENEWAL, renews=original,
                   protected=original.protected_account)


def nomination_decide(*, actor: Actor, nomination_id: str | uuid.UUID, approve: bool, reason: str,
                      days: int | None = None) -> Nomination:
    """Staff approve or reject a nomination with a reason; the partner is told through the outbox.

    1. NotFound unless the actor sees the registry; 403 without ``protection.decide``.
    2. A reason is required (the partner reads it); ``days`` 1 to 730
       (default ``protection_days()``). Only a pending nomination (409 ``already_decided``).
    3. Approve: extend the active protection of the account if there is one
       (expiry = the later of its expiry and now, plus ``days``), else make it
       active again (a renewal after expiry) or create it. Reject: nothing
       else changes.
    4. Audit ``protection.approved`` / ``protection.rejected``; tell the
       partner (``protection.nomination_decided``: outcome, reason, until when).
    """
    nomination = nomination_get(actor=actor, nomination_id=nomination_id)
    if not actor.is_staff_side:
        raise NotFound("Nomination not found.")
    require(actor, Perm.PROTECTION_DECIDE)
    errors: dict[str, list[str]] = {}
    text = _text(errors, "reason", reason)
    length = protection_days() if days is None else days
    if not 1 <= length <= MAX_PROTECTION_DAYS:
        errors["days"] = [f"1 to {MAX_PROTECTION_DAYS}"]
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first][0]}", fields=errors)
    now = clock.now()
    with transaction.atomic():
        locked = Nomination.objects.select_for_update().get(pk=nomination.pk)
        if locked.status != NominationStatus.PENDING:
            raise Conflict("This nomination has already been decided.", code="already_decided")
        protected: ProtectedAccount | None = None
        if approve:
            protected = _protect(locked, now=now, days=length)
        Nomination.objects.filter(pk=locked.pk).update(
            status=NominationStatus.APPROVED if approve else NominationStatus.REJECTED,
            decided_by=actor.user, decided_at=now, reason=text, protected_account=protected or locked.protected_account,
            protected_until=protected.expires_at if protected else None,
        )
        locked.refresh_from_db()
        audit_record(
            actor=actor, action=AuditAction.PROTECTION_APPROVED if approve else AuditAction.PROTECTION_REJECTED,
            target=locked,
            data={"reason": text, "kind": locked.kind, "protected_account": str(protected.pk) if protected else None,
                  "expires_at": protected.expires_at.isoformat() if protected else None},
        )
        _tell_decided(locked)
        if protected is not None:
            transaction.on_commit(partial(_enqueue_rescore, protected.pk), robust=True)
    return nomination_get(actor=actor, nomination_id=nomination.pk)


def _protect(nomination: Nomination, *, now: dt.datetime, days: int) -> ProtectedAccount:
    """Create, extend or re-activate the protection of the nominated account (step 3)."""
    length = dt.timedelta(days=days)
    active = (ProtectedAccount.objects.select_for_update()
              .filter(account_key=nomination.account_key, status=ProtectionStatus.ACTIVE).first())
    if active is not None:
        active.expires_at = max(active.expires_at, now) + length
        active.updated_at = now
        for field in ("account_id", "handle", "account_url"):
            if not getattr(active, field) and getattr(nomination, field):
                setattr(active, field, getattr(nomination, field))
        active.save(update_fields=["expires_at", "updated_at", "account_id", "handle", "account_url"])
        return active
    previous = nomination.protected_account
    if previous is not None:  # a renewal after expiry: the same registry row, protected again
        ProtectedAccount.objects.filter(pk=previous.pk).update(
            status=ProtectionStatus.ACTIVE, protected_since=now, expires_at=now + length, expired_at=None,
            updated_at=now,
        )
        return ProtectedAccount.objects.get(pk=previous.pk)
    return ProtectedAccount.objects.create(
        platform=nomination.platform, account_key=nomination.account_key, account_url=nomination.account_url,
        account_id=nomination.account_id, handle=nomination.handle, category=nomination.category,
        organisation_id=nomination.organisation_id, protected_since=now, expires_at=now + length, updated_at=now,
    )


def _account_words(nomination: Nomination) -> str:
    """The account as a partner named it, in the language active (:func:`in_language_of`)."""
    return nomination.account_url or _("%(platform)s account %(id)s") % {
        "platform": nomination.platform, "id": nomination.account_id}


def _tell_decided(nomination: Nomination) -> None:
    approved = nomination.status == NominationStatus.APPROVED
    renewal = nomination.kind == NominationKind.RENEWAL
    with in_language_of(nomination.organisation):
        account = {"account": _account_words(nomination)}
        if renewal:
            said = (_("Your request to renew the protection of %(account)s was approved.") if approved
                    else _("Your request to renew the protection of %(account)s was not approved.")) % account
        else:
            said = (_("Your nomination of %(account)s was approved.") if approved
                    else _("Your nomination of %(account)s was not approved.")) % account
        if nomination.protected_until:
            said += " " + _("It is protected until %(date)s.") % {"date": f"{nomination.protected_until:%Y-%m-%d}"}
        body = f"{said}\n\n" + _("Reason: %(reason)s") % {"reason": nomination.reason} + "\n"
        subject = (_("Protection approved: %(account)s") if approved
                   else _("Protection not approved: %(account)s")) % account
    notification_send(
        organisation=nomination.organisation,
        event_type=EVENT_NOMINATION_DECIDED,
        key=f"protection:nomination:{nomination.pk}:decided",
        subject=subject[:200],
        body=body,
        data={"nomination_id": str(nomination.pk), "kind": nomination.kind, "status": nomination.status,
              "reason": nomination.reason,
              "protected_until": nomination.protected_until.isoformat() if nomination.protected_until else None},
    )


# --------------------------------------------------------------------------------------------
# Re-scoring the cases of a protected account
# --------------------------------------------------------------------------------------------


def _enqueue_rescore(account_id: uuid.UUID) -> None:
    from trustline.protection.tasks import protection_rescore as rescore_task

    rescore_task.enqueue(str(account_id))


def protection_rescore(*, account_id: str | uuid.UUID, actor: Actor = SYSTEM) -> int:
    """Bring the priority of the open cases of a protected account up to date (it was protected or expired).

    Uses the crisis app's ``cases_rescore`` (triage's own scoring), so the
    ``protected_target`` component appears or goes exactly as triage would
    compute it now. Returns how many cases were re-scored.
    """
    from trustline.crisis.rescore import cases_rescore
    from trustline.protection.selectors import open_cases_under

    account = ProtectedAccount.objects.filter(pk=account_id).first()
    if account is None:
        return 0
    ids = open_cases_under(account.account_key)
    cases_rescore(case_ids=ids, actor=actor, now=clock.now(), why={"protected_account": str(account.pk)})
    return len(ids)


# --------------------------------------------------------------------------------------------
# Expiry
# --------------------------------------------------------------------------------------------


def protection_expire_due(*, now: dt.datetime | None = None, actor: Actor = SYSTEM, batch_size: int = 200) -> int:
    """The periodic sweeper: expire protections whose time has passed, each exactly once.

    1. List up to ``batch_size`` active protections with ``expires_at`` passed.
    2. For each, in its own transaction, claim it with a conditional UPDATE
       (still active, still expired): only the process that changed the row
       goes on, so parallel sweepers never expire one twice.
    3. Audit ``protection.expired`` and tell the partners whose approved
       nominations made or renewed it (``protection.expired``: they can ask
       for renewal), keyed by protection and expiry time.
    """
    now = now or clock.now()
    due = list(ProtectedAccount.objects.filter(status=ProtectionStatus.ACTIVE, expires_at__lte=now)
               .order_by("expires_at", "pk").values_list("pk", "expires_at")[:batch_size])
    expired = 0
    for pk, expires_at in due:
        with transaction.atomic():
            claimed = ProtectedAccount.objects.filter(
                pk=pk, status=ProtectionStatus.ACTIVE, expires_at__lte=now
            ).update(status=ProtectionStatus.EXPIRED, expired_at=now, updated_at=now)
            if claimed != 1:
                continue
            account = ProtectedAccount.objects.get(pk=pk)
            audit_record(actor=actor, action=AuditAction.PROTECTION_EXPIRED, target=account,
                         data={"expires_at": expires_at.isoformat(), "expired_at": now.isoformat()})
            _tell_expired(account, expires_at)
            transaction.on_commit(partial(_enqueue_rescore, account.pk), robust=True)
            expired += 1
    return expired


def _tell_expired(account: ProtectedAccount, expires_at: dt.datetime) -> None:
    """Each partner with an approved nomination for this protection hears once, with its own nomination id."""
    latest: dict[int, Nomination] = {}
    for nomination in (Nomination.objects.filter(protected_account=account, status=NominationStatus.APPROVED)
                       .select_related("organisation").order_by("decided_at", "pk")):
        latest[nomination.organisation_id] = nomination
    for nomination in latest.values():
        with in_language_of(nomination.organisation):
            words = _account_words(nomination)
            subject = _("Protection expired: %(account)s") % {"account": words}
            body = _("The protection of %(account)s that you asked for expired on %(date)s. You can ask for "
                     "renewal from your nomination %(id)s.") % {
                "account": words, "date": f"{expires_at:%Y-%m-%d}", "id": nomination.pk}
        notification_send(
            organisation=nomination.organisation,
            event_type=EVENT_PROTECTION_EXPIRED,
            key=f"protection:{account.pk}:expired:{expires_at:%Y%m%dT%H%M%S}:org:{nomination.organisation_id}",
            subject=subject[:200],
            body=f"{body}\n",
            data={"nomination_id": str(nomination.pk), "expired_at": expires_at.isoformat()},
        )
