"""API shapes for crises (staff only). Input schemas reject unknown fields."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from trustline.crisis.choices import CrisisState


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CrisisIn(StrictIn):
    name: str = Field(max_length=120, description="e.g. Sudan: El Fasher siege")
    countries: list[str] = Field(default_factory=list, max_length=60, description="ISO 3166-1 alpha-2 codes")
    regions: list[str] = Field(default_factory=list, max_length=20, description="routing regions, e.g. East Africa")
    languages: list[str] = Field(default_factory=list, max_length=60,
                                 description="BCP 47 tags; a bare language covers its dialects; empty = any")
    categories: list[str] = Field(default_factory=list, max_length=60, description="taxonomy codes; empty = any")
    partners: list[int] = Field(default_factory=list, max_length=60,
                                description="reporting partner organisation ids; empty = any")
    level: int = Field(description="1 to 3, 3 the most severe")
    starts_at: dt.datetime | None = Field(None, description="default: now")
    ends_at: dt.datetime | None = Field(None, description="leave empty for an open-ended crisis")
    notes: str = Field("", max_length=10_000)
    oncall_schedule: int | None = Field(None, description="an extra on-call schedule's id (trustline.oncall)")


class CrisisPatch(StrictIn):
    """Only the fields given change; lists replace the whole list."""

    name: str | None = Field(None, max_length=120)
    countries: list[str] | None = Field(None, max_length=60)
    regions: list[str] | None = Field(None, max_length=20)
    languages: list[str] | None = Field(None, max_length=60)
    categories: list[str] | None = Field(None, max_length=60)
    partners: list[int] | None = Field(None, max_length=60)
    level: int | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    notes: str | None = Field(None, max_length=10_000)
    oncall_schedule: int | None = Field(None, description="0 detaches the schedule")


class CrisisEndIn(StrictIn):
    reason: str = Field("", max_length=10_000, description="kept in the audit log")


class PartnerRef(Schema):
    id: int
    slug: str
    name: str


class CrisisOut(Schema):
    id: uuid.UUID
    name: str
    slug: str
    tag: str = Field(description="the label matching cases carry")
    state: CrisisState
    countries: list[str]
    regions: list[str]
    languages: list[str]
    categories: list[str]
    partners: list[PartnerRef]
    level: int
    boost: int = Field(description="priority points matching cases get while it is active")
    sla_factor: float = Field(description="matching cases' SLA targets are multiplied by this")
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    notes: str
    oncall_schedule: int | None
    saved_queue: int | None = Field(description="the shared saved queue of its cases (routing)")
    designated_by: str | None
    ended_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CrisisFilter(Schema):
    state: Literal["scheduled", "active", "ended"] | None = None


class FiguresQuery(Schema):
    bucket: Literal["hour", "day"] = "day"


class WindowOut(Schema):
    start: dt.datetime
    end: dt.datetime
    days: float


class SeriesPoint(Schema):
    at: dt.datetime
    items: int


class VolumeOut(Schema):
    bucket: str
    series: list[SeriesPoint]
    crisis_total: int
    baseline_total: int
    crisis_per_day: float | None
    baseline_per_day: float | None


class SlaOut(Schema):
    decide_due: int
    decide_met: int
    decide_rate: float | None
    ack_due: int
    ack_met: int
    ack_rate: float | None


class CrisisSlaOut(Schema):
    crisis: SlaOut
    baseline: SlaOut


class CategoryCount(Schema):
    code: str
    cases: int


class PartnerCount(Schema):
    slug: str
    name: str
    items: int


class TopCategories(Schema):
    crisis: list[CategoryCount]
    baseline: list[CategoryCount]


class TopPartners(Schema):
    crisis: list[PartnerCount]
    baseline: list[PartnerCount]


class CrisisRef(Schema):
    id: uuid.UUID
    name: str
    slug: str
    level: int


class FiguresOut(Schema):
    crisis: CrisisRef
    period: WindowOut
    baseline: WindowOut
    weeks_compared: int
    volume: VolumeOut
    backlog_by_tier: dict[str, int] = Field(description="open covered cases by tier now")
    sla: CrisisSlaOut
    top_categories: TopCategories
    top_partners: TopPartners
