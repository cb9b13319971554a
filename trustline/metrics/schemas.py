"""API shapes of the metrics: one query schema for period and slice, outputs mirroring the selectors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from trustline.metrics.periods import Period


class PeriodQuery(Schema):
    """Which period, in which time zone."""

    period: str = Field("month", description="week, month, quarter or custom")
    date: dt.date | None = Field(None, description="a day in the period wanted (default: today in tz)")
    from_: dt.date | None = Field(None, alias="from", description="custom: first day (local)")
    to: dt.date | None = Field(None, description="custom: last day (local, inclusive)")
    tz: str = Field("UTC", max_length=64, description="IANA time zone for the period's boundaries")


class MetricsQuery(PeriodQuery):
    """Which period, in which time zone, and which slice (every filter optional)."""

    group_by: str | None = Field(None, description="partner, country, language, category, tier, crisis, imminent_harm")
    partner: str | None = Field(None, max_length=80, description="organisation slug")
    country: str | None = Field(None, max_length=2)
    language: str | None = Field(None, max_length=35)
    category: str | None = Field(None, max_length=64)
    tier: int | None = Field(None, ge=1, le=3)
    crisis: bool | None = None
    imminent_harm: bool | None = None


class SeriesQuery(MetricsQuery):
    bucket: str = Field("day", description="day or week (local to tz)")


class BacklogQuery(Schema):
    dimension: str = Field("tier", description="tier, country, language, crisis, category, partner, imminent_harm")
    partner: str | None = Field(None, max_length=80)
    country: str | None = Field(None, max_length=2)
    language: str | None = Field(None, max_length=35)
    category: str | None = Field(None, max_length=64)
    tier: int | None = Field(None, ge=1, le=3)
    crisis: bool | None = None
    imminent_harm: bool | None = None


class PeriodOut(Schema):
    kind: str
    label: str
    first_day: dt.date
    last_day: dt.date
    tz: str
    start: dt.datetime
    end: dt.datetime

    @staticmethod
    def of(period: Period) -> dict[str, Any]:
        return {"kind": period.kind, "label": period.label, "first_day": period.first,
                "last_day": period.after - dt.timedelta(days=1), "tz": period.tz, "start": period.start,
                "end": period.end}


class FiguresOut(Schema):
    items_received: int
    cases_received: int
    ack_on_time: int
    ack_measured: int
    ack_within_target_pct: float | None
    decided_on_time: int
    decided_measured: int
    decided_within_target_pct: float | None
    resolved_5d: int
    resolved_measured: int
    resolved_within_5d_pct: float | None
    turnaround_p50_hours: float | None
    turnaround_p90_hours: float | None
    first_action_p50_hours: float | None
    first_action_p90_hours: float | None
    backlog_items: int
    backlog_cases: int
    backlog_mean_age_hours: float | None
    backlog_oldest_age_hours: float | None
    outcomes: dict[str, int]
    actions: dict[str, int]
    referred_policy: int
    reversed_on_contest: int
    contests_received: int
    contest_outcomes: dict[str, int]


class RowOut(Schema):
    key: str | None = Field(description="the slice value (partner: organisation slug); null for the total")
    label: str
    current: FiguresOut
    previous: FiguresOut
    change: dict[str, float | None] = Field(
        description="current minus previous: counts, percentage points for *_pct, hours for *_hours")


class TableOut(Schema):
    period: PeriodOut
    previous_period: PeriodOut
    group_by: str | None
    facts_as_of: dt.datetime | None
    computed_at: dt.datetime
    rows: list[RowOut]


class SeriesPointOut(Schema):
    start: dt.date
    items_received: int
    ack_within_target_pct: float | None
    decided_within_target_pct: float | None
    resolved_within_5d_pct: float | None
    resolved_measured: int


class SeriesOut(Schema):
    period: PeriodOut
    bucket: str
    points: list[SeriesPointOut]


class BacklogRowOut(Schema):
    key: str | None
    label: str
    items: int
    cases: int
    overdue_items: int
    mean_age_hours: float | None
    oldest_age_hours: float | None


class BacklogOut(Schema):
    dimension: str
    computed_at: dt.datetime
    rows: list[BacklogRowOut]


class CategoryPrecisionOut(Schema):
    category: str
    items_received: int
    decided: int
    violating: int
    precision_pct: float | None
    all_time_decided: int
    all_time_violating: int
    all_time_precision_pct: float | None


class ScorecardOut(Schema):
    organisation: str
    organisation_name: str
    period: PeriodOut
    previous_period: PeriodOut
    summary: RowOut
    by_category: list[CategoryPrecisionOut]


class WorkloadQuery(PeriodQuery):
    group_by: str | None = Field(
        None, description="category, tier, language, country, imminent_harm, pool or reviewer (managers only)")
    category: str | None = Field(None, max_length=64, description="only holds on cases of this category")
    tier: int | None = Field(None, ge=1, le=3)
    language: str | None = Field(None, max_length=8, description="routing language, e.g. ar")
    country: str | None = Field(None, max_length=2)
    imminent_harm: bool | None = None


class WorkloadFiguresOut(Schema):
    holds: int = Field(description="reviewers' holds on cases that ended in the period")
    decided_holds: int = Field(description="holds that ended in a decision")
    handed_on_holds: int = Field(description="holds released, reassigned or put on hold")
    expired_holds: int = Field(description="holds whose lease ran out (not counted in hours_held)")
    hours_held: float = Field(description="time from claim to end of every hold except expired ones")
    hours_expired: float
    reviewers: int
    minutes_per_decision: float | None = Field(description="hours_held spread over the decisions")
    decide_p50_minutes: float | None = Field(description="median hold ending in a decision (nearest rank)")
    decide_p90_minutes: float | None
    hours_per_week: float = Field(description="hours_held over the period's weeks")


class WorkloadRowOut(Schema):
    key: str | None
    label: str
    figures: WorkloadFiguresOut


class WorkloadOut(Schema):
    period: PeriodOut
    group_by: str | None
    computed_at: dt.datetime
    rows: list[WorkloadRowOut]
