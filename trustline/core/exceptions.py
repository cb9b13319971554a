"""One application error type, mapped to one JSON shape by the API.

Every error a client can cause becomes ``{"message", "code", "fields"}``:
``message`` for a human, ``code`` for a program, ``fields`` naming each
offending field (dotted path, e.g. ``items.3.url``) with its reasons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class ApplicationError(Exception):
    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: Mapping[str, Sequence[str]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.fields: dict[str, list[str]] = {k: list(v) for k, v in (fields or {}).items()}

    def as_dict(self) -> dict[str, object]:
        return {"message": self.message, "code": self.code, "fields": self.fields}


class ValidationFailed(ApplicationError):
    status = 422
    code = "invalid"

    @classmethod
    def field(cls, name: str, reason: str) -> ValidationFailed:
        return cls(f"{name}: {reason}", fields={name: [reason]})


class NotFound(ApplicationError):
    """Raised both for missing objects and for objects the actor may not see."""

    status = 404
    code = "not_found"


class PermissionDenied(ApplicationError):
    status = 403
    code = "forbidden"


class Conflict(ApplicationError):
    status = 409
    code = "conflict"


class Gone(ApplicationError):
    """The thing existed and was deleted on purpose (e.g. an evidence file under the retention policy)."""

    status = 410
    code = "gone"


class AuthenticationFailed(ApplicationError):
    status = 401
    code = "unauthenticated"
