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


EU_MEMBER_STATES = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT",
    "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
})
ORDER_TYPE_INFORMATION = "Orders to provide information"
NOT_SPECIFIED = "STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER"


def _median_hours(queryset: QuerySet[InboundRequest]) -> float | None:
    """Median of ``responded_at - received_at`` in hours: the middle row(s) of the query ordered by it."""
    took = ExpressionWrapper(F("responded_at") - F("received_at"), output_field=DurationField())
    answered = queryset.filter(responded_at__isnull=False).annotate(took=took)
    n = answered.count()
    if n == 0:
        return None
    middle = list(answered.order_by("took").values_list("took", flat=True)[(n - 1) // 2: n // 2 + 1])
    return round(sum(v.total_seconds() for v in middle) / len(middle) / 3600, 2)


def dsa_orders_rows(*, start: dt.date, end: dt.date) -> list[list[object]]:
    """DSA transparency template section 3 cells (after Applicability, Service, Reporting period).

    Requests from EU Member State authorities are Art. 10 orders to provide
    information (the hub records no Art. 9 orders to act, nor a category per
    request: ``STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER``). One row per Member
    State, then ``TOTAL``: type of order, category, scope, number of orders,
    number of items (identifiers in scope), median hours to inform the
    authority of receipt (not recorded separately: blank) and median hours to
    give effect (receipt to first response).
    """
    orders = _received(start, end).filter(country__in=EU_MEMBER_STATES)
    rows: list[list[object]] = []
    scopes = sorted(set(orders.values_list("country", flat=True)))
    for scope in [*scopes, "TOTAL"]:
        chosen = orders if scope == "TOTAL" else orders.filter(country=scope)
        identifiers = sum(len(ids) for ids in chosen.values_list("identifiers", flat=True))
        rows.append([ORDER_TYPE_INFORMATION, NOT_SPECIFIED, scope, chosen.count(), identifiers, None,
                     _median_hours(chosen)])
    return rows


def figures_for(*, actor: Actor, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    """Both tables for staff screens and the API."""
    le_require(actor, Perm.LE_FIGURES_VIEW)
    return {"by_country_type_outcome": government_requests_rows(date_from, date_to),
            "response_times": response_time_rows(date_from, date_to)}
