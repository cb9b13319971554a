"""Reads for decisions, always starting from what the actor may see.

Cases, decisions, second review and referrals are the platform team's
working objects: without ``case.view`` every read answers ``NotFound``, as
for an id that does not exist. An information request is also visible to
the partner it was sent to (and to no other organisation).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import translation

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.models import Organisation
from trustline.accounts.permissions import Actor, Perm
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.core.exceptions import NotFound
from trustline.intake.models import Report, ReportItem
from trustline.platforms.choices import ActionType
from trustline.platforms.connectors import AccountInfo
from trustline.platforms.selectors import item_describe
from trustline.review.choices import (
    DEFAULT_PROTECTED_TARGETS,
    REFERRAL_OUTCOMES,
    DecisionStatus,
    Outcome,
    ReferralKind,
    ReferralStatus,
    SecondReviewRuleKind,
)
from trustline.review.models import (
    ClockPause,
    Decision,
    DecisionTemplate,
    InformationRequest,
    PartnerPrecision,
    Referral,
    SecondReviewRule,
)
from trustline.review.templates_text import DEFAULT_TEMPLATES, actions_in_words, base_language
from trustline.taxonomy.models import Category
from trustline.triage.priority import PrecisionRecord

# A partner's record in one category speaks for it once it holds this many
# decided items; below that its record over all categories is used.
MIN_CATEGORY_DECISIONS = 10


def parse_id(raw: str | uuid.UUID, what: str) -> uuid.UUID:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound(f"{what} not found.") from exc


# --------------------------------------------------------------------------------------------
# Cases and who holds them
# --------------------------------------------------------------------------------------------


def case_holder_id(case: Case, now: dt.datetime) -> int | None:
    """The user holding ``case`` under a live routing lease, or ``None``.

    The one place that reads the routing lease (``Case.assigned_to`` and
    ``Case.lease_expires_at``, kept by ``trustline.routing``): an expired
    lease holds nothing, as routing treats such a case as free to claim.
    """
    if case.assigned_to_id is None:
        return None
    if case.lease_expires_at is not None and case.lease_expires_at <= now:
        return None
    return case.assigned_to_id


def case_held_by(*, case: Case, actor: Actor, now: dt.datetime) -> bool:
    """Whether ``actor`` (a person) holds ``case`` under a live routing lease."""
    return actor.user is not None and case_holder_id(case, now) == actor.user.pk


def case_referred_undecided(case: Case) -> bool:
    """Whether ``case`` is decided only by a referral, so the content itself still waits for a decision.

    A referral to policy review or towards law enforcement keeps the case open
    while others work on it, with the content still up. An escalation lead may
    then decide the content (an imminent-harm report joins it at 3 a.m.)
    without waiting for the policy team; the referral goes on.
    """
    return case.is_open and case.status == CaseStatus.DECIDED and Decision.objects.filter(
        case=case, status=DecisionStatus.EFFECTIVE, outcome__in=REFERRAL_OUTCOMES
    ).exists()


def review_cases_visible(*, actor: Actor) -> QuerySet[Case]:
    if not actor.has(Perm.CASE_VIEW):
        return Case.objects.none()
    return Case.objects.all()


def review_case_get(*, actor: Actor, case_id: str | uuid.UUID) -> Case:
    case = review_cases_visible(actor=actor).filter(pk=parse_id(case_id, "Case")).first()
    if case is None:
        raise NotFound("Case not found.")
    return case


def case_first_item(case: Case) -> ReportItem | None:
    """The earliest reported item of the case: every item of a case is the same content."""
    return ReportItem.objects.filter(case=case).order_by("report__received_at", "position", "pk").first()


def case_clock_paused_at(case: Case) -> dt.datetime | None:
    """When the case's decide-by clock was paused, or ``None`` while it runs."""
    pause = ClockPause.objects.filter(case=case, resumed_at__isnull=True).only("paused_at").first()
    return pause.paused_at if pause is not None else None


# --------------------------------------------------------------------------------------------
# Decisions
# --------------------------------------------------------------------------------------------


def decisions_visible(*, actor: Actor) -> QuerySet[Decision]:
    if not actor.has(Perm.CASE_VIEW):
        return Decision.objects.none()
    return Decision.objects.select_related("policy", "decided_by", "second_reviewer", "case")


def decision_get(*, actor: Actor, decision_id: str | uuid.UUID) -> Decision:
    decision = decisions_visible(actor=actor).filter(pk=parse_id(decision_id, "Decision")).first()
    if decision is None:
        raise NotFound("Decision not found.")
    return decision


