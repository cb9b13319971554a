"""Asking the platform to act, and recording what it did.

``action_request`` carries out one enforcement action through the connector
in force and keeps an :class:`EnforcementActionRecord` of it:

1. Check: the actor may enforce (``enforcement.apply``); the action is
   valid (:meth:`EnforcementAction.validate`) and belongs to ``case``.
2. Idempotency: a record with the action's key already exists -> return it
   (``Conflict`` if the key was used for a different action). A record left
   in ``requested`` (the process died before the connector answered) is
   driven again: connectors are idempotent by key, so the platform still
   acts once.
3. Record the request (status ``requested``) and audit
   ``enforcement.requested``.
4. Call the connector. A connector that writes to Trustline's database as
   part of the request (``applies_in_transaction``, the webhook connector and
   its outbox message) is called inside the same transaction as step 3, so
   the record and the message commit together. The others are called after
   that transaction commits: a slow or failing platform never holds a
   database lock, and an exception becomes a ``failed`` outcome.
5. Store the outcome (status, reference, message) and audit
   ``enforcement.applied``.

Retries (timers are data: ``attempts`` and ``next_attempt_at`` on the record).
A ``failed`` outcome is due again after the next wait of
``ENFORCEMENT_RETRY['BACKOFF_SECONDS']`` (:mod:`trustline.platforms.conf`);
a record in ``requested`` is due at the end of the grace period (its driver
died if it is still there). ``action_retry_sweep`` (every 30 s) and
``action_retry`` (a person's "Retry now") claim a record with one
conditional UPDATE (back to ``requested``, ``attempts + 1``, due again after
the grace period, so a sweeper that dies mid-call is covered), audit
``enforcement.retried`` in that transaction, then
drive it like step 4 and 5 with the same idempotency key. After
``MAX_ATTEMPTS`` calls a failure is final: ``next_attempt_at`` stays null and
the escalation leads and the case's reviewer are told once
(:mod:`trustline.platforms.alerts`).

``action_confirm`` is the second half of a manual action: the reviewer did
it in the platform's own tools and records the platform's reference.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from collections import Counter
from typing import Literal

from django.db import IntegrityError, transaction
from django.db.models import F

from trustline.accounts.permissions import SYSTEM, Actor, Perm, require
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound, ValidationFailed
from trustline.intake.models import ReportItem
from trustline.platforms.alerts import enforcement_gave_up_notify
from trustline.platforms.choices import (
    CONFIRMABLE_STATUSES,
    NOT_IN_EFFECT,
    ActionStatus,
    ActionType,
    OutcomeStatus,
)
from trustline.platforms.conf import retry_settings
from trustline.platforms.connectors import ActionOutcome, ContentRef, EnforcementAction, get_connector
from trustline.platforms.connectors.base import PlatformConnector
from trustline.platforms.models import EnforcementActionRecord
from trustline.platforms.selectors import parse_id
from trustline.platforms.verification import verification_plan

logger = logging.getLogger(__name__)

MAX_REFERENCE_CHARS = 200
MAX_MESSAGE_CHARS = 4000


def _fingerprint(record: EnforcementActionRecord) -> tuple[object, ...]:
    return (
        record.action_type, record.target_url, record.target_platform_id, str(record.case_id),
        tuple(record.territorial_scope), record.label, record.reverses_key,
    )


def _action_of(record: EnforcementActionRecord) -> EnforcementAction:
    """The action a record was made from (to drive an unfinished record again)."""
    return EnforcementAction(
        action_type=ActionType(record.action_type),
        target=ContentRef(url=record.target_url, platform_id=record.target_platform_id, kind=record.target_kind),
        case_id=str(record.case_id),
        idempotency_key=record.idempotency_key,
        decision_id=record.decision_id,
        territorial_scope=tuple(record.territorial_scope),
        label=record.label,
        reason=record.reason,
        policy_code=record.policy_code,
        reverses_key=record.reverses_key,
        reverses_type=record.reverses_type,
    )


def _item_for(case: Case, target: ContentRef) -> ReportItem | None:
    """The case's reported item the action aims at, if it is one of them."""
    items = ReportItem.objects.filter(case=case).order_by("report__received_at", "position")
    if target.url:
        return items.filter(canonical_url=target.url).first()
    return items.filter(platform_id=target.platform_id).first()


