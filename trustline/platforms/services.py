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

``action_confirm`` is the second half of a manual action: the reviewer did
it in the platform's own tools and records the platform's reference.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid

from django.db import IntegrityError, transaction

from trustline.accounts.permissions import Actor, Perm, require
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound, ValidationFailed
from trustline.intake.models import ReportItem
from trustline.platforms.choices import CONFIRMABLE_STATUSES, ActionStatus, ActionType, OutcomeStatus
from trustline.platforms.connectors import ActionOutcome, ContentRef, EnforcementAction, get_connector
from trustline.platforms.connectors.base import PlatformConnector
from trustline.platforms.models import EnforcementActionRecord
from trustline.platforms.selectors import parse_id

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
    """Step 5: store what the connector said and audit it (inside the caller's transaction)."""
    record.status = ActionStatus(outcome.status)
    record.reference = outcome.reference[:MAX_REFERENCE_CHARS]
    record.result_message = outcome.message[:MAX_MESSAGE_CHARS]
    record.completed_at = clock.now()
    if outcome.reference.startswith("outbox:"):
        record.outbox_message_id = uuid.UUID(outcome.reference.removeprefix("outbox:"))
    record.save(update_fields=["status", "reference", "result_message", "completed_at", "outbox_message"])
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
        },
    )


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
        record.save(update_fields=["status", "reference", "confirmed_at", "confirmed_by"])
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
