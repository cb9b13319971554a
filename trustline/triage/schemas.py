"""API shapes for triage. Input schemas reject unknown fields instead of dropping them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from trustline.cases.choices import CaseStatus
from trustline.triage.choices import BreachKind


class RetierIn(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    tier: int = Field(ge=1, le=3, description="the new severity tier: 1 (most severe) to 3")
    reason: str = Field(
        max_length=2000, description="why the tier changes; kept in the audit log, never shown to partners"
    )


class BreachOut(Schema):
    kind: BreachKind
    due_at: dt.datetime
    detected_at: dt.datetime
    tier: int | None
    policy_name: str


class TriageCaseOut(Schema):
    id: uuid.UUID
    status: CaseStatus
    is_open: bool
    category: str = Field(description="the category code the case was opened under")
    country: str
    imminent_harm: bool
    item_count: int
    partner_count: int = Field(description="distinct partners who reported this content")
    reach: int | None
    tier: int | None = Field(description="severity tier, 1 most severe; null until triaged")
    priority: int
    priority_components: dict[str, int] = Field(
        description="the points that make up the priority (they sum to it): tier, imminence, reach, reporters, "
        "protected_target, crisis, partner_precision, waiting, sla_breach"
    )
    priority_computed_at: dt.datetime | None
    triaged_at: dt.datetime | None
    sla_policy: dict[str, Any] = Field(description="the SLA policy in force, as copied when the case was triaged")
    acknowledged_at: dt.datetime | None
    ack_due_at: dt.datetime | None
    decide_due_at: dt.datetime | None
    ack_breached: bool
    decide_breached: bool
    breaches: list[BreachOut]
