"""The hourly counts (:class:`~trustline.metrics.models.HourCount`): kept in step with the facts, and read back.

Why: the figures of a quarter were ~30 conditional counts over every item
received in it and the quarter before (10 M items: 16 s on the reference
machine). Counted once per UTC hour and per value of each dimension, the
same figures are sums over a few thousand rows. Hours serve every period
whose bounds fall on whole UTC hours, which is every time zone with a
whole-hour offset (the others, and combined filters, read the facts as
before: :func:`cube_scope` decides).

Maintenance is by deltas, in the facts' own transaction
(:func:`trustline.metrics.facts.facts_refresh`):

1. before a chunk of cases' fact rows is deleted, their counts (and
   their day histograms of durations, :class:`~trustline.metrics.models.DayHistogram`)
   are subtracted (``INSERT ... SELECT -count ... ON CONFLICT DO UPDATE``);
2. after they are inserted again (and paused time derived), their counts
   are added the same way;
3. a full rebuild empties the table and counts everything again.

Both databases run the same SQL (SQLite has had ``ON CONFLICT DO UPDATE``
since 3.24).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Case as Switch
from django.db.models import F, Q, QuerySet, Value, When

from trustline.metrics.models import BacklogDue, DayHistogram, HourCount, ItemFact
from trustline.metrics.sql import bin_sql, facts_histogram_sql, percentiles_of_histogram
from trustline.platforms.choices import ActionType
from trustline.review.choices import Outcome

RESOLVE_SECONDS = 5 * 24 * 3600  # the same constant as selectors.RESOLVE_SECONDS (imported there from here)

# Dimension name -> (ItemFact column, SQL giving the key as text). "" is the total.
_BOOL = "CASE WHEN {c} THEN '1' ELSE '0' END"
KEY_SQL: dict[str, str] = {
    "": "''",
    "partner": "CAST(organisation_id AS TEXT)",
    "country": "COALESCE(country, '')",
    "language": "COALESCE(language, '')",
    "category": "COALESCE(category_code, '')",
    "tier": "COALESCE(CAST(tier AS TEXT), '')",
    "crisis": _BOOL.format(c="crisis"),
    "imminent_harm": _BOOL.format(c="imminent_harm"),
}

COUNT_COLUMNS = (
    "items_received", "cases_received", "ack_on_time", "ack_measured", "decided_on_time", "decided_measured",
    "resolved_5d", "resolved_measured", "referred_policy", "reversed_on_contest",
    *(f"outcome_{o.value}" for o in Outcome), *(f"action_{a.value}" for a in ActionType),
)


def _contains(column: str, needle: str) -> str:
    """SQL: ``needle`` (a constant of ours) occurs in the text ``column`` (no LIKE wildcards to escape)."""
    function = "strpos" if connection.vendor == "postgresql" else "instr"
    return f"{function}({column}, '{needle}') > 0"


def _count_sql() -> list[str]:
    """The SELECT expressions of :data:`MAIN_COLUMNS`, for the fact rows of one group (same order).

    Only what no longer changes with time: targets count for items acted on
    (``first_action_at``) or decided (``decided_at``); the rest of the
    "measured" items are counted by :func:`undecided_aggregates` at read time.
    """
    def when(cond: str) -> str:
        return f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)"

    acted = "ack_due_at IS NOT NULL AND first_action_at IS NOT NULL"
    decided = "decide_due_at IS NOT NULL AND decided_at IS NOT NULL"
    return [
        "COUNT(*)",
        when("opens_case"),
        when(f"{acted} AND first_action_at <= ack_due_at"),
        when(acted),
        when(f"{decided} AND decided_at <= decide_due_at"),
        when(decided),
        when(f"turnaround_seconds <= {RESOLVE_SECONDS}"),
        when("decided_at IS NOT NULL"),
        when("referred_policy"),
        when("reversed_on_contest"),
        *(when(f"outcome = '{o.value}'") for o in Outcome),
        *(when(_contains("actions", f'"{a.value}"')) for a in ActionType),
        when(BACKLOG),
        f"SUM(CASE WHEN {BACKLOG} THEN {_epoch_seconds('received_at')} ELSE 0 END)",
    ]


def _truncated(unit: str, column: str = "received_at") -> str:
    """SQL: ``column`` (a datetime) truncated to the UTC ``hour`` or ``day``."""
    if connection.vendor == "postgresql":
        return f"date_trunc('{unit}', {column} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
    pattern = "%%Y-%%m-%%d %%H:00:00" if unit == "hour" else "%%Y-%%m-%%d 00:00:00"
    return f"strftime('{pattern}', {column})"  # SQLite keeps UTC datetimes as text


def _epoch_seconds(column: str) -> str:
    """SQL: whole epoch seconds of a datetime, as an integer (sums of them stay exact)."""
    if connection.vendor == "postgresql":
        return f"CAST(ROUND(EXTRACT(EPOCH FROM {column})) AS BIGINT)"
    return f"CAST(ROUND((julianday({column}) - 2440587.5) * 86400.0) AS INTEGER)"


# Neither decided nor closed. Written with COALESCE on purpose: the planner then cannot use the backlog's
# partial indexes (whose predicate is the two IS NULLs) for a chunk's rows, and takes the case_id index instead
# of walking the whole backlog once per statement.
BACKLOG = "COALESCE(decided_at, closed_at) IS NULL"
# Columns of HourCount written by the main INSERT: the counts, and the backlog's items and receipt times.
MAIN_COLUMNS = (*COUNT_COLUMNS, "backlog_items", "backlog_received_sum")


# Histogram measure -> the ItemFact column binned.
MEASURES = {"turnaround": "turnaround_seconds", "first_action": "first_action_seconds"}


def _add(*, case_ids: Sequence[uuid.UUID] | None, sign: int) -> None:
    """Add (``sign`` 1) or subtract (-1) the counts of these cases' fact rows (``None``: every row).

    One ``INSERT ... SELECT ... GROUP BY`` per dimension, merging into
    existing rows with ``ON CONFLICT DO UPDATE``.
    """
    table = connection.ops.quote_name(HourCount._meta.db_table)
    facts = connection.ops.quote_name(ItemFact._meta.db_table)
    columns = ", ".join(MAIN_COLUMNS)
    merge = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in MAIN_COLUMNS)
    counts = ", ".join(f"{'-' if sign < 0 else ''}{expr}" for expr in _count_sql())
    params: list[Any] = []
    where = "WHERE 1 = 1"  # SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT
    if case_ids is not None:
        field = ItemFact._meta.get_field("case_id")
        params = [field.get_db_prep_value(c, connection) for c in case_ids]
        where = f"WHERE case_id IN ({', '.join(['%s'] * len(params))})"
    histogram = connection.ops.quote_name(DayHistogram._meta.db_table)
    due = connection.ops.quote_name(BacklogDue._meta.db_table)
    n = f"{'-' if sign < 0 else ''}COUNT(*)"
    with connection.cursor() as cursor:
        for dimension, key in KEY_SQL.items():
            cursor.execute(
                f"INSERT INTO {table} (hour, dimension, key, {columns}) "  # noqa: S608 - constants only
                f"SELECT {_truncated('hour')}, '{dimension}', {key}, {counts} FROM {facts} {where} "
                f"GROUP BY 1, 3 ON CONFLICT (dimension, key, hour) DO UPDATE SET {merge}",
                params,
            )
            # A case counts once per slice in the backlog: at its first backlog item (a chunk holds whole cases).
            cursor.execute(
                f"INSERT INTO {table} (hour, dimension, key, backlog_cases) "  # noqa: S608 - constants only
                f"SELECT hour, '{dimension}', key, {n} FROM (SELECT {_truncated('hour')} AS hour, {key} AS key, "
                f"ROW_NUMBER() OVER (PARTITION BY case_id, {key} ORDER BY received_at, item_id) AS rn "
                f"FROM {facts} {where} AND {BACKLOG}) AS firsts WHERE rn = 1 GROUP BY hour, key "
                f"ON CONFLICT (dimension, key, hour) DO UPDATE SET "
                f"backlog_cases = {table}.backlog_cases + excluded.backlog_cases",
                params,
            )
            cursor.execute(
                f"INSERT INTO {due} (hour, dimension, key, items) "  # noqa: S608 - constants only
                f"SELECT {_truncated('hour', 'decide_due_at')}, '{dimension}', {key}, {n} FROM {facts} "
                f"{where} AND {BACKLOG} AND decide_due_at IS NOT NULL AND NOT clock_paused GROUP BY 1, 3 "
                f"ON CONFLICT (dimension, key, hour) DO UPDATE SET items = {due}.items + excluded.items",
                params,
            )
        for measure, column in MEASURES.items():
            cursor.execute(
                f"INSERT INTO {histogram} (day, measure, bin, n) "  # noqa: S608 - constants only
                f"SELECT {_truncated('day')}, '{measure}', CAST({bin_sql(column)} AS BIGINT), {n} FROM {facts} "
                f"{where} AND {column} IS NOT NULL GROUP BY 1, 3 "
                f"ON CONFLICT (measure, day, bin) DO UPDATE SET n = {histogram}.n + excluded.n",
                params,
            )


def cube_subtract(case_ids: Sequence[uuid.UUID]) -> None:
    """Before these cases' facts are replaced: take their counts out."""
    if case_ids:
        _add(case_ids=case_ids, sign=-1)


