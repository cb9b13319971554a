"""Everything the reviewer's case page shows, gathered through the owning apps' selectors.

One function, :func:`case_page`, returns a plain dataclass so the view stays
thin and the template never touches a relation per row (no N+1): items come
with their report, organisation, category and evidence in three queries.

Steps:
1. the case, through review's ``review_case_get`` (not-yours == 404);
2. its items with their reports and evidence, grouped by reporting partner
   ("other partners' reports of the same content");
3. what the platform connector says about the first item (``item_describe``;
   an unreachable platform is shown as such, never an error page);
4. decisions, enforcement actions, internal comments, tags;
5. related cases: other cases reported in the same reports;
6. history: the case's audit entries (action, time, who; no data);
7. who holds it, the SLA clock, and whether the actor may decide.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from django.db.models import Prefetch

from trustline.accounts.permissions import Actor, Perm
from trustline.audit.models import AuditEntry
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.core.exceptions import ApplicationError
from trustline.intake.models import Evidence, ReportItem
from trustline.platforms.connectors import ContentDescription, get_connector
from trustline.platforms.models import ContentSnapshot, EnforcementActionRecord
from trustline.platforms.reach import ReachWhileWaiting, case_reach_while_waiting
from trustline.platforms.selectors import actions_for_case, item_describe, may_read_snapshot, snapshots_for_case
from trustline.review.choices import DecisionStatus, Outcome
from trustline.review.models import Decision
from trustline.review.selectors import (
    case_clock_paused_at,
    case_holder_id,
    case_referred_undecided,
    decisions_for_case,
    review_case_get,
)
from trustline.routing.eligibility import current_pool
from trustline.routing.models import CaseComment
from trustline.routing.workspace import case_tags, comment_list
from trustline.signals.models import Signal, SignalMatch
from trustline.signals.selectors import case_peer_signals, case_shared_signal

HISTORY_LIMIT = 50
RELATED_LIMIT = 10


@dataclasses.dataclass
class PartnerReport:
    """One partner's report of this content: who, when, why, and their evidence (of the item, or the whole report)."""

    item: ReportItem
    evidence: list[Evidence]


DECIDED_STATUSES = frozenset({CaseStatus.DECIDED, CaseStatus.CLOSED})


@dataclasses.dataclass
class CasePage:
    case: Case
    reports: list[PartnerReport]
    description: ContentDescription | None
    description_error: str
    decisions: list[Decision]
    actions: list[EnforcementActionRecord]
    comments: list[CaseComment]
    tags: list[str]
    related: list[Case]
    history: list[AuditEntry]
    holder_id: int | None
    held_by_me: bool
    clock_paused_at: dt.datetime | None
    decided_at: dt.datetime | None  # when the case got the decision it stands on; None while undecided
    routing_stage: str
    priority_components: list[tuple[str, Any]]
    can_decide: bool
    can_claim: bool
    referred_undecided: bool  # decided only by a referral: a lead may still decide the content
    can_release: bool
    can_enforce: bool = False  # "Retry now" on a failed enforcement action
    peer_signals: list[SignalMatch] = dataclasses.field(default_factory=list)  # peers flagged this content too
    shared_signal: Signal | None = None  # our signal taken from this case
    can_share_signal: bool = False  # decided as violating, a URL, and the actor shares signals
    can_view_evidence: bool = False  # evidence files (previews, excerpts, downloads); auditors see their names only
    snapshots: list[ContentSnapshot] = dataclasses.field(default_factory=list)  # preserved, oldest first
    can_read_snapshots: bool = False  # what they preserved (text, author); auditors see times and figures
    can_take_snapshot: bool = False  # "Preserve now": may see evidence, and a connector that can describe

    @property
    def reach_while_waiting(self) -> ReachWhileWaiting | None:
        """Views the content gained between the first look and its going offline (or the last look)."""
        return case_reach_while_waiting(self.snapshots)


def case_items(case: Case) -> list[ReportItem]:
    """The case's items with report, partner, category and evidence, oldest report first."""
    return list(
        ReportItem.objects.filter(case=case)
        .select_related("report", "report__organisation", "report__category")
        .prefetch_related(Prefetch("report__evidence", queryset=Evidence.objects.order_by("uploaded_at", "pk")))
        .order_by("report__received_at", "position", "pk")
    )


