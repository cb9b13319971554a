"""Deciding cases: recording a decision, the second review, and making a decision take effect.

``decision_record`` (and ``decision_record_bulk`` for several cases):

1. Access: the case must be visible (``case.view``, else ``NotFound``); the
   actor needs ``decision.record`` (else ``PermissionDenied``).
2. Validation (``validation.decision_validate``): the outcome's required
   fields (violating needs a policy, at least one action and a ground; a
   geo-restriction needs a territorial scope; not violating takes no
   actions; needs-more-information needs a question). The partner-facing
   explanation is the reviewer's text or the outcome's template filled with
   the case's facts.
3. The author's account is looked up through the platform connector
   *before* the transaction (a platform call never holds a database lock),
   for the public-figure rule of the second review.
4. In one transaction, under the case's row lock: the case must be open, not
   already decided and without a decision waiting for second review; the
   actor must hold it (routing lease) unless they may decide any case
   (``decision.record_any``: escalation leads). A case on hold (waiting for
   a partner) has its clock resumed and its open questions withdrawn.
   The second-review rules are checked; the decision is stored
   (``pending_second_review`` when a rule matched, else ``effective``) and
   audited, and an effective decision is applied (``decision_apply``).
5. After commit, the enforcement actions of an effective violating decision
   are carried out through the platform connector
   (``platforms.services.action_request``, idempotent by a key derived from
   the decision), and the case is closed when every action is done.

Why the case closes only once its actions are done: while the content may
still be up (a manual action waiting for confirmation, a platform that has
not answered), a new report of it should join this case, whose decision
already covers it, rather than open a new one for another reviewer. A
decision without platform actions (not violating, out of scope, violating
with ``no_action``) closes the case at once; referrals keep it open while
the policy team or the law-enforcement liaison works on it. The periodic
``decisions_follow_up`` drives unfinished actions again, closes cases whose
actions were confirmed since, and tells partners whose reports joined a
decided case later.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from typing import cast

from django.db import transaction
from django.db.models import Exists, OuterRef

from trustline.accounts.permissions import SYSTEM, Actor, Perm, require
from trustline.audit.choices import AuditAction
from trustline.audit.services import AuditEvent, audit_record, audit_record_many
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.exceptions import ApplicationError, Conflict, PermissionDenied, ValidationFailed
from trustline.intake.choices import TimelineKind
from trustline.intake.models import ReportItem, TimelineEvent
from trustline.platforms.choices import ActionStatus, ActionType
from trustline.platforms.connectors import AccountInfo, EnforcementAction
from trustline.platforms.models import EnforcementActionRecord
from trustline.platforms.selectors import content_ref_for
from trustline.platforms.services import action_request
from trustline.review.choices import (
    FINAL_OUTCOMES,
    REFERRAL_OUTCOMES,
    DecisionStatus,
    Outcome,
    ReferralKind,
    SecondReviewRuleKind,
)
from trustline.review.information import (
    case_return_to_review,
    clock_resume,
    information_requests_open,
    information_requests_withdraw,
    pause_event,
)
from trustline.review.models import Decision, Referral, SecondReviewRule
from trustline.review.precision import precision_add, precision_take_back
from trustline.review.reinstatement import platform_actions, reinstate_replaced
from trustline.review.selectors import (
    case_author,
    case_first_item,
    case_held_by,
    case_holder_id,
    case_referred_undecided,
    decision_get,
    is_same_reviewer,
    parse_id,
    review_case_get,
    second_review_reasons,
)
from trustline.review.telling import notify_decided, partner_view, report_statuses_refresh, timeline_add
from trustline.review.validation import (
    DEFAULT_ANSWER_WINDOW,
    DecisionInput,
    ValidDecision,
    decision_validate,
    second_review_rule_problems,
)
from trustline.routing.choices import AssignmentEnd
from trustline.routing.services import case_assignment_end

logger = logging.getLogger(__name__)

MAX_BULK_CASES = 100
MAX_NOTE_CHARS = 2000
FOLLOW_UP_BATCH = 200

_REFERRAL_KIND = {
    Outcome.REFERRED_TO_POLICY_REVIEW: ReferralKind.POLICY_REVIEW,
    Outcome.REFERRED_TO_LAW_ENFORCEMENT: ReferralKind.LAW_ENFORCEMENT,
}


@dataclasses.dataclass
class _Pending:
    """A decision to record for one case, with what was looked up before the transaction."""

    case: Case
    valid: ValidDecision
    author: AccountInfo | None


# --------------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------------


def _needs_author(valid: ValidDecision) -> bool:
    enforcing = any(a != ActionType.NO_ACTION for a in valid.actions)
    return enforcing and SecondReviewRule.objects.filter(
        kind=SecondReviewRuleKind.PUBLIC_FIGURE, is_active=True
    ).exists()


def _prepare(*, actor: Actor, case_id: str | uuid.UUID, data: DecisionInput, now: dt.datetime) -> _Pending:
    """Steps 1-3 of the module docstring for one case."""
    case = review_case_get(actor=actor, case_id=case_id)
    require(actor, Perm.DECISION_RECORD)
    valid = decision_validate(case=case, data=data, now=now)
    author = case_author(actor=actor, case=case) if _needs_author(valid) else None
    return _Pending(case=case, valid=valid, author=author)


def _check_decidable(
    *, actor: Actor, case: Case, outcome: str, now: dt.datetime, may_take_free: bool = False
) -> None:
    """Step 4's checks, on the locked case row.

    A case decided only by a referral (``case_referred_undecided``) is still
    open to an escalation lead's decision on the content, for example when an
    imminent-harm report joins it while the policy team works; it supersedes
    the referral decision, and the referral itself goes on.
    """
    if case.status == CaseStatus.DECIDED and actor.has(Perm.DECISION_RECORD_ANY) and case_referred_undecided(case):
        if outcome == Outcome.NEEDS_MORE_INFORMATION:
            raise Conflict("This case was referred on; decide the content, or wait for the referral to conclude. "
                           "A question to the partner cannot follow a referral.", code="case_referred")
    elif not case.is_open or case.status in (CaseStatus.DECIDED, CaseStatus.CLOSED):
        raise Conflict("This case is already decided; a decision can only change through a contest.",
                       code="case_decided")
    if Decision.objects.filter(case=case, status=DecisionStatus.PENDING_SECOND_REVIEW).exists():
        raise Conflict("A decision on this case is waiting for a second reviewer.", code="pending_second_review")
    if actor.has(Perm.DECISION_RECORD_ANY) or case_held_by(case=case, actor=actor, now=now):
        return
    if may_take_free and case_holder_id(case, now) is None:
        return
    raise PermissionDenied("You do not hold this case: claim it first (or ask an escalation lead).",
                           code="case_not_held")


def _record_locked(*, actor: Actor, pending: _Pending, now: dt.datetime, may_take_free: bool = False) -> Decision:
    """Step 4 for one case; the caller is inside the transaction."""
    case = Case.objects.select_for_update().get(pk=pending.case.pk)
    _check_decidable(actor=actor, case=case, outcome=pending.valid.outcome, now=now, may_take_free=may_take_free)
    events: list[AuditEvent] = []
    pause = clock_resume(case=case, at=now, reason="decided")
    if pause is not None:
        events.append(pause_event(case, pause))
    withdrawn = information_requests_withdraw(case=case, at=now)
    valid = pending.valid
    reasons = second_review_reasons(case=case, outcome=valid.outcome, actions=valid.actions, author=pending.author)
    decision = decision_row_create(
        case=case, valid=valid, actor=actor, now=now,
        question=valid.question, answer_due_at=valid.answer_due_at, second_review_reasons=reasons,
    )
    events.append(AuditEvent(
        AuditAction.DECISION_RECORDED, "review.decision", str(decision.pk),
        {
            "case": str(case.pk),
            "outcome": decision.outcome,
            "policy": valid.policy.code if valid.policy is not None else "",
            "actions": list(valid.actions),
            "territorial_scope": list(valid.territorial_scope),
            "decision_ground": valid.decision_ground,
            "status": DecisionStatus.PENDING_SECOND_REVIEW if reasons else DecisionStatus.EFFECTIVE,
            "second_review_reasons": reasons,
            "held": case_held_by(case=case, actor=actor, now=now),
            "withdrawn_information_requests": withdrawn,
        },
    ))
    if case.acknowledged_at is None:
        Case.objects.filter(pk=case.pk).update(acknowledged_at=now)
        case.acknowledged_at = now
    if not reasons:
        events += decision_apply(actor=actor, decision=decision, case=case, now=now)
    else:
        # Waiting for the second reviewer: in review without a lease, so claim-next passes it by
        # (routing claims only queued cases and expired leases) and no lease expiry requeues it.
        Case.objects.filter(pk=case.pk).update(status=CaseStatus.IN_REVIEW, lease_expires_at=None)
        case.status, case.lease_expires_at = CaseStatus.IN_REVIEW, None
    audit_record_many(actor=actor, events=events)
    return decision


def decision_record(*, actor: Actor, case_id: str | uuid.UUID, data: DecisionInput) -> Decision:
    """Record a decision on one case (see the module docstring)."""
    now = clock.now()
    pending = _prepare(actor=actor, case_id=case_id, data=data, now=now)
    with transaction.atomic():
        decision = _record_locked(actor=actor, pending=pending, now=now)
    decision_enforce(actor=actor, decision=decision)
    decision.refresh_from_db()
    return decision


def decision_record_bulk(
    *, actor: Actor, case_ids: Sequence[str | uuid.UUID], data: DecisionInput
) -> list[Decision]:
    """The same decision on several cases (e.g. all cases of one report), all or nothing.

    The actor must hold at least one of the cases (or may decide any case);
    the others must each be held by the actor or by nobody: deciding them
    together takes them. Validation and access errors name the case
    (``cases.<n>``). Cases are locked in id order so two bulk decisions on
    overlapping cases cannot deadlock.
    """
    unique = list(dict.fromkeys(str(parse_id(c, "Case")) for c in case_ids))
    if not unique:
        raise ValidationFailed.field("case_ids", "give at least one case")
    if len(unique) > MAX_BULK_CASES:
        raise ValidationFailed.field("case_ids", f"at most {MAX_BULK_CASES} cases at once")
    now = clock.now()
    prepared: list[_Pending] = []
    for index, case_id in enumerate(unique):
        try:
            prepared.append(_prepare(actor=actor, case_id=case_id, data=data, now=now))
        except ValidationFailed as exc:
            raise ValidationFailed(f"case {case_id}: {exc.message}",
                                   fields={f"cases.{index}.{k}": v for k, v in exc.fields.items()}) from exc
    prepared.sort(key=lambda p: p.case.pk)
    with transaction.atomic():
        if not actor.has(Perm.DECISION_RECORD_ANY):
            locked = list(Case.objects.select_for_update().filter(pk__in=[p.case.pk for p in prepared]).order_by("pk"))
            if not any(case_held_by(case=c, actor=actor, now=now) for c in locked):
                raise PermissionDenied("You hold none of these cases: claim one of them first.",
                                       code="case_not_held")
        decisions = [_record_locked(actor=actor, pending=p, now=now, may_take_free=True) for p in prepared]
    for decision in decisions:
        decision_enforce(actor=actor, decision=decision)
        decision.refresh_from_db()
    return decisions


# --------------------------------------------------------------------------------------------
# Second review
# --------------------------------------------------------------------------------------------


def _second_review_locked(*, actor: Actor, decision_id: str | uuid.UUID) -> tuple[Decision, Case]:
    found = decision_get(actor=actor, decision_id=decision_id)
    require(actor, Perm.DECISION_SECOND_REVIEW)
    case = Case.objects.select_for_update().get(pk=found.case_id)
    decision = Decision.objects.select_for_update().get(pk=found.pk)
    if decision.status != DecisionStatus.PENDING_SECOND_REVIEW:
        raise Conflict(f"This decision is {decision.get_status_display().lower()}; it is not waiting for a second "
                       "review.", code="not_pending")
    if is_same_reviewer(decision, actor):
        raise PermissionDenied("You recorded this decision: a different reviewer must confirm or reject it.",
                               code="own_decision")
    return decision, case


def decision_confirm(*, actor: Actor, decision_id: str | uuid.UUID, note: str = "") -> Decision:
    """A different reviewer confirms a decision waiting for second review: it takes effect.

    ``NotFound`` for anyone who may not see cases, ``PermissionDenied``
    without ``decision.second_review`` or for the person who recorded it,
    ``Conflict`` once it is no longer pending. Audited; then applied exactly
    as an effective decision is (partners told, actions carried out).
    """
    note = (note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise ValidationFailed.field("note", f"at most {MAX_NOTE_CHARS} characters")
    with transaction.atomic():
        decision, case = _second_review_locked(actor=actor, decision_id=decision_id)
        now = clock.now()
        decision.second_reviewer = actor.user
        decision.second_reviewer_actor = actor.audit_id
        decision.second_reviewed_at = now
        decision.second_review_note = note
        decision.save(update_fields=["second_reviewer", "second_reviewer_actor", "second_reviewed_at",
                                     "second_review_note"])
        events = [AuditEvent(AuditAction.DECISION_CONFIRMED, "review.decision", str(decision.pk),
                             {"case": str(case.pk), "decided_by": decision.decided_by_actor, "note": note})]
        events += decision_apply(actor=actor, decision=decision, case=case, now=now)
        audit_record_many(actor=actor, events=events)
    decision_enforce(actor=actor, decision=decision)
    decision.refresh_from_db()
    return decision


def decision_reject(*, actor: Actor, decision_id: str | uuid.UUID, reason: str) -> Decision:
    """A different reviewer rejects a decision waiting for second review: the case goes back to review.

    The reason is required and stays internal (audit log and the decision's
    ``second_review_note``); partners hear nothing, as nothing was decided.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.field("reason", "required: say why the decision should not stand")
    if len(reason) > MAX_NOTE_CHARS:
        raise ValidationFailed.field("reason", f"at most {MAX_NOTE_CHARS} characters")
    with transaction.atomic():
        decision, case = _second_review_locked(actor=actor, decision_id=decision_id)
        now = clock.now()
        decision.status = DecisionStatus.REJECTED_BY_SECOND_REVIEW
        decision.second_reviewer = actor.user
        decision.second_reviewer_actor = actor.audit_id
        decision.second_reviewed_at = now
        decision.second_review_note = reason
        decision.save(update_fields=["status", "second_reviewer", "second_reviewer_actor", "second_reviewed_at",
                                     "second_review_note"])
        case_return_to_review(case=case, at=now)
        audit_record_many(actor=actor, events=[
            AuditEvent(AuditAction.DECISION_REJECTED, "review.decision", str(decision.pk),
                       {"case": str(case.pk), "decided_by": decision.decided_by_actor, "reason": reason}),
            AuditEvent(AuditAction.CASE_RETURNED_TO_REVIEW, "cases.case", str(case.pk),
                       {"reason": "second_review_rejected", "status": case.status}),
        ])
    return decision


