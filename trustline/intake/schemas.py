"""API shapes for intake. Input schemas reject unknown fields instead of dropping them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field, field_validator

from trustline.intake.choices import Channel, ItemKind, ReportStatus, Target, TimelineKind


class StrictSchema(BaseModel):
    """Input: unknown fields are refused, text is stripped.

    A plain pydantic model, not ``ninja.Schema``: Ninja accepts both as
    bodies, and Schema's wrap validator (made for reading ORM objects, which
    input never is) validated every report twice through an attribute proxy,
    several times the cost of pydantic alone, per row of a bulk upload.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        # U+0000 comes from broken clients or pasted binary. PostgreSQL cannot store it in text (the write
        # would fail after validation), SQLite would store it silently: refuse it here, naming the field.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters (U+0000)")
        return value


class DictOut(BaseModel):
    """Output that the API builds as dicts (acknowledgements, bulk results): validated by pydantic alone.

    ``ninja.Schema`` wraps every object in an ORM attribute proxy before
    validating it; for a 10,000-row bulk result that was a tenth of the
    upload's CPU, for nothing.
    """


class ItemIn(StrictSchema):
    url: str | None = Field(None, max_length=4096, description="http(s) URL of the content")
    platform_id: str | None = Field(
        None, max_length=256, description="the platform's identifier, when there is no URL"
    )
    kind: ItemKind = Field(description="what the item is")
    excerpt: str = Field("", max_length=10_000, description="the content as you saw it (helps reviewers)")
    location_details: str = Field("", max_length=1_000, description="e.g. a time code in a video")


class ReportIn(StrictSchema):
    items: list[ItemIn] = Field(min_length=1, max_length=500)
    category: str = Field(max_length=64, description="a category code from GET /api/v1/taxonomy")
    explanation: str = Field(
        min_length=1, max_length=20_000, description="why the content is harmful or illegal (DSA Art. 16(2)(a))"
    )
    country: str = Field(max_length=8, description="ISO 3166-1 alpha-2 code of the country concerned")
    language: str | None = Field(None, max_length=35, description="BCP 47 tag of the content, if known")
    imminent_harm: bool = False
    imminent_harm_reason: str = Field("", max_length=5_000)
    targets: list[Target] = Field(default_factory=list, max_length=13)
    bona_fide: bool = Field(description="you confirm in good faith that the notice is accurate and complete")
    reference: str = Field("", max_length=100, description="your own reference for this report")


class ItemAckOut(DictOut):
    id: uuid.UUID
    case_id: uuid.UUID
    url: str = Field(description="canonical URL (empty for platform identifiers)")
    platform_id: str
    kind: ItemKind
    position: int


class ReportAckOut(DictOut):
    id: uuid.UUID
    status: ReportStatus
    received_at: dt.datetime
    reference: str
    item_count: int
    items: list[ItemAckOut]


class TimelineEventOut(Schema):
    kind: TimelineKind
    at: dt.datetime
    item_id: uuid.UUID | None
    data: dict[str, object]


class EvidenceOut(Schema):
    id: uuid.UUID
    item_id: uuid.UUID | None
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime
    purged_at: dt.datetime | None = Field(None, description="when the file was deleted under the retention policy")


class ReportOut(Schema):
    id: uuid.UUID
    status: ReportStatus
    channel: Channel
    received_at: dt.datetime
    reference: str
    category: str
    country: str
    language: str
    imminent_harm: bool
    imminent_harm_reason: str
    targets: list[str]
    explanation: str
    dsa_elements: dict[str, bool]
    item_count: int
    items: list[ItemAckOut]
    evidence: list[EvidenceOut]
    timeline: list[TimelineEventOut]


class ReportSummaryOut(Schema):
    id: uuid.UUID
    status: ReportStatus
    channel: Channel
    received_at: dt.datetime
    reference: str
    category: str
    country: str
    imminent_harm: bool
    item_count: int

    @staticmethod
    def resolve_category(obj: Any) -> str:
        return str(obj.category.code)


class ReportFilter(Schema):
    status: ReportStatus | None = None
    category: str | None = None
    country: str | None = None
    imminent_harm: bool | None = None
    reference: str | None = None
    received_after: dt.datetime | None = None
    received_before: dt.datetime | None = None


class BulkRowError(DictOut):
    row: int = Field(description="1-based line number in the CSV, header is row 1")
    field: str
    message: str


class BulkReportOut(DictOut):
    row: int
    report_ref: str
    id: uuid.UUID
    items: list[ItemAckOut]


class BulkResultOut(DictOut):
    rows: int
    accepted_rows: int
    rejected_rows: int
    all_or_nothing: bool
    replayed: bool = Field(
        description="true when this is the stored answer to an earlier upload of the same file with the same "
                    "Idempotency-Key: nothing was stored this time"
    )
    reports: list[BulkReportOut]
    errors: list[BulkRowError]