def decisions_for_case(*, actor: Actor, case_id: str | uuid.UUID) -> list[Decision]:
    case = review_case_get(actor=actor, case_id=case_id)
    return list(decisions_visible(actor=actor).filter(case=case).order_by("decided_at", "id"))


def second_review_queue(*, actor: Actor) -> QuerySet[Decision]:
    """Decisions waiting for a second reviewer, most urgent case first; never the actor's own.

    A reviewer cannot confirm their own decision, so it is left out of their
    queue (it still shows in ``decisions_for_case``).
    """
    qs = decisions_visible(actor=actor).filter(status=DecisionStatus.PENDING_SECOND_REVIEW)
    if actor.user is not None:
        qs = qs.exclude(decided_by=actor.user)
    return qs.exclude(decided_by_actor=actor.audit_id).order_by("-case__priority", "decided_at", "id")


def is_same_reviewer(decision: Decision, actor: Actor) -> bool:
    """The person (or key) who recorded ``decision`` is ``actor``."""
    if decision.decided_by_actor == actor.audit_id:
        return True
    return actor.user is not None and decision.decided_by_id == actor.user.pk


# --------------------------------------------------------------------------------------------
# Templates and the facts that fill them
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ChosenTemplate:
    template: DecisionTemplate | None  # None: the packaged default
    name: str
    body: str
    language: str


def templates_list(*, actor: Actor) -> QuerySet[DecisionTemplate]:
    if not actor.has(Perm.CASE_VIEW):
        return DecisionTemplate.objects.none()
    return DecisionTemplate.objects.all().order_by("outcome", "language", "pk")


def template_languages() -> list[str]:
    """The languages some active template is written in (BCP 47 tags), for the reviewer to choose from."""
    return sorted(set(DecisionTemplate.objects.filter(is_active=True).values_list("language", flat=True)))


def template_choose(*, outcome: str, language: str, template_id: int | None = None) -> ChosenTemplate:
    """The template to explain ``outcome``: the one named, else the active one in ``language``, else English.

    Falls back to the packaged default when no active row exists (all were
    switched off), so a decision never lacks an explanation.
    """
    if template_id is not None:
        named = DecisionTemplate.objects.filter(pk=template_id, outcome=outcome, is_active=True).first()
        if named is None:
            raise NotFound("Template not found (or not for this outcome).")
        return ChosenTemplate(named, named.name, named.body, named.language)
    for lang in dict.fromkeys([language or "en", (language or "en").split("-")[0], "en"]):
        row = DecisionTemplate.objects.filter(outcome=outcome, language=lang, is_active=True).first()
        if row is not None:
            return ChosenTemplate(row, row.name, row.body, row.language)
    name, body = DEFAULT_TEMPLATES[Outcome(outcome)]["en"]
    return ChosenTemplate(None, name, body, "en")


def template_facts(
    *,
    case: Case,
    policy: Category | None,
    actions: Sequence[str],
    territorial_scope: Sequence[str],
    ground: str,
    decided_at: dt.datetime,
    question: str = "",
    answer_due_at: dt.datetime | None = None,
    language: str = "en",
) -> dict[str, str]:
    """The values a template in ``language`` may use (``templates_text.PLACEHOLDERS``), all plain strings.

    Category names, policy areas and actions are in the template's language
    where Trustline has them (the catalogues, ``templates_translated``), so
    an Arabic explanation does not name the category in English.
    """
    reported = Category.objects.filter(code=case.category_code).only("name").first()
    with translation.override(base_language(language)):
        category_name = reported.shown_name if reported is not None else case.category_code
        policy_name = policy.shown_name if policy is not None else category_name
        policy_area = policy.shown_policy_area if policy is not None else ""
    return {
        "category": category_name,
        "policy": policy_name,
        "policy_area": policy_area,
        "actions": actions_in_words(list(actions), list(territorial_scope), language),
        "territorial_scope": ", ".join(territorial_scope),
        "ground": ground,
        "reported_on": case.opened_at.date().isoformat(),
        "decided_on": decided_at.date().isoformat(),
        "question": question,
        "answer_due_on": answer_due_at.date().isoformat() if answer_due_at is not None else "",
    }


def case_language(case: Case) -> str:
    """The language the partners wrote in (the earliest report that says), for choosing a template."""
    language = (
        Report.objects.filter(items__case_id=case.pk).exclude(language="").order_by("received_at")
        .values_list("language", flat=True).first()
    )
    return language or "en"


