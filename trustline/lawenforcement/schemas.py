"""API shapes of the law-enforcement area: separate In / Out / Filter schemas; In schemas forbid unknown fields."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AgencyIn(Schema):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=200)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    region: str = Field("", max_length=100, description="state, province or region")
    city: str = Field("", max_length=100)
    topics: list[str] = Field(min_length=1, max_length=20)
    email_domains: list[str] = Field(default_factory=list, max_length=20)
    website: str = Field("", max_length=200)
    public: bool = False
    public_notes: str = Field("", max_length=2000)
    notes: str = Field("", max_length=5000)


class AgencyStatusIn(Schema):
    model_config = _STRICT
    status: str = Field(description="draft, complete (needs two active contacts) or retired")


class ContactIn(Schema):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=200)
    role: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=50)
    portal_url: str = Field("", max_length=200)
    emergency_line: bool = Field(False, description="answered 24/7")
    last_verified_on: dt.date | None = Field(None, description="default: today")
    public: bool = False
    public_fields: list[str] = Field(default_factory=list, description="fields the public page may show")
    active: bool = True


class ContactOut(Schema):
    id: uuid.UUID
    name: str
    role: str
    email: str
    phone: str
    portal_url: str
    emergency_line: bool
    last_verified_on: dt.date
    stale: bool
    public: bool
    public_fields: list[str]
    active: bool


class AgencyOut(Schema):
    id: uuid.UUID
    name: str
    country: str
    region: str
    city: str
    topics: list[str]
    email_domains: list[str]
    website: str
    status: str
    public: bool
    public_notes: str
    notes: str
    contacts: list[ContactOut]


class StaleContactOut(ContactOut):
    agency_id: uuid.UUID
    agency_name: str


class AgencyFilter(Schema):
    country: str = ""
    topic: str = ""
    q: str = Field("", max_length=100)


class SuggestionFilter(Schema):
    case_id: uuid.UUID | None = Field(None, description="take country, category and imminence from this case")
    country: str = ""
    region: str = ""
    city: str = ""
    category: str = ""
    imminent_harm: bool = False


class SuggestionOut(Schema):
    agency: AgencyOut
    score: int
    reasons: list[str]


class VerifyNoteIn(Schema):
    model_config = _STRICT
    note: str = Field("", max_length=1000)


class IdentifierIn(Schema):
    model_config = _STRICT
    kind: str = Field(description="account, case, report or url")
    value: str = Field(min_length=1, max_length=256)


class DateRangeIn(Schema):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: dt.date = Field(alias="from")
    to: dt.date


class RequestIn(Schema):
    model_config = _STRICT
    request_type: str
    agency_id: uuid.UUID | None = Field(None, description="the directory agency, when known")
    agency_name: str = Field(min_length=1, max_length=200, description="as the request names it")
    country: str = Field(min_length=2, max_length=2)
    officer_name: str = Field(min_length=1, max_length=200)
    officer_email: str = Field(min_length=3, max_length=254)
    officer_phone: str = Field("", max_length=50, description="as given; never used for the call-back")
    reference: str = Field("", max_length=200)
    legal_basis: str = Field(min_length=1, max_length=5000)
    identifiers: list[IdentifierIn] = Field(min_length=1, max_length=500)
    date_ranges: list[DateRangeIn] = Field(default_factory=list, max_length=50)
    data_types: list[str] = Field(min_length=1, max_length=10)
    summary: str = Field("", max_length=10_000)
    emergency_reason: str = Field("", max_length=5000)
    due_at: dt.datetime | None = None
    deadline_hours: int | None = Field(None, description="emergency requests: hours to answer")


class LinkAgencyIn(Schema):
    model_config = _STRICT
    agency_id: uuid.UUID


class CallbackIn(Schema):
    model_config = _STRICT
    contact_id: uuid.UUID = Field(description="the directory contact called (its number is used)")
    confirmed: bool = Field(description="did the agency confirm the request?")
    notes: str = Field("", max_length=2000)


class ReviewIn(Schema):
    model_config = _STRICT
    decision: str = Field(description="comply, comply_in_part, reject or clarify")
    reasons: list[str] = Field(min_length=1, max_length=10)
    notes: str = Field("", max_length=5000)
    approved_data_types: list[str] = Field(default_factory=list, max_length=10)


class FileIn(Schema):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=255)
    sha256: str = Field(min_length=64, max_length=64)
    size: int = Field(0, ge=0)


class DisclosureIn(Schema):
    model_config = _STRICT
    data_types: list[str] = Field(min_length=1, max_length=10)
    fields: list[str] = Field(default_factory=list, max_length=100)
    files: list[FileIn] = Field(default_factory=list, max_length=100)
    recipient: str = Field(min_length=1, max_length=254)
    channel: str = Field(description="email, phone or portal")
    note: str = Field("", max_length=2000)


class CloseIn(Schema):
    model_config = _STRICT
    outcome: str = Field(description="no_data, rejected, preserved or clarification")
    note: str = Field(min_length=1, max_length=2000)


class ReviewOut(Schema):
    id: uuid.UUID
    decision: str
    reasons: list[str]
    notes: str
    approved_data_types: list[str]
    reviewer: str
    decided_at: dt.datetime


class DisclosureOut(Schema):
    id: uuid.UUID
    request_id: uuid.UUID
    agency: str
    recipient: str
    data_types: list[str]
    fields: list[str]
    files: list[dict[str, Any]]
    channel: str
    note: str
    approved_by: str
    sent_by: str
    sent_at: dt.datetime


class PagingOut(Schema):
    """The emergency lane's record of an emergency request (``trustline.oncall``)."""

    emergency_id: uuid.UUID
    state: str = Field(description="open (paging), acknowledged, resolved")
    owner: str | None
    opened_at: dt.datetime
    acknowledged_at: dt.datetime | None
    closed_at: dt.datetime | None
    chain: str


