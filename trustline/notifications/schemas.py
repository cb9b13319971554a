"""API shapes for notification settings, webhook endpoints and delivery status."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import ConfigDict, Field

from trustline.notifications.choices import Channel, EventType, MessageStatus


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NotificationSettingsIn(StrictSchema):
    """Fields left out (or null) stay as they are."""

    email_enabled: bool | None = Field(None, description="send e-mails about your reports")
    webhook_enabled: bool | None = Field(None, description="call your webhook endpoints")
    daily_digest_enabled: bool | None = Field(None, description="one summary of yesterday each morning (UTC)")
    email_recipients: list[str] | None = Field(
        None, max_length=10,
        description="addresses that receive e-mails; an empty list means the organisation's contact address",
    )
    email_language: str | None = Field(
        None, max_length=8,
        description="language of e-mails: en, fr, es or ar; an empty string means the default (the first "
                    "language your accreditation covers that Trustline speaks, else English)",
    )


class NotificationSettingsOut(Schema):
    organisation: str = Field(description="organisation slug")
    email_enabled: bool
    webhook_enabled: bool
    daily_digest_enabled: bool
    email_recipients: list[str]
    email_language: str = Field(description="as set; empty: the default")
    email_language_in_use: str = Field(description="the language e-mails are written in now")
    updated_at: dt.datetime | None


class WebhookEndpointIn(StrictSchema):
    url: str = Field(max_length=2048, description="https URL that receives signed POSTs (Standard Webhooks)")
    event_types: list[EventType] = Field(
        default_factory=list, max_length=len(EventType), description="event types to receive; empty means all"
    )


class WebhookDisableIn(StrictSchema):
    reason: str = Field("", max_length=300)


class WebhookEndpointOut(Schema):
    id: uuid.UUID
    organisation: str = Field(description="organisation slug")
    url: str
    event_types: list[str]
    is_active: bool
    created_at: dt.datetime
    deactivated_at: dt.datetime | None
    deactivated_reason: str


class WebhookSecretOut(WebhookEndpointOut):
    secret: str = Field(description="the whsec_ signing secret: shown once, store it now")


class DeliveryOut(Schema):
    id: uuid.UUID
    channel: Channel
    recipient: str
    endpoint_id: uuid.UUID | None
    event_type: str
    subject: str
    status: MessageStatus
    attempts: int
    last_error: str
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None


class DeliveryFilter(Schema):
    status: MessageStatus | None = None
    organisation: str | None = Field(None, description="slug; administrators only")
