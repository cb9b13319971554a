"""API shapes for the policy queue. Partners get their feedback items without the staff part."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import ConfigDict, Field

from trustline.policy.choices import PolicyConclusion, PolicyItemKind, PolicyItemStatus

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PolicyFeedbackIn(Schema):
    model_config = _STRICT

    topic: str = Field(min_length=1, max_length=200, description="what the feedback is about, in a line")
    body: str = Field(min_length=1, max_length=10_000, description="the gap, question or proposal")
    category: str = Field("", max_length=64, description="a category code from GET /api/v1/taxonomy, if any")
    country: str = Field("", max_length=2, description="ISO 3166-1 alpha-2 code, if it concerns one country")


class PolicyCommentIn(Schema):
    model_config = _STRICT

    body: str = Field(min_length=1, max_length=5000)


class PolicyAssignIn(Schema):
    model_config = _STRICT

    analyst: str = Field(max_length=150, description="username of the policy analyst who takes the item")


class PolicyConcludeIn(Schema):
    model_config = _STRICT

    conclusion: PolicyConclusion
    text: str = Field(min_length=1, max_length=5000, description="partner-facing: what was concluded and why")
    internal_note: str = Field("", max_length=5000, description="staff only")


class PolicyCommentOut(Schema):
    id: int
    author: str
    body: str
    created_at: dt.datetime


class PolicyStaffOut(Schema):
    organisation: str | None
    case_id: uuid.UUID | None
    decision_id: uuid.UUID | None
    referral_id: uuid.UUID | None
    assigned_to: str | None
    assigned_at: dt.datetime | None
    concluded_by: str | None
    internal_note: str
    comments: list[PolicyCommentOut]


class PolicyItemOut(Schema):
    id: uuid.UUID
    kind: PolicyItemKind
    topic: str
    body: str
    category: str
    country: str
    status: PolicyItemStatus
    created_at: dt.datetime
    conclusion: PolicyConclusion | None
    conclusion_text: str
    concluded_at: dt.datetime | None
    staff: PolicyStaffOut | None = Field(description="staff only; null for partners")


class PolicyItemFilter(Schema):
    kind: PolicyItemKind | None = None
    status: PolicyItemStatus | None = None
    mine: bool = Field(False, description="staff: only items assigned to you")
