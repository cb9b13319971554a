"""Portable SQL building blocks for the metrics: epoch seconds, nearest-rank percentiles.

Everything here compiles to plain SQL on both SQLite and PostgreSQL, so the
same selector gives the same numbers on either database (the tests run on
both and compare against hand-computed values).

Percentiles use the **nearest-rank** definition on both databases: the p-th
percentile of n values sorted ascending is the value at rank ``ceil(p * n)``
(1-based), computed by one portable query over a histogram of the values
rounded to their bin (:func:`bin_sql`; :func:`grouped_percentiles`). PostgreSQL's
``percentile_disc`` is the same definition but sorts every value in one process; ``percentile_cont``
(linear interpolation) was not used because SQLite could not reproduce it
and because a reported median should be a turnaround that actually happened.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Expression, FloatField, Func, Q, QuerySet
from django.db.models.expressions import Combinable


class EpochSeconds(Func):
    """Seconds since 1970-01-01 UTC of a datetime expression, as a float (null stays null).

    Differences of two ``EpochSeconds`` are durations in seconds, which sum,
    average and sort the same way on both databases (Django's DurationField
    is a bigint of microseconds on SQLite but an interval on PostgreSQL).
    """

    output_field = FloatField()

    def as_sqlite(self, compiler: Any, conn: Any, **extra: Any) -> Any:  # type: ignore[override]  # stubs: mixin
        # SQLite stores aware datetimes as UTC text; julianday() parses it (microseconds included).
        return self.as_sql(compiler, conn, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)", **extra)

    def as_postgresql(self, compiler: Any, conn: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, conn, template="EXTRACT(EPOCH FROM %(expressions)s)::float8", **extra)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


# Duration bins of the percentiles (seconds): (below this, bin width). Beyond the last bound: the hour.
BINS: tuple[tuple[int, int], ...] = ((3600, 60), (48 * 3600, 300))
LAST_BIN = 3600


def bin_sql(value: str) -> str:
    """SQL rounding a duration in seconds to its bin: the minute below 1 h, 5 minutes below 48 h, then the hour.

    Rounding keeps the order of values, so a nearest-rank percentile of the
    binned values is the binned nearest-rank percentile of the values; the
    bin is at most 0.5 minutes off below an hour, 2.5 minutes below two days
    (0.1 % at 48 h), and 30 minutes above (1 % at 48 h). Bins this coarse let
    a day's values fit in a few hundred histogram rows
    (:class:`~trustline.metrics.models.DayHistogram`); the facts use the
    same bins, so both give the same percentile.
    """
    parts = [f"WHEN {value} < {bound} THEN ROUND({value} / {width}.0) * {width}" for bound, width in BINS]
    return f"(CASE {' '.join(parts)} ELSE ROUND({value} / {LAST_BIN}.0) * {LAST_BIN} END)"


def binned_value(seconds: float) -> float:
    """The bin of one duration, as :func:`bin_sql` computes it (half-way values aside)."""
    for bound, width in BINS:
        if seconds < bound:
            return round(seconds / width) * width
    return round(seconds / LAST_BIN) * LAST_BIN


def percentiles_of_histogram(
    histogram_sql: str, params: Sequence[Any], *, fractions: Sequence[float], groups: int,
) -> dict[tuple[Any, ...], dict[float, float | None]]:
    """Nearest-rank percentiles over a histogram query with columns ``g0..g{groups-1}, m, c``.

    ``m`` is a (binned) value, ``c`` how many values it stands for; a group
    value may appear with the same ``m`` on several rows (they are added).

    1. Add the rows of each group and value (``GROUP BY``).
    2. A running total per group (window ``SUM`` in value order) and the
       group's total ``n``.
    3. Per group and fraction, the smallest value whose running total
       reaches the rank ``ceil(p * n)`` (at least 1).
    """
    gcols = [f"g{i}" for i in range(groups)]
    part = f"PARTITION BY {', '.join(gcols)} " if gcols else ""
    picks = []
    for i, p in enumerate(fractions):
        raw = f"CAST({p!r} * n AS INTEGER) + (CASE WHEN CAST({p!r} * n AS INTEGER) < {p!r} * n THEN 1 ELSE 0 END)"
        rank = f"(CASE WHEN {raw} < 1 THEN 1 ELSE {raw} END)"
        picks.append(f"MIN(CASE WHEN cum >= {rank} THEN m END) AS p{i}")
    outer_group = f" GROUP BY {', '.join(gcols)}" if gcols else ""
    lead = "".join(c + ", " for c in gcols)
    sql = (
        f"SELECT {lead}{', '.join(picks)} FROM ("  # noqa: S608 - constants and our own SQL only
        f"SELECT {lead}m, "
        f"SUM(c) OVER ({part}ORDER BY m ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum, "
        f"SUM(c) OVER ({part.strip()}) AS n FROM ("
        f"SELECT {lead}m, SUM(c) AS c FROM ({histogram_sql}) AS rows_in GROUP BY {', '.join([*gcols, 'm'])}"
        f") AS histogram) AS running{outer_group}"
    )
    out: dict[tuple[Any, ...], dict[float, float | None]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        for row in cursor.fetchall():
            key = tuple(row[:groups])
            values = row[groups:]
            if all(v is None for v in values):
                continue
            out[key] = {p: (float(values[i]) if values[i] is not None else None) for i, p in enumerate(fractions)}
    return out


def facts_histogram_sql(
    qs: QuerySet[Any], *, value: Expression | Combinable, groups: Sequence[str] = (),
) -> tuple[str, list[Any]]:
    """The histogram rows (``g0.., m, c``) of ``value`` over ``qs``, binned by :func:`bin_sql`, nulls left out."""
    annotated = qs.annotate(_v=value).filter(_v__isnull=False).order_by()
    inner_sql, params = annotated.values(*groups, "_v").query.sql_with_params()
    g_select = "".join(f"{_quote(name)} AS g{i}, " for i, name in enumerate(groups))
    gcols = [f"g{i}" for i in range(len(groups))]
    sql = (
        f"SELECT {''.join(c + ', ' for c in gcols)}m, COUNT(*) AS c FROM ("  # noqa: S608 - quoted names only
        f"SELECT {g_select}{bin_sql(_quote('_v'))} AS m FROM ({inner_sql}) AS inner_q"
        f") AS valued GROUP BY {', '.join([*gcols, 'm'])}"
    )
    return sql, list(params)


def grouped_percentiles(
    qs: QuerySet[Any], *, value: Expression | Combinable, fractions: Sequence[float], groups: Sequence[str] = (),
) -> dict[tuple[Any, ...], dict[float, float | None]]:
    """Nearest-rank percentiles of ``value`` over ``qs``, per combination of ``groups``, in seconds.

    Returns ``{(group values...): {fraction: percentile}}`` (the key is
    ``()`` without groups); null values are ignored, and a group with no
    values is absent. Values are binned first (:func:`bin_sql`).

    Why a histogram: an ordered-set aggregate (``percentile_disc``) sorts
    every value and cannot run in parallel; counting values per bin is a
    hash aggregate that can, and the cumulative count over the (small)
    histogram is cheap. The same SQL runs on SQLite and PostgreSQL.
    """
    sql, params = facts_histogram_sql(qs, value=value, groups=groups)
    return percentiles_of_histogram(sql, params, fractions=fractions, groups=len(groups))


def nearest_rank(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile of a small in-memory list (used by tests and docs examples only)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def waiting_at(qs: QuerySet[Any], at: Any) -> QuerySet[Any]:
    """The items of ``qs`` in the backlog at the instant ``at``: received before, neither decided nor closed by then.

    (Tried on 7 December 2026, PostgreSQL, 10 M items: a GiST index on each
    item's waiting interval took the quarter's total table from 3.6 s to
    2.2 s, but cost 912 MB and roughly 10 % more per incremental refresh,
    which runs every minute; the slice tables stayed over 8 s. Not kept: see
    docs/performance.md.)
    """
    return qs.filter(received_at__lt=at).filter(
        Q(decided_at__gte=at) | Q(decided_at__isnull=True, closed_at__isnull=True)
        | Q(decided_at__isnull=True, closed_at__gte=at))
