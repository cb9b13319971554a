"""Reading the metrics: the figures of a period per slice, with the change against the previous period.

Public selectors (the console's dashboards call these; every one takes the
actor first and narrows to what it may see):

* :func:`metrics_table` - the full table of figures for a period, one row
  per value of a dimension (or only the total), with the previous period
  and the change.
* :func:`sla_series` and :func:`backlog_breakdown` (in :mod:`.series`) - the
  data behind the dashboards.
* :func:`partner_scorecard` / :func:`scorecard_list` (in :mod:`.scorecards`).

Every figure is computed by the database from the item-fact roll-up
(:mod:`trustline.metrics.facts`): conditional ``COUNT``s, ``AVG``/``MIN``
and nearest-rank percentiles, grouped by the dimension; Python only
assembles the few result rows. The definitions are in docs/metrics.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import Avg, BooleanField, Count, ExpressionWrapper, F, Min, Q, QuerySet, Sum, Value, When
from django.db.models import Case as Switch

from trustline.accounts.models import Organisation
from trustline.accounts.permissions import Actor, Perm
from trustline.appeals.choices import ACTIVE_STATUSES, AppealOutcome
from trustline.appeals.models import Appeal
from trustline.core import clock
from trustline.core.exceptions import PermissionDenied, ValidationFailed
from trustline.metrics.cube import COUNT_COLUMNS as COUNT_COLUMNS_CUBE
from trustline.metrics.cube import (
    RESOLVE_SECONDS,
    CubeScope,
    cube_scope,
    decode_key,
    histogram_percentiles,
    whole_hours,
)
from trustline.metrics.facts import facts_as_of
from trustline.metrics.models import HourCount, ItemFact
from trustline.metrics.periods import Period
from trustline.metrics.sql import EpochSeconds, grouped_percentiles, waiting_at
from trustline.platforms.choices import ActionType
from trustline.review.choices import Outcome

# RESOLVE_SECONDS (from .cube): "resolved within 5 days of escalation", paused time excluded.
FRACTIONS = (0.5, 0.9)

# Dimension name -> the ItemFact column it groups and filters by.
DIMENSIONS: dict[str, str] = {
    "partner": "organisation_id",
    "country": "country",
    "language": "language",
    "category": "category_code",
    "tier": "tier",
    "crisis": "crisis",
    "imminent_harm": "imminent_harm",
}
# The same dimensions on contests (Appeal rows).
_APPEAL_DIMENSIONS: dict[str, Any] = {
    "partner": F("organisation_id"),
    "country": F("country"),
    "language": F("case__language"),
    "category": F("category_code"),
    "tier": F("case__tier"),
    "crisis": ExpressionWrapper(Q(case__priority_components__crisis__gt=0), output_field=BooleanField()),
    "imminent_harm": F("case__imminent_harm"),
}

COUNT_FIELDS = (
    "items_received", "cases_received", "ack_on_time", "ack_measured", "decided_on_time", "decided_measured",
    "resolved_5d", "resolved_measured", "referred_policy", "reversed_on_contest", "backlog_items", "backlog_cases",
    "contests_received",
)
PCT_FIELDS = ("ack_within_target_pct", "decided_within_target_pct", "resolved_within_5d_pct")

HOUR_FIELDS = (
    "turnaround_p50_hours", "turnaround_p90_hours", "first_action_p50_hours", "first_action_p90_hours",
    "backlog_mean_age_hours", "backlog_oldest_age_hours",
)


@dataclasses.dataclass
class MetricsFilter:
    """Slices to keep (``None`` = all). ``organisation_id`` is the partner."""

    organisation_id: int | None = None
    country: str | None = None
    language: str | None = None
    category: str | None = None
    tier: int | None = None
    crisis: bool | None = None
    imminent_harm: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        """The slices set, by dimension name."""
        found = {name: getattr(self, "organisation_id" if name == "partner" else name) for name in DIMENSIONS}
        return {name: value for name, value in found.items() if value is not None}

    def fact_q(self) -> Q:
        q = Q()
        for name, column in DIMENSIONS.items():
            value = getattr(self, "organisation_id" if name == "partner" else name)
            if value is not None:
                q &= Q(**{column: value})
        return q

    def appeal_q(self) -> Q:
        q = Q()
        if self.organisation_id is not None:
            q &= Q(organisation_id=self.organisation_id)
        if self.country is not None:
            q &= Q(country=self.country)
        if self.language is not None:
            q &= Q(case__language=self.language)
        if self.category is not None:
            q &= Q(category_code=self.category)
        if self.tier is not None:
            q &= Q(case__tier=self.tier)
        if self.crisis is not None:
            q &= Q(case__priority_components__crisis__gt=0) if self.crisis else ~Q(
                case__priority_components__crisis__gt=0)
        if self.imminent_harm is not None:
            q &= Q(case__imminent_harm=self.imminent_harm)
        return q


@dataclasses.dataclass
class Figures:
    """The figures of one slice in one period (see docs/metrics.md for each definition)."""

    items_received: int = 0
    cases_received: int = 0
    ack_on_time: int = 0
    ack_measured: int = 0
    ack_within_target_pct: float | None = None
    decided_on_time: int = 0
    decided_measured: int = 0
    decided_within_target_pct: float | None = None
    resolved_5d: int = 0
    resolved_measured: int = 0
    resolved_within_5d_pct: float | None = None
    turnaround_p50_hours: float | None = None
    turnaround_p90_hours: float | None = None
    first_action_p50_hours: float | None = None
    first_action_p90_hours: float | None = None
    backlog_items: int = 0
    backlog_cases: int = 0
    backlog_mean_age_hours: float | None = None
    backlog_oldest_age_hours: float | None = None
    outcomes: dict[str, int] = dataclasses.field(default_factory=dict)
    actions: dict[str, int] = dataclasses.field(default_factory=dict)
    referred_policy: int = 0
    reversed_on_contest: int = 0
    contests_received: int = 0
    contest_outcomes: dict[str, int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class MetricsRow:
    key: Any
    label: str
    current: Figures
    previous: Figures
    change: dict[str, float | None]


@dataclasses.dataclass
class MetricsTable:
    period: Period
    previous_period: Period
    group_by: str | None
    rows: list[MetricsRow]  # the total first, then one per value of ``group_by``
    facts_as_of: dt.datetime | None
    computed_at: dt.datetime


# --- Who sees what ----------------------------------------------------------------------


def visible_facts(actor: Actor) -> QuerySet[ItemFact]:
    """Every fact for staff with ``metrics.view``; only the partner's own items with ``metrics.view_own``."""
    if actor.has(Perm.METRICS_VIEW) or actor.has(Perm.SCORECARD_VIEW):
        return ItemFact.objects.all()
    if actor.has(Perm.METRICS_VIEW_OWN) and actor.organisation_id is not None and not actor.is_staff_side:
        return ItemFact.objects.filter(organisation_id=actor.organisation_id)
    raise PermissionDenied("Your role does not allow this (metrics.view).", code="forbidden")


