"""Partner scorecards: volume, precision by category, turnaround experienced, contests.

Two audiences, one shape:

* programme managers (``metrics.scorecard_view``) read any partner's
  scorecard, and the list of all partners side by side;
* a partner (``metrics.view_own``) reads only its own organisation's,
  through :func:`own_scorecard`, which takes no organisation argument at all.

Precision comes in two forms: over the period (of the partner's items
received in the period and decided with a precision outcome, the share
found violating, from the roll-up) and all time (review's
``PartnerPrecision``, the running counts triage uses).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.db.models import Count, Q

from trustline.accounts.models import Organisation
from trustline.accounts.permissions import Actor, Perm, require
from trustline.core.exceptions import NotFound, PermissionDenied
from trustline.metrics.periods import Period
from trustline.metrics.selectors import MetricsFilter, MetricsRow, MetricsTable, metrics_table, pct, visible_facts
from trustline.review.choices import PRECISION_OUTCOMES, Outcome
from trustline.review.models import PartnerPrecision


@dataclasses.dataclass
class CategoryPrecision:
    category: str
    items_received: int
    decided: int
    violating: int
    precision_pct: float | None
    all_time_decided: int
    all_time_violating: int
    all_time_precision_pct: float | None


@dataclasses.dataclass
class Scorecard:
    organisation: Organisation
    period: Period
    summary: MetricsRow  # the metrics table's total row for the partner: current, previous, change
    by_category: list[CategoryPrecision]


def _scorecard(actor: Actor, organisation: Organisation, period: Period) -> Scorecard:
    """1. The partner's total row of the metrics table. 2. Precision per category, period and all time."""
    table = metrics_table(actor=actor, period=period, filters=MetricsFilter(organisation_id=organisation.pk))
    facts = visible_facts(actor).filter(organisation_id=organisation.pk, received_at__gte=period.start,
                                        received_at__lt=period.end)
    settled = Q(first_outcome__in=[o.value for o in PRECISION_OUTCOMES])
    per_category = {
        row["category_code"]: row
        for row in facts.order_by().values("category_code").annotate(
            n=Count("pk"), decided=Count("pk", filter=settled),
            violating=Count("pk", filter=Q(first_outcome=Outcome.VIOLATING)),
        )
    }
    all_time = {
        row["category__code"]: row
        for row in PartnerPrecision.objects.filter(organisation=organisation).values(
            "category__code", "decided", "violating")
    }
    rows = []
    for code in sorted(set(per_category) | set(all_time)):
        p: dict[str, Any] = dict(per_category.get(code, {}))
        a: dict[str, Any] = dict(all_time.get(code, {}))
        rows.append(CategoryPrecision(
            category=code, items_received=p.get("n", 0), decided=p.get("decided", 0),
            violating=p.get("violating", 0), precision_pct=pct(p.get("violating", 0), p.get("decided", 0)),
            all_time_decided=a.get("decided", 0), all_time_violating=a.get("violating", 0),
            all_time_precision_pct=pct(a.get("violating", 0), a.get("decided", 0)),
        ))
    return Scorecard(organisation=organisation, period=period, summary=table.rows[0], by_category=rows)


def partner_scorecard(*, actor: Actor, organisation_slug: str, period: Period) -> Scorecard:
    """Any partner's scorecard, for programme managers; an unknown slug is 404."""
    require(actor, Perm.SCORECARD_VIEW)
    organisation = Organisation.objects.filter(slug=organisation_slug, kind=_partner_kind()).first()
    if organisation is None:
        raise NotFound("No such partner.")
    return _scorecard(actor, organisation, period)


def own_scorecard(*, actor: Actor, period: Period) -> Scorecard:
    """The actor's own organisation's scorecard (partners only: staff use :func:`partner_scorecard`)."""
    require(actor, Perm.METRICS_VIEW_OWN)
    if actor.organisation is None or actor.is_staff_side:
        raise PermissionDenied("Only trusted partners have their own scorecard.", code="forbidden")
    return _scorecard(actor, actor.organisation, period)


def scorecard_list(*, actor: Actor, period: Period, filters: MetricsFilter | None = None) -> MetricsTable:
    """Every partner side by side (the metrics table grouped by partner), for programme managers."""
    require(actor, Perm.SCORECARD_VIEW)
    return metrics_table(actor=actor, period=period, group_by="partner", filters=filters)


def _partner_kind() -> Any:
    from trustline.accounts.choices import OrganisationKind

    return OrganisationKind.PARTNER