def _record_outcome(*, actor: Actor, record: EnforcementActionRecord, outcome: ActionOutcome) -> None:
    """Step 5: store what the connector said and audit it (inside the caller's transaction).

    A failure is scheduled for its next attempt, or, out of attempts, stays
    failed for good and the people who must act are told (once per record).
    """
    now = clock.now()
    record.status = ActionStatus(outcome.status)
    record.reference = outcome.reference[:MAX_REFERENCE_CHARS]
    record.result_message = outcome.message[:MAX_MESSAGE_CHARS]
    record.completed_at = now
    record.next_attempt_at = None
    if record.status == ActionStatus.FAILED:
        record.next_attempt_at = retry_settings().next_attempt_at(attempts=record.attempts, now=now)
    gave_up = record.status == ActionStatus.FAILED and record.next_attempt_at is None
    if outcome.reference.startswith("outbox:"):
        record.outbox_message_id = uuid.UUID(outcome.reference.removeprefix("outbox:"))
    verify = verification_plan(record, now=now) if record.status == ActionStatus.DONE else []
    record.save(update_fields=[
        "status", "reference", "result_message", "completed_at", "outbox_message", "next_attempt_at", *verify,
    ])
    audit_record(
        actor=actor,
        action=AuditAction.ENFORCEMENT_APPLIED,
        target=record,
        data={
            "case": str(record.case_id),
            "action_type": record.action_type,
            "status": record.status,
            "connector": record.connector,
            "reference": record.reference,
            "message": record.result_message,
            "attempt": record.attempts,
            **({"next_attempt_at": record.next_attempt_at.isoformat()} if record.next_attempt_at else {}),
            **({"retries_exhausted": True} if gave_up else {}),
        },
    )
    if gave_up:
        enforcement_gave_up_notify(record=record)


def _apply_safely(connector: PlatformConnector, action: EnforcementAction) -> ActionOutcome:
    """Call a connector outside any transaction; a crash is a ``failed`` outcome, not a 500."""
    try:
        return connector.apply(action)
    except Exception as exc:
        logger.exception("platform connector %s failed on %s", connector.name, action.idempotency_key)
        return ActionOutcome(status=OutcomeStatus.FAILED, message=f"{type(exc).__name__}: {exc}")


def action_request(*, actor: Actor, case: Case, action: EnforcementAction) -> EnforcementActionRecord:
    """Carry out ``action`` for ``case`` through the connector in force (see the module docstring)."""
    require(actor, Perm.ENFORCEMENT_APPLY)
    if not action.case_id:
        action = dataclasses.replace(action, case_id=str(case.pk))
    action.validate()
    if action.case_id != str(case.pk):
        raise ValidationFailed.field("case_id", "the action belongs to another case")
    connector = get_connector()

    existing = EnforcementActionRecord.objects.filter(idempotency_key=action.idempotency_key).first()
    if existing is not None:
        return _replay(actor=actor, record=existing, action=action, connector=connector)

    try:
        with transaction.atomic():
            record = EnforcementActionRecord.objects.create(
                case=case,
                item=_item_for(case, action.target),
                decision_id=action.decision_id,
                action_type=action.action_type,
                target_url=action.target.url,
                target_platform_id=action.target.platform_id,
                target_kind=action.target.kind,
                territorial_scope=list(action.territorial_scope),
                label=action.label,
                reason=action.reason,
                policy_code=action.policy_code,
                reverses_key=action.reverses_key,
                reverses_type=action.reverses_type,
                status=ActionStatus.REQUESTED,
                connector=connector.name,
                idempotency_key=action.idempotency_key,
                requested_by=actor.audit_id,
                requested_at=clock.now(),
                attempts=1,
                # Due for the sweeper if nobody records an answer within the grace period.
                next_attempt_at=clock.now() + retry_settings().requested_grace,
            )
            audit_record(
                actor=actor,
                action=AuditAction.ENFORCEMENT_REQUESTED,
                target=record,
                data={
                    "case": str(case.pk),
                    "decision": action.decision_id,
                    "action_type": record.action_type,
                    "target": action.target.key,
                    "territorial_scope": record.territorial_scope,
                    "label": record.label,
                    "policy_code": record.policy_code,
                    "connector": connector.name,
                    "idempotency_key": record.idempotency_key,
                    **({"reverses_key": record.reverses_key, "reverses_type": record.reverses_type}
                       if record.reverses_key else {}),
                },
            )
            if connector.applies_in_transaction:
                _record_outcome(actor=actor, record=record, outcome=connector.apply(action))
    except IntegrityError:
        # A concurrent request with the same key committed first.
        existing = EnforcementActionRecord.objects.filter(idempotency_key=action.idempotency_key).first()
        if existing is None:
            raise
        return _replay(actor=actor, record=existing, action=action, connector=connector)
    if not connector.applies_in_transaction:
        _finish(actor=actor, record=record, action=action, connector=connector)
    return record


