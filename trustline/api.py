"""The versioned REST API (``/api/v1/``) and its single error shape."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from trustline.accounts.api import router as accounts_router
from trustline.accounts.auth import ANY_AUTH
from trustline.appeals.api import router as appeals_router
from trustline.core.api import router as core_router
from trustline.core.exceptions import ApplicationError
from trustline.crisis.api import router as crisis_router
from trustline.intake.api import router as intake_router
from trustline.lawenforcement.api import router as lawenforcement_router
from trustline.metrics.api import router as metrics_router
from trustline.notifications.api import router as notifications_router
from trustline.oncall.api import router as oncall_router
from trustline.platforms.api import router as platforms_router
from trustline.policy.api import router as policy_router
from trustline.protection.api import router as protection_router
from trustline.review.api import router as review_router
from trustline.routing.api import router as routing_router
from trustline.signals.api import router as signals_router
from trustline.taxonomy.api import router as taxonomy_router
from trustline.transparency.api import router as transparency_router
from trustline.trends.api import router as trends_router
from trustline.triage.api import router as triage_router

logger = logging.getLogger(__name__)


class UnsupportedMediaType(ValueError):
    pass


class NulInBody(ValueError):
    """Text holding U+0000, which PostgreSQL cannot store; ``paths`` name where, as validation errors do."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__(", ".join(paths))
        self.paths = paths


def nul_paths(value: object, path: str = "") -> list[str]:
    """The dotted paths (``items.0.excerpt``) of every string in parsed JSON that holds U+0000."""
    if isinstance(value, str):
        return [path or "body"] if "\x00" in value else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            found += [where] if "\x00" in str(key) else nul_paths(item, where)
        return found
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in nul_paths(item, f"{path}.{index}".lstrip("."))]
    return []


class JsonOnlyParser(Parser):
    """Parse JSON bodies, refusing other content types instead of guessing."""

    def parse_body(self, request: HttpRequest) -> dict[str, object]:
        content_type = (request.content_type or "").lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise UnsupportedMediaType(f"Content-Type must be application/json, not {content_type or 'missing'}")
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise UnsupportedMediaType("the JSON body must be an object")
        # Valid JSON can carry U+0000 only escaped: one scan of the bytes, and a walk only when it is there.
        if b"\\u0000" in request.body and (paths := nul_paths(data)):
            raise NulInBody(paths)
        return data


api = NinjaAPI(
    title="Trustline API",
    version="1",
    description=(
        "Trusted-partner intake and case API. Partners authenticate with `Authorization: Bearer <key>`. "
        'Errors are JSON: `{"message", "code", "fields"}`.'
    ),
    urls_namespace="api-v1",
    auth=ANY_AUTH,
    parser=JsonOnlyParser(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def error_response(request: HttpRequest, status: int, message: str, code: str,
                   fields: dict[str, list[str]] | None = None) -> HttpResponse:
    return api.create_response(request, {"message": message, "code": code, "fields": fields or {}}, status=status)


@api.exception_handler(ApplicationError)
def on_application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return error_response(request, exc.status, exc.message, exc.code, exc.fields)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Pydantic errors become ``fields`` keyed by dotted path (``items.3.url``)."""
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [str(p) for p in error.get("loc", ())]
        if loc and loc[0] in {"body", "query", "path", "header", "form", "file"}:
            loc = loc[1:]
        if len(loc) > 1 and loc[0] in {"data", "payload", "filters"}:
            loc = loc[1:]
        name = ".".join(loc) or "body"
        kind = error.get("type", "")
        message = "unknown field: not part of this API" if kind == "extra_forbidden" else str(error.get("msg", ""))
        if loc == ["payload"] and kind == "missing":
            # An empty body: name what the client controls, not our parameter name.
            name, message = "body", "the request body is empty: send a JSON object"
        fields.setdefault(name, []).append(message)
    first = next(iter(fields.items()), ("body", ["invalid"]))
    more = f" (and {len(fields) - 1} more)" if len(fields) > 1 else ""
    return error_response(request, 422, f"{first[0]}: {first[1][0]}{more}", "invalid", fields)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request, 401, "Authentication required: send `Authorization: Bearer <API key>` or sign in.",
        "unauthenticated",
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, UnsupportedMediaType):
        status = 415 if "Content-Type" in str(cause) else 422
        return error_response(request, status, str(cause), "unsupported_media_type" if status == 415 else "invalid")
    if isinstance(cause, json.JSONDecodeError):
        return error_response(
            request, 400, f"Malformed JSON at line {cause.lineno}, column {cause.colno}: {cause.msg}", "malformed_json"
        )
    if isinstance(cause, NulInBody):
        reason = "must not contain NUL characters (U+0000)"
        return error_response(request, 422, f"{cause.paths[0]}: {reason}", "invalid",
                              {path: [reason] for path in cause.paths})
    if isinstance(cause, RequestDataTooBig):
        return on_too_big(request, cause)
    if isinstance(cause, UnicodeDecodeError):
        return error_response(request, 400, f"Malformed JSON: the body is not UTF-8 (byte {cause.start})",
                              "malformed_json")
    if isinstance(cause, RecursionError):
        return error_response(request, 400, "Malformed JSON: nested too deeply", "malformed_json")
    return error_response(request, exc.status_code, str(exc), "http_error")


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
    return error_response(
        request, 413,
        f"The request body is too large (limit {limit_mb:g} MB). Split the report or use the bulk CSV upload.",
        "too_large",
    )


@api.exception_handler(Http404)
def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "Not found.", "not_found")


api.add_router("/reports", intake_router)
api.add_router("/taxonomy", taxonomy_router)
api.add_router("/keys", accounts_router)
api.add_router("/triage", triage_router)
api.add_router("/platforms", platforms_router)
api.add_router("/queue", routing_router)
api.add_router("/review", review_router)
api.add_router("/notifications", notifications_router)
api.add_router("/appeals", appeals_router)
api.add_router("/policy", policy_router)
api.add_router("/oncall", oncall_router)
api.add_router("/crises", crisis_router)
api.add_router("/protection", protection_router)
api.add_router("/metrics", metrics_router)
api.add_router("/transparency", transparency_router)
api.add_router("/trends", trends_router)
api.add_router("/law-enforcement", lawenforcement_router)
api.add_router("/signals", signals_router)
api.add_router("", core_router)
