"""Routing: preparing a case for the queue, claiming it, leases, release, hold and reassignment.

``case_claim_next`` is the heart of it:

1. The actor is a person with ``case.claim`` whose reviewer profile is
   active and on shift (a person without a profile is a generalist: they see
   the translation pool only).
2. If they already hold ``ROUTING["MAX_HELD"]`` cases under live leases,
   they get the most urgent of those back, its lease renewed: a retried or
   double-clicked claim never takes a second case.
3. Otherwise, in one transaction: select the first case in queue order
   (priority desc, decide-by time, opening time) that is claimable (queued,
   or in review under an expired lease; never on the emergency board: an
   open or acknowledged emergency belongs to its escalation owner until
   resolved or downgraded) and that the reviewer may take now
   (``eligibility.eligible_q``), among the few candidates per routing key
   (``eligibility.candidate_sql``), with ``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, so concurrent claimers pass over each other's rows instead
   of queueing behind them. On SQLite the transaction is ``BEGIN IMMEDIATE``
   (settings), so claimers take turns and the row cannot change underneath.
   The query is compiled once per set of skills and, on PostgreSQL, run as a
   prepared statement (``eligibility.compiled_claim``,
   ``fastsql.claim_candidate``); the hot path's other statements are plain
   SQL (``fastsql``): the ORM costs more than the database here.
4. Take it with a conditional UPDATE (``WHERE id = ? AND`` still claimable),
   timed from the moment the row is ours:
   holder, ``claimed_at``, a lease, ``in_review``, ``acknowledged_at`` if
   empty, and the pool and reason it was routed by. Zero rows changed means
   someone else got there first: look again (a bounded number of times).
5. Close the previous holder's assignment if their lease had expired, open
   a new ``Assignment`` (a partial unique index allows one open assignment
   per case: the database refuses a double assignment even if step 3 were
   wrong), add the partners' ``in_review`` timeline event the first time,
   and audit ``case.claimed``. Lock order as everywhere: case, reports,
   audit chain head.

Leases: a claim lasts ``ROUTING["LEASE_MINUTES"]`` unless renewed by
``case_heartbeat``. An expired lease makes the case claimable again at once
(step 3 looks at expired leases too); no background job is needed for that.
The periodic ``release_expired_leases`` only tidies up (returns such cases
to the queue, closes the assignment, audits the expiry).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from trustline.accounts.permissions import SYSTEM, Actor, Perm, require
from trustline.audit.choices import AuditAction
from trustline.audit.services import AuditEvent, audit_record, audit_record_many
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound, ValidationFailed
from trustline.intake.choices import ReportStatus, TimelineKind
from trustline.intake.models import Report, ReportItem, TimelineEvent
from trustline.review.clock import PAUSE_HOLD, clock_pause_open, clock_resume, pause_event, paused_event
from trustline.routing import fastsql
from trustline.routing.choices import AssignmentEnd, RoutingPool
from trustline.routing.conf import RoutingSettings, routing_settings
from trustline.routing.eligibility import (
    Skills,
    claim_queryset,
    compiled_claim,
    pool_for,
    routing_reason,
    routing_values,
)
from trustline.routing.language import case_language
from trustline.routing.reviewers import reviewer_for_assignment
from trustline.routing.selectors import (
    parse_case_id,
    person_required,
    routing_case_get,
    staff_required,
)
from trustline.taxonomy.models import Category

logger = logging.getLogger(__name__)

CLAIM_ATTEMPTS = 5
MAX_REASON_CHARS = 2000
OPEN_WORK = (CaseStatus.TRIAGED, CaseStatus.IN_REVIEW)


def _case_ref(case_id: uuid.UUID) -> tuple[str, str]:
    return ("cases.case", str(case_id))


def _reason(reason: str, *, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise ValidationFailed.field("reason", "required: say why (it is kept in the audit log)")
    if len(text) > MAX_REASON_CHARS:
        raise ValidationFailed.field("reason", f"at most {MAX_REASON_CHARS} characters")
    return text


# --------------------------------------------------------------------------------------------
# At triage
# --------------------------------------------------------------------------------------------


def routing_prepare(*, case: Case, now: dt.datetime, category_code: str | None = None) -> AuditEvent:
    """Give a case its language and routing keys; called by triage inside its transaction.

    1. Language: the partner's tag, else detected (``language.case_language``).
    2. Keys: the base language, the region of the country, the policy area
       of the category that set the tier (``category_code``, else the case's
       own) and the clearances every restricted category reported needs.
    3. When the pool widens: from the triage time (this call's ``now`` for a
       case being triaged), each configured wait after the previous one, or
       the short imminent-harm wait for each step; with no language known,
       at once to the language and regional steps. A case prepared again
       (it became imminent) keeps any earlier time: pools never narrow.

    Returns the ``case.routed`` audit event for the caller to record with its
    own (triage appends all of a batch's entries under one lock, taken last).
    """
    language = case_language(case)
    reported = Report.objects.filter(items__case_id=case.pk).values("category_id")
    categories = list(Category.objects.filter(pk__in=reported)) + list(
        Category.objects.filter(code__in=[c for c in (case.category_code, category_code) if c])
    )
    by_code = {c.code: c for c in categories}
    values = routing_values(
        language=language,
        country=case.country,
        categories=by_code.values(),
        defining=by_code.get(category_code or case.category_code),
        start=case.triaged_at or now,
        imminent=case.imminent_harm,
    )

    def earliest(new: dt.datetime, old: dt.datetime | None) -> dt.datetime:
        return new if old is None else min(new, old)

    for name in ("route_language_at", "route_regional_at", "route_translation_at"):
        values[name] = earliest(values[name], getattr(case, name))
    Case.objects.filter(pk=case.pk).update(**values)
    for name, value in values.items():
        setattr(case, name, value)
    data = {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in values.items()}
    return AuditEvent(AuditAction.CASE_ROUTED, "cases.case", str(case.pk), data)


def routing_requeue(*, case_id: uuid.UUID, now: dt.datetime, exclude_user_id: int | None = None) -> None:
    """Hook for decisions: put a case back in the queue (e.g. contested), optionally never to ``exclude_user_id``.

    Runs inside the caller's transaction and leaves auditing to the caller.
    The pool starts narrow again from ``now``.
    """
    conf = routing_settings()
    case = Case.objects.select_for_update().get(pk=case_id)
    _end_assignment(case.pk, reason=AssignmentEnd.DECIDED, at=now)
    has_language = bool(case.language)
    language_at = now + conf.language_wait if has_language else now
    regional_at = language_at + conf.regional_wait if has_language else now
    Case.objects.filter(pk=case.pk).update(
        status=CaseStatus.TRIAGED, is_open=True, assigned_to=None, claimed_at=None, lease_expires_at=None,
        routing_pool="", routing_reason="", routing_excluded_user_id=exclude_user_id,
        route_language_at=language_at, route_regional_at=regional_at,
        route_translation_at=regional_at + conf.translation_wait,
    )


def case_assignment_end(*, case_id: uuid.UUID, now: dt.datetime, reason: str = AssignmentEnd.DECIDED) -> None:
    """Hook for decisions: close the case's open assignment and its lease (inside the caller's transaction)."""
    _end_assignment(case_id, reason=reason, at=now)
    Case.objects.filter(pk=case_id).update(lease_expires_at=None)


# --------------------------------------------------------------------------------------------
# Claiming
# --------------------------------------------------------------------------------------------


def reviewer_skills(actor: Actor) -> Skills:
    """The claiming reviewer's skills; Conflict when they are inactive or off shift."""
    user = person_required(actor)
    profile = fastsql.profile(user.pk)
    if profile is None:
        return Skills(user_id=user.pk)
    if not profile["is_active"]:
        raise Conflict("Your reviewer profile is inactive: ask a lead to reactivate it.", code="reviewer_inactive")
    if not profile["on_shift"]:
        raise Conflict("You are off shift: start your shift to claim cases.", code="off_shift")
    return Skills(
        user_id=user.pk,
        languages=frozenset(profile["languages"]),
        countries=frozenset(profile["countries"]),
        regions=frozenset(profile["regions"]),
        policy_areas=frozenset(profile["policy_areas"]),
        clearances=frozenset(profile["clearances"]),
    )