def _replay(
    *, actor: Actor, record: EnforcementActionRecord, action: EnforcementAction, connector: PlatformConnector
) -> EnforcementActionRecord:
    """Step 2: the same key again gives the first record; an unfinished one is driven again."""
    if _fingerprint(record) != action.fingerprint():
        raise Conflict(
            "This idempotency key was already used for a different action.",
            fields={"idempotency_key": ["already used for a different action"]},
        )
    if record.status != ActionStatus.REQUESTED:
        return record
    EnforcementActionRecord.objects.filter(pk=record.pk, status=ActionStatus.REQUESTED).update(
        attempts=F("attempts") + 1, next_attempt_at=clock.now() + retry_settings().requested_grace
    )
    return _drive(actor=actor, record=record, connector=connector)


def _drive(
    *, actor: Actor, record: EnforcementActionRecord, connector: PlatformConnector
) -> EnforcementActionRecord:
    """Steps 4 and 5 again for a record in ``requested``, with the key it was made with."""
    if connector.applies_in_transaction:
        with transaction.atomic():
            locked = EnforcementActionRecord.objects.select_for_update().get(pk=record.pk)
            if locked.status == ActionStatus.REQUESTED:
                _record_outcome(actor=actor, record=locked, outcome=connector.apply(_action_of(locked)))
            return locked
    _finish(actor=actor, record=record, action=_action_of(record), connector=connector)
    return record


def _finish(
    *, actor: Actor, record: EnforcementActionRecord, action: EnforcementAction, connector: PlatformConnector
) -> None:
    """Step 4 and 5 for a connector called outside the transaction."""
    outcome = _apply_safely(connector, action)
    with transaction.atomic():
        locked = EnforcementActionRecord.objects.select_for_update().get(pk=record.pk)
        if locked.status == ActionStatus.REQUESTED:  # else a concurrent retry recorded it already
            _record_outcome(actor=actor, record=locked, outcome=outcome)
    record.refresh_from_db()


