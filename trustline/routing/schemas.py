"""API shapes for queues, claims, comments, tags, saved queues and reviewer skills (staff only).

Input schemas reject unknown fields instead of dropping them. Nothing here is
used by a partner-facing endpoint: comments and tags are internal.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from trustline.cases.choices import CaseStatus
from trustline.routing.choices import LanguageSource, RoutingPool


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class QueueFilter(StrictIn):
    """Queue filters; each list matches any of its values, an empty or missing one matches everything."""

    tier: list[int] | None = Field(None, description="severity tiers, 1 most severe")
    country: list[str] | None = Field(None, description="ISO 3166-1 alpha-2 codes")
    language: list[str] | None = Field(
        None, description="BCP 47 tags: a bare language (ar) matches every dialect, ar-SD matches exactly"
    )
    category: list[str] | None = Field(None, description="category codes the cases were opened under")
    tag: list[str] | None = Field(None, description="free labels staff put on cases")
    crisis: bool | None = Field(None, description="cases whose priority has (true) or lacks (false) a crisis boost")
    status: list[CaseStatus] | None = Field(None, description="default: triaged, in_review and on_hold")
    assigned: Literal["me", "unassigned", "any"] | None = Field(
        None, description="me: held by you under a live lease; unassigned: nobody holds a live lease"
    )
    imminent_harm: bool | None = None


class QueueQuery(QueueFilter):
    saved: int | None = Field(None, description="apply this saved queue; filters given alongside replace its values")


class PersonOut(Schema):
    id: int
    username: str
    full_name: str


class QueueCaseOut(Schema):
    id: uuid.UUID
    status: CaseStatus
    tier: int | None
    priority: int
    priority_components: dict[str, int] = Field(description="the points that make up the priority (they sum to it)")
    category: str
    country: str
    language: str = Field(description="BCP 47 tag of the content; empty when unknown")
    language_source: LanguageSource | Literal[""]
    language_confidence: float | None = Field(description="0..1 when the language was detected")
    imminent_harm: bool
    item_count: int
    partner_count: int
    opened_at: dt.datetime
    triaged_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    ack_due_at: dt.datetime | None
    decide_due_at: dt.datetime | None
    routing_stage: RoutingPool | None = Field(
        description="the widest pool the case has reached by now: exact, language, regional or translation"
    )
    assigned_to: PersonOut | None = Field(description="who holds it under a live lease")
    claimed_at: dt.datetime | None
    lease_expires_at: dt.datetime | None
    routing_pool: RoutingPool | Literal[""] = Field(description="the pool through which the holder got it")
    routing_reason: str = Field(description="why the holder got it, in words")
    held_at: dt.datetime | None
    hold_reason: str
    tags: list[str]


class ClaimOut(Schema):
    case: QueueCaseOut | None = Field(description="null when nothing you are qualified for is waiting")


class ReasonIn(StrictIn):
    reason: str = Field("", max_length=2000, description="optional; kept in the audit log")


class HoldIn(StrictIn):
    reason: str = Field(max_length=2000, description="what the case waits for; required, kept in the audit log")


class ReassignIn(StrictIn):
    reviewer: int = Field(description="the user id of the reviewer who gets the case")
    reason: str = Field(max_length=2000, description="required, kept in the audit log")


class CommentIn(StrictIn):
    body: str = Field(min_length=1, max_length=10_000)


class CommentOut(Schema):
    id: uuid.UUID
    author: PersonOut
    body: str
    created_at: dt.datetime


class TagIn(StrictIn):
    label: str = Field(min_length=1, max_length=50)


class TagsOut(Schema):
    tags: list[str]


class SavedQueueIn(StrictIn):
    name: str = Field(min_length=1, max_length=100)
    filters: QueueFilter = Field(default_factory=lambda: QueueFilter.model_validate({}))
    shared: bool = Field(False, description="visible to every staff member (only you can change it)")


class SavedQueueOut(Schema):
    id: int
    name: str
    filters: dict[str, object]
    shared: bool
    owner: PersonOut
    created_at: dt.datetime
    updated_at: dt.datetime


class SkillsIn(StrictIn):
    languages: list[str] = Field(default_factory=list, description="BCP 47 tags with optional dialect: ar-SD, ur")
    countries: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-2")
    regions: list[str] = Field(default_factory=list, description="routing regions, e.g. MENA, East Africa")
    policy_areas: list[str] = Field(default_factory=list, description="taxonomy policy areas; empty means all")
    clearances: list[str] = Field(default_factory=list, description="e.g. child_safety")
    timezone: str = Field("", max_length=64, description="IANA time zone of the working day, e.g. Africa/Nairobi")
    is_active: bool = True


class SkillsOut(Schema):
    user: PersonOut
    languages: list[str]
    countries: list[str]
    regions: list[str]
    policy_areas: list[str]
    clearances: list[str]
    timezone: str
    is_active: bool
    on_shift: bool
    updated_at: dt.datetime | None


class ShiftIn(StrictIn):
    on_shift: bool