# --------------------------------------------------------------------------------------------
# Taking effect
# --------------------------------------------------------------------------------------------


def decision_apply(*, actor: Actor, decision: Decision, case: Case, now: dt.datetime) -> list[AuditEvent]:
    """Make ``decision`` the case's effective decision; returns the audit events for the caller to write.

    Inside the caller's transaction, with the case row locked:

    1. Supersede the case's previous effective decision (a question to the
       partner, or later a contested decision), taking back its precision.
    2. Mark the decision effective.
    3. Needs more information: open the requests and pause the clock
       (``information.information_requests_open``); nothing else changes.
    4. Otherwise the case is ``decided``: a ``decided`` timeline event on
       every item, report statuses moved along, each reporting organisation
       notified (``report.decided``, keyed by decision and organisation),
       precision counted, a referral row for referral outcomes, and the
       case closed at once when there is nothing to carry out on the platform.
    """
    previous = Decision.objects.select_for_update().filter(case=case, status=DecisionStatus.EFFECTIVE).first()
    if previous is not None:
        precision_take_back(previous)
        Decision.objects.filter(pk=previous.pk).update(
            status=DecisionStatus.SUPERSEDED, superseded_at=now, superseded_by=decision
        )
    decision.status = DecisionStatus.EFFECTIVE
    decision.effective_at = now
    decision.save(update_fields=["status", "effective_at"])
    events = [AuditEvent(
        AuditAction.CASE_DECIDED, "cases.case", str(case.pk),
        {"decision": str(decision.pk), "outcome": decision.outcome,
         "superseded": str(previous.pk) if previous is not None else None},
    )]
    if decision.outcome == Outcome.NEEDS_MORE_INFORMATION:
        due_at = decision.answer_due_at or now + DEFAULT_ANSWER_WINDOW
        if due_at <= now:  # confirmed by a second reviewer after the answer window had passed
            due_at = now + DEFAULT_ANSWER_WINDOW
        return events + information_requests_open(actor=actor, decision=decision, case=case,
                                                  question=decision.question, due_at=due_at, at=now)
    case_assignment_end(case_id=case.pk, now=now, reason=AssignmentEnd.DECIDED)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.DECIDED)
    case.status = CaseStatus.DECIDED
    reports = timeline_add(case_id=case.pk, kind=TimelineKind.DECIDED, data=partner_view(decision), at=now,
                           since=now)
    report_statuses_refresh(reports)
    notify_decided(decision=decision, report_ids=reports)
    precision_add(decision)
    if decision.outcome in REFERRAL_OUTCOMES:
        Referral.objects.create(case=case, decision=decision, kind=_REFERRAL_KIND[Outcome(decision.outcome)],
                                created_at=now)
    closed = case_close_if_applied(actor=actor, decision=decision, case=case, now=now, audit=False)
    if closed is not None:
        events.append(closed)
    return events