def _lock_candidate(skills: Skills, now: dt.datetime, per_key: int) -> Case | None:
    return fastsql.claim_candidate(compiled_claim(skills, per_key, connection.vendor), now)


def _any_candidate(skills: Skills, now: dt.datetime, per_key: int) -> bool:
    return claim_queryset(skills, now, per_key).exists()


def _end_assignment(case_id: uuid.UUID, *, reason: str, at: dt.datetime) -> int:
    """Close the case's open assignment (if any); an expired one ends when its lease did."""
    if reason == AssignmentEnd.EXPIRED:
        lease_end = Case.objects.filter(pk=case_id).values_list("lease_expires_at", flat=True).first()
        at = min(at, lease_end) if lease_end is not None else at
    return fastsql.assignment_end(case_id, at=at, reason=reason)


def _timeline_in_review(case_id: uuid.UUID, now: dt.datetime) -> None:
    """The partners see ``in review`` on each item of the case, once; their reports move to ``in_review``."""
    items = list(
        ReportItem.objects.filter(case_id=case_id)
        .exclude(Exists(TimelineEvent.objects.filter(item_id=OuterRef("pk"), kind=TimelineKind.IN_REVIEW)))
        .values_list("pk", "report_id")
    )
    TimelineEvent.objects.bulk_create(
        [TimelineEvent(report_id=report_id, item_id=item_id, kind=TimelineKind.IN_REVIEW, at=now, data={})
         for item_id, report_id in items]
    )
    report_ids = sorted({report_id for _, report_id in items})
    if report_ids:
        Report.objects.filter(pk__in=report_ids, status=ReportStatus.TRIAGED).update(status=ReportStatus.IN_REVIEW)


