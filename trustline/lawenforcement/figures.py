"""Government-request figures, computed by the database.

:func:`government_requests_rows` is the function the transparency report
calls for its government-requests slot (no actor: the report is built by a
system job and publishes only counts). Both functions count requests
*received* in ``[date_from, date_to]`` (whole days, UTC).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Max, Min, QuerySet

from trustline.accounts.permissions import Actor, Perm
from trustline.lawenforcement.models import InboundRequest
from trustline.lawenforcement.permissions import le_require


def _received(date_from: dt.date, date_to: dt.date) -> QuerySet[InboundRequest]:
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=dt.UTC)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    return InboundRequest.objects.filter(received_at__gte=start, received_at__lt=end)


def government_requests_rows(date_from: dt.date, date_to: dt.date) -> list[dict[str, Any]]:
    """Counts of government requests by country, type and outcome: ``[{country, request_type, outcome, count}]``.

    One GROUP BY in the database; rows ordered by country, type, outcome.
    ``outcome`` is ``pending`` for requests not yet answered.
    """
    rows = (
        _received(date_from, date_to)
        .values("country", "request_type", "outcome")
        .annotate(count=Count("id"))
        .order_by("country", "request_type", "outcome")
    )
    return [dict(row) for row in rows]


def response_time_rows(date_from: dt.date, date_to: dt.date) -> list[dict[str, Any]]:
    """Time from receipt to first response by request type: ``[{request_type, requests, responded, avg_hours, ...}]``.

    Averages, minimum and maximum come from the database over
    ``responded_at - received_at`` (a duration on both SQLite and
    PostgreSQL); unanswered requests count in ``requests`` only.
    """
    took = ExpressionWrapper(F("responded_at") - F("received_at"), output_field=DurationField())
    rows = (
        _received(date_from, date_to)
        .values("request_type")
        .annotate(requests=Count("id"), responded=Count("responded_at"), avg=Avg(took), fastest=Min(took),
                  slowest=Max(took))
        .order_by("request_type")
    )

    def hours(value: dt.timedelta | None) -> float | None:
        return round(value.total_seconds() / 3600, 2) if value is not None else None

    return [
        {"request_type": r["request_type"], "requests": r["requests"], "responded": r["responded"],
         "avg_hours": hours(r["avg"]), "min_hours": hours(r["fastest"]), "max_hours": hours(r["slowest"])}
        for r in rows
    ]


def figures_for(*, actor: Actor, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    """Both tables for staff screens and the API."""
    le_require(actor, Perm.LE_FIGURES_VIEW)
    return {"by_country_type_outcome": government_requests_rows(date_from, date_to),
            "response_times": response_time_rows(date_from, date_to)}