# --------------------------------------------------------------------------------------------
# Second review ("cross-check")
# --------------------------------------------------------------------------------------------


def protected_people_match(case: Case, author: AccountInfo | None) -> str:
    """A reason when the content or its author is in the protected-people registry, else ``""``."""
    from trustline.protection.selectors import protected_people_match as registry_match  # it reads cases

    return registry_match(case, author)


def case_author(*, actor: Actor, case: Case) -> AccountInfo | None:
    """Who posted the content, as the platform connector says (``None`` when it cannot say).

    Called before the decision's transaction: a platform call must never hold
    a database lock. The connector never raises for the platform's trouble.
    """
    item = case_first_item(case)
    if item is None:
        return None
    description = item_describe(actor=actor, item_id=item.pk)
    return description.author if description.available else None


def _report_targets(case: Case) -> set[str]:
    targets: set[str] = set()
    for row in Report.objects.filter(items__case_id=case.pk).values_list("targets", flat=True).distinct():
        if isinstance(row, list):
            targets |= {str(t) for t in row}
    return targets


def second_review_reasons(
    *, case: Case, outcome: str, actions: Iterable[str], author: AccountInfo | None
) -> list[dict[str, Any]]:
    """Which active rules require a second reviewer for this decision, each with what matched.

    "Acting" means at least one action other than ``no_action``.
    """
    enforcing = any(a != ActionType.NO_ACTION for a in actions)
    reasons: list[dict[str, Any]] = []
    targets: set[str] | None = None
    for rule in SecondReviewRule.objects.filter(is_active=True).order_by("kind"):
        if rule.kind == SecondReviewRuleKind.PROTECTED_TARGET and enforcing:
            targets = _report_targets(case) if targets is None else targets
            protected = set(rule.targets or DEFAULT_PROTECTED_TARGETS)
            matched = sorted(targets & protected)
            registry = protected_people_match(case, author)
            if matched or registry:
                reasons.append({"rule": rule.kind, "detail": registry or f"report targets: {', '.join(matched)}"})
        elif rule.kind == SecondReviewRuleKind.PUBLIC_FIGURE and enforcing:
            if author is not None and (author.verified or author.public_figure):
                what = "public figure" if author.public_figure else "verified account"
                reasons.append({"rule": rule.kind, "detail": f"author @{author.handle} is a {what}"})
            else:
                targets = _report_targets(case) if targets is None else targets
                if author is None and "public_figure" in targets:
                    reasons.append({"rule": rule.kind, "detail": "a report names a public figure"})
        elif rule.kind == SecondReviewRuleKind.TIER_NOT_VIOLATING:
            tiers = {int(t) for t in (rule.tiers or [1])}
            outcomes = set(rule.outcomes or [Outcome.NOT_VIOLATING])
            if case.tier in tiers and outcome in outcomes:
                reasons.append({"rule": rule.kind, "detail": f"tier {case.tier} case found {outcome}"})
    return reasons


@dataclasses.dataclass(frozen=True)
class RuleRow:
    """One kind of second-review rule and its row (``None`` until someone sets it)."""

    kind: str
    label: str
    rule: SecondReviewRule | None


def second_review_rules_for(*, actor: Actor) -> list[RuleRow]:
    """Every rule kind with its rule, in the kinds' order, for those who set review policy.

    ``NotFound`` for anyone without ``second_review_rule.manage`` or outside
    the platform team: the console's pages answer 404, as for its other
    staff pages a role does not open.
    """
    if not actor.is_staff_side or not actor.has(Perm.SECOND_REVIEW_RULE_MANAGE):
        raise NotFound("Not found.")
    rules = {r.kind: r for r in SecondReviewRule.objects.all()}
    return [RuleRow(kind=str(k), label=str(label), rule=rules.get(str(k))) for k, label in SecondReviewRuleKind.choices]


def second_review_rule_row(*, actor: Actor, kind: str) -> RuleRow:
    """One kind's row; ``NotFound`` for an unknown kind, as for someone who may not set rules."""
    for row in second_review_rules_for(actor=actor):
        if row.kind == kind:
            return row
    raise NotFound("Not found.")


# --------------------------------------------------------------------------------------------
# Information requests
# --------------------------------------------------------------------------------------------