def decision_enforce(*, actor: Actor, decision: Decision) -> list[EnforcementActionRecord]:
    """Carry out an effective decision's platform actions (outside any transaction of ours).

    1. Reinstate: when the decision replaced another (a contest reversed
       it), the replaced decision's actions that this one does not keep are
       undone on the platform (``reinstatement.reinstate_replaced``).
    2. A violating decision's own actions are carried out. Idempotent: each
       action's key is ``decision:<id>:<action>``, so calling this again
       (the follow-up job does) never acts twice.
    3. Close the case if every action is done.
    """
    if decision.status != DecisionStatus.EFFECTIVE:
        return []
    case = Case.objects.get(pk=decision.case_id)
    records = reinstate_replaced(actor=actor, decision=decision, case=case)
    if decision.outcome != Outcome.VIOLATING:
        return records
    item = case_first_item(case)
    actions = platform_actions(decision)
    if item is None or not actions:
        return records
    target = content_ref_for(item)
    reason = decision.illegal_content_explanation or decision.incompatible_content_explanation
    for action_type in actions:
        action = EnforcementAction(
            action_type=ActionType(action_type),
            target=target,
            case_id=str(case.pk),
            idempotency_key=f"decision:{decision.pk}:{action_type}",
            decision_id=str(decision.pk),
            territorial_scope=tuple(decision.territorial_scope) if action_type == ActionType.GEO_RESTRICT else (),
            label=decision.label_text if action_type == ActionType.LABEL else "",
            reason=reason[:2000],
            policy_code=decision.policy.code if decision.policy is not None else "",
        )
        try:
            records.append(action_request(actor=actor, case=case, action=action))
        except ApplicationError:
            logger.exception("enforcement of decision %s (%s) was refused; the follow-up job retries",
                             decision.pk, action_type)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        case_close_if_applied(actor=actor, decision=decision, case=locked, now=clock.now())
    return records


