"""Console reads: who must use two-factor sign-in, and their devices.

The reviewer console and dashboards read through the owning apps' selectors
(routing, review, platforms, intake); see ``case_page.py`` and ``dashboards.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django_otp.plugins.otp_totp.models import TOTPDevice

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.models import Membership, Organisation, User
from trustline.accounts.permissions import Actor
from trustline.console.models import OrganisationSecurityPolicy, ViewingPreference
from trustline.core.exceptions import NotFound
from trustline.intake.choices import ReportStatus, TimelineKind
from trustline.intake.models import TimelineEvent
from trustline.intake.selectors import report_visible
from trustline.platforms.choices import VERIFIED_ACTIONS, ActionStatus
from trustline.platforms.models import EnforcementActionRecord
from trustline.platforms.reach import ReachSummary, measures_by_case, reach_summary
from trustline.review.choices import Outcome
from trustline.review.models import Decision


def confirmed_device(user: User) -> TOTPDevice | None:
    """The person's confirmed authenticator app, if any (one per person)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def viewing_preference_of(user: User | None) -> ViewingPreference:
    """The person's viewing preference, or the defaults (blurred, grey) as an unsaved row."""
    if user is not None:
        found = ViewingPreference.objects.filter(user=user).first()
        if found is not None:
            return found
    return ViewingPreference(user=user)


def organisation_requires_two_factor(organisation: Organisation) -> bool:
    """The platform team always does; a partner when its admin switched it on."""
    if organisation.kind == OrganisationKind.PLATFORM:
        return True
    return OrganisationSecurityPolicy.objects.filter(organisation=organisation, require_two_factor=True).exists()


def two_factor_required(user: User) -> bool:
    """True when any of the person's organisations requires a second factor.

    Steps: 1. a membership of the platform team (staff) requires it;
    2. so does a membership of an organisation whose policy requires it.
    Superusers (the Django admin) are staff too.
    """
    if user.is_superuser or user.is_staff:
        return True
    memberships = Membership.objects.filter(user=user)
    if memberships.filter(organisation__kind=OrganisationKind.PLATFORM).exists():
        return True
    return OrganisationSecurityPolicy.objects.filter(
        organisation__memberships__user=user, require_two_factor=True
    ).exists()


def security_policy_of(organisation: Organisation) -> OrganisationSecurityPolicy | None:
    return OrganisationSecurityPolicy.objects.filter(organisation=organisation).first()


# --------------------------------------------------------------------------------------------
# Partner portal
# --------------------------------------------------------------------------------------------


def partner_decision_get(*, actor: Actor, decision_id: uuid.UUID) -> Decision:
    """A decision on content the actor's organisation reported, else NotFound (appeals re-checks on submit)."""
    if actor.organisation_id is None or actor.is_staff_side:
        raise NotFound("Decision not found.")
    decision = (
        Decision.objects.filter(pk=decision_id, case__items__report__organisation_id=actor.organisation_id)
        .select_related("policy").distinct().first()
    )
    if decision is None:
        raise NotFound("Decision not found.")
    return decision


@dataclasses.dataclass
class PartnerFigures:
    """An organisation's own figures (simple aggregates over its reports and their timelines).

    ``trustline.metrics`` is built in parallel; until it offers a partner
    scorecard, these are plain counts over intake's rows, scoped to the
    actor's organisation by ``report_visible``.
    """

    total: int
    by_month: list[tuple[str, int]]
    by_status: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    outcomes: list[tuple[str, int]]
    median_hours_to_decision: float | None
    # Views the content gained between the first look and its removal, over the content the organisation
    # reported that a removal or suspension took down (platforms.reach): counts only, about the content.
    reach: ReachSummary


def partner_figures(*, actor: Actor) -> PartnerFigures:
    """Steps: 1. the organisation's reports (report_visible); 2. counts by month, status and category;
    3. outcomes from the partner's own ``decided`` timeline events; 4. the median time from receipt to the first
    decision, over reports that have one; 5. the views gained before removal, over the cases of its reports
    whose content a removal or suspension took down."""
    reports = report_visible(actor=actor)
    if actor.is_staff_side:
        reports = reports.none()
    by_month = [
        (row["month"].strftime("%Y-%m") if row["month"] else "—", row["n"])
        for row in reports.annotate(month=TruncMonth("received_at")).values("month")
        .annotate(n=Count("id")).order_by("-month")[:12]
    ]
    status_labels = dict(ReportStatus.choices)
    by_status = [(str(status_labels.get(r["status"], r["status"])), r["n"])
                 for r in reports.values("status").annotate(n=Count("id")).order_by("-n")]
    by_category = [(r["category__name"], r["n"])
                   for r in reports.values("category__name").annotate(n=Count("id")).order_by("-n")[:20]]
    decided = TimelineEvent.objects.filter(report__in=reports, kind=TimelineKind.DECIDED)
    outcome_labels = dict(Outcome.choices)
    outcome_counts: dict[str, int] = {}
    first_decided: dict[uuid.UUID, dt.datetime] = {}
    for report_id, at, data in decided.values_list("report_id", "at", "data"):
        outcome = str((data or {}).get("outcome", "")) if isinstance(data, dict) else ""
        label = str(outcome_labels.get(outcome, outcome or "—"))
        outcome_counts[label] = outcome_counts.get(label, 0) + 1
        if report_id not in first_decided or at < first_decided[report_id]:
            first_decided[report_id] = at
    received = dict(reports.filter(pk__in=list(first_decided)).values_list("pk", "received_at"))
    hours = sorted((first_decided[pk] - received[pk]).total_seconds() / 3600 for pk in received)
    median = hours[len(hours) // 2] if hours else None
    return PartnerFigures(
        total=reports.count(),
        by_month=by_month,
        by_status=by_status,
        by_category=by_category,
        outcomes=sorted(outcome_counts.items(), key=lambda kv: -kv[1]),
        median_hours_to_decision=round(median, 1) if median is not None else None,
        reach=reach_summary(measures_by_case(
            EnforcementActionRecord.objects.filter(
                case__items__report__in=reports, action_type__in=VERIFIED_ACTIONS, status=ActionStatus.DONE,
            ).values("case_id")
        ).values()),
    )
