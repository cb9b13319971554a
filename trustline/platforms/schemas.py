"""API shapes for the platform connector. Input schemas reject unknown fields instead of dropping them."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import ConfigDict, Field

from trustline.platforms.choices import ActionStatus, ActionType, SnapshotTrigger


class ContentRefOut(Schema):
    url: str = Field(description="the canonical address of the item (empty for items reported by platform id)")
    platform_id: str
    kind: str


class AccountOut(Schema):
    id: str
    handle: str
    display_name: str
    follower_count: int | None
    verified: bool
    public_figure: bool
    created_at: dt.datetime | None


class MediaOut(Schema):
    kind: str = Field(description="image, video, audio or file")
    url: str | None = Field(description="absent when the platform withholds it")
    description: str


class ReachOut(Schema):
    views: int | None = Field(description="null when the platform does not know (not zero)")
    shares: int | None


class ContentDescriptionOut(Schema):
    item: ContentRefOut
    available: bool = Field(description="false when the platform could not be asked or could not answer")
    error: str = Field(description="why the description is not available")
    source: str = Field(description="the connector that answered: demo, webhook, manual...")
    fetched_at: dt.datetime
    text: str
    author: AccountOut | None
    created_at: dt.datetime | None = Field(description="when the content was created on the platform")
    reach: ReachOut
    media: list[MediaOut]
    online: bool | None = Field(description="whether the content is still online; null when unknown")
    restrictions: list[str] = Field(
        description="what already limits the content on the platform, in words (removed, geo-restricted in DE...)"
    )


class ConfirmIn(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reference: str = Field(
        min_length=1, max_length=200,
        description="the platform's own reference for what was done (ticket or enforcement id)",
    )


class ActionRecordOut(Schema):
    id: uuid.UUID
    case_id: uuid.UUID
    item_id: uuid.UUID | None
    decision_id: str
    action_type: ActionType
    target: ContentRefOut
    territorial_scope: list[str]
    label: str
    policy_code: str
    status: ActionStatus
    connector: str = Field(description="the connector that handled the action")
    reference: str = Field(description="the platform's reference, once known")
    result_message: str
    delivery_status: str | None = Field(
        description="for the webhook connector: the outbox status of the signed request (pending, sent, failed...)"
    )
    requested_by: str
    requested_at: dt.datetime
    completed_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    confirmed_by: str
    attempts: int = Field(description="how many times the platform was asked (retries included)")
    next_attempt_at: dt.datetime | None = Field(
        description="when Trustline asks the platform again by itself (a failed action waiting for its retry)"
    )
    retries_exhausted: bool = Field(
        description="failed, and no automatic retry is left: act in the platform's tools or retry by hand"
    )
    verification: str = Field(
        description="for remove and suspend_account once done: offline, still_online; for the reinstate "
                    "that undoes one: back_online, still_offline; unknown (the platform could not say), "
                    "or empty while not checked"
    )
    verify_due_at: dt.datetime | None = Field(
        description="when Trustline asks the platform whether the content is offline (back online, for a reinstate)")
    verified_at: dt.datetime | None
    verification_snapshot_id: uuid.UUID | None = Field(
        description="the content snapshot taken for the check (GET /platforms/cases/{id}/snapshots)"
    )


class SnapshotOut(Schema):
    id: uuid.UUID
    case_id: uuid.UUID
    taken_at: dt.datetime = Field(description="when the platform was asked")
    trigger: SnapshotTrigger = Field(description="triage, refresh, retry (after no answer) or reviewer")
    requested_by: str = Field(description="who asked: the system, or a person (audit actor id)")
    source: str = Field(description="the connector that answered")
    available: bool = Field(description="false when the platform did not answer; error says why")
    error: str
    online: bool | None = Field(description="whether the content was online then; null when unknown")
    views: int | None = Field(description="reach then, as the platform counted it; null when unknown")
    shares: int | None
    sha256: str = Field(
        description="SHA-256 of the description as canonical JSON (sorted keys, separators ',' and ':', UTF-8)"
    )
    unchanged_until: dt.datetime | None = Field(
        description="the last regular look that found the platform saying the same (no copy is stored for it)"
    )
    purged_at: dt.datetime | None = Field(
        description="when the description was emptied under the retention policy (the figures and hash stay)"
    )
    description: ContentDescriptionOut | None = Field(
        description="what the platform said, as GET /platforms/items/{id}/describe answers; null after "
                    "retention, and for people who may not see evidence (auditors)"
    )
