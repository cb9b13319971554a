"""The data behind the dashboards: SLA attainment over time and the backlog now, by slice.

The series sums the hourly counts where it can (:mod:`.cube`), the backlog
reads the undecided items through a covering partial index; both are meant
to answer in under half a second on a large programme (bench/metrics).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, F, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncWeek

from trustline.accounts.permissions import Actor
from trustline.core import clock
from trustline.core.exceptions import ValidationFailed
from trustline.metrics.cube import CubeScope, cube_scope, decode_key, hour_of, whole_hours
from trustline.metrics.facts import facts_as_of
from trustline.metrics.models import BacklogDue, HourCount
from trustline.metrics.periods import Period
from trustline.metrics.selectors import (
    DIMENSIONS,
    RESOLVE_SECONDS,
    MetricsFilter,
    ack_measured_q,
    aggregate_settings,
    decided_measured_q,
    hours,
    pct,
    resolved_measured_q,
    restricted_to,
    slice_labels,
    undecided_aggregates,
    visible_facts,
    with_running_clock,
)
from trustline.metrics.sql import EpochSeconds

BUCKETS = ("day", "week")
BACKLOG_DIMENSIONS = ("tier", "country", "language", "crisis", "category", "partner", "imminent_harm")


@dataclasses.dataclass
class SeriesPoint:
    """One bucket (a local day, or an ISO week starting Monday) of items received in it."""

    start: dt.date
    items_received: int
    ack_within_target_pct: float | None
    decided_within_target_pct: float | None
    resolved_within_5d_pct: float | None
    resolved_measured: int


@dataclasses.dataclass
class BacklogRow:
    key: Any
    label: str
    items: int
    cases: int
    overdue_items: int
    mean_age_hours: float | None
    oldest_age_hours: float | None


def _whole_hour_days(period: Period) -> bool:
    """Every local midnight of ``period`` (and its end) is a whole UTC hour: hour buckets add up to its days."""
    day = period.first
    while day <= period.after:
        if not whole_hours(dt.datetime.combine(day, dt.time(), period.zone)):
            return False
        day += dt.timedelta(days=1)
    return True


def _series_from_counts(
    scope: CubeScope, facts: QuerySet[Any], period: Period, trunc: Any, now: dt.datetime,
) -> list[dict[str, Any]]:
    """The grouped rows of :func:`sla_series`, summed from the hourly counts plus the undecided items' part."""
    counts = HourCount.objects.filter(dimension=scope.dimension, hour__gte=period.start, hour__lt=period.end)
    if scope.key is not None:
        counts = counts.filter(key=scope.key)
    rows = {
        row["bucket"]: row for row in
        counts.annotate(bucket=trunc("hour", tzinfo=period.zone)).order_by().values("bucket").annotate(
            n=Sum("items_received"), ack_ok=Sum("ack_on_time"), ack_n=Sum("ack_measured"),
            dec_ok=Sum("decided_on_time"), dec_n=Sum("decided_measured"), res_ok=Sum("resolved_5d"),
            res_n=Sum("resolved_measured"),
        )
    }
    undecided = facts.filter(decided_at__isnull=True).annotate(bucket=trunc("received_at", tzinfo=period.zone))
    extras = undecided_aggregates(now)
    for extra in undecided.order_by().values("bucket").annotate(**extras):
        row = rows.get(extra["bucket"])
        if row is not None:
            row["ack_n"] += extra["ack_measured"]
            row["dec_n"] += extra["decided_measured"]
            row["res_n"] += extra["resolved_measured"]
    return [row for _, row in sorted(rows.items()) if row["n"]]


def sla_series(
    *, actor: Actor, period: Period, bucket: str = "day", filters: MetricsFilter | None = None,
) -> list[SeriesPoint]:
    """SLA attainment per local day or week of receipt in ``period`` (one grouped query).

    Buckets are cut in the period's time zone (``TruncDay``/``TruncWeek``
    with ``tzinfo``), so a Khartoum dashboard's "Tuesday" is Khartoum's.
    Buckets with no items are absent; the caller fills gaps if it draws them.
    When every local midnight is a whole UTC hour and at most one slice is
    chosen, the buckets are sums of the hourly counts (:mod:`.cube`).
    """
    if bucket not in BUCKETS:
        raise ValidationFailed.field("bucket", "day or week")
    now = clock.now()
    filters = filters or MetricsFilter()
    facts = visible_facts(actor).filter(filters.fact_q())
    facts = with_running_clock(facts.filter(received_at__gte=period.start, received_at__lt=period.end), now)
    trunc = TruncDay if bucket == "day" else TruncWeek
    scope = (cube_scope(restricted_to=restricted_to(actor), filters=filters.as_dict(), group_by=None)
             if facts_as_of() is not None and _whole_hour_days(period) else None)
    ack_m, dec_m, res_m = ack_measured_q(now), decided_measured_q(now), resolved_measured_q()
    grouped = (
        facts.annotate(bucket=trunc("received_at", tzinfo=period.zone)).order_by().values("bucket")
        .annotate(
            n=Count("pk"),
            ack_ok=Count("pk", filter=ack_m & Q(first_action_at__lte=F("ack_due_at"))),
            ack_n=Count("pk", filter=ack_m),
            dec_ok=Count("pk", filter=dec_m & Q(decided_at__lte=F("decide_due_at"))),
            dec_n=Count("pk", filter=dec_m),
            res_ok=Count("pk", filter=Q(turnaround_seconds__lte=RESOLVE_SECONDS)),
            res_n=Count("pk", filter=res_m),
        ).order_by("bucket")
    )
    with transaction.atomic(), aggregate_settings():
        rows = _series_from_counts(scope, facts, period, trunc, now) if scope is not None else list(grouped)
    return [
        SeriesPoint(
            start=row["bucket"].astimezone(period.zone).date() if isinstance(row["bucket"], dt.datetime)
            else row["bucket"],
            items_received=row["n"],
            ack_within_target_pct=pct(row["ack_ok"], row["ack_n"]),
            decided_within_target_pct=pct(row["dec_ok"], row["dec_n"]),
            resolved_within_5d_pct=pct(row["res_ok"], row["res_n"]),
            resolved_measured=row["res_n"],
        )
        for row in rows
    ]