def case_close_if_applied(
    *, actor: Actor, decision: Decision, case: Case, now: dt.datetime, audit: bool = True
) -> AuditEvent | None:
    """Close a decided case once its decision's platform actions are all done (the caller locked the case).

    Referral outcomes stay open. Returns the audit event (written here when
    ``audit``, else left for the caller), or ``None`` when the case stays open.
    """
    if not case.is_open or case.status != CaseStatus.DECIDED:
        return None
    if decision.outcome not in FINAL_OUTCOMES or decision.outcome in REFERRAL_OUTCOMES:
        return None
    needed = set(platform_actions(decision))
    if needed:
        done = set(
            EnforcementActionRecord.objects.filter(decision_id=str(decision.pk), status=ActionStatus.DONE)
            .values_list("action_type", flat=True)
        )
        if not needed <= done:
            return None
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED, is_open=False, closed_at=now)
    case.status, case.is_open, case.closed_at = CaseStatus.CLOSED, False, now
    reports = timeline_add(case_id=case.pk, kind=TimelineKind.CLOSED, at=now, since=decision.effective_at,
                           data={"decision_id": str(decision.pk), "outcome": decision.outcome})
    report_statuses_refresh(reports)
    event = AuditEvent(AuditAction.CASE_CLOSED, "cases.case", str(case.pk),
                       {"decision": str(decision.pk), "actions": sorted(needed)})
    if audit:
        audit_record_many(actor=actor, events=[event])
    return event


