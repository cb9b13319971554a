"""API shapes of the emergency lane and on-call: separate In and Out schemas; In schemas forbid unknown fields."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PageStepOut(Schema):
    sequence: int
    round: int
    step: int
    target: str
    due_at: dt.datetime
    fired_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    paged_user_ids: list[int]
    message_count: int


class LeRequestBriefOut(Schema):
    """What the board may say about a law-enforcement request; its details stay in the law-enforcement area."""

    id: uuid.UUID
    agency: str
    reference: str
    request_type: str
    request_type_label: str
    country: str
    due_at: dt.datetime
    url: str


class EmergencyOut(Schema):
    id: uuid.UUID
    kind: str = Field(description="case or law_enforcement_request")
    case_id: uuid.UUID | None
    le_request: LeRequestBriefOut | None
    state: str
    source: str
    reason: str
    rule_name: str
    opened_at: dt.datetime
    category: str
    country: str
    owner: str | None
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    acknowledged_via: str
    closed_at: dt.datetime | None
    closed_by: str | None
    close_reason: str
    chain: dict[str, Any]
    steps: list[PageStepOut] | None = None


class EmergencyFilter(Schema):
    all: bool = Field(False, description="include resolved and downgraded emergencies (newest first)")


class NoteIn(Schema):
    model_config = _STRICT
    note: str = Field("", max_length=2000)


class ReasonIn(Schema):
    model_config = _STRICT
    reason: str = Field(min_length=1, max_length=2000, description="why the harm is not imminent after all")


class HandOverIn(Schema):
    model_config = _STRICT
    to: str = Field(min_length=1, max_length=150, description="username of the person who takes the emergency")
    note: str = Field("", max_length=2000)


class AckLinkIn(Schema):
    model_config = _STRICT
    token: str = Field(min_length=1, max_length=200)


class PersonOut(Schema):
    id: int
    username: str


class ScheduleIn(Schema):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=120)
    time_zone: str = Field(max_length=64, description="IANA name, e.g. Europe/Berlin")
    rotation: str = Field("weekly", description="daily or weekly")
    handoff_time: dt.time = dt.time(9, 0)
    start_date: dt.date | None = Field(None, description="first local shift date (weekly: its weekday is hand-off day)")
    participants: list[str] = Field(default_factory=list, description="usernames in rotation order")
    is_active: bool = True


class ScheduleOut(Schema):
    id: int
    name: str
    time_zone: str
    rotation: str
    handoff_time: dt.time
    start_date: dt.date
    is_active: bool
    participants: list[PersonOut]


class OverrideIn(Schema):
    model_config = _STRICT
    user: str = Field(min_length=1, max_length=150)
    start_at: dt.datetime
    end_at: dt.datetime
    reason: str = Field("", max_length=300)


class OverrideOut(Schema):
    id: int
    user: PersonOut
    start_at: dt.datetime
    end_at: dt.datetime
    reason: str


class StepIn(Schema):
    model_config = _STRICT
    target: str = Field(
        description="schedule_primary, schedule_secondary, user, escalation_leads, le_liaisons or everyone")
    schedule_id: int | None = None
    user: str | None = Field(None, max_length=150)
    delay_minutes: int = Field(0, ge=0, le=1440, description="after the previous step (step 1: after paging starts)")


class ChainIn(Schema):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=120)
    is_default: bool = False
    repeat_count: int = Field(2, ge=0, le=9)
    repeat_delay_minutes: int = Field(5, ge=1, le=1440)
    steps: list[StepIn] = Field(min_length=1, max_length=10)


class StepOut(Schema):
    position: int
    target: str
    schedule_id: int | None
    user: str | None
    delay_minutes: int


class ChainOut(Schema):
    id: int
    name: str
    is_default: bool
    repeat_count: int
    repeat_delay_minutes: int
    steps: list[StepOut]


class OnCallOut(Schema):
    schedule_id: int
    schedule: str
    time_zone: str
    primary: PersonOut | None
    secondary: PersonOut | None
    shift_start: dt.datetime | None
    shift_end: dt.datetime | None
    override_id: int | None


class OnCallFilter(Schema):
    at: dt.datetime | None = Field(None, description="an instant with its offset (default: now)")


class ContactIn(Schema):
    model_config = _STRICT
    user: str = Field(min_length=1, max_length=150)
    kind: str = Field(description="email, webhook, pagerduty, sms or voice")
    address: str = Field("", max_length=300, description="e-mail, PagerDuty routing key or phone number")
    endpoint_id: str | None = Field(None, description="for webhook: a platform webhook endpoint's id")


class ContactOut(Schema):
    id: int
    user: PersonOut
    kind: str
    address: str
    endpoint_id: uuid.UUID | None
    is_active: bool


class RuleIn(Schema):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=120)
    category_code: str = Field("", max_length=64)
    language: str = Field("", max_length=35)
    keywords: list[str] = Field(default_factory=list)
    targets: list[str] = Field(default_factory=list)
    is_active: bool = True


class RuleOut(Schema):
    id: int
    name: str
    category_code: str
    language: str
    keywords: list[str]
    targets: list[str]
    is_active: bool


class HealthOut(Schema):
    ok: bool
    late_steps: int
    oldest_late_due_at: dt.datetime | None
    sweeper_last_finished_at: dt.datetime | None
    sweeper_problem: str | None
    message: str
