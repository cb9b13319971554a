"""API shapes for spikes, incidents and the insight report."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from trustline.trends.choices import IncidentKind, Signal, SpikeStatus

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SpikeFilter(Schema):
    status: SpikeStatus | None = None
    country: str | None = Field(None, max_length=2)
    category: str | None = Field(None, max_length=64)
    language: str | None = Field(None, max_length=8)
    day_from: dt.date | None = Field(None, alias="from")
    day_to: dt.date | None = Field(None, alias="to")


class SameWeekdayOut(Schema):
    day: dt.date
    count: int


class SpikeEvidenceOut(Schema):
    same_weekday: list[SameWeekdayOut] = Field(description="the same weekday in the previous weeks, oldest first")
    baseline_from: dt.date
    baseline_to: dt.date
    baseline_days: int
    baseline_total: int = Field(description="reports of the series over the baseline days")
    weekday_factor: float = Field(description="how busy this weekday is, pooled over the programme (mean 1)")
    dispersion: float = Field(description="index of dispersion of the baseline days (1 for Poisson)")


class SpikeOut(Schema):
    id: uuid.UUID
    day: dt.date
    country: str
    category: str
    language: str
    observed: int
    expected: float
    p_value: float = Field(description="level test, before the correction across series")
    p_same_weekday: float
    series_tested: int
    method: str
    evidence: SpikeEvidenceOut
    status: SpikeStatus
    detected_at: dt.datetime
    updated_at: dt.datetime
    dismissed_at: dt.datetime | None
    dismissed_by: str | None
    dismiss_reason: str


class SpikeDismissIn(Schema):
    model_config = _STRICT

    reason: str = Field(max_length=2000, description="why this is a false alarm (kept with the spike, audited)")


class IncidentFilter(Schema):
    kind: IncidentKind | None = None
    country: str | None = Field(None, max_length=2)
    since: dt.datetime | None = Field(None, description="last seen at or after this moment")


class IncidentOut(Schema):
    id: uuid.UUID
    kind: IncidentKind
    title: str
    member_count: int
    account_count: int
    partner_count: int
    countries: list[str]
    languages: list[str]
    categories: list[str]
    signals: dict[str, int]
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    created_at: dt.datetime


class IncidentDetailOut(IncidentOut):
    open_cases: int
    decidable_case_ids: list[uuid.UUID] = Field(
        description="open, undecided members: what POST .../decide decides (or POST /decisions/bulk in parts)"
    )
    sample_texts: list[str] = Field(description="a few distinct excerpts partners copied (staff only)")


class IncidentMemberOut(Schema):
    case_id: uuid.UUID
    signal: Signal
    signal_value: str
    matched_case_id: uuid.UUID | None
    similarity: float | None
    joined_at: dt.datetime
    case_status: str
    country: str
    category: str
    opened_at: dt.datetime


class InsightReportQuery(Schema):
    period_from: dt.date = Field(alias="from")
    period_to: dt.date = Field(alias="to")
    partner: str | None = Field(None, max_length=80, description="staff: one partner's version (its slug)")
    format: Literal["html", "pdf"] = "html"