def _assign(*, actor: Actor, case: Case, user_id: int, pool: RoutingPool, reason: str, now: dt.datetime,
            lease: dt.timedelta, action: AuditAction, extra: dict[str, Any], only_if_claimable: bool) -> bool:
    """Steps 4-5 of the claim (also used by reassignment): conditional UPDATE, assignment rows, timeline, audit."""
    previous = case.assigned_to_id if case.status == CaseStatus.IN_REVIEW else None
    expired = previous is not None and case.lease_expires_at is not None and case.lease_expires_at <= now
    first_acknowledgement = case.acknowledged_at is None
    values: dict[str, Any] = {
        "status": CaseStatus.IN_REVIEW,
        "assigned_to_id": user_id,
        "claimed_at": now,
        "lease_expires_at": now + lease,
        "acknowledged_at": case.acknowledged_at or now,
        "routing_pool": pool,
        "routing_reason": reason,
        "held_at": None,
        "hold_reason": "",
    }
    taken = fastsql.take(case.pk, user_id=user_id, now=now, until=now + lease, pool=pool, reason=reason,
                         acknowledged_at=values["acknowledged_at"], only_if_claimable=only_if_claimable)
    if taken != 1:
        return False
    if previous is not None:
        ended = min(now, case.lease_expires_at) if expired and case.lease_expires_at else now
        fastsql.assignment_end(case.pk, at=ended,
                               reason=AssignmentEnd.EXPIRED if expired else AssignmentEnd.REASSIGNED)
    fastsql.assignment_open(case.pk, user_id=user_id, pool=pool, at=now)
    if first_acknowledgement and fastsql.has_items(case.pk):
        _timeline_in_review(case.pk, now)
    audit_record(
        actor=actor,
        action=action,
        target=_case_ref(case.pk),
        data={
            "reviewer": user_id,
            "pool": str(pool),
            "reason": reason,
            "lease_expires_at": (now + lease).isoformat(),
            "previous_holder": previous,
            "previous_lease_expired": expired,
            **extra,
        },
    )
    for name, value in values.items():  # the caller's instance now shows what was written
        setattr(case, name, value)
    return True