def related_cases(case: Case, items: list[ReportItem]) -> list[Case]:
    """Other cases reported in the same reports (the partner saw them together)."""
    report_ids = {item.report_id for item in items}
    if not report_ids:
        return []
    return list(
        Case.objects.filter(items__report_id__in=report_ids).exclude(pk=case.pk).distinct()
        .order_by("-priority", "opened_at")[:RELATED_LIMIT]
    )


def case_history(case: Case) -> list[AuditEntry]:
    """The case's audit trail, newest first: what happened, when, by whom (the data stays in the audit log)."""
    return list(
        AuditEntry.objects.filter(target_type=case._meta.label_lower, target_id=str(case.pk))
        .only("at", "action", "actor", "actor_label").order_by("-at", "-id")[:HISTORY_LIMIT]
    )


def case_page(*, actor: Actor, case_id: str | uuid.UUID, now: dt.datetime, describe: bool = True) -> CasePage:
    case = review_case_get(actor=actor, case_id=case_id)
    items = case_items(case)
    description: ContentDescription | None = None
    error = ""
    if describe and items:
        try:
            description = item_describe(actor=actor, item_id=items[0].pk)
        except ApplicationError as exc:  # the platform is down or refuses: show it, keep working
            error = exc.message
    holder = case_holder_id(case, now)
    mine = actor.user is not None and holder == actor.user.pk
    comments: list[CaseComment] = []
    if actor.has(Perm.QUEUE_VIEW):
        comments = list(comment_list(actor=actor, case_id=case.pk).select_related("author"))
    components = sorted((case.priority_components or {}).items(), key=lambda kv: str(kv[0]))
    decisions = decisions_for_case(actor=actor, case_id=case.pk)  # oldest first
    # A decided case is measured against its deadline by its latest decision; showing it "overdue" because the
    # deadline has since passed read, in the demo, as weeks-late cases that had been decided within hours.
    decided = decisions[-1].decided_at if decisions and case.status in DECIDED_STATUSES else None
    referred = case_referred_undecided(case)
    effective = [d for d in decisions if d.status == DecisionStatus.EFFECTIVE]
    return CasePage(
        case=case,
        reports=[
            PartnerReport(item=item, evidence=[e for e in item.report.evidence.all() if e.item_id in {None, item.pk}])
            for item in items
        ],
        description=description,
        description_error=error,
        decisions=decisions,
        actions=actions_for_case(actor=actor, case_id=case.pk) if actor.has(Perm.CASE_VIEW) else [],
        can_enforce=actor.has(Perm.ENFORCEMENT_APPLY),
        comments=comments,
        tags=case_tags(case.pk),
        related=related_cases(case, items),
        history=case_history(case),
        holder_id=holder,
        held_by_me=mine,
        clock_paused_at=case_clock_paused_at(case),
        decided_at=decided,
        routing_stage=str(current_pool(case, now)),
        priority_components=components,
        # The same rule as the service (``review.services._check_decidable``): undecided cases by their holder
        # or a lead; a case decided only by a referral by a lead.
        can_decide=(
            case.is_open and case.status not in DECIDED_STATUSES
            and ((mine and actor.has(Perm.DECISION_RECORD)) or actor.has(Perm.DECISION_RECORD_ANY))
        ) or (referred and actor.has(Perm.DECISION_RECORD_ANY)),
        can_claim=actor.has(Perm.CASE_CLAIM),
        can_view_evidence=actor.has(Perm.EVIDENCE_VIEW),
        snapshots=snapshots_for_case(actor=actor, case_id=case.pk),
        can_read_snapshots=may_read_snapshot(actor),
        can_take_snapshot=may_read_snapshot(actor) and get_connector().can_describe(),
        referred_undecided=referred,
        can_release=holder is not None and (mine or actor.has(Perm.CASE_ASSIGN)),
        peer_signals=case_peer_signals(actor=actor, case_id=case.pk),
        shared_signal=case_shared_signal(actor=actor, case_id=case.pk),
        can_share_signal=bool(
            actor.has(Perm.SIGNAL_SHARE) and case.canonical_url and effective
            and effective[-1].outcome == Outcome.VIOLATING),
    )