def restricted_to(actor: Actor) -> int | None:
    """The organisation :func:`visible_facts` limits ``actor`` to, if any."""
    if actor.has(Perm.METRICS_VIEW) or actor.has(Perm.SCORECARD_VIEW):
        return None
    return actor.organisation_id


def visible_appeals(actor: Actor) -> QuerySet[Appeal]:
    if actor.has(Perm.METRICS_VIEW) or actor.has(Perm.SCORECARD_VIEW):
        return Appeal.objects.all()
    return Appeal.objects.filter(organisation_id=actor.organisation_id or 0)


# --- The figures ------------------------------------------------------------------------


def pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def hours(seconds: float | None) -> float | None:
    return round(seconds / 3600.0, 2) if seconds is not None else None


def ack_measured_q(now: dt.datetime) -> Q:
    """Items whose acknowledgement is settled: acted on, or the acknowledge-by time has passed."""
    return Q(ack_due_at__isnull=False) & (Q(first_action_at__isnull=False) | Q(ack_due_at__lt=now))


def decided_measured_q(now: dt.datetime) -> Q:
    """Items whose decide-by target is settled: decided, or past due with the clock running."""
    return Q(decide_due_at__isnull=False) & (
        Q(decided_at__isnull=False) | Q(decide_due_at__lt=now, clock_paused=False))