class RequestOut(Schema):
    id: uuid.UUID
    request_type: str
    request_type_label: str
    status: str
    outcome: str
    reference: str
    agency_id: uuid.UUID | None
    agency_name: str
    country: str
    officer_name: str
    officer_email: str
    officer_phone: str
    legal_basis: str
    identifiers: list[dict[str, str]]
    date_ranges: list[dict[str, str]]
    data_types: list[str]
    summary: str
    emergency: bool
    emergency_reason: str
    received_at: dt.datetime
    due_at: dt.datetime
    overdue: bool
    email_domain_ok: bool | None
    callback: dict[str, Any] | None
    verified_at: dt.datetime | None
    verification_missing: dict[str, list[str]]
    process_warnings: list[str]
    responded_at: dt.datetime | None
    reviews: list[ReviewOut]
    paging: PagingOut | None = None


class RequestFilter(Schema):
    status: str = ""
    request_type: str = ""
    emergency: bool | None = None
    overdue: bool = False


class HoldIn(Schema):
    model_config = _STRICT
    subject_kind: str = Field(description="account, case or report")
    subject_value: str = Field(min_length=1, max_length=256)
    note: str = Field(min_length=1, max_length=2000)


class HoldReleaseIn(Schema):
    model_config = _STRICT
    reason: str = Field(min_length=1, max_length=2000)


class HoldOut(Schema):
    id: uuid.UUID
    subject_kind: str
    subject_value: str
    reason: str
    request_id: uuid.UUID | None
    ncmec_report_id: uuid.UUID | None
    note: str
    starts_at: dt.datetime
    expires_at: dt.datetime
    active: bool
    extension_count: int
    extendable: bool
    released_at: dt.datetime | None


class HoldFilter(Schema):
    active: bool | None = None
    subject: str = ""


class ReferralFieldIn(Schema):
    model_config = _STRICT
    name: str
    justification: str = Field(max_length=2000)


class ReferralIn(Schema):
    model_config = _STRICT
    case_id: uuid.UUID
    agency_id: uuid.UUID
    contact_id: uuid.UUID | None = None
    review_referral_id: uuid.UUID | None = Field(None, description="the review app's law-enforcement referral")
    facts: str = Field(min_length=1, max_length=10_000)
    fields: list[ReferralFieldIn] = Field(default_factory=list, max_length=20)


class SendIn(Schema):
    model_config = _STRICT
    channel: str = Field(description="email (through the outbox to the contact), phone or portal")
    sent_to: str = Field("", max_length=254, description="for phone/portal: number called or portal reference")


class AcknowledgeIn(Schema):
    model_config = _STRICT
    acknowledgement: str = Field(min_length=1, max_length=2000)


class ReasonIn(Schema):
    model_config = _STRICT
    reason: str = Field(min_length=1, max_length=2000)


class ReferralOut(Schema):
    id: uuid.UUID
    case_id: uuid.UUID
    review_referral_id: uuid.UUID | None
    agency_id: uuid.UUID
    agency_name: str
    contact_id: uuid.UUID | None
    status: str
    facts: str
    fields: list[dict[str, str]]
    personal_data: bool
    package: dict[str, Any]
    package_sha256: str
    created_by: str
    created_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None
    sent_by: str | None
    sent_at: dt.datetime | None
    sent_channel: str
    sent_to: str
    acknowledged_at: dt.datetime | None
    acknowledgement: str


class ReferralFieldOut(Schema):
    name: str
    label: str
    personal: bool


class NcmecIn(Schema):
    model_config = _STRICT
    case_id: uuid.UUID
    incident_type: str = "Child Pornography (possession, manufacture, and distribution)"
    incident_at: dt.datetime | None = None
    escalate_reason: str = Field("", max_length=3000, description="any text escalates the report at NCMEC")
    account_identifiers: list[str] = Field(default_factory=list, max_length=100)
    annotations: list[str] = Field(default_factory=list, max_length=5)
    additional_info: str = Field("", max_length=10_000)


class NcmecOut(Schema):
    id: uuid.UUID
    case_id: uuid.UUID
    status: str
    incident_type: str
    xml: str
    account_identifiers: list[str]
    ncmec_report_id: str
    file_ids: list[str]
    error: str
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    finished_at: dt.datetime | None
    retracted_at: dt.datetime | None


class NcmecFilter(Schema):
    case_id: uuid.UUID | None = None


class FiguresFilter(Schema):
    date_from: dt.date
    date_to: dt.date


class FiguresOut(Schema):
    by_country_type_outcome: list[dict[str, Any]]
    response_times: list[dict[str, Any]]


class PublicAgencyOut(Schema):
    name: str
    region: str
    city: str
    topics: list[dict[str, str]]
    website: str
    notes: str
    contacts: list[dict[str, Any]] = Field(description="only the fields marked public, nothing else")


class PublicCountryOut(Schema):
    country: str
    country_name: str
    agencies: list[PublicAgencyOut]


class PublicFilter(Schema):
    country: str = ""
    topic: str = ""
