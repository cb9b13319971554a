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


class FlaggerPrecisionOut(Schema):
    organisation: str
    organisation_name: str
    awarding_dsc: str
    items_received: int
    decided: int
    violating: int
    not_violating: int
    out_of_scope: int
    questions_unanswered: int
    precision_pct: float | None
    marked: bool = Field(description="under the precision threshold over enough decided items: for a person to look at")
    last_communication_at: dt.datetime | None


class DscCommunicationIn(PeriodFilter):
    """The period the figures cover (``from``, ``to``), what was sent, and to whom."""

    note: str = Field(max_length=5000, description="what was sent and how, or where it is filed")
    dsc: str = Field("", max_length=200, description="the Digital Services Coordinator; default: the accreditation's")


class DscCommunicationOut(Schema):
    id: int
    organisation: str
    dsc: str
    period_start: dt.date
    period_end: dt.date
    figures: dict[str, object]
    note: str
    sent_at: dt.datetime
