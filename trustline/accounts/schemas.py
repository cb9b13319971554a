from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import ConfigDict, Field


class ApiKeyIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=100)
    organisation: str | None = Field(None, description="slug; staff only, partners always get their own")


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    organisation: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @staticmethod
    def resolve_organisation(obj: object) -> str:
        return str(obj.organisation.slug)  # type: ignore[attr-defined]  # ApiKey


class NewApiKeyOut(ApiKeyOut):
    key: str = Field(description="shown once; store it now")
