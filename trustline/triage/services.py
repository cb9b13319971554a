"""Triage: giving every new case a tier, a priority with its reasons, and SLA deadlines.

``triage_pending`` (run every few seconds by the background worker) and
``triage_case`` (one case, on demand) share one algorithm:

1. Claim untriaged open cases, oldest first, in batches: ``SELECT ... FOR
   UPDATE SKIP LOCKED`` on PostgreSQL, so parallel workers take different
   cases and never wait on a case intake is still writing; on SQLite the
   IMMEDIATE transaction already serialises writers.
2. Read once for the batch what does not depend on one case
   (``selectors.scoring_context``): the active crises and which of the
   cases an active protection covers. For each case, read what its reports
   say (``selectors.case_facts``): the most severe tier among the reported
   categories, protected targets, the reporting partners, languages and
   categories (crises match on these in memory). Note ``item_count``
   *before* that read.
3. Pick the SLA policy (``selectors.sla_targets_for``; imminent harm has its
   own) and compute the deadlines from the moment the case was opened: the
   partner's clock started when they reported, not when we looked.
4. Compute the priority (``priority.compute_priority``) and write tier,
   priority, components, the policy snapshot and due times with a conditional
   UPDATE (``triaged_at IS NULL``): a second worker that got here too changes
   nothing, and triage is idempotent.
   The same UPDATE plans the content's first snapshot
   (``trustline.platforms.snapshots``), which may then raise the priority
   with the reach the platform reports.
5. Tell the partners: a ``triaged`` timeline event (tier and decide-by time)
   for every reported item of the case; a report whose every item is triaged
   moves from ``received`` to ``triaged`` (checked under a lock on the report,
   so two workers finishing its last two cases cannot both miss it). Audit
   ``case.triaged``; all audit entries of a batch are appended under one lock,
   taken last (lock order everywhere: cases, then reports, then the audit
   chain head), so triage never deadlocks with intake or the sweeper.

A case that receives more items after triage has ``item_count`` above
``scored_item_count``; ``triage_pending`` then rescores it (step 2 and 4,
keeping the tier, which only people change), tightens its deadlines if the
new report claims imminent harm (deadlines never move later on their own),
and gives the new items their ``triaged`` timeline event.

``case_retier`` is the manual path: an escalation lead (or an
administrator) sets the tier with a reason; priority and deadlines are
recomputed from the case's opening with the new tier, so a case moved up can
be overdue at once, and the sweeper then records that honestly.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q

from trustline.accounts.permissions import SYSTEM, Actor, Perm, require
from trustline.audit.choices import AuditAction
from trustline.audit.services import AuditEvent, audit_record_many
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.exceptions import Conflict, ValidationFailed
from trustline.crisis.selectors import crisis_sla_variant
from trustline.intake.choices import ReportStatus, TimelineKind
from trustline.intake.models import Report, ReportItem, TimelineEvent
from trustline.oncall.hooks import emergencies_open_for, fast_lane_cases, imminent_rules_match
from trustline.routing.services import routing_prepare
from trustline.triage.choices import SlaTier
from trustline.triage.priority import Priority, compute_priority
from trustline.triage.selectors import (
    CaseFacts,
    ScoringContext,
    SlaTargets,
    case_facts,
    priority_inputs_for,
    scoring_context,
    sla_targets_for,
    triage_case_get,
)

BATCH_SIZE = 50  # small batches: on SQLite a batch holds the write lock (about 5 ms per case)
MAX_REASON_CHARS = 2000

# Triaged open cases that gained items since their priority was computed (partial index case_rescore_idx).
RESCORE_FILTER = Q(is_open=True, triaged_at__isnull=False, item_count__gt=F("scored_item_count"))


@dataclass(frozen=True)
class TriageRun:
    triaged: int
    rescored: int


@dataclass(frozen=True)
class Scored:
    """A case's freshly computed state, ready to write."""

    facts: CaseFacts
    tier: int
    priority: Priority
    targets: SlaTargets
    ack_due_at: dt.datetime
    decide_due_at: dt.datetime
    item_count: int  # read before the facts: anything newer triggers a rescore


