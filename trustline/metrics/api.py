"""Response-time metrics and partner scorecards (API), read-only.

Staff with ``metrics.view`` (programme managers, escalation leads, policy
analysts, auditors) read every slice; programme managers
(``metrics.scorecard_view``) read every partner's scorecard; a partner
reads only its own organisation's figures, through ``/own-scorecard``,
which takes no organisation parameter. Figures come from the item-fact
roll-up; ``facts_as_of`` says how fresh it is (docs/metrics.md). Reviewer
workload comes from reviewers' holds on cases (``metrics.workload``).
"""

import dataclasses
from typing import Any

from django.http import HttpResponse
from ninja import Query, Router

from trustline.accounts.permissions import Perm, requires
from trustline.core import clock
from trustline.core.types import ApiRequest
from trustline.metrics.present import (
    filters_of,
    key_text,
    partner_slugs,
    period_of,
    row_out,
    table_csv,
    table_out,
    workload_csv,
    workload_filters,
    workload_out,
)
from trustline.metrics.schemas import (
    BacklogOut,
    BacklogQuery,
    MetricsQuery,
    PeriodOut,
    ScorecardOut,
    SeriesOut,
    SeriesQuery,
    TableOut,
    WorkloadOut,
    WorkloadQuery,
)
from trustline.metrics.scorecards import Scorecard, own_scorecard, partner_scorecard, scorecard_list
from trustline.metrics.selectors import metrics_table
from trustline.metrics.series import backlog_breakdown, sla_series
from trustline.metrics.workload import workload_table

router = Router(tags=["metrics"])


@router.get("/table", response=TableOut, summary="The metrics of a period, per slice, with the previous period")
@requires(Perm.METRICS_VIEW)
def table(request: ApiRequest, query: Query[MetricsQuery]) -> Any:
    result = metrics_table(actor=request.auth, period=period_of(query), group_by=query.group_by,
                           filters=filters_of(query))
    return table_out(result)


@router.get("/table.csv", summary="The same table as CSV (one line per slice)")
@requires(Perm.METRICS_VIEW)
def table_as_csv(request: ApiRequest, query: Query[MetricsQuery]) -> HttpResponse:
    result = metrics_table(actor=request.auth, period=period_of(query), group_by=query.group_by,
                           filters=filters_of(query))
    response = HttpResponse(table_csv(result), content_type="text/csv; charset=utf-8")
    name = f"trustline-metrics-{result.period.label}{'-by-' + query.group_by if query.group_by else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/series", response=SeriesOut, summary="SLA attainment per day or week of receipt (dashboards)")
@requires(Perm.METRICS_VIEW)
def series(request: ApiRequest, query: Query[SeriesQuery]) -> Any:
    period = period_of(query)
    points = sla_series(actor=request.auth, period=period, bucket=query.bucket, filters=filters_of(query))
    return {"period": PeriodOut.of(period), "bucket": query.bucket, "points": [dataclasses.asdict(p) for p in points]}


@router.get("/backlog", response=BacklogOut, summary="The backlog now by tier, country, language, crisis, ...")
@requires(Perm.METRICS_VIEW)
def backlog(request: ApiRequest, query: Query[BacklogQuery]) -> Any:
    rows = backlog_breakdown(actor=request.auth, dimension=query.dimension, filters=filters_of(query))
    slugs = partner_slugs([r.key for r in rows]) if query.dimension == "partner" else {}
    return {"dimension": query.dimension, "computed_at": clock.now(),
            "rows": [{**dataclasses.asdict(r), "key": key_text(r.key, query.dimension, slugs)} for r in rows]}


def scorecard_out(card: Scorecard) -> dict[str, Any]:
    return {"organisation": card.organisation.slug, "organisation_name": card.organisation.name,
            "period": PeriodOut.of(card.period), "previous_period": PeriodOut.of(card.period.previous()),
            "summary": row_out(card.summary, None, {}, total=True),
            "by_category": [dataclasses.asdict(c) for c in card.by_category]}


@router.get("/scorecards", response=TableOut, summary="Every partner side by side (programme managers)")
@requires(Perm.SCORECARD_VIEW)
def scorecards(request: ApiRequest, query: Query[MetricsQuery]) -> Any:
    return table_out(scorecard_list(actor=request.auth, period=period_of(query), filters=filters_of(query)))


@router.get("/scorecards/{slug}", response=ScorecardOut, summary="One partner's scorecard (programme managers)")
@requires(Perm.SCORECARD_VIEW)
def scorecard(request: ApiRequest, slug: str, query: Query[MetricsQuery]) -> Any:
    return scorecard_out(partner_scorecard(actor=request.auth, organisation_slug=slug, period=period_of(query)))


@router.get("/own-scorecard", response=ScorecardOut, summary="Your organisation's own scorecard (partners)")
@requires(Perm.METRICS_VIEW_OWN)
def my_scorecard(request: ApiRequest, query: Query[MetricsQuery]) -> Any:
    return scorecard_out(own_scorecard(actor=request.auth, period=period_of(query)))


@router.get("/workload", response=WorkloadOut, summary="Reviewing time per kind of case (holds ended in the period)")
@requires(Perm.METRICS_VIEW)
def workload(request: ApiRequest, query: Query[WorkloadQuery]) -> Any:
    return workload_out(workload_table(actor=request.auth, period=period_of(query), group_by=query.group_by,
                            filters=workload_filters(query)))


@router.get("/workload.csv", summary="The same workload table as CSV (one line per slice)")
@requires(Perm.METRICS_VIEW)
def workload_as_csv(request: ApiRequest, query: Query[WorkloadQuery]) -> HttpResponse:
    result = workload_table(actor=request.auth, period=period_of(query), group_by=query.group_by,
                            filters=workload_filters(query))
    response = HttpResponse(workload_csv(result), content_type="text/csv; charset=utf-8")
    name = f"trustline-workload-{result.period.label}{'-by-' + query.group_by if query.group_by else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
