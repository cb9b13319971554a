"""Re-scoring the cases a crisis covers (and any open case whose priority must be brought up to date).

``cases_rescore`` is the shared step: it scores cases with triage's own
``case_score`` (so the crisis boost, the protected-account boost and the
crisis SLA variant apply exactly as at triage) and writes the result. The
crisis re-score and the periodic sweep build on it, and so does
``trustline.protection`` when a protection starts or ends.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from trustline.accounts.permissions import SYSTEM, Actor
from trustline.audit.choices import AuditAction
from trustline.audit.services import AuditEvent, audit_record, audit_record_many
from trustline.cases.models import Case
from trustline.core import clock
from trustline.crisis.choices import CrisisState
from trustline.crisis.models import Crisis
from trustline.crisis.selectors import active_q, crisis_case_q
from trustline.crisis.services import tag_for
from trustline.routing.models import CaseTag

RESCORE_BATCH = 200


def cases_rescore(*, case_ids: Sequence[uuid.UUID], actor: Actor, now: dt.datetime, why: dict[str, Any],
                  batch_size: int = RESCORE_BATCH) -> dict[uuid.UUID, dict[str, int]]:
    """Recompute priority (and tighten deadlines) of these open, triaged cases; returns their components.

    In batches, one transaction each, under row locks: read the active
    crises and the protections covering the batch once
    (``triage.selectors.scoring_context``), score each case with triage's
    ``case_score`` (keeping its tier); write priority and
    components; move acknowledge/decide deadlines *earlier* only (triage's
    rule: a deadline never moves later on its own), with the tighter
    policy's snapshot. Audit ``case.reprioritised`` (with ``why``) for each
    case whose score or deadlines changed.
    """
    from trustline.triage.selectors import scoring_context
    from trustline.triage.services import case_score

    components: dict[uuid.UUID, dict[str, int]] = {}
    ids = list(case_ids)
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        with transaction.atomic():
            events: list[AuditEvent] = []
            locked = list(Case.objects.select_for_update()
                          .filter(pk__in=chunk, is_open=True, triaged_at__isnull=False).order_by("pk"))
            context = scoring_context(locked, now)  # crises and protections, read once per batch
            for case in locked:
                scored = case_score(case=case, now=now, tier=case.tier or None, context=context)
                changes: dict[str, Any] = {"priority": scored.priority.score,
                                           "priority_components": scored.priority.components,
                                           "priority_computed_at": now}
                ack_due = min(filter(None, [case.ack_due_at, scored.ack_due_at]))
                decide_due = min(filter(None, [case.decide_due_at, scored.decide_due_at]))
                if (ack_due, decide_due) != (case.ack_due_at, case.decide_due_at):
                    changes.update(ack_due_at=ack_due, decide_due_at=decide_due,
                                   sla_policy_snapshot=scored.targets.snapshot())
                Case.objects.filter(pk=case.pk).update(**changes)
                components[case.pk] = scored.priority.components
                if scored.priority.score != case.priority or "ack_due_at" in changes:
                    events.append(AuditEvent(
                        AuditAction.CASE_REPRIORITISED, "cases.case", str(case.pk),
                        {"from_priority": case.priority, "priority": scored.priority.score,
                         "components": scored.priority.components, **why,
                         "decide_due_at": decide_due.isoformat() if decide_due else None},
                    ))
            if events:
                audit_record_many(actor=actor, events=events)
    return components


@dataclass(frozen=True)
class RescoreResult:
    considered: int
    rescored: int
    tagged: int


def crisis_rescore(*, crisis_id: str | uuid.UUID, actor: Actor = SYSTEM, force: bool = False,
                   batch_size: int = RESCORE_BATCH) -> RescoreResult:
    """Recompute priority (and tighten deadlines) of the open cases a crisis covers or covered.

    1. Claim the job: clear ``rescore_due`` with a conditional UPDATE (unless
       ``force``), and record the state being applied. A second run finds
       nothing to claim and stops.
    2. Candidates: open, triaged cases the crisis covers now (if it is
       active), plus every open case that still carries a crisis component
       (so a crisis that ended or shrank takes its boost back).
    3. ``cases_rescore`` them (the boost and the SLA variant come from the
       crisis selectors through triage's ``case_score``).
    4. Label cases covered by the crisis ``crisis:<slug>`` through routing's
       tag service (the label stays after the crisis, as history).
    5. Audit ``crisis.rescored`` with the counts. On error the claim is undone.
    """
    from trustline.routing.workspace import tag_add

    now = clock.now()
    crisis = Crisis.objects.filter(pk=crisis_id).first()
    if crisis is None:
        return RescoreResult(0, 0, 0)
    state = crisis.state_at(now)
    claimed = Crisis.objects.filter(pk=crisis.pk, **({} if force else {"rescore_due": True})).update(
        rescore_due=False, applied_state=state)
    if claimed != 1:
        return RescoreResult(0, 0, 0)
    try:
        partner_ids = list(crisis.partners.values_list("pk", flat=True))
        base = Case.objects.filter(is_open=True, triaged_at__isnull=False)
        boosted = Q(priority_components__crisis__gt=0)
        # Only an active crisis adds boosts; otherwise only boosts already given need taking back.
        wanted = crisis_case_q(crisis, partner_ids) | boosted if state == CrisisState.ACTIVE else boosted
        ids = list(base.filter(wanted).order_by("pk").values_list("pk", flat=True))
        covered = set(base.filter(crisis_case_q(crisis, partner_ids)).values_list("pk", flat=True)) if (
            state == CrisisState.ACTIVE) else set()
        before = dict(Case.objects.filter(pk__in=ids).values_list("pk", "priority"))
        scored = cases_rescore(case_ids=ids, actor=actor, now=now, why={"crisis": str(crisis.pk)},
                               batch_size=batch_size)
        after = dict(Case.objects.filter(pk__in=ids).values_list("pk", "priority"))
        rescored = sum(1 for pk in ids if before.get(pk) != after.get(pk))
        to_tag = [pk for pk, parts in scored.items() if pk in covered and parts.get("crisis", 0) > 0]
        tagged = _tag(to_tag, tag_for(crisis), tag_add)
        with transaction.atomic():
            audit_record(actor=actor, action=AuditAction.CRISIS_RESCORED, target=crisis,
                         data={"state": state, "considered": len(ids), "rescored": rescored, "tagged": tagged})
        return RescoreResult(considered=len(ids), rescored=rescored, tagged=tagged)
    except Exception:
        Crisis.objects.filter(pk=crisis.pk).update(rescore_due=True)
        raise


def _tag(case_ids: list[uuid.UUID], label: str, tag_add: Any) -> int:
    """Put ``label`` on the cases that lack it (routing's tag service audits each)."""
    have = set(CaseTag.objects.filter(case_id__in=case_ids, label=label).values_list("case_id", flat=True))
    count = 0
    for case_id in case_ids:
        if case_id not in have:
            tag_add(actor=SYSTEM, case_id=case_id, label=label)
            count += 1
    return count


@dataclass(frozen=True)
class SweepResult:
    rescored_crises: int
    tagged: int


def crisis_sweep(*, now: dt.datetime | None = None, batch_size: int = 200) -> SweepResult:
    """The periodic job: re-score crises whose start or end has passed, and label newly triaged cases.

    1. Flag for re-score (conditional UPDATE) every crisis whose applied state
       is behind the clock: scheduled but started, or not ended but past its end.
    2. Re-score each flagged crisis (claimed inside, so parallel sweeps share the work).
    3. For each active crisis, label up to ``batch_size`` open cases that
       triage boosted for it since and that lack its label.
    """
    from trustline.routing.workspace import tag_add

    now = now or clock.now()
    Crisis.objects.filter(
        Q(applied_state=CrisisState.SCHEDULED, starts_at__lte=now)
        | (Q(ends_at__lte=now) & ~Q(applied_state=CrisisState.ENDED))
    ).update(rescore_due=True)
    done = 0
    for crisis_id in Crisis.objects.filter(rescore_due=True).values_list("pk", flat=True):
        crisis_rescore(crisis_id=crisis_id)
        done += 1
    tagged = 0
    for crisis in Crisis.objects.filter(active_q(now)):
        label = tag_for(crisis)
        candidates = list(
            Case.objects.filter(crisis_case_q(crisis), is_open=True, priority_components__crisis__gt=0)
            .exclude(Exists(CaseTag.objects.filter(case_id=OuterRef("pk"), label=label)))
            .order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        tagged += _tag(candidates, label, tag_add)
    return SweepResult(rescored_crises=done, tagged=tagged)