def case_score(*, case: Case, now: dt.datetime, tier: int | None = None,
               context: ScoringContext | None = None) -> Scored:
    """Compute tier (the facts' unless given), policy, deadlines and priority of ``case`` at ``now``.

    ``context`` (``selectors.scoring_context``) holds what a batch reads once:
    the active crises and the protections covering its cases. Without one, it
    is read for this case alone.
    """
    context = context if context is not None else scoring_context([case], now)
    item_count = case.item_count
    facts = case_facts(case)
    chosen = facts.tier if tier is None else tier
    targets = sla_targets_for(
        tier=chosen, imminent=case.imminent_harm, category_code=facts.category_code, country=case.country
    )
    # Tighter while a crisis covers the case.
    targets = crisis_sla_variant(targets=targets, matching=context.crises_covering(case, facts))
    ack_due_at, decide_due_at = targets.due_times(case.opened_at)
    priority = compute_priority(priority_inputs_for(case=case, facts=facts, tier=chosen, now=now, context=context))
    return Scored(facts, chosen, priority, targets, ack_due_at, decide_due_at, item_count)


def _timeline_triaged(*, case_ids: list[uuid.UUID], data_for: dict[uuid.UUID, dict[str, Any]],
                      now: dt.datetime, revised: bool = False) -> None:
    """Add a ``triaged`` event for each item of these cases (only items without one, unless ``revised``)."""
    items = ReportItem.objects.filter(case_id__in=case_ids)
    if not revised:
        items = items.exclude(
            Exists(TimelineEvent.objects.filter(item_id=OuterRef("pk"), kind=TimelineKind.TRIAGED))
        )
    rows = list(items.values_list("pk", "report_id", "case_id"))
    events = []
    for item_id, report_id, case_id in rows:
        data = dict(data_for[case_id])
        if revised:
            data["revised"] = True
        events.append(TimelineEvent(report_id=report_id, item_id=item_id, kind=TimelineKind.TRIAGED, at=now,
                                    data=data))
    TimelineEvent.objects.bulk_create(events, batch_size=1000)
    report_ids = {report_id for _, report_id, _ in rows}
    if report_ids:
        # A report is triaged once every one of its items' cases is. Lock the
        # reports first (in id order): two workers triaging different cases of
        # one report then check one after the other, and the second one's
        # check, a new statement, sees the first one's committed cases.
        waiting = list(
            Report.objects.select_for_update()
            .filter(pk__in=report_ids, status=ReportStatus.RECEIVED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if waiting:
            (
                Report.objects.filter(pk__in=waiting, status=ReportStatus.RECEIVED)
                .exclude(Exists(ReportItem.objects.filter(report_id=OuterRef("pk"), case__triaged_at__isnull=True)))
                .update(status=ReportStatus.TRIAGED)
            )


def _partner_view(scored: Scored) -> dict[str, Any]:
    return {"tier": scored.tier, "decide_due_at": scored.decide_due_at.isoformat()}


def _triage_claimed(*, actor: Actor, cases: list[Case], now: dt.datetime) -> list[uuid.UUID]:
    """Triage cases the caller has claimed (steps 2-5); returns the ids this call triaged."""
    done: dict[uuid.UUID, Scored] = {}
    events: list[AuditEvent] = []
    rule_hits = imminent_rules_match(cases)  # trustline.oncall: imminent-harm rules (category, keywords, targets)
    context = scoring_context(cases, now)  # crises and protections, read once for the batch
    for case in cases:
        if case.pk in rule_hits:
            case.imminent_harm = True  # top SLA tier and the emergency lane, as if the partner had said so
        scored = case_score(case=case, now=now, context=context)
        changed = Case.objects.filter(pk=case.pk, triaged_at__isnull=True, is_open=True).update(
            **({"imminent_harm": True} if case.pk in rule_hits else {}),
            tier=scored.tier,
            priority=scored.priority.score,
            priority_components=scored.priority.components,
            priority_computed_at=now,
            scored_item_count=scored.item_count,
            triaged_at=now,
            snapshot_due_at=now,  # trustline.platforms.snapshots: preserve what the platform shows, now
            sla_policy_snapshot=scored.targets.snapshot(),
            ack_due_at=scored.ack_due_at,
            decide_due_at=scored.decide_due_at,
        )
        if changed != 1:
            continue  # triaged by someone else meanwhile
        Case.objects.filter(pk=case.pk, status=CaseStatus.NEW).update(status=CaseStatus.TRIAGED)
        done[case.pk] = scored
        events.append(
            AuditEvent(
                AuditAction.CASE_TRIAGED,
                "cases.case",
                str(case.pk),
                {
                    "tier": scored.tier,
                    "category": scored.facts.category_code,
                    "imminent_harm": case.imminent_harm,
                    "priority": scored.priority.score,
                    "components": scored.priority.components,
                    "policy": scored.targets.name,
                    "ack_due_at": scored.ack_due_at.isoformat(),
                    "decide_due_at": scored.decide_due_at.isoformat(),
                },
            )
        )
        events.append(routing_prepare(case=case, now=now, category_code=scored.facts.category_code))  # language
    if done:
        _timeline_triaged(case_ids=list(done), data_for={pk: _partner_view(s) for pk, s in done.items()}, now=now)
        audit_record_many(actor=actor, events=events)
        # trustline.oncall: imminent cases open their emergency and page on-call, in this transaction.
        emergencies_open_for(cases=[c for c in cases if c.pk in done], rule_hits=rule_hits, now=now)
    return list(done)


def triage_case(*, actor: Actor, case_id: str | uuid.UUID) -> Case:
    """Triage one case now if it is not triaged yet (idempotent: a triaged case is returned as it is)."""
    case = triage_case_get(actor=actor, case_id=case_id)
    if case.triaged_at is None and case.is_open:
        with transaction.atomic():
            locked = Case.objects.select_for_update().filter(pk=case.pk).first()
            if locked is not None:
                _triage_claimed(actor=actor, cases=[locked], now=clock.now())
        case.refresh_from_db()
    return case


def triage_pending(
    *, actor: Actor = SYSTEM, batch_size: int = BATCH_SIZE, max_batches: int = 10,
    reported_until: dt.datetime | None = None,
) -> TriageRun:
    """Triage waiting cases and rescore triaged ones that gained items, a batch per transaction.

    Stops when nothing is left or after ``max_batches`` of each, so one run
    stays short; the next run (seconds later) continues. ``reported_until``
    limits the run to cases whose last report arrived by then: for replaying
    history (the demo programme triages each case after its reports, so no
    timeline shows "triaged" before "received"); the periodic job passes none.
    """
    triaged = rescored = 0
    window = Q(last_reported_at__lte=reported_until) if reported_until is not None else Q()
    for _ in range(max_batches):
        with transaction.atomic():
            claimed = list(
                Case.objects.select_for_update(skip_locked=True)
                .filter(window, triaged_at__isnull=True, is_open=True)
                .exclude(fast_lane_cases(clock.now()))  # trustline.oncall: flagged cases go one by one, at once
                .order_by("opened_at", "pk")[:batch_size]
            )
            triaged += len(_triage_claimed(actor=actor, cases=claimed, now=clock.now()))
        if len(claimed) < batch_size:
            break
    for _ in range(max_batches):
        with transaction.atomic():
            claimed = list(
                Case.objects.select_for_update(skip_locked=True)
                .filter(RESCORE_FILTER, window)
                .order_by("last_reported_at", "pk")[:batch_size]
            )
            rescored += _rescore_claimed(actor=actor, cases=claimed, now=clock.now())
        if len(claimed) < batch_size:
            break
    return TriageRun(triaged=triaged, rescored=rescored)




def cases_rescore(*, actor: Actor, cases: list[Case], now: dt.datetime) -> int:
    """Recompute the priority of triaged open cases the caller holds locked, after a fact changed.

    For facts that are not reports: the content's reach, which the platform
    tells us after triage (``trustline.platforms.snapshots``). The tier stays;
    the change is audited as ``case.reprioritised``.
    """
    return _rescore_claimed(actor=actor, cases=[c for c in cases if c.triaged_at is not None and c.is_open], now=now)


def _rescore_claimed(*, actor: Actor, cases: list[Case], now: dt.datetime) -> int:
    """Rescore claimed cases that gained items: priority, tighter deadlines for imminent harm, timeline."""
    events: list[AuditEvent] = []
    new_items: dict[uuid.UUID, dict[str, Any]] = {}
    context = scoring_context(cases, now)  # crises and protections, read once for the batch
    for case in cases:
        tier = case.tier or None
        scored = case_score(case=case, now=now, tier=tier, context=context)
        changes: dict[str, Any] = {
            "priority": scored.priority.score,
            "priority_components": scored.priority.components,
            "priority_computed_at": now,
            "scored_item_count": scored.item_count,
        }
        snapshot = case.sla_policy_snapshot or {}
        became_imminent = case.imminent_harm and snapshot.get("applies_to") != SlaTier.IMMINENT
        ack_due, decide_due = case.ack_due_at, case.decide_due_at
        if became_imminent:
            # The imminent clock starts when imminent harm was reported; deadlines only ever move earlier.
            ack_new, decide_new = scored.targets.due_times(case.last_reported_at)
            ack_due = min(filter(None, [ack_due, ack_new]))
            decide_due = min(filter(None, [decide_due, decide_new]))
            changes.update(sla_policy_snapshot=scored.targets.snapshot(), ack_due_at=ack_due, decide_due_at=decide_due)
        changed = Case.objects.filter(pk=case.pk, scored_item_count=case.scored_item_count).update(**changes)
        if changed != 1:
            continue
        new_items[case.pk] = {"tier": scored.tier, "decide_due_at": (decide_due or scored.decide_due_at).isoformat()}
        events.append(
            AuditEvent(
                AuditAction.CASE_REPRIORITISED,
                "cases.case",
                str(case.pk),
                {
                    "from_priority": case.priority,
                    "priority": scored.priority.score,
                    "components": scored.priority.components,
                    "items": scored.item_count,
                    "partners": case.partner_count,
                    "imminent_policy_applied": became_imminent,
                },
            )
        )
        if became_imminent:  # imminent harm waits less for a language match
            events.append(routing_prepare(case=case, now=now, category_code=scored.facts.category_code))
    if new_items:
        _timeline_triaged(case_ids=list(new_items), data_for=new_items, now=now)
        audit_record_many(actor=actor, events=events)
        # trustline.oncall: a case that became imminent opens its emergency.
        emergencies_open_for(cases=[c for c in cases if c.pk in new_items], rule_hits={}, now=now)
    return len(new_items)


def case_retier(*, actor: Actor, case_id: str | uuid.UUID, tier: int, reason: str) -> Case:
    """Set a case's tier by hand, with a reason; recompute priority and deadlines from the new tier.

    1. The case must be visible to the actor (else NotFound, as for a missing
       case), then the actor needs ``case.retier`` (escalation leads and
       administrators; else PermissionDenied).
    2. The tier is 1, 2 or 3 and the reason is not blank (ValidationFailed
       naming each field). A closed or decided case cannot be re-tiered.
    3. Under a row lock: compute the policy, deadlines (from the opening of
       the case) and priority for the new tier; write them, marking the case
       triaged if it was not yet; the partner sees a revised ``triaged``
       event with the new tier and decide-by time (never the reason, which is
       internal). Audit ``case.retiered`` with old and new values and the reason.
    """
    case = triage_case_get(actor=actor, case_id=case_id)
    require(actor, Perm.CASE_RETIER)
    errors: dict[str, list[str]] = {}
    if tier not in (1, 2, 3):
        errors["tier"] = ["must be 1, 2 or 3 (1 is the most severe)"]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ["required: say why the tier changes (it is kept in the audit log)"]
    elif len(reason) > MAX_REASON_CHARS:
        errors["reason"] = [f"at most {MAX_REASON_CHARS} characters"]
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first][0]}", fields=errors)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not locked.is_open or locked.status in (CaseStatus.DECIDED, CaseStatus.CLOSED):
            raise Conflict("This case is already decided or closed; its tier can no longer change.",
                           code="case_closed")
        now = clock.now()
        scored = case_score(case=locked, now=now, tier=tier)
        Case.objects.filter(pk=locked.pk).update(
            tier=tier,
            priority=scored.priority.score,
            priority_components=scored.priority.components,
            priority_computed_at=now,
            scored_item_count=scored.item_count,
            triaged_at=locked.triaged_at or now,
            sla_policy_snapshot=scored.targets.snapshot(),
            ack_due_at=scored.ack_due_at,
            decide_due_at=scored.decide_due_at,
        )
        Case.objects.filter(pk=locked.pk, status=CaseStatus.NEW).update(status=CaseStatus.TRIAGED)
        _timeline_triaged(case_ids=[locked.pk], data_for={locked.pk: _partner_view(scored)}, now=now,
                          revised=locked.triaged_at is not None)
        audit_record_many(
            actor=actor,
            events=[
                AuditEvent(
                    AuditAction.CASE_RETIERED,
                    "cases.case",
                    str(locked.pk),
                    {
                        "from_tier": locked.tier,
                        "tier": tier,
                        "reason": reason,
                        "from_priority": locked.priority,
                        "priority": scored.priority.score,
                        "components": scored.priority.components,
                        "policy": scored.targets.name,
                        "ack_due_at": scored.ack_due_at.isoformat(),
                        "decide_due_at": scored.decide_due_at.isoformat(),
                    },
                ),
                *([routing_prepare(case=locked, now=now, category_code=scored.facts.category_code)]
                  if locked.triaged_at is None else []),  # first triage: language and routing keys
            ],
        )
    return triage_case_get(actor=actor, case_id=case.pk)