def resolved_measured_q() -> Q:
    """Items whose 5-day test is settled: decided, or undecided with more than 5 days of running clock.

    Needs the ``_elapsed`` alias of :func:`with_running_clock`.
    """
    return Q(decided_at__isnull=False) | Q(decided_at__isnull=True, clock_paused=False,
                                           _elapsed__gte=RESOLVE_SECONDS)


def _period_aggregates(now: dt.datetime) -> dict[str, Any]:
    """The conditional aggregates over the facts of items received in a period."""
    ack_measured = ack_measured_q(now)
    decided_measured = decided_measured_q(now)
    aggs: dict[str, Any] = {
        "items_received": Count("pk"),
        "cases_received": Count("pk", filter=Q(opens_case=True)),
        "ack_on_time": Count("pk", filter=ack_measured & Q(first_action_at__lte=F("ack_due_at"))),
        "ack_measured": Count("pk", filter=ack_measured),
        "decided_on_time": Count("pk", filter=decided_measured & Q(decided_at__lte=F("decide_due_at"))),
        "decided_measured": Count("pk", filter=decided_measured),
        "resolved_5d": Count("pk", filter=Q(turnaround_seconds__lte=RESOLVE_SECONDS)),
        "resolved_measured": Count("pk", filter=resolved_measured_q()),
        "referred_policy": Count("pk", filter=Q(referred_policy=True)),
        "reversed_on_contest": Count("pk", filter=Q(reversed_on_contest=True)),
    }
    for outcome in Outcome:
        aggs[f"outcome__{outcome.value}"] = Count("pk", filter=Q(outcome=outcome.value))
    for action in ActionType:
        aggs[f"action__{action.value}"] = Count("pk", filter=Q(actions__contains=f'"{action.value}"'))
    return aggs


def with_running_clock(qs: QuerySet[ItemFact], now: dt.datetime) -> QuerySet[ItemFact]:
    """Annotate running-clock seconds since receipt (now - received - paused) for the 5-day test."""
    return qs.alias(_elapsed=Value(now.timestamp()) - EpochSeconds(F("received_at")) - F("paused_seconds"))