def case_claim_next(*, actor: Actor) -> Case | None:
    """Give the reviewer the most urgent case they are qualified for now, or None when there is none.

    See the module docstring for the steps. Two reviewers never hold the same
    case: the row lock (or SQLite's single writer), the conditional UPDATE
    and the one-open-assignment constraint each guarantee it on their own.
    """
    staff_required(actor)
    require(actor, Perm.CASE_CLAIM)
    skills = reviewer_skills(actor)
    conf = routing_settings()
    for _ in range(CLAIM_ATTEMPTS):
        try:
            claimed = _claim_attempt(actor, skills, conf)
        except fastsql.PreparedStatementLost:
            continue  # prepared again on the next attempt
        if claimed is not _LOOK_AGAIN:
            return claimed
    return None


_LOOK_AGAIN: Any = object()


def _claim_attempt(actor: Actor, skills: Skills, conf: RoutingSettings) -> Any:
    """One transaction of the claim (steps 2-5): a case, None when there is nothing to claim, or ``_LOOK_AGAIN``."""
    with transaction.atomic():
        now = clock.now()
        held = fastsql.held(skills.user_id, now, conf.max_held)
        if len(held) >= conf.max_held and fastsql.renew(held[0], skills.user_id, now + conf.lease):
            return Case.objects.get(pk=held[0])
        case = _lock_candidate(skills, now, conf.candidates_per_key)
        if case is None:
            if not _any_candidate(skills, now, conf.candidates_per_key):
                return None
            return _LOOK_AGAIN  # every candidate is being claimed by someone else right now
        # Time the claim from when the row is ours: after any earlier holder's release committed, so
        # assignment records never overlap. Pools and expired leases only widen as time passes.
        now = clock.now()
        pool = pool_for(case, skills, now)
        if pool is None:  # cannot happen while eligible_q and pool_for agree (tested); never hand it out
            logger.error("routing: SQL and Python disagree about case %s for user %s", case.pk, skills.user_id)
            return None
        reason = routing_reason(case, skills, pool)
        if _assign(actor=actor, case=case, user_id=skills.user_id, pool=pool, reason=reason, now=now,
                   lease=conf.lease, action=AuditAction.CASE_CLAIMED, extra={}, only_if_claimable=True):
            return case
        return _LOOK_AGAIN


# --------------------------------------------------------------------------------------------
# Leases, release, hold, reassignment
# --------------------------------------------------------------------------------------------


def _require_claim_or_assign(actor: Actor) -> None:
    if not actor.has(Perm.CASE_ASSIGN):
        require(actor, Perm.CASE_CLAIM)


def _locked(case_id: uuid.UUID) -> Case:
    return Case.objects.select_for_update().get(pk=case_id)


def _holds(case: Case, actor: Actor) -> bool:
    return actor.user is not None and case.status == CaseStatus.IN_REVIEW and case.assigned_to_id == actor.user.pk


def case_heartbeat(*, actor: Actor, case_id: str | uuid.UUID) -> Case:
    """Renew the actor's lease on a case they hold (also one that ran out, unless someone took it over).

    Not audited: renewing is not a change of who holds the case; the claim,
    release and expiry are.
    """
    staff_required(actor)
    require(actor, Perm.CASE_CLAIM)
    user = person_required(actor)
    pk = parse_case_id(case_id)
    if not fastsql.renew(pk, user.pk, clock.now() + routing_settings().lease):
        routing_case_get(actor=actor, case_id=pk)  # NotFound for a case that does not exist
        raise Conflict("You no longer hold this case (released, reassigned or taken over).", code="not_holder")
    return Case.objects.get(pk=pk)


