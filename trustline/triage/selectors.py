"""Reads for triage: which SLA policy applies, what a case's priority depends on, and case detail for staff."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from trustline.accounts.choices import OrganisationKind, Role
from trustline.accounts.models import User
from trustline.accounts.permissions import Actor, Perm
from trustline.cases.models import Case
from trustline.core.exceptions import NotFound
from trustline.intake.models import Report
from trustline.review.selectors import partner_precision_records_for
from trustline.taxonomy.models import Category
from trustline.triage.choices import PROTECTED_TARGETS, SlaTier
from trustline.triage.models import SlaPolicy
from trustline.triage.priority import PrecisionRecord, PriorityInputs

if TYPE_CHECKING:  # crisis imports this module (SlaTargets): only the types here
    from trustline.crisis.models import Crisis
    from trustline.crisis.selectors import ActiveCrises

LEAST_SEVERE_TIER = 3


# --------------------------------------------------------------------------------------------
# SLA policies
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SlaTargets:
    """The policy in force for a case, as copied onto it (``Case.sla_policy_snapshot``)."""

    policy_id: int | None
    name: str
    applies_to: str  # an SlaTier value: "imminent", "1", "2" or "3"
    category: str
    country: str
    ack_minutes: int
    decide_minutes: int

    def snapshot(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def due_times(self, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        return start + dt.timedelta(minutes=self.ack_minutes), start + dt.timedelta(minutes=self.decide_minutes)


@lru_cache(maxsize=1)
def builtin_policies() -> dict[str, SlaTargets]:
    """The packaged defaults (``data/sla_policies.json``), used when no active policy row matches."""
    raw = json.loads(resources.files("trustline.triage").joinpath("data/sla_policies.json").read_text("utf-8"))
    return {
        row["tier"]: SlaTargets(
            policy_id=None,
            name=f"{row['name']} (built-in default)",
            applies_to=row["tier"],
            category="",
            country="",
            ack_minutes=int(row["ack_minutes"]),
            decide_minutes=int(row["decide_minutes"]),
        )
        for row in raw["policies"]
    }


def sla_tier_key(*, tier: int, imminent: bool) -> str:
    """Imminent harm has its own policy whatever the tier; otherwise the tier's."""
    if imminent:
        return SlaTier.IMMINENT.value
    return str(tier if tier in (1, 2, 3) else LEAST_SEVERE_TIER)


def sla_targets_for(*, tier: int, imminent: bool, category_code: str, country: str) -> SlaTargets:
    """The most specific active policy for a case.

    1. Candidates: active policies for the case's tier key (``imminent`` when
       a partner reported imminent harm), whose category is empty or the
       case's, and whose country is empty or the case's.
    2. Specificity: category and country (3) > category (2) > country (1) >
       tier default (0). The partial unique constraints on ``SlaPolicy`` allow
       one active policy per combination, so there is never a tie.
    3. No candidate at all (every policy deactivated): the packaged default.
    """
    key = sla_tier_key(tier=tier, imminent=imminent)
    country = (country or "").upper()
    for_category = Q(category__isnull=True)
    if category_code:
        for_category |= Q(category__code=category_code)
    candidates = (
        SlaPolicy.objects.filter(tier=key, is_active=True)
        .filter(for_category)
        .filter(Q(country="") | Q(country=country))
        .select_related("category")
    )
    best: SlaPolicy | None = None
    best_rank = -1
    for policy in candidates:
        rank = (2 if policy.category_id is not None else 0) + (1 if policy.country else 0)
        if rank > best_rank:
            best, best_rank = policy, rank
    if best is None:
        return builtin_policies()[key]
    return SlaTargets(
        policy_id=best.pk,
        name=best.name,
        applies_to=best.tier,
        category=best.category.code if best.category is not None else "",
        country=best.country,
        ack_minutes=best.ack_minutes,
        decide_minutes=best.decide_minutes,
    )


# --------------------------------------------------------------------------------------------
# What a case's triage depends on
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CaseFacts:
    """What the reports of a case say, gathered in two queries."""

    tier: int  # the most severe tier among the reports' categories
    category_code: str  # the category that gives that tier (the case's own when it ties)
    protected_target: bool
    organisation_ids: tuple[int, ...]
    # For crisis matching (``crisis.selectors.crisis_facts_from``), so scoring asks the reports only once:
    report_languages: frozenset[str] = frozenset()
    report_categories: frozenset[str] = frozenset()


def case_facts(case: Case) -> CaseFacts:
    rows = list(
        Report.objects.filter(items__case_id=case.pk)
        .values_list("organisation_id", "category_id", "targets", "language")
        .distinct()
    )
    category_ids = {category_id for _, category_id, _, _ in rows}
    categories = list(Category.objects.filter(pk__in=category_ids).order_by("severity_tier", "sort_order", "pk"))
    own = next((c for c in categories if c.code == case.category_code), None)
    if own is None and case.category_code:
        own = Category.objects.filter(code=case.category_code).first()
    tiers = [c.severity_tier for c in categories] + ([own.severity_tier] if own is not None else [])
    tier = min(tiers, default=LEAST_SEVERE_TIER)
    if own is not None and own.severity_tier == tier:
        category_code = own.code
    else:
        category_code = next((c.code for c in categories if c.severity_tier == tier), case.category_code)
    protected = any(
        isinstance(targets, list) and any(str(t) in PROTECTED_TARGETS for t in targets) for _, _, targets, _ in rows
    )
    organisation_ids = tuple(sorted({org_id for org_id, _, _, _ in rows}))
    return CaseFacts(tier=tier, category_code=category_code, protected_target=protected,
                     organisation_ids=organisation_ids,
                     report_languages=frozenset(language for _, _, _, language in rows if language),
                     report_categories=frozenset(c.code for c in categories))