def _grouped(qs: QuerySet[Any], columns: list[str], aggs: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    """``GROUP BY columns`` (none: one row); keys are tuples of the column values."""
    if not columns:
        return {(): qs.order_by().aggregate(**aggs)}
    rows = qs.order_by().values(*columns).annotate(**aggs)
    return {tuple(row[c] for c in columns): row for row in rows}


def _figures_of(row: dict[str, Any]) -> Figures:
    counts: dict[str, Any] = {f: row[f] or 0 for f in (
        "items_received", "cases_received", "ack_on_time", "ack_measured", "decided_on_time",
        "decided_measured", "resolved_5d", "resolved_measured", "referred_policy", "reversed_on_contest")}
    fig = Figures(**counts)
    fig.ack_within_target_pct = pct(fig.ack_on_time, fig.ack_measured)
    fig.decided_within_target_pct = pct(fig.decided_on_time, fig.decided_measured)
    fig.resolved_within_5d_pct = pct(fig.resolved_5d, fig.resolved_measured)
    fig.outcomes = {o.value: row[f"outcome__{o.value}"] for o in Outcome if row[f"outcome__{o.value}"]}
    fig.actions = {a.value: row[f"action__{a.value}"] for a in ActionType if row[f"action__{a.value}"]}
    return fig


def undecided_aggregates(now: dt.datetime) -> dict[str, Any]:
    """What the hourly counts leave out: undecided items whose targets the passing of time has settled.

    Over items with ``decided_at`` null (and :func:`with_running_clock`):
    acknowledge-by passed with no action yet, decide-by passed with the
    clock running, and 5 days of running clock gone by.
    """
    return {
        "ack_measured": Count("pk", filter=Q(ack_due_at__isnull=False, first_action_at__isnull=True,
                                              ack_due_at__lt=now)),
        "decided_measured": Count("pk", filter=Q(decide_due_at__isnull=False, decide_due_at__lt=now,
                                                  clock_paused=False)),
        "resolved_measured": Count("pk", filter=Q(clock_paused=False, _elapsed__gte=RESOLVE_SECONDS)),
    }


def _cube_grouped(
    scope: CubeScope, facts: QuerySet[ItemFact], periods: tuple[Period, Period], column: str | None,
    now: dt.datetime,
) -> dict[Any, dict[str, Any]]:
    """The rows :func:`_grouped` would give over ``_period_aggregates``, from the hourly counts.

    1. Sum the hourly counts of the scope over both periods, by period
       (and by key when grouping).
    2. Add the undecided items' time-settled counts, read from the facts
       (partial index ``itemfact_undecided_idx``), by period and slice.
    """
    current, previous = periods
    rows = HourCount.objects.filter(dimension=scope.dimension, hour__gte=previous.start, hour__lt=current.end)
    if scope.key is not None:
        rows = rows.filter(key=scope.key)
    rows = rows.annotate(_p=Switch(When(hour__gte=current.start, then=Value(0)), default=Value(1)))
    names = ["_p", *(["key"] if column else [])]
    out: dict[Any, dict[str, Any]] = {}
    sums = {c: Sum(c) for c in COUNT_COLUMNS_CUBE}
    for row in rows.order_by().values(*names).annotate(**sums):
        key = (row["_p"], decode_key(scope.dimension, row["key"])) if column else (row["_p"],)
        found = {name: row[name] or 0 for name in COUNT_COLUMNS_CUBE}
        for outcome in Outcome:
            found[f"outcome__{outcome.value}"] = found.pop(f"outcome_{outcome.value}")
        for action in ActionType:
            found[f"action__{action.value}"] = found.pop(f"action_{action.value}")
        out[key] = found
    flag = Switch(When(received_at__gte=current.start, then=Value(0)), default=Value(1))
    undecided = with_running_clock(facts.filter(
        decided_at__isnull=True, received_at__gte=previous.start, received_at__lt=current.end), now).annotate(_p=flag)
    extras = undecided_aggregates(now)
    for key, extra in _grouped(undecided, ["_p", *([column] if column else [])], extras).items():
        if key in out:
            for name in extras:
                out[key][name] += extra[name] or 0
    return out


def _both_periods_figures(
    facts: QuerySet[ItemFact], appeals: QuerySet[Appeal], periods: tuple[Period, Period], column: str | None,
    dimension: str | None, now: dt.datetime, scope: CubeScope | None = None,
) -> tuple[dict[Any, Figures], dict[Any, Figures]]:
    """The figures of a period and the one before it, per value of ``column`` (``None``: one total).

    The previous period ends where the current one starts, so one scan of
    the facts received in both, grouped by period (``_p``: 0 current, 1
    previous) and slice, gives the counts of both.

    1. Items received: one grouped aggregate (counts, target attainment,
       outcomes, actions), or with a ``scope`` the sums of the hourly counts
       (:func:`_cube_grouped`).
    2. Percentiles of turnaround and first action, per period and slice, by
       the histogram query of :mod:`.sql` (binned durations); for the total,
       from the day histograms plus the facts of the edge hours.
    3. The backlog at each period's end (or now, if sooner): items received
       before then and neither decided nor closed by then.
    4. Contests received in either period, by outcome, from the contest table.
    """
    current, previous = periods
    columns = ["_p", *([column] if column else [])]
    flag = Switch(When(received_at__gte=current.start, then=Value(0)), default=Value(1))
    both = with_running_clock(
        facts.filter(received_at__gte=previous.start, received_at__lt=current.end), now).annotate(_p=flag)
    result: tuple[dict[Any, Figures], dict[Any, Figures]] = ({}, {})
    counted = (_cube_grouped(scope, facts, periods, column, now) if scope is not None
               else _grouped(both, columns, _period_aggregates(now)))
    for key, row in counted.items():
        fig = _figures_of(row)
        if fig.items_received:
            result[key[0]][key[1] if column else None] = fig
    for field, prefix in (("turnaround_seconds", "turnaround"), ("first_action_seconds", "first_action")):
        if scope is not None and scope.dimension == "" and column is None:  # the total: day histograms
            by_index = histogram_percentiles(facts, bounds=[previous.start, current.start, current.end],
                                             measure=prefix, fractions=FRACTIONS)
            found_ps: dict[tuple[Any, ...], dict[float, float | None]] = {
                (1 - key[0],): ps for key, ps in by_index.items()}  # bounds index 0 is the previous
        else:
            found_ps = grouped_percentiles(both, value=F(field), fractions=FRACTIONS, groups=columns)
        for key, ps in found_ps.items():
            found = result[key[0]].get(key[1] if column else None)
            if found is not None:
                setattr(found, f"{prefix}_p50_hours", hours(ps[0.5]))
                setattr(found, f"{prefix}_p90_hours", hours(ps[0.9]))
    backlog_aggs = {"n": Count("pk"), "cases": Count("case_id", distinct=True),
                    "mean_received": Avg(EpochSeconds(F("received_at"))), "oldest": Min("received_at")}
    for index, period in enumerate(periods):
        at = min(period.end, now)
        # The facts hold no time after their refresh: at or after now, the backlog now, by the covering index.
        backlog = facts.filter(decided_at__isnull=True, closed_at__isnull=True) if at >= now else waiting_at(facts, at)
        for key, row in _grouped(backlog, columns[1:], backlog_aggs).items():
            fig = result[index].setdefault(key[0] if column else None, Figures())
            fig.backlog_items, fig.backlog_cases = row["n"], row["cases"]
            if row["n"]:
                fig.backlog_mean_age_hours = hours(at.timestamp() - row["mean_received"])
                fig.backlog_oldest_age_hours = hours((at - row["oldest"]).total_seconds())
    contests = appeals.filter(received_at__gte=previous.start, received_at__lt=current.end).annotate(
        _p=Switch(When(received_at__gte=current.start, then=Value(0)), default=Value(1)))
    if dimension is not None:
        contests = contests.annotate(_g=_APPEAL_DIMENSIONS[dimension])
    contest_aggs: dict[str, Any] = {"n": Count("pk"), "open": Count("pk", filter=Q(status__in=ACTIVE_STATUSES))}
    for outcome in AppealOutcome:
        contest_aggs[outcome.value] = Count("pk", filter=Q(outcome=outcome.value))
    for key, row in _grouped(contests, ["_p", "_g"] if dimension else ["_p"], contest_aggs).items():
        if not row["n"]:
            continue
        fig = result[key[0]].setdefault(key[1] if dimension else None, Figures())
        fig.contests_received = row["n"]
        fig.contest_outcomes = {k: row[k] for k in ("open", *[o.value for o in AppealOutcome]) if row[k]}
    return result


def _change(current: Figures, previous: Figures) -> dict[str, float | None]:
    """Current minus previous: counts in units, percentages in percentage points, times in hours."""
    change: dict[str, float | None] = {}
    for name in (*COUNT_FIELDS, *PCT_FIELDS, *HOUR_FIELDS):
        a, b = getattr(current, name), getattr(previous, name)
        change[name] = None if a is None or b is None else round(a - b, 2)
    return change


def slice_labels(dimension: str | None, keys: list[Any]) -> dict[Any, str]:
    if dimension == "partner":
        names = dict(Organisation.objects.filter(pk__in=[k for k in keys if k is not None])
                     .values_list("pk", "name"))
        return {k: names.get(k, str(k)) for k in keys}
    if dimension == "tier":
        return {k: f"Tier {k}" if k is not None else "Not triaged" for k in keys}
    if dimension == "crisis":
        return {k: "Crisis" if k else "No crisis" for k in keys}
    if dimension == "imminent_harm":
        return {k: "Imminent harm" if k else "No imminent harm" for k in keys}
    return {k: str(k) if k not in (None, "") else "(none)" for k in keys}


SORT_MEMORY = "128MB"


@contextlib.contextmanager
def aggregate_settings() -> Iterator[None]:
    """On PostgreSQL, this transaction's sorts run in memory, and its queries are not JIT-compiled."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{SORT_MEMORY}'")
            # Many short expressions: compiling them (JIT) costs more than it saves here.
            cursor.execute("SET LOCAL jit = off")
    yield


def metrics_table(
    *, actor: Actor, period: Period, group_by: str | None = None, filters: MetricsFilter | None = None,
) -> MetricsTable:
    """The figures of ``period`` and the previous period, in total and per value of ``group_by``.

    ``group_by`` is one of :data:`DIMENSIONS` (or ``None``); ``filters``
    narrows every figure to a slice. A partner (``metrics.view_own``) only
    ever gets its own organisation's items and contests, whatever it asks.
    """
    if group_by is not None and group_by not in DIMENSIONS:
        raise ValidationFailed.field("group_by", f"one of {', '.join(DIMENSIONS)}")
    filters = filters or MetricsFilter()
    facts = visible_facts(actor).filter(filters.fact_q())
    appeals = visible_appeals(actor).filter(filters.appeal_q())
    now = clock.now()
    previous_period = period.previous()
    column = DIMENSIONS[group_by] if group_by else None
    rows: list[MetricsRow] = []
    # The hourly counts answer when the periods' bounds are whole UTC hours and one dimension at most is involved.
    # Before the first refresh after the upgrade that added them (no watermark), the counts are not there yet.
    as_of = facts_as_of()
    hourly = as_of is not None and whole_hours(previous_period.start, period.start, period.end)
    scopes = [cube_scope(restricted_to=restricted_to(actor), filters=filters.as_dict(), group_by=by) if hourly
              else None for by in (None, group_by)]
    with transaction.atomic(), aggregate_settings():
        totals_now, totals_before = _both_periods_figures(facts, appeals, (period, previous_period), None, None, now,
                                                          scopes[0])
        if column is not None:
            current, before = _both_periods_figures(facts, appeals, (period, previous_period), column, group_by,
                                                    now, scopes[1])
    total_now, total_before = totals_now.get(None, Figures()), totals_before.get(None, Figures())
    rows.append(MetricsRow(key=None, label="All", current=total_now, previous=total_before,
                           change=_change(total_now, total_before)))
    if column is not None:
        keys = sorted(set(current) | set(before), key=lambda k: (k is None, str(k)))
        labels = slice_labels(group_by, keys)
        for key in keys:
            a, b = current.get(key, Figures()), before.get(key, Figures())
            rows.append(MetricsRow(key=key, label=labels[key], current=a, previous=b, change=_change(a, b)))
    return MetricsTable(period=period, previous_period=previous_period, group_by=group_by, rows=rows,
                        facts_as_of=as_of, computed_at=now)