def decisions_follow_up(*, actor: Actor = SYSTEM, batch_size: int = FOLLOW_UP_BATCH) -> dict[str, int]:
    """The periodic tidy-up of decided cases that are still open (idempotent, bounded per run).

    1. Items that joined a decided case after its decision (a new report of
       the same content) get their ``decided`` timeline event, and their
       partners are told.
    2. Violating decisions whose case is open and has no action waiting for
       a person or the platform (``pending_confirmation``, ``queued``) or
       failed: drive their actions again (records left ``requested``, or
       never created because the process died after commit) and close the
       case when all are done, e.g. after a reviewer confirmed a manual
       action. Failed actions wait for staff (the platform's action list);
       they are not retried blindly.
    """
    told = 0
    undecided_item = TimelineEvent.objects.filter(item_id=OuterRef("pk"), kind=TimelineKind.DECIDED)
    late_cases = list(
        ReportItem.objects.filter(case__is_open=True, case__status=CaseStatus.DECIDED)
        .exclude(Exists(undecided_item)).values_list("case_id", flat=True).distinct()[:batch_size]
    )
    for case_id in late_cases:
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            decision = Decision.objects.filter(case=case, status=DecisionStatus.EFFECTIVE).select_related(
                "policy").first()
            if decision is None or not case.is_open:
                continue
            late = timeline_add(case_id=case.pk, kind=TimelineKind.DECIDED, data=partner_view(decision),
                                at=clock.now(), since=decision.effective_at)
            if late:
                report_statuses_refresh(late)
                told += notify_decided(decision=decision, report_ids=late)
    waiting = EnforcementActionRecord.objects.filter(
        case_id=OuterRef("case_id"),
        status__in=[ActionStatus.PENDING_CONFIRMATION, ActionStatus.QUEUED, ActionStatus.FAILED],
    )
    decisions = list(
        Decision.objects.filter(status=DecisionStatus.EFFECTIVE, outcome=Outcome.VIOLATING, case__is_open=True,
                                case__status=CaseStatus.DECIDED)
        .exclude(Exists(waiting)).select_related("policy").order_by("effective_at")[:batch_size]
    )
    for decision in decisions:
        decision_enforce(actor=actor, decision=decision)
    closed = Case.objects.filter(pk__in=[d.case_id for d in decisions], is_open=False).count()
    return {"late_cases": len(late_cases), "told": told, "driven": len(decisions), "closed": closed}