def action_confirm(*, actor: Actor, action_record_id: str | uuid.UUID, reference: str) -> EnforcementActionRecord:
    """Record that a person carried out a pending action in the platform's own tools.

    1. The actor may see cases (else ``NotFound``, as for a missing record)
       and may enforce (else ``PermissionDenied``).
    2. ``reference`` (the platform's ticket or enforcement id) is required.
    3. Under a row lock: a ``pending_confirmation`` or ``queued`` record
       becomes ``done`` with ``confirmed_at``/``confirmed_by``; confirming a
       ``done`` record again with the same reference returns it unchanged
       (a double click); anything else is a ``Conflict``.
    4. Audit ``enforcement.confirmed``.
    """
    if not actor.has(Perm.CASE_VIEW):
        raise NotFound("Action not found.")
    require(actor, Perm.ENFORCEMENT_APPLY)
    reference = " ".join(reference.split())
    if not reference:
        raise ValidationFailed.field("reference", "give the platform's reference for what was done")
    if len(reference) > MAX_REFERENCE_CHARS:
        raise ValidationFailed.field("reference", f"at most {MAX_REFERENCE_CHARS} characters")
    record_id = parse_id(action_record_id, "Action")
    with transaction.atomic():
        record = EnforcementActionRecord.objects.select_for_update().filter(pk=record_id).first()
        if record is None:
            raise NotFound("Action not found.")
        if record.status == ActionStatus.DONE and record.confirmed_at is not None and record.reference == reference:
            return record
        if record.status not in CONFIRMABLE_STATUSES:
            raise Conflict(
                f"This action is {record.get_status_display().lower()}; only a pending or queued action "
                "can be confirmed.",
                code="not_confirmable",
            )
        previous = record.status
        record.status = ActionStatus.DONE
        record.reference = reference
        record.confirmed_at = clock.now()
        record.confirmed_by = actor.audit_id
        verify = verification_plan(record, now=record.confirmed_at)
        record.save(update_fields=["status", "reference", "confirmed_at", "confirmed_by", *verify])
        audit_record(
            actor=actor,
            action=AuditAction.ENFORCEMENT_CONFIRMED,
            target=record,
            data={
                "case": str(record.case_id),
                "action_type": record.action_type,
                "previous_status": previous,
                "reference": reference,
            },
        )
    return record


# --------------------------------------------------------------------------------------------
# Retries
# --------------------------------------------------------------------------------------------

RETRY_SWEEP_BATCH = 50
RetryTrigger = Literal["sweeper", "manual"]


def _claim_retry(
    *, actor: Actor, record_id: uuid.UUID, now: dt.datetime, trigger: RetryTrigger
) -> EnforcementActionRecord | None:
    """Take one record for a retry, or ``None`` when it is not (or no longer) retryable by this caller.

    Compare-and-set on the row as read: one conditional UPDATE moves it back
    to ``requested``, counts the attempt and pushes ``next_attempt_at`` to the
    end of the grace period (the lease: if this process dies while calling the
    connector, the record is due again then). Two sweepers reading the same
    due row both try; the UPDATE of the second matches no row. The claim is
    audited in the same transaction.
    """
    grace = retry_settings().requested_grace
    with transaction.atomic():
        seen = EnforcementActionRecord.objects.filter(pk=record_id).values("status", "next_attempt_at").first()
        if seen is None:
            return None
        due = seen["next_attempt_at"] is not None and seen["next_attempt_at"] <= now
        if not (due or (trigger == "manual" and seen["status"] == ActionStatus.FAILED)):
            return None
        if seen["status"] not in (ActionStatus.FAILED, ActionStatus.REQUESTED):
            return None
        claimed = EnforcementActionRecord.objects.filter(
            pk=record_id, status=seen["status"], next_attempt_at=seen["next_attempt_at"]
        ).update(status=ActionStatus.REQUESTED, attempts=F("attempts") + 1, next_attempt_at=now + grace)
        if claimed != 1:
            return None  # another sweeper, a retry button or the platform's answer got there first
        record = EnforcementActionRecord.objects.get(pk=record_id)
        audit_record(
            actor=actor,
            action=AuditAction.ENFORCEMENT_RETRIED,
            target=record,
            data={
                "case": str(record.case_id),
                "action_type": record.action_type,
                "retry": True,
                "trigger": trigger,
                "attempt": record.attempts,
                "previous_status": seen["status"],
                "previous_message": record.result_message,
                "idempotency_key": record.idempotency_key,
            },
        )
    return record


@dataclasses.dataclass(frozen=True)
class RetrySweepResult:
    claimed: int
    outcomes: dict[str, int]
    errors: int