def cube_add(case_ids: Sequence[uuid.UUID]) -> None:
    """After these cases' facts were written: put their counts in."""
    if case_ids:
        _add(case_ids=case_ids, sign=1)


def cube_rebuild() -> None:
    """Count every fact again (the full rebuild of the facts calls this last)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            tables = [connection.ops.quote_name(m._meta.db_table) for m in (HourCount, DayHistogram, BacklogDue)]
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
    else:
        HourCount.objects.all().delete()
        DayHistogram.objects.all().delete()
        BacklogDue.objects.all().delete()
    _add(case_ids=None, sign=1)


# --- Reading ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CubeScope:
    """Which rows of the hourly counts answer a question: a dimension, and one key of it or all."""

    dimension: str
    key: str | None


def encode_key(dimension: str, value: Any) -> str:
    """A dimension value as the cube stores it (the Python side of :data:`KEY_SQL`)."""
    if dimension in ("crisis", "imminent_harm"):
        return "1" if value else "0"
    return "" if value is None else str(value)


def decode_key(dimension: str, key: str) -> Any:
    """The cube's text key back to the value the facts hold (``MetricsRow.key``)."""
    if dimension == "partner":
        return int(key)
    if dimension == "tier":
        return int(key) if key else None
    if dimension in ("crisis", "imminent_harm"):
        return key == "1"
    return key