def decision_row_create(
    *, case: Case, valid: ValidDecision, actor: Actor, now: dt.datetime, **extra: object
) -> Decision:
    """Store a validated decision, not yet effective.

    It is written as ``pending_second_review`` even when no second review is
    needed: ``decision_apply`` first supersedes the case's current effective
    decision, so a case never has two effective decisions. Used by decisions
    and by contest reversals (appeals), so both store the same fields.
    """
    return Decision.objects.create(
        case=case,
        outcome=valid.outcome,
        policy=valid.policy,
        actions=list(valid.actions),
        territorial_scope=list(valid.territorial_scope),
        label_text=valid.label_text,
        decision_ground=valid.decision_ground,
        illegal_content_legal_ground=valid.illegal_content_legal_ground,
        illegal_content_explanation=valid.illegal_content_explanation,
        incompatible_content_ground=valid.incompatible_content_ground,
        incompatible_content_explanation=valid.incompatible_content_explanation,
        automated_detection=valid.automated_detection,
        automated_decision=valid.automated_decision,
        language=valid.language,
        template=valid.template,
        explanation=valid.explanation,
        internal_note=valid.internal_note,
        decided_by=actor.user,
        decided_by_actor=actor.audit_id,
        decided_at=now,
        status=DecisionStatus.PENDING_SECOND_REVIEW,
        **extra,
    )


