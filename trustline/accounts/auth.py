"""API authentication: partner API keys (Bearer) and signed-in sessions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from trustline.accounts.context_processors import request_actor
from trustline.accounts.permissions import Actor
from trustline.accounts.selectors import actor_for_api_key


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer <key>``; an invalid or revoked key says why (401)."""

    openapi_description = "A partner API key: `Authorization: Bearer tl_...`"

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        return actor_for_api_key(token)


class SessionAuth(APIKeyCookie):
    """A signed-in person (web portal or staff console); CSRF-checked for writes."""

    param_name = "sessionid"
    openapi_description = "Session cookie of a signed-in user (CSRF token required for writes)"

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        return request_actor(request)

    def __call__(self, request: HttpRequest) -> Any:
        # APIKeyCookie only runs CSRF checks when csrf=True; keep Django's default behaviour.
        return super().__call__(request)


api_key_auth = ApiKeyAuth()
session_auth = SessionAuth(csrf=True)
ANY_AUTH = [api_key_auth, session_auth]
