"""API shapes for decisions. Input schemas reject unknown fields instead of dropping them.

Staff shapes (``DecisionOut``) carry the internal note; partner shapes
(``InformationRequestOut``) never carry anything about a decision beyond the
question asked, and partners read decisions only through their report's
timeline (``GET /api/v1/reports/{id}``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from trustline.platforms.choices import ActionType
from trustline.review.choices import (
    AutomatedDecision,
    DecisionGround,
    DecisionStatus,
    InformationRequestStatus,
    Outcome,
    ReferralKind,
    ReferralStatus,
)

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DecisionFields(Schema):
    model_config = _STRICT

    outcome: Outcome
    policy: str = Field("", max_length=64, description="taxonomy category code of the policy cited (violating)")
    actions: list[ActionType] = Field(default_factory=list, max_length=8,
                                      description="for violating: what to do on the platform (no_action alone)")
    territorial_scope: list[str] = Field(default_factory=list, max_length=250,
                                         description="ISO 3166-1 alpha-2 codes, with geo_restrict only")
    label_text: str = Field("", max_length=200, description="the label shown on the content, with label only")
    decision_ground: DecisionGround | None = Field(None, description="for violating (DSA Transparency Database)")
    illegal_content_legal_ground: str = Field("", max_length=500)
    illegal_content_explanation: str = Field("", max_length=2000)
    incompatible_content_ground: str = Field("", max_length=500)
    incompatible_content_explanation: str = Field("", max_length=2000)
    automated_detection: bool = False
    automated_decision: AutomatedDecision = AutomatedDecision.NOT_AUTOMATED
    explanation: str = Field("", max_length=5000,
                             description="partner-facing text; empty: the outcome's template filled with the facts")
    template_id: int | None = Field(None, description="a template of this outcome (default: by language)")
    language: str = Field("", max_length=35, description="template language; default: the partners' language")
    internal_note: str = Field("", max_length=5000, description="staff only, never shown to partners")
    question: str = Field("", max_length=2000, description="needs_more_information: what to ask the partners")
    answer_due_at: dt.datetime | None = Field(None, description="needs_more_information: default in 7 days")


class DecisionIn(DecisionFields):
    pass


class BulkDecisionIn(DecisionFields):
    case_ids: list[str] = Field(min_length=1, max_length=100, description="the cases decided together")


class SecondReviewConfirmIn(Schema):
    model_config = _STRICT

    note: str = Field("", max_length=2000, description="optional, internal")


class SecondReviewRejectIn(Schema):
    model_config = _STRICT

    reason: str = Field(max_length=2000, description="why the decision should not stand; internal")


class PolicyOut(Schema):
    code: str
    name: str
    policy_area: str
    dsa_category: str


class EnforcementSummaryOut(Schema):
    id: uuid.UUID
    action_type: str
    status: str
    reference: str


class DecisionOut(Schema):
    id: uuid.UUID
    case_id: uuid.UUID
    outcome: Outcome
    status: DecisionStatus
    policy: PolicyOut | None
    actions: list[str]
    territorial_scope: list[str]
    label_text: str
    decision_ground: str
    illegal_content_legal_ground: str
    illegal_content_explanation: str
    incompatible_content_ground: str
    incompatible_content_explanation: str
    automated_detection: bool
    automated_decision: str
    language: str
    template_id: int | None
    explanation: str
    internal_note: str = Field(description="staff only")
    question: str
    answer_due_at: dt.datetime | None
    decided_by: str
    decided_at: dt.datetime
    second_review_reasons: list[dict[str, Any]]
    second_reviewer: str
    second_reviewed_at: dt.datetime | None
    second_review_note: str
    effective_at: dt.datetime | None
    superseded_at: dt.datetime | None
    superseded_by: uuid.UUID | None
    enforcement: list[EnforcementSummaryOut]


class TemplateOut(Schema):
    id: int
    outcome: Outcome
    language: str
    name: str
    body: str
    is_active: bool
    updated_at: dt.datetime


class TemplatePreviewIn(DecisionFields):
    case_id: str


class TemplatePreviewOut(Schema):
    template_id: int | None
    language: str
    explanation: str
    placeholders: dict[str, str] = Field(description="what each placeholder means")


class InformationRequestOut(Schema):
    id: uuid.UUID
    case_id: uuid.UUID
    status: InformationRequestStatus
    question: str
    due_at: dt.datetime
    requested_at: dt.datetime
    answer: str
    answered_at: dt.datetime | None
    report_ids: list[uuid.UUID]


class InformationRequestFilter(Schema):
    status: InformationRequestStatus | None = None


class AnswerIn(Schema):
    model_config = _STRICT

    answer: str = Field(max_length=5000, description="your answer to the reviewer's question")


class PrecisionLineOut(Schema):
    category: str
    name: str
    decided: int
    violating: int
    precision: float | None = Field(description="violating / decided; null with no decided items")


class PartnerPrecisionOut(Schema):
    organisation: str
    name: str
    overall: PrecisionLineOut
    categories: list[PrecisionLineOut]


class ReferralOut(Schema):
    id: uuid.UUID
    case_id: uuid.UUID
    decision_id: uuid.UUID
    kind: ReferralKind
    status: ReferralStatus
    created_at: dt.datetime
    conclusion: str
    concluded_at: dt.datetime | None


class ReferralFilter(Schema):
    kind: ReferralKind | None = None
    status: ReferralStatus | None = ReferralStatus.OPEN