# --------------------------------------------------------------------------------------------
# Second-review rules (review policy)
# --------------------------------------------------------------------------------------------


def second_review_rule_set(
    *, actor: Actor, kind: str, is_active: bool, targets: object, tiers: object, outcomes: object
) -> SecondReviewRule:
    """Create or change the rule of one kind: the console's rule pages and the Django admin both end here.

    One row per kind, so "set" creates it the first time. The parameters are
    checked by ``validation.second_review_rule_problems`` (the same check the
    forms show per field). The audit entry names what changed and the rule as
    it now stands; saving the same values again changes and records nothing.
    Decisions already waiting for a second review keep waiting: the rules are
    read when a decision is recorded.
    """
    require(actor, Perm.SECOND_REVIEW_RULE_MANAGE)
    if kind not in SecondReviewRuleKind.values:
        raise ValidationFailed.field("kind", f"unknown kind {kind!r}")
    problems = second_review_rule_problems(targets=targets, tiers=tiers, outcomes=outcomes)
    if problems:
        raise ValidationFailed("The rule's parameters are not valid.", fields=problems)
    values: dict[str, object] = {"is_active": bool(is_active), "targets": list(cast(list[str], targets)),
                                 "tiers": list(cast(list[int], tiers)), "outcomes": list(cast(list[str], outcomes))}
    now = clock.now()
    with transaction.atomic():
        rule, created = SecondReviewRule.objects.select_for_update().get_or_create(
            kind=kind, defaults={**values, "updated_at": now})
        changed = sorted(values) if created else sorted(k for k, v in values.items() if getattr(rule, k) != v)
        if not created:
            if not changed:
                return rule
            for name in changed:
                setattr(rule, name, values[name])
            rule.updated_at = now
            rule.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor, action=AuditAction.SECOND_REVIEW_RULE_CHANGED, target=rule,
            data={"created": created, "changed": changed, "kind": rule.kind, "is_active": rule.is_active,
                  "targets": rule.targets, "tiers": rule.tiers, "outcomes": rule.outcomes},
        )
    return rule
