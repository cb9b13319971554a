"""Legal holds: records that must be kept, for how long, and the reminders before they lapse.

A hold names one record (an account identifier, a case id or a report id).
Preservation requests hold for 90 days (§2703(f)); a CyberTipline report
for a year (§2258A(h)). Each hold may be extended once, by 90 days. The
evidence retention sweep (:mod:`trustline.intake.retention`) asks
:func:`trustline.lawenforcement.selectors.hold_until` before deleting a file.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction

from trustline.accounts.permissions import SYSTEM, Actor, Perm
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound, ValidationFailed
from trustline.lawenforcement.choices import HoldReason, HoldSubject
from trustline.lawenforcement.conf import le_int
from trustline.lawenforcement.directory import fail, parse_uuid, user_of
from trustline.lawenforcement.models import InboundRequest, LegalHold, NcmecReport
from trustline.lawenforcement.notify import LIAISONS, notify, staff_with_roles
from trustline.lawenforcement.permissions import le_require

MAX_EXTENSIONS = 1


def hold_place(
    *, actor: Actor, subject_kind: str, subject_value: str, reason: str, days: int,
    request: InboundRequest | None = None, ncmec_report: NcmecReport | None = None, note: str = "",
) -> LegalHold:
    """Write one hold inside the caller's transaction (the callers check permissions); audited."""
    now = clock.now()
    hold = LegalHold.objects.create(
        subject_kind=subject_kind, subject_value=subject_value.strip(), reason=reason, request=request,
        ncmec_report=ncmec_report, note=note, starts_at=now, expires_at=now + dt.timedelta(days=days),
        created_by=actor.audit_id,
    )
    audit_record(actor=actor, action=AuditAction.LE_HOLD_CREATED, target=hold, data={
        "subject": f"{subject_kind}:{hold.subject_value}", "reason": reason, "expires_at": hold.expires_at,
        "request": str(request.pk) if request else None, "ncmec_report": str(ncmec_report.pk) if ncmec_report else None,
    })
    return hold


def hold_create(*, actor: Actor, subject_kind: str, subject_value: str, note: str) -> LegalHold:
    """A manual hold (e.g. on counsel's instruction) for the standard 90 days."""
    le_require(actor, Perm.LE_REQUEST_HANDLE, Perm.LE_REQUEST_REVIEW)
    errors: dict[str, list[str]] = {}
    if subject_kind not in HoldSubject.values:
        errors["subject_kind"] = [f"one of {', '.join(HoldSubject.values)}"]
    if not subject_value.strip() or len(subject_value) > 256:
        errors["subject_value"] = ["required, at most 256 characters"]
    if not note.strip():
        errors["note"] = ["say why the records are held"]
    fail(errors)
    with transaction.atomic():
        return hold_place(actor=actor, subject_kind=subject_kind, subject_value=subject_value,
                          reason=HoldReason.MANUAL, days=le_int("HOLD_DAYS"), note=note)


def hold_extend(*, actor: Actor, hold_id: str | uuid.UUID, note: str = "") -> LegalHold:
    """Extend an active hold once by the extension period (a renewed §2703(f) request); a second time is refused."""
    le_require(actor, Perm.LE_REQUEST_HANDLE, Perm.LE_REQUEST_REVIEW)
    now = clock.now()
    with transaction.atomic():
        hold = LegalHold.objects.select_for_update().filter(pk=parse_uuid(hold_id, "Hold")).first()
        if hold is None:
            raise NotFound("Hold not found.")
        if hold.released_at is not None or hold.expires_at <= now:
            raise Conflict("This hold is no longer active; place a new one.", code="hold_inactive")
        if hold.extension_count >= MAX_EXTENSIONS:
            raise Conflict("A hold can be extended only once.", code="hold_already_extended")
        old = hold.expires_at
        hold.expires_at = old + dt.timedelta(days=le_int("HOLD_EXTENSION_DAYS"))
        hold.extension_count += 1
        hold.extended_at = now
        hold.extended_by = user_of(actor)
        hold.reminder_sent_at = None  # remind again before the new expiry
        hold.save(update_fields=["expires_at", "extension_count", "extended_at", "extended_by", "reminder_sent_at"])
        audit_record(actor=actor, action=AuditAction.LE_HOLD_EXTENDED, target=hold,
                     data={"from": old, "to": hold.expires_at, "note": note})
    return hold


def hold_release(*, actor: Actor, hold_id: str | uuid.UUID, reason: str) -> LegalHold:
    """End a hold early (e.g. the agency withdrew); the reason is kept in the audit log."""
    le_require(actor, Perm.LE_REQUEST_HANDLE, Perm.LE_REQUEST_REVIEW)
    if not reason.strip():
        raise ValidationFailed.field("reason", "say why the hold ends early")
    with transaction.atomic():
        hold = LegalHold.objects.select_for_update().filter(pk=parse_uuid(hold_id, "Hold")).first()
        if hold is None:
            raise NotFound("Hold not found.")
        if hold.released_at is not None:
            raise Conflict("This hold was already released.", code="hold_released")
        hold.released_at = clock.now()
        hold.released_by = user_of(actor)
        hold.save(update_fields=["released_at", "released_by"])
        audit_record(actor=actor, action=AuditAction.LE_HOLD_RELEASED, target=hold, data={"reason": reason})
    return hold


def holds_remind(*, now: dt.datetime) -> int:
    """Remind liaisons of holds about to expire; one reminder per hold and expiry date.

    1. Find active holds expiring within ``HOLD_REMINDER_DAYS`` whose
       reminder is not yet sent (indexed on ``expires_at``).
    2. For each, ``UPDATE ... SET reminder_sent_at = now WHERE pk = ? AND
       reminder_sent_at IS NULL``; only the run that changed one row goes on.
    3. In the same transaction, e-mail the liaisons through the outbox (keyed
       by hold and expiry, so an extension earns a new reminder) and audit.
    """
    horizon = now + dt.timedelta(days=le_int("HOLD_REMINDER_DAYS"))
    due = list(
        LegalHold.objects.filter(released_at__isnull=True, reminder_sent_at__isnull=True,
                                 expires_at__lte=horizon, expires_at__gt=now)
        .values_list("pk", flat=True)[:500]
    )
    reminded = 0
    liaisons = list(staff_with_roles(LIAISONS)) if due else []
    for pk in due:
        with transaction.atomic():
            if LegalHold.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now) != 1:
                continue
            hold = LegalHold.objects.get(pk=pk)
            extendable = "It can be extended once." if hold.extension_count < MAX_EXTENSIONS else (
                "It was already extended once and cannot be extended again.")
            notify(
                roles=LIAISONS, people=liaisons,
                subject=f"Legal hold on {hold.subject_kind} {hold.subject_value} expires {hold.expires_at:%Y-%m-%d}",
                body=(f"The legal hold {hold.pk} ({hold.get_reason_display()}) on {hold.subject_kind} "
                      f"{hold.subject_value} expires at {hold.expires_at:%Y-%m-%d %H:%M} UTC. {extendable}\n"),
                key=f"le-hold-reminder:{hold.pk}:{hold.expires_at:%Y%m%d}", event_type="le_hold.expiring",
                payload={"hold_id": str(hold.pk), "expires_at": hold.expires_at.isoformat()},
            )
            audit_record(actor=SYSTEM, action=AuditAction.LE_HOLD_REMINDED, target=hold,
                         data={"expires_at": hold.expires_at})
            reminded += 1
    return reminded