def action_retry_sweep(*, now: dt.datetime, batch_size: int = RETRY_SWEEP_BATCH) -> RetrySweepResult:
    """Drive again every enforcement action due at ``now`` (failed ones at their backoff time, stuck ones).

    1. Read the ids due at ``now`` (the partial index on ``next_attempt_at``).
    2. For each, claim it (:func:`_claim_retry`, its own transaction); skip it if
       another worker did.
    3. Call the connector in force with the record's own action and key:
       outside any transaction, or inside the recording transaction for a
       connector that writes to Trustline's database (as in ``action_request``).
    4. Record the outcome (step 5): done, or failed and due again later, or
       failed for good. One record that raises does not stop the others; it is
       due again when its lease ends.
    """
    due = list(
        EnforcementActionRecord.objects.filter(next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id").values_list("pk", flat=True)[:batch_size]
    )
    if not due:
        return RetrySweepResult(claimed=0, outcomes={}, errors=0)
    connector = get_connector()
    outcomes: Counter[str] = Counter()
    claimed = errors = 0
    for record_id in due:
        record = _claim_retry(actor=SYSTEM, record_id=record_id, now=now, trigger="sweeper")
        if record is None:
            continue
        claimed += 1
        try:
            outcomes[_drive(actor=SYSTEM, record=record, connector=connector).status] += 1
        except Exception:
            logger.exception("retrying enforcement action %s failed", record_id)
            errors += 1
    return RetrySweepResult(claimed=claimed, outcomes=dict(outcomes), errors=errors)


def action_retry(*, actor: Actor, action_record_id: str | uuid.UUID) -> EnforcementActionRecord:
    """A person's "Retry now": drive a failed (or stuck) action again at once, with the same key.

    1. The actor may see cases (else ``NotFound``, as for a missing record)
       and may enforce (else ``PermissionDenied``).
    2. Claim it as the sweeper does: a ``failed`` action (scheduled or out of
       attempts), or one in ``requested`` past its grace period. Anything else
       is a ``Conflict`` (done, waiting for a confirmation, being driven now).
    3. Drive it and record the outcome; a retry of an action out of attempts
       that fails again stays failed without telling anyone a second time.
    """
    if not actor.has(Perm.CASE_VIEW):
        raise NotFound("Action not found.")
    require(actor, Perm.ENFORCEMENT_APPLY)
    record_id = parse_id(action_record_id, "Action")
    if not EnforcementActionRecord.objects.filter(pk=record_id).exists():
        raise NotFound("Action not found.")
    record = _claim_retry(actor=actor, record_id=record_id, now=clock.now(), trigger="manual")
    if record is None:
        raise Conflict(
            "Only a failed action, or one stuck waiting for the platform, can be retried; this one is done, "
            "waiting for a confirmation, or being carried out right now.",
            code="not_retryable",
        )
    return _drive(actor=actor, record=record, connector=get_connector())


def action_ask_again(*, actor: Actor, action_record_id: str | uuid.UUID) -> EnforcementActionRecord:
    """"Ask the platform again" after the check found the action not in effect (``verification``).

    1. The actor may see cases (else ``NotFound``) and may enforce (else
       ``PermissionDenied``).
    2. Only an action whose check found it not in effect: content still
       online after a removal or suspension, still offline after a
       reinstatement (else ``Conflict`` ``not_in_effect``).
    3. Request the same action under the key ``<key>:again``: a new record,
       driven and later checked like the first; asking twice gives the same
       new record (the key's idempotency), never a third request.
    """
    if not actor.has(Perm.CASE_VIEW):
        raise NotFound("Action not found.")
    require(actor, Perm.ENFORCEMENT_APPLY)
    record = EnforcementActionRecord.objects.select_related("case").filter(
        pk=parse_id(action_record_id, "Action")).first()
    if record is None:
        raise NotFound("Action not found.")
    if record.verification not in NOT_IN_EFFECT:
        raise Conflict("Only an action whose check found it not in effect (the content still online after a "
                       "removal, still offline after a reinstatement) can be asked for again.",
                       code="not_in_effect")
    again = dataclasses.replace(_action_of(record), idempotency_key=f"{record.idempotency_key}:again")
    return action_request(actor=actor, case=record.case, action=again)