def partner_precision_records(*, organisation_ids: tuple[int, ...], category_code: str) -> list[PrecisionRecord]:
    """One record per reporting partner: its decided items and how many were found violating.

    Read from the review app's precision table (by category where the partner
    has enough decisions there, else overall), one entry per partner, so a
    partner without a record still counts as neutral in the "best reporter" rule.
    """
    return partner_precision_records_for(organisation_ids=organisation_ids, category_code=category_code)


@dataclasses.dataclass(frozen=True)
class ScoringContext:
    """What scoring reads once for a batch of cases instead of once per case.

    The active crises (``trustline.crisis``) and which of the batch's cases
    an active protection covers (``trustline.protection``): two or three
    queries for the whole batch, where asking per case cost three or four
    queries each. Build it with :func:`scoring_context` for the cases about
    to be scored, at the moment they are scored.
    """

    crises: ActiveCrises
    protected_case_ids: frozenset[uuid.UUID]

    def crises_covering(self, case: Case, facts: CaseFacts) -> list[Crisis]:
        """The active crises covering ``case``, most severe first, matched in memory from its facts."""
        if not self.crises.crises:
            return []
        from trustline.crisis.selectors import crisis_facts_from  # crisis reads triage's types

        return self.crises.matching(crisis_facts_from(
            case, report_languages=facts.report_languages, report_categories=facts.report_categories,
            organisation_ids=facts.organisation_ids,
        ))


def scoring_context(cases: Sequence[Case], now: dt.datetime) -> ScoringContext:
    """Read the crises active at ``now`` and the protections covering ``cases``, once for all of them."""
    from trustline.crisis.selectors import ActiveCrises, active_crises  # crisis reads triage's types
    from trustline.protection.selectors import cases_under_protection  # protection reads cases

    if not cases:  # an empty batch (nothing to rescore) reads nothing
        return ScoringContext(crises=ActiveCrises(crises=()), protected_case_ids=frozenset())
    return ScoringContext(crises=active_crises(now), protected_case_ids=frozenset(cases_under_protection(cases)))


def priority_inputs_for(
    *, case: Case, facts: CaseFacts, tier: int, now: dt.datetime,
    ack_breached: bool | None = None, decide_breached: bool | None = None, context: ScoringContext | None = None,
) -> PriorityInputs:
    """Gather the inputs of :func:`trustline.triage.priority.compute_priority` for one case at ``now``.

    ``context`` is what the caller read once for its whole batch; without
    one, it is read for this case alone.
    """
    from trustline.crisis.selectors import crisis_boost  # crisis reads triage's types

    context = context if context is not None else scoring_context([case], now)
    return PriorityInputs(
        tier=tier,
        imminent=case.imminent_harm,
        reach=case.reach,
        reporters=max(1, case.partner_count),
        protected_target=facts.protected_target or case.pk in context.protected_case_ids,
        crisis_boost=crisis_boost(context.crises_covering(case, facts)),
        partner_records=tuple(
            partner_precision_records(organisation_ids=facts.organisation_ids, category_code=facts.category_code)
        ),
        waited=max(dt.timedelta(0), now - case.opened_at),
        ack_breached=case.ack_breached if ack_breached is None else ack_breached,
        decide_breached=case.decide_breached if decide_breached is None else decide_breached,
    )


# --------------------------------------------------------------------------------------------
# Staff reads
# --------------------------------------------------------------------------------------------


def _parse_id(raw: str | uuid.UUID) -> uuid.UUID:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound("Case not found.") from exc


def triage_cases_visible(*, actor: Actor) -> QuerySet[Case]:
    """Staff with ``case.view`` see every case; everyone else sees none (and gets 404, not 403)."""
    if not actor.has(Perm.CASE_VIEW):
        return Case.objects.none()
    return Case.objects.all()


def triage_case_get(*, actor: Actor, case_id: str | uuid.UUID) -> Case:
    """One case with its SLA breaches, or NotFound for a missing case and for anyone who may not see cases."""
    case = (
        triage_cases_visible(actor=actor)
        .prefetch_related("sla_breaches")
        .filter(pk=_parse_id(case_id))
        .first()
    )
    if case is None:
        raise NotFound("Case not found.")
    return case


def escalation_leads() -> QuerySet[User]:
    """Active people holding the escalation-lead role in a platform organisation: they hear about breaches."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__role=Role.ESCALATION_LEAD,
            memberships__organisation__kind=OrganisationKind.PLATFORM,
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
