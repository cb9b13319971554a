"""API shapes of the transparency exports: Filter schemas for the query strings, Out schemas for JSON."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field, model_validator

_FILTER = ConfigDict(extra="forbid", populate_by_name=True)
MAX_PERIOD_DAYS = 3 * 366


class PeriodFilter(Schema):
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD``: UTC days, both included."""

    model_config = _FILTER

    start: dt.date = Field(alias="from", description="first day (UTC), YYYY-MM-DD")
    end: dt.date = Field(alias="to", description="last day (UTC), included")

    @model_validator(mode="after")
    def _ordered(self) -> PeriodFilter:
        if self.end < self.start:
            raise ValueError("'to' is before 'from'")
        if (self.end - self.start).days > MAX_PERIOD_DAYS:
            raise ValueError(f"at most {MAX_PERIOD_DAYS} days at once")
        return self


class StatementFilter(PeriodFilter):
    format: Literal["jsonl", "batches"] = Field(
        "jsonl", description='jsonl: one statement per line; batches: one {"statements": [...]} (<= 100) per line')


class ReportFilter(PeriodFilter):
    section: Literal[
        "4_notices", "7_appeals_and_recidivism", "3_member_states_orders", "x_notices_by_trusted_flagger"
    ] = "4_notices"
    format: Literal["csv", "json"] = "csv"


class PartnerReportFilter(Schema):
    model_config = _FILTER

    year: int = Field(ge=2020, le=2100, description="calendar year (UTC)")
    organisation: str | None = Field(None, max_length=80, description="staff: the partner's slug")
    format: Literal["json", "csv"] = "json"


class SkippedOut(Schema):
    decision_id: str
    puid: str
    reason: str
    detail: str
    needs_attention: bool


class SectionOut(Schema):
    name: str
    title: str
    columns: list[str]
    rows: list[list[str | int | float]]


class PartnerRowOut(Schema):
    type_of_content: str
    action_taken: str
    notices: int
    items: int


class PartnerReportOut(Schema):
    legal_basis: str
    trusted_flagger: str
    period: str
    hosting_provider: str
    total_notices: int
    rows: list[PartnerRowOut]


class SubmissionSummaryOut(Schema):
    enabled: bool
    base_url: str
    counts: dict[str, int]
    needs_attention: list[dict[str, str]]
