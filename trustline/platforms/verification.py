"""Checking that enforcement took effect: is content a decision took down really offline, and back when undone?

Partners' most common complaint after "no answer" is "you said removed, it is
still up". A connector answering ``done`` means the platform accepted the
request, not that the content is gone (caches, replicas, a wrong id, an
action applied to the wrong object). So an action that should take content
offline (``VERIFIED_ACTIONS``: remove, suspend the account) is checked
:data:`VERIFY_AFTER` after it is done, by asking the platform what it shows,
and the answer is kept as a content snapshot (``trigger=verification``).

The other way round matters as much: when a contest reverses a decision,
the ``reinstate`` that undoes a removal or suspension must bring the content
back without undue delay (DSA Art. 20(4)). It can stay down although the
platform answered "done" (another action still stands, such as the
author's suspension; a lost job), so it is checked the same way, expecting
the content online.

The timer is data: ``EnforcementActionRecord.verify_due_at`` (partial index),
set when the action is recorded done (by the connector or a reviewer's
confirmation). :func:`verification_sweep`, every minute:

1. If the connector cannot describe (manual set-up), clear every planned
   check and stop: nobody can be asked.
2. Claim due records (``SKIP LOCKED``) and move their due time to a lease,
   in a short transaction.
3. Ask the platform about the action's target, outside any transaction.
4. In one transaction (the record's lease still ours, the case locked):
   keep the snapshot, then

   * offline: ``verification = offline``, and the reporting partners'
     timelines say the content is no longer on the platform;
   * still online: ``still_online``; the escalation leads and the deciding
     reviewer get one e-mail (``alerts.enforcement_not_in_effect_notify``);
   * for a reinstatement, ``back_online`` or ``still_offline`` (the same
     e-mail, worded for it); the partners are not told either way;
   * the platform did not answer, or does not say whether it is online:
     asked again after 30 and 120 minutes; after that, ``unknown``.

   Audited as ``enforcement.verified`` with the finding.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from django.db import transaction

from trustline.accounts.permissions import SYSTEM
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.cases.models import Case
from trustline.core import clock
from trustline.platforms.alerts import enforcement_not_in_effect_notify
from trustline.platforms.choices import NOT_IN_EFFECT, ActionType, SnapshotTrigger, Verification, is_checked
from trustline.platforms.connectors import ContentDescription, ContentRef, get_connector
from trustline.platforms.models import EnforcementActionRecord
from trustline.platforms.snapshots import LEASE, describe_safely, snapshot_store

VERIFY_AFTER = dt.timedelta(minutes=5)
RETRY_WAITS = (dt.timedelta(minutes=30), dt.timedelta(minutes=120))
BATCH = 20


@dataclasses.dataclass
class VerifySweepResult:
    offline: int = 0
    still_online: int = 0
    back_online: int = 0
    still_offline: int = 0
    unknown: int = 0
    retrying: int = 0
    cleared: int = 0


def verification_plan(record: EnforcementActionRecord, *, now: dt.datetime) -> list[str]:
    """Plan the check of an action just recorded done, if it is one to check; returns the fields it set."""
    if not is_checked(record.action_type, record.reverses_type) or record.verification:
        return []
    record.verify_due_at = now + VERIFY_AFTER
    return ["verify_due_at"]


def verification_sweep(*, now: dt.datetime | None = None, batch_size: int = BATCH) -> VerifySweepResult:
    """One pass (the module's steps 1-4)."""
    now = now or clock.now()
    result = VerifySweepResult()
    connector = get_connector()
    if not connector.can_describe():
        result.cleared = (EnforcementActionRecord.objects.filter(verify_due_at__isnull=False)
                          .update(verify_due_at=None))
        return result
    lease = now + LEASE
    with transaction.atomic():
        due = list(EnforcementActionRecord.objects.select_for_update(skip_locked=True)
                   .filter(verify_due_at__lte=now).order_by("verify_due_at", "pk")[:batch_size])
        EnforcementActionRecord.objects.filter(pk__in=[r.pk for r in due]).update(verify_due_at=lease)
    for record in due:
        target = ContentRef(url=record.target_url, platform_id=record.target_platform_id,
                            kind=record.target_kind or "other")
        finding = _conclude(record_id=record.pk, case_id=record.case_id, lease=lease,
                            description=describe_safely(connector, target))
        if finding is not None:
            setattr(result, finding, getattr(result, finding) + 1)
    return result


def _conclude(*, record_id: uuid.UUID, case_id: uuid.UUID, lease: dt.datetime,
              description: ContentDescription) -> str | None:
    """Step 4; returns the name of the result counter to add to, or None when another worker took over.

    Locks the case before the record, as the decision path does (cases first, everywhere).
    """
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        record = (EnforcementActionRecord.objects.select_for_update()
                  .filter(pk=record_id, verify_due_at=lease).first())
        if record is None:
            return None
        snapshot = snapshot_store(case=case, description=description, trigger=SnapshotTrigger.VERIFICATION,
                                  actor=SYSTEM)
        now = clock.now()
        record.verify_attempts += 1
        record.verification_snapshot = snapshot
        known = description.available and description.online is not None
        if not known and record.verify_attempts <= len(RETRY_WAITS):
            record.verify_due_at = now + RETRY_WAITS[record.verify_attempts - 1]
            finding = "retrying"
        else:
            record.verify_due_at = None
            record.verified_at = now
            record.verification = _finding(record, description.online if known else None)
            finding = str(record.verification)
        record.save(update_fields=["verify_due_at", "verify_attempts", "verified_at", "verification",
                                   "verification_snapshot"])
        audit_record(
            actor=SYSTEM, action=AuditAction.ENFORCEMENT_VERIFIED, target=record,
            data={"case": str(record.case_id), "action_type": record.action_type, "finding": finding,
                  "online": description.online if description.available else None,
                  "error": description.error, "snapshot": str(snapshot.pk), "attempt": record.verify_attempts},
        )
        if record.verification in NOT_IN_EFFECT:
            enforcement_not_in_effect_notify(record=record)
        elif record.verification == Verification.OFFLINE:
            _tell_partners(record, now=now)
    return finding


def _finding(record: EnforcementActionRecord, online: bool | None) -> Verification:
    """What the platform's answer means for this action: a reinstatement expects the content online."""
    if online is None:
        return Verification.UNKNOWN
    if record.action_type == ActionType.REINSTATE:
        return Verification.BACK_ONLINE if online else Verification.STILL_OFFLINE
    return Verification.STILL_ONLINE if online else Verification.OFFLINE


def _tell_partners(record: EnforcementActionRecord, *, now: dt.datetime) -> None:
    """The reporting partners' timelines say the content is gone (once per item), with when it was checked.

    Only "offline" is said: a finding of "still online" is the platform team's to follow up first.
    """
    from trustline.intake.choices import TimelineKind
    from trustline.review.telling import timeline_add  # review builds on platforms; this runs after both load

    timeline_add(case_id=record.case_id, kind=TimelineKind.CONTENT_OFFLINE, at=now,
                 data={"checked_at": now.isoformat(), "action_type": record.action_type})
