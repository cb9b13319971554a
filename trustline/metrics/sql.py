"""Portable SQL building blocks for the metrics: epoch seconds, nearest-rank percentiles.

Everything here compiles to plain SQL on both SQLite and PostgreSQL, so the
same selector gives the same numbers on either database (the tests run on
both and compare against hand-computed values).

Percentiles use the **nearest-rank** definition on both databases: the p-th
percentile of n values sorted ascending is the value at rank ``ceil(p * n)``
(1-based). PostgreSQL computes it with the ordered-set aggregate
``percentile_disc`` (which is exactly nearest-rank); SQLite has no ordered-set
aggregates, so there it is a window query (``ROW_NUMBER`` and ``COUNT`` over
each group) that keeps the row at that rank. ``percentile_cont`` (linear
interpolation) was not used because SQLite could not reproduce it cheaply and
because a reported median should be a turnaround that actually happened.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Expression, F, FloatField, Func, QuerySet
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


def seconds_between(start: str | Combinable, end: str | Combinable) -> Combinable:
    """``end - start`` in seconds (float); null if either is null."""
    a = F(start) if isinstance(start, str) else start
    b = F(end) if isinstance(end, str) else end
    return EpochSeconds(b) - EpochSeconds(a)


class PercentileDisc(Aggregate):
    """PostgreSQL ``percentile_disc(p) WITHIN GROUP (ORDER BY expr)``: the nearest-rank percentile."""

    function = "percentile_disc"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def grouped_percentiles(
    qs: QuerySet[Any], *, value: Expression | Combinable, fractions: Sequence[float], group: str | None = None,
) -> dict[Any, dict[float, float | None]]:
    """Nearest-rank percentiles of ``value`` over the rows of ``qs``, per value of ``group`` (or overall).

    Returns ``{group_value: {fraction: percentile}}`` (the key is ``None``
    without ``group``); rows where ``value`` is null are ignored, and a group
    with no values is absent.

    1. Annotate the queryset with the value (``_v``) and the group (``_g``),
       dropping null values.
    2. PostgreSQL: one ``GROUP BY _g`` with a ``percentile_disc`` per fraction.
    3. SQLite: wrap the compiled query; number the rows of each group in
       ascending order and count them (window functions), then for each
       fraction keep the value whose row number is ``ceil(p * n)``. The
       ``ceil`` is done portably as ``CAST(p*n AS INTEGER)`` plus one when
       ``p*n`` is not whole.
    """
    annotated = qs.annotate(_v=value).filter(_v__isnull=False)
    annotated = annotated.annotate(_g=F(group)) if group else annotated.alias()
    names = ["_g", "_v"] if group else ["_v"]
    if connection.vendor == "postgresql":
        aggs = {f"p{i}": PercentileDisc(F("_v"), p) for i, p in enumerate(fractions)}
        grouped = annotated.order_by().values(*names[:-1]) if group else annotated.order_by()
        rows = list(grouped.annotate(**aggs).values("_g", *aggs)) if group else [grouped.aggregate(**aggs)]
        result: dict[Any, dict[float, float | None]] = {}
        for row in rows:
            if all(row[k] is None for k in aggs):
                continue
            result[row["_g"] if group else None] = {p: row[f"p{i}"] for i, p in enumerate(fractions)}
        return result
    inner_sql, params = annotated.order_by().values(*names).query.sql_with_params()
    part = f"PARTITION BY {_quote('_g')} " if group else ""
    picks = []
    for i, p in enumerate(fractions):
        rank = f"(CAST({p!r} * n AS INTEGER) + (CASE WHEN CAST({p!r} * n AS INTEGER) < {p!r} * n THEN 1 ELSE 0 END))"
        picks.append(f"MAX(CASE WHEN rn = MAX(1, {rank}) THEN v END) AS p{i}")
    g_select = f"{_quote('_g')} AS g, " if group else "NULL AS g, "
    # Only identifiers we quoted and the compiled inner query (its values stay parameters) go in here.
    sql = (
        f"SELECT g, {', '.join(picks)} FROM ("  # noqa: S608 - only quoted identifiers and compiled SQL
        f"SELECT {g_select}{_quote('_v')} AS v, "
        f"ROW_NUMBER() OVER ({part}ORDER BY {_quote('_v')}) AS rn, "
        f"COUNT(*) OVER ({part.strip()}) AS n FROM ({inner_sql}) AS inner_q"
        f") AS ranked GROUP BY g"
    )
    out: dict[Any, dict[float, float | None]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            out[row[0]] = {p: row[1 + i] for i, p in enumerate(fractions)}
    return out


def nearest_rank(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile of a small in-memory list (used by tests and docs examples only)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]