def hour_of(instant: dt.datetime) -> dt.datetime:
    """The start of the UTC hour holding ``instant``."""
    return instant.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def whole_hours(*instants: dt.datetime) -> bool:
    """Every instant falls on a whole UTC hour (an hour bucket never straddles them)."""
    return all(hour_of(i) == i for i in instants)


def cube_scope(
    *, restricted_to: int | None, filters: dict[str, Any], group_by: str | None,
) -> CubeScope | None:
    """The cube rows that answer a question, or ``None`` when only the facts can.

    ``filters``: dimension name -> value, the ones set; ``restricted_to``:
    the partner an actor is limited to (its own organisation). The cube
    holds one dimension at a time, so at most one may be narrowed, and a
    grouping must be by that same dimension (or none).
    """
    narrowed = dict(filters)
    if restricted_to is not None:
        if narrowed.get("partner", restricted_to) != restricted_to:
            return None
        narrowed["partner"] = restricted_to
    if len(narrowed) > 1:
        return None
    if not narrowed:
        return CubeScope(dimension=group_by or "", key=None if group_by else "")
    (dimension, value), = narrowed.items()
    if group_by not in (None, dimension):
        return None
    return CubeScope(dimension=dimension, key=encode_key(dimension, value))


def _whole_days(start: dt.datetime, end: dt.datetime) -> tuple[tuple[dt.datetime, dt.datetime] | None,
                                                                  list[tuple[dt.datetime, dt.datetime]]]:
    """``[start, end)`` as the whole UTC days inside it (or ``None``) and the hours left at its edges."""
    first = start.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if first < start:
        first += dt.timedelta(days=1)
    last = end.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if first >= last:
        return None, [(start, end)]
    return (first, last), [(a, b) for a, b in ((start, first), (last, end)) if a < b]


def histogram_percentiles(
    facts: QuerySet[ItemFact], *, bounds: Sequence[dt.datetime], measure: str, fractions: Sequence[float],
) -> dict[tuple[Any, ...], dict[float, float | None]]:
    """Percentiles of ``measure`` per period, from the day histograms and the facts at the periods' edges.

    ``bounds``: ``[b0, b1, ..., bk]``, period ``i`` being ``[b_i, b_{i+1})``;
    the result is keyed ``(i,)`` like :func:`~trustline.metrics.sql.grouped_percentiles`
    grouped by period. ``facts`` must be the unfiltered facts (the
    histograms hold the total only).

    1. Split each period into whole UTC days and edge hours.
    2. Histogram rows of the whole days (``DayHistogram``), labelled with
       their period; the edge hours' facts binned the same way.
    3. Nearest-rank percentiles over their union, per period.
    """
    adapt = connection.ops.adapt_datetimefield_value
    day_parts: list[str] = []
    day_params: list[Any] = []
    edge_q = Q(pk__in=[])
    edge_label: list[When] = []
    for index, (start, end) in enumerate(itertools.pairwise(bounds)):
        days, edges = _whole_days(start, end)
        if days is not None:
            day_parts.append(f"SELECT {index} AS g0, bin AS m, n AS c FROM {{table}} "  # noqa: S608 - constants
                             "WHERE measure = %s AND day >= %s AND day < %s")
            day_params += [measure, adapt(days[0]), adapt(days[1])]
        for a, b in edges:
            edge_q |= Q(received_at__gte=a, received_at__lt=b)
            edge_label.append(When(received_at__gte=a, received_at__lt=b, then=Value(index)))
    table = connection.ops.quote_name(DayHistogram._meta.db_table)
    parts = [part.replace("{table}", table) for part in day_parts]
    params = list(day_params)
    if edge_label:
        edge_facts = facts.filter(edge_q).annotate(_p=Switch(*edge_label, default=Value(-1)))
        edge_sql, edge_params = facts_histogram_sql(edge_facts, value=F(MEASURES[measure]), groups=["_p"])
        parts.append(f"SELECT g0, m, c FROM ({edge_sql}) AS edges")  # noqa: S608 - compiled by the ORM
        params += edge_params
    return percentiles_of_histogram(" UNION ALL ".join(parts), params, fractions=fractions, groups=1)
