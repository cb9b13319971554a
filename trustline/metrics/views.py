"""The metrics pages: the period's table (/metrics/) and reviewer workload (/metrics/workload/); htmx swaps tables.

Thin: the query string is read with the API's own ``MetricsQuery`` schema,
the figures come from :func:`trustline.metrics.selectors.metrics_table`,
and the same view returns only the table fragment to an htmx request. The
full dashboards live in the console, which calls the same selectors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from pydantic import ValidationError as PydanticValidationError

from trustline.accounts.permissions import Actor, Perm, require
from trustline.accounts.views import portal_view
from trustline.core.exceptions import ValidationFailed
from trustline.metrics.present import filters_of, period_of, table_out, workload_filters, workload_out
from trustline.metrics.schemas import MetricsQuery, WorkloadQuery
from trustline.metrics.selectors import DIMENSIONS, metrics_table
from trustline.metrics.workload import PERSONAL_DIMENSIONS, WORKLOAD_DIMENSIONS, workload_table

SHOWN = [
    ("items_received", "Items"), ("cases_received", "Cases"), ("ack_within_target_pct", "Ack. on time %"),
    ("decided_within_target_pct", "Decided on time %"), ("resolved_within_5d_pct", "Resolved ≤ 5 days %"),
    ("turnaround_p50_hours", "Turnaround p50 h"), ("turnaround_p90_hours", "Turnaround p90 h"),
    ("first_action_p50_hours", "First action p50 h"), ("backlog_items", "Backlog"),
    ("backlog_oldest_age_hours", "Oldest backlog h"), ("referred_policy", "Policy referrals"),
    ("contests_received", "Contests"), ("reversed_on_contest", "Reversed"),
]


def _answer(params: dict[str, Any], compute: Callable[[dict[str, Any]], dict[str, Any]],
            ) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """The table ``compute`` makes of the query string, or the problems by field (as the API names them)."""
    try:
        return compute(params), {}
    except PydanticValidationError as exc:
        return None, {".".join(str(p) for p in e["loc"]): [e["msg"]] for e in exc.errors()}
    except ValidationFailed as exc:
        return None, exc.fields or {"": [exc.message]}


def _metrics(actor: Actor, params: dict[str, Any]) -> dict[str, Any]:
    query = MetricsQuery.model_validate(params)
    return table_out(metrics_table(actor=actor, period=period_of(query), group_by=query.group_by,
                                   filters=filters_of(query)))


@require_GET
@portal_view
def metrics_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    require(actor, Perm.METRICS_VIEW)
    params = {k: v for k, v in request.GET.items() if v != ""}
    data, errors = _answer(params, lambda p: _metrics(actor, p))
    rows = []
    if data is not None:
        for row in data["rows"]:
            rows.append({"label": row["label"], "cells": [
                (row["current"][name], row["change"].get(name)) for name, _ in SHOWN]})
    context = {"data": data, "rows": rows, "columns": [label for _, label in SHOWN], "errors": errors,
               "params": params, "dimensions": list(DIMENSIONS), "csv_query": request.GET.urlencode()}
    template = "metrics/partials/table.html" if request.headers.get("HX-Request") else "metrics/metrics.html"
    return render(request, template, context)


WORKLOAD_SHOWN = [
    ("hours_held", gettext_lazy("Hours held")), ("hours_per_week", gettext_lazy("Hours a week")),
    ("decided_holds", gettext_lazy("Decisions")), ("minutes_per_decision", gettext_lazy("Minutes per decision")),
    ("decide_p50_minutes", gettext_lazy("Hold to decision p50 (min)")),
    ("decide_p90_minutes", gettext_lazy("Hold to decision p90 (min)")), ("handed_on_holds", gettext_lazy("Handed on")),
    ("expired_holds", gettext_lazy("Expired (not counted)")), ("reviewers", gettext_lazy("Reviewers")),
]


def _workload(actor: Actor, params: dict[str, Any]) -> dict[str, Any]:
    query = WorkloadQuery.model_validate(params)
    return workload_out(workload_table(actor=actor, period=period_of(query), group_by=query.group_by,
                                       filters=workload_filters(query)))


@require_GET
@portal_view
def workload_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Reviewing time per kind of case (``metrics.workload``), with the API's query schema and CSV."""
    require(actor, Perm.METRICS_VIEW)
    params = {k: v for k, v in request.GET.items() if v != ""}
    data, errors = _answer(params, lambda p: _workload(actor, p))
    rows = [] if data is None else [
        {"label": row["label"], "cells": [row["figures"][name] for name, _label in WORKLOAD_SHOWN]}
        for row in data["rows"]
    ]
    dimensions = [d for d in WORKLOAD_DIMENSIONS
                  if d not in PERSONAL_DIMENSIONS or actor.has(Perm.REVIEWER_SKILLS_MANAGE)]
    context = {"data": data, "rows": rows, "columns": [label for _name, label in WORKLOAD_SHOWN], "errors": errors,
               "params": params, "dimensions": dimensions, "csv_query": request.GET.urlencode()}
    template = "metrics/partials/workload_table.html" if request.headers.get("HX-Request") else "metrics/workload.html"
    return render(request, template, context)