def information_requests_visible(*, actor: Actor) -> QuerySet[InformationRequest]:
    """Staff see every request; a partner only those sent to its own organisation."""
    qs = InformationRequest.objects.select_related("organisation")
    if actor.has(Perm.CASE_VIEW):
        return qs
    if actor.has(Perm.REPORT_VIEW_OWN) and actor.organisation is not None:
        return qs.filter(organisation=actor.organisation)
    return qs.none()


def information_request_get(*, actor: Actor, request_id: str | uuid.UUID) -> InformationRequest:
    found = information_requests_visible(actor=actor).filter(pk=parse_id(request_id, "Information request")).first()
    if found is None:
        raise NotFound("Information request not found.")
    return found


def information_request_reports(request: InformationRequest) -> list[Report]:
    """The reports of the asked partner that are about the case in question."""
    return list(
        Report.objects.filter(organisation_id=request.organisation_id, items__case_id=request.case_id)
        .distinct().order_by("received_at", "pk")
    )


# --------------------------------------------------------------------------------------------
# Referrals
# --------------------------------------------------------------------------------------------


def referrals_list(*, actor: Actor, kind: str | None = None, status: str | None = ReferralStatus.OPEN
                   ) -> QuerySet[Referral]:
    """The policy queue (``kind=policy_review``) and the law-enforcement flags, oldest first."""
    if not actor.has(Perm.CASE_VIEW):
        return Referral.objects.none()
    qs = Referral.objects.select_related("case", "decision")
    if kind:
        qs = qs.filter(kind=ReferralKind(kind))
    if status:
        qs = qs.filter(status=ReferralStatus(status))
    return qs.order_by("created_at", "id")


# --------------------------------------------------------------------------------------------
# Partner precision
# --------------------------------------------------------------------------------------------


def partner_precision_records_for(*, organisation_ids: Sequence[int], category_code: str) -> list[PrecisionRecord]:
    """One record per partner, in the order given: its category record if it holds enough, else overall.

    A partner with no decided items gets an empty record (neutral in
    priority). Read by ``triage.selectors.partner_precision_records``.
    """
    if not organisation_ids:
        return []
    overall: dict[int, tuple[int, int]] = {}
    in_category: dict[int, tuple[int, int]] = {}
    rows = PartnerPrecision.objects.filter(organisation_id__in=list(organisation_ids)).values_list(
        "organisation_id", "category__code", "decided", "violating"
    )
    for org_id, code, decided, violating in rows:
        total = overall.get(org_id, (0, 0))
        overall[org_id] = (total[0] + decided, total[1] + violating)
        if code == category_code:
            in_category[org_id] = (decided, violating)
    records = []
    for org_id in organisation_ids:
        decided, violating = in_category.get(org_id, (0, 0))
        if decided < MIN_CATEGORY_DECISIONS:
            decided, violating = overall.get(org_id, (0, 0))
        records.append(PrecisionRecord(decided=decided, violating=violating))
    return records


@dataclasses.dataclass(frozen=True)
class PrecisionLine:
    category: str
    name: str
    decided: int
    violating: int

    @property
    def precision(self) -> float | None:
        return round(self.violating / self.decided, 4) if self.decided else None


@dataclasses.dataclass(frozen=True)
class PartnerPrecisionSummary:
    organisation: Organisation
    overall: PrecisionLine
    categories: list[PrecisionLine]


def partner_precision_get(*, actor: Actor, slug: str) -> PartnerPrecisionSummary:
    """A partner's precision overall and by category, for programme managers.

    ``NotFound`` for anyone who may not see cases (partners included: a
    partner never learns about another, nor reads its own score here) and
    for an unknown slug; ``precision.view`` is checked by the API.
    """
    if not actor.has(Perm.CASE_VIEW):
        raise NotFound("Partner not found.")
    organisation = Organisation.objects.filter(slug=slug, kind=OrganisationKind.PARTNER).first()
    if organisation is None:
        raise NotFound("Partner not found.")
    rows = list(
        PartnerPrecision.objects.filter(organisation=organisation).select_related("category")
        .order_by("category__sort_order", "category__code")
    )
    lines = [PrecisionLine(r.category.code, r.category.name, r.decided, r.violating) for r in rows]
    totals = PartnerPrecision.objects.filter(organisation=organisation).aggregate(
        decided=Sum("decided"), violating=Sum("violating")
    )
    overall = PrecisionLine("", "All categories", int(totals["decided"] or 0), int(totals["violating"] or 0))
    return PartnerPrecisionSummary(organisation=organisation, overall=overall, categories=lines)