def case_release(*, actor: Actor, case_id: str | uuid.UUID, reason: str = "") -> Case:
    """Give a case back to the queue: its holder, or a lead (``case.assign``) for anyone's case."""
    staff_required(actor)
    _require_claim_or_assign(actor)
    pk = parse_case_id(case_id)
    text = _reason(reason, required=False)
    with transaction.atomic():
        row = fastsql.lock_case(pk)
        if row is None:
            raise NotFound("Case not found.")
        status, holder, _ = row
        if status != CaseStatus.IN_REVIEW:
            raise Conflict("This case is not held by anyone.", code="not_held")
        own = actor.user is not None and holder == actor.user.pk
        if not own and not actor.has(Perm.CASE_ASSIGN):
            raise Conflict("You do not hold this case.", code="not_holder")
        fastsql.assignment_end(pk, at=clock.now(), reason=AssignmentEnd.RELEASED)
        fastsql.requeue(pk)
        audit_record(actor=actor, action=AuditAction.CASE_RELEASED, target=_case_ref(pk),
                     data={"reviewer": holder, "reason": text})
    return Case.objects.get(pk=pk)


def case_hold(*, actor: Actor, case_id: str | uuid.UUID, reason: str) -> Case:
    """Put a case on hold (waiting for information from the partner): out of the queue until unheld.

    Its holder, or a lead for any open case. The hold ends the assignment and
    pauses the decide-by clock as a reviewer's question does
    (``review.clock``): the time on hold does not count against the SLA.
    If the clock is already paused (an open question), that pause simply
    continues: never two pauses, never the deadline moved twice.
    """
    case = routing_case_get(actor=actor, case_id=case_id)
    _require_claim_or_assign(actor)
    text = _reason(reason, required=True)
    with transaction.atomic():
        locked = _locked(case.pk)
        if not locked.is_open or locked.status not in OPEN_WORK:
            raise Conflict(f"A case that is {locked.status} cannot be put on hold.", code="not_holdable")
        if not actor.has(Perm.CASE_ASSIGN) and not _holds(locked, actor):
            raise Conflict("Claim this case before putting it on hold.", code="not_holder")
        now = clock.now()
        _end_assignment(locked.pk, reason=AssignmentEnd.HELD, at=now)
        Case.objects.filter(pk=locked.pk).update(
            status=CaseStatus.ON_HOLD, assigned_to=None, claimed_at=None, lease_expires_at=None,
            routing_pool="", routing_reason="", held_at=now, hold_reason=text,
        )
        pause, opened = clock_pause_open(case=locked, at=now, reason=PAUSE_HOLD)
        events = [AuditEvent(AuditAction.CASE_HELD, *_case_ref(locked.pk),
                             {"reason": text, "reviewer": locked.assigned_to_id, "clock_paused_at":
                              pause.paused_at.isoformat(), "clock_already_paused": not opened})]
        if opened:
            events.append(paused_event(locked, pause))
        audit_record_many(actor=actor, events=events)
    case.refresh_from_db()
    return case


def case_unhold(*, actor: Actor, case_id: str | uuid.UUID, reason: str = "") -> Case:
    """Return a held case to the queue (e.g. the partner answered); its clock runs again.

    Resuming closes the open pause, whatever opened it, and moves
    ``decide_due_at`` later by the time paused: once the case is back in
    the queue, the wait for the partner is over as far as the SLA goes.
    """
    case = routing_case_get(actor=actor, case_id=case_id)
    _require_claim_or_assign(actor)
    text = _reason(reason, required=False)
    with transaction.atomic():
        locked = _locked(case.pk)
        if locked.status != CaseStatus.ON_HOLD:
            raise Conflict("This case is not on hold.", code="not_on_hold")
        now = clock.now()
        Case.objects.filter(pk=locked.pk).update(status=CaseStatus.TRIAGED, held_at=None, hold_reason="")
        held_for = now - locked.held_at if locked.held_at else None
        pause = clock_resume(case=locked, at=now, reason="unheld")
        events = [AuditEvent(AuditAction.CASE_UNHELD, *_case_ref(locked.pk),
                             {"reason": text, "held_seconds": int(held_for.total_seconds()) if held_for else None,
                              "decide_due_at": locked.decide_due_at.isoformat() if locked.decide_due_at else None})]
        if pause is not None:
            events.append(pause_event(locked, pause))
        audit_record_many(actor=actor, events=events)
    case.refresh_from_db()
    return case


