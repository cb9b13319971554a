"""API shapes for contests. Partners get ``AppealOut`` with ``staff`` null; staff also get the staff view."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import ConfigDict, Field

from trustline.appeals.choices import AppealOutcome, AppealStatus
from trustline.appeals.decisions import DecisionFields

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AppealIn(Schema):
    model_config = _STRICT

    decision_id: str | None = Field(None, max_length=64, description="the decision contested")
    report_id: str | None = Field(
        None, max_length=64,
        description="or your report, when one decision covers it (also names the report when decision_id is given)",
    )
    reasons: str = Field(min_length=1, max_length=10_000, description="why the decision should change")


class AppealDecideIn(Schema):
    model_config = _STRICT

    outcome: AppealOutcome = Field(description="upheld, reversed or partially_reversed")
    explanation: str = Field(min_length=1, max_length=5000, description="partner-facing: why")
    internal_note: str = Field("", max_length=5000, description="staff only")
    new_decision: DecisionFields | None = Field(
        None, description="required for reversed / partially_reversed: the decision that replaces the contested one"
    )


class AppealAssignIn(Schema):
    model_config = _STRICT

    reviewer: str = Field(max_length=150, description="username of the reviewer who takes the contest")


class AppealStaffOut(Schema):
    organisation: str
    case_id: uuid.UUID
    assigned_to: str | None
    assigned_at: dt.datetime | None
    decided_by: str | None
    internal_note: str
    contested_outcome: str
    about_no_action: bool
    human_reviewed: bool


class AppealOut(Schema):
    id: uuid.UUID
    decision_id: uuid.UUID
    report_id: uuid.UUID
    status: AppealStatus
    reasons: str
    received_at: dt.datetime
    informed_at: dt.datetime = Field(description="when you were told of the decision: the six months start here")
    deadline: dt.datetime = Field(description="the last moment the decision could be contested")
    outcome: AppealOutcome | None
    explanation: str = Field(description="why, once decided")
    decided_at: dt.datetime | None
    new_decision_id: uuid.UUID | None = Field(description="the decision that replaced the contested one")
    staff: AppealStaffOut | None = Field(description="staff only; null for partners")


class AppealFilter(Schema):
    status: AppealStatus | None = None
    mine: bool = Field(False, description="staff: only contests assigned to you")
    organisation: str | None = Field(None, description="staff: organisation slug")
