"""API shapes for protected people. Partners get ``NominationOut`` (their own); the registry is staff-only."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import ConfigDict, Field

from trustline.protection.choices import NominationKind, NominationStatus, PersonCategory, ProtectionStatus


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NominationIn(StrictIn):
    platform: str = Field(max_length=64, description="the platform's short name, e.g. kite")
    account_url: str = Field("", max_length=2048, description="the account's address (or give account_id)")
    account_id: str = Field("", max_length=256, description="the platform's id of the account")
    handle: str = Field("", max_length=256, description="the account's handle, without @ (optional)")
    category: PersonCategory
    justification: str = Field(max_length=5000, description="why this person is at particular risk")


class RenewalIn(StrictIn):
    justification: str = Field(max_length=5000, description="why the protection is still needed")


class DecisionIn(StrictIn):
    approve: bool
    reason: str = Field(max_length=5000, description="the partner is told this reason")
    days: int | None = Field(None, description="how long the protection runs (default 180; 1 to 730)")


class NominationFilter(Schema):
    status: NominationStatus | None = None
    organisation: str | None = Field(None, description="staff: a partner's slug")


class NominationOut(Schema):
    id: uuid.UUID
    kind: NominationKind
    renews: uuid.UUID | None
    organisation: str
    platform: str
    account_url: str
    account_id: str
    handle: str
    category: PersonCategory
    justification: str
    status: NominationStatus
    submitted_at: dt.datetime
    decided_at: dt.datetime | None
    reason: str = Field(description="why approved or rejected")
    protected_until: dt.datetime | None = Field(description="when approved: the protection runs until then")
    decided_by: str | None = Field(description="staff only; null for partners")
    protected_account: uuid.UUID | None = Field(description="staff only: the registry entry; null for partners")


class ProtectedAccountOut(Schema):
    id: uuid.UUID
    platform: str
    account_url: str
    account_id: str
    handle: str
    category: PersonCategory
    status: ProtectionStatus
    organisation: str = Field(description="the partner whose nomination made it")
    protected_since: dt.datetime
    expires_at: dt.datetime
    expired_at: dt.datetime | None


class RegistryFilter(Schema):
    status: ProtectionStatus | None = None
    q: str | None = Field(None, max_length=200, description="part of the URL, handle or platform id")