def case_reassign(*, actor: Actor, case_id: str | uuid.UUID, reviewer: int, reason: str) -> Case:
    """An escalation lead hands a case to a named reviewer, with a reason.

    The lead overrides language and place routing (their judgment), never
    the rules that protect: the reviewer must be able to claim cases, be
    active, hold the clearances the case needs, and not be its excluded
    reviewer. The lease is ``ROUTING["REASSIGN_LEASE_MINUTES"]`` long, so the
    case waits for a reviewer who is not at their desk right now.
    """
    case = routing_case_get(actor=actor, case_id=case_id)
    require(actor, Perm.CASE_ASSIGN)
    text = _reason(reason, required=True)
    target, skills = reviewer_for_assignment(reviewer)
    with transaction.atomic():
        locked = _locked(case.pk)
        if not locked.is_open or locked.status not in OPEN_WORK:
            raise Conflict(f"A case that is {locked.status} cannot be reassigned; unhold it first.",
                           code="not_assignable")
        if locked.routing_clearance and locked.routing_clearance not in skills.clearance_keys():
            raise ValidationFailed.field(
                "reviewer", f"lacks the clearance this case needs ({locked.routing_clearance})"
            )
        if locked.routing_excluded_user_id == target.pk:
            raise ValidationFailed.field("reviewer", "this reviewer may not review this case again")
        if _holds(locked, actor) and locked.assigned_to_id == target.pk:
            return locked
        now = clock.now()
        lead = actor.label
        _assign(actor=actor, case=locked, user_id=target.pk, pool=RoutingPool.MANUAL,
                reason=f"Assigned by {lead}: {text}", now=now, lease=routing_settings().reassign_lease,
                action=AuditAction.CASE_REASSIGNED, extra={"reassign_reason": text},
                only_if_claimable=False)  # under the row lock, whoever holds it
    case.refresh_from_db()
    return case


def release_expired_leases(*, now: dt.datetime | None = None, batch_size: int = 200) -> int:
    """Return cases whose lease ran out to the queue, closing the assignment and auditing the expiry.

    Only housekeeping: claims already treat an expired lease as free. Rows
    are claimed with ``SKIP LOCKED`` and a conditional UPDATE, so this can
    overlap with claims, heartbeats and another run of itself.
    """
    moment = now or clock.now()
    released = 0
    with transaction.atomic():
        expired = list(
            Case.objects.select_for_update(skip_locked=True)
            .filter(status=CaseStatus.IN_REVIEW, lease_expires_at__lte=moment)
            .order_by("lease_expires_at")[:batch_size]
        )
        events = []
        for case in expired:
            _end_assignment(case.pk, reason=AssignmentEnd.EXPIRED, at=moment)
            changed = Case.objects.filter(
                pk=case.pk, status=CaseStatus.IN_REVIEW, lease_expires_at__lte=moment
            ).update(status=CaseStatus.TRIAGED, assigned_to=None, claimed_at=None, lease_expires_at=None,
                     routing_pool="", routing_reason="")
            if changed == 1:
                released += 1
                events.append(AuditEvent(AuditAction.CASE_LEASE_EXPIRED, "cases.case", str(case.pk), {
                    "reviewer": case.assigned_to_id,
                    "lease_expired_at": case.lease_expires_at.isoformat() if case.lease_expires_at else None,
                }))
        audit_record_many(actor=SYSTEM, events=events)
    return released
