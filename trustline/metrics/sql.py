"""Portable SQL building blocks for the metrics: epoch seconds, nearest-rank percentiles.

Everything here compiles to plain SQL on both SQLite and PostgreSQL, so the
same selector gives the same numbers on either database (the tests run on
both and compare against hand-computed values).

Percentiles use the **nearest-rank** definition on both databases: the p-th
percentile of n values sorted ascending is the value at rank ``ceil(p * n)``
(1-based), computed by one portable query over a histogram of the values
rounded to the minute (:func:`grouped_percentiles`). PostgreSQL's
``percentile_disc`` is the same definition but sorts every value in one process; ``percentile_cont``
(linear interpolation) was not used because SQLite could not reproduce it
and because a reported median should be a turnaround that actually happened.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Expression, FloatField, Func, QuerySet
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


def grouped_percentiles(
    qs: QuerySet[Any], *, value: Expression | Combinable, fractions: Sequence[float], groups: Sequence[str] = (),
    resolution: float = 60.0,
) -> dict[tuple[Any, ...], dict[float, float | None]]:
    """Nearest-rank percentiles of ``value`` over ``qs``, per combination of ``groups``, by a histogram.

    Returns ``{(group values...): {fraction: percentile}}`` (the key is
    ``()`` without groups); null values are ignored, and a group with no
    values is absent. Values are rounded to ``resolution`` (a minute for
    durations in seconds) first; rounding keeps the order, so the result is
    the exact nearest-rank percentile of the values, rounded to a minute.

    Why a histogram: an ordered-set aggregate (``percentile_disc``) sorts
    every value and cannot run in parallel; counting values per minute is a
    hash aggregate that can, and the cumulative count over the (small)
    histogram is cheap. The same SQL runs on SQLite and PostgreSQL.

    1. Annotate the value (``_v``) and drop nulls; count rows per group and
       rounded value (``GROUP BY``).
    2. Over the histogram, a running total per group (window ``SUM`` in
       value order) and the group's total ``n``.
    3. Per group and fraction, the smallest value whose running total
       reaches the rank ``ceil(p * n)`` (at least 1).
    """
    annotated = qs.annotate(_v=value).filter(_v__isnull=False).order_by()
    names = [*groups, "_v"]
    inner_sql, params = annotated.values(*names).query.sql_with_params()
    gcols = [f"g{i}" for i in range(len(groups))]
    g_select = "".join(f"{_quote(name)} AS g{i}, " for i, name in enumerate(groups))
    part = f"PARTITION BY {', '.join(gcols)} " if gcols else ""
    group_by = ", ".join([*gcols, "m"])
    picks = []
    for i, p in enumerate(fractions):
        raw = f"CAST({p!r} * n AS INTEGER) + (CASE WHEN CAST({p!r} * n AS INTEGER) < {p!r} * n THEN 1 ELSE 0 END)"
        rank = f"(CASE WHEN {raw} < 1 THEN 1 ELSE {raw} END)"
        picks.append(f"MIN(CASE WHEN cum >= {rank} THEN m END) AS p{i}")
    outer_group = f" GROUP BY {', '.join(gcols)}" if gcols else ""
    sql = (
        f"SELECT {''.join(c + ', ' for c in gcols)}{', '.join(picks)} FROM ("  # noqa: S608 - quoted names only
        f"SELECT {''.join(c + ', ' for c in gcols)}m, "
        f"SUM(c) OVER ({part}ORDER BY m ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum, "
        f"SUM(c) OVER ({part.strip()}) AS n FROM ("
        f"SELECT {''.join(c + ', ' for c in gcols)}m, COUNT(*) AS c FROM ("
        f"SELECT {g_select}ROUND({_quote('_v')} / {resolution!r}) AS m FROM ({inner_sql}) AS inner_q"
        f") AS valued GROUP BY {group_by}) AS histogram) AS running{outer_group}"
    )
    out: dict[tuple[Any, ...], dict[float, float | None]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            key = tuple(row[: len(gcols)])
            values = row[len(gcols):]
            if all(v is None for v in values):
                continue
            out[key] = {p: (float(values[i]) * resolution if values[i] is not None else None)
                        for i, p in enumerate(fractions)}
    return out


def nearest_rank(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile of a small in-memory list (used by tests and docs examples only)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]