def _backlog_from_counts(
    scope: CubeScope, facts: QuerySet[Any], column: str, dimension: str, now: dt.datetime,
) -> list[dict[str, Any]]:
    """The rows of :func:`backlog_breakdown` from the hourly counts, without reading every backlog item.

    1. Per key: items, cases and the sum of receipt times of the backlog
       (``HourCount``), and the first hour holding any of it.
    2. Overdue: the ``BacklogDue`` hours before the current one, plus the
       facts falling due earlier in this hour (index ``itemfact_backlog_due_idx``).
    3. The oldest item: the facts of each key's first backlog hour only.
    """
    grouped = scope.key is None
    counts = HourCount.objects.filter(dimension=scope.dimension, backlog_items__gt=0)
    dues = BacklogDue.objects.filter(dimension=scope.dimension, hour__lt=hour_of(now), items__gt=0)
    if not grouped:
        counts, dues = counts.filter(key=scope.key), dues.filter(key=scope.key)
    rows: dict[Any, dict[str, Any]] = {}
    sums = {"n": Sum("backlog_items"), "cases": Sum("backlog_cases"), "received": Sum("backlog_received_sum"),
            "first_hour": Min("hour")}
    for row in _by_key(counts, grouped, sums):
        if row["n"]:
            value = decode_key(dimension, row["key"]) if grouped else _only_value(scope, dimension)
            rows[value] = {column: value, "n": row["n"], "cases": row["cases"], "overdue": 0, "oldest": None,
                           "mean_received": row["received"] / row["n"], "first_hour": row["first_hour"]}
    for row in _by_key(dues, grouped, {"n": Sum("items")}):
        value = decode_key(dimension, row["key"]) if grouped else _only_value(scope, dimension)
        if value in rows:
            rows[value]["overdue"] += row["n"] or 0
    backlog = facts.filter(decided_at__isnull=True, closed_at__isnull=True)
    due_now = backlog.filter(decide_due_at__gte=hour_of(now), decide_due_at__lt=now, clock_paused=False)
    for row in due_now.order_by().values(column).annotate(n=Count("pk")):
        if row[column] in rows:
            rows[row[column]]["overdue"] += row["n"]
    first_hours = Q(pk__in=[])
    for value, row in rows.items():
        first_hours |= Q(**{column: value}, received_at__gte=row["first_hour"],
                         received_at__lt=row["first_hour"] + dt.timedelta(hours=1))
    for row in backlog.filter(first_hours).order_by().values(column).annotate(oldest=Min("received_at")):
        if row[column] in rows:
            rows[row[column]]["oldest"] = row["oldest"]
    return sorted(rows.values(), key=lambda row: -row["n"])


def _by_key(qs: QuerySet[Any], grouped: bool, sums: dict[str, Any]) -> list[dict[str, Any]]:
    """``sums`` per ``key`` (grouped), or over all the rows (one row)."""
    return list(qs.order_by().values("key").annotate(**sums)) if grouped else [qs.aggregate(**sums)]


def _only_value(scope: CubeScope, dimension: str) -> Any:
    """The one value a narrowed scope stands for (``cube_scope`` narrows only by the grouped dimension)."""
    return decode_key(dimension, scope.key or "")


def backlog_breakdown(
    *, actor: Actor, dimension: str = "tier", filters: MetricsFilter | None = None,
) -> list[BacklogRow]:
    """The backlog now (items neither decided nor closed), by ``dimension``, with age and overdue counts.

    From the hourly counts (:func:`_backlog_from_counts`) when no other
    slice is chosen; otherwise from the facts, through the covering partial
    index ``itemfact_backlog_items_idx``. "Overdue" = past the decide-by
    time and the clock not paused.
    """
    if dimension not in BACKLOG_DIMENSIONS:
        raise ValidationFailed.field("dimension", f"one of {', '.join(BACKLOG_DIMENSIONS)}")
    now = clock.now()
    column = DIMENSIONS[dimension]
    filters = filters or MetricsFilter()
    facts = visible_facts(actor).filter(filters.fact_q())
    scope = (cube_scope(restricted_to=restricted_to(actor), filters=filters.as_dict(), group_by=dimension)
             if facts_as_of() is not None else None)
    with transaction.atomic(), aggregate_settings():
        if scope is not None:
            rows = _backlog_from_counts(scope, facts, column, dimension, now)
        else:
            rows = list(
                facts.filter(decided_at__isnull=True, closed_at__isnull=True).order_by().values(column).annotate(
                    n=Count("pk"), cases=Count("case_id", distinct=True),
                    overdue=Count("pk", filter=Q(decide_due_at__lt=now, clock_paused=False)),
                    mean_received=Avg(EpochSeconds(F("received_at"))), oldest=Min("received_at"),
                ).order_by("-n")
            )
    labels = slice_labels(dimension, [row[column] for row in rows])
    return [
        BacklogRow(
            key=row[column], label=labels[row[column]], items=row["n"], cases=row["cases"],
            overdue_items=row["overdue"],
            mean_age_hours=hours(now.timestamp() - row["mean_received"]) if row["mean_received"] else None,
            oldest_age_hours=hours((now - row["oldest"]).total_seconds()) if row["oldest"] else None,
        )
        for row in rows
    ]
