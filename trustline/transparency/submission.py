"""Sending statements of reasons to the DSA Transparency Database (Art. 24(5)), at least once, never twice.

Off by default (``conf.submit_enabled``): a test install must never send
statements to the Commission. When on, the periodic job
``tasks.transparency_submit`` runs :func:`statements_submit`:

1. Enqueue: every restriction decision without a :class:`StatementSubmission`
   row gets one (``pending``), keyed by its ``puid``; the unique puid makes
   this idempotent however many runs overlap. A decision whose statement
   cannot be built is stored as ``unmappable`` with the reason, for a person.
2. Claim up to 100 due rows (``next_attempt_at`` passed, no live lease)
   with a conditional UPDATE that sets a lease and a claim token; only the
   rows this run's token holds are sent, so two runs never send the same row.
3. Rows whose previous send ended without an answer (``uncertain``) may
   already be stored: ask ``GET /api/v1/statement/existing-puid/{puid}``
   first (302 = stored: mark it submitted; 404 = send it).
4. ``POST /api/v1/statements`` with the batch and the Bearer token.
   * 201: every statement was stored; record the returned ``uuid`` per puid.
   * 422: the TDB rejects the whole batch and names the bad statements
     (``statement_N``). A puid the TDB already knows is marked submitted (a
     lost answer earlier); other named statements are ``rejected`` for a
     person; the rest stay pending and go in the next batch.
   * anything else (5xx, timeout, connection refused): not stored, or not
     known to be; the rows are marked ``uncertain`` and retried after an
     exponential back-off (1, 2, 4 ... minutes, at most 6 hours).
5. The lease ends with the outcome written.

The HTTP client is the standard library's (one POST per 100 statements
needs no more); redirects are not followed, since a 302 is an answer here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Q

from trustline.accounts.permissions import SYSTEM, Actor, Perm, require
from trustline.audit.choices import AuditAction
from trustline.audit.services import AuditEvent, audit_record_many
from trustline.core import clock
from trustline.transparency import conf
from trustline.transparency.choices import SubmissionStatus
from trustline.transparency.models import StatementSubmission
from trustline.transparency.statements import (
    TDB_BATCH_SIZE,
    Skipped,
    puid_for,
    restriction_decisions,
    statement_from_row,
    statement_rows,
)

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=10)
ENQUEUE_BATCH = 2000
MAX_BACKOFF = dt.timedelta(hours=6)
MAX_ERROR_CHARS = 2000


@dataclasses.dataclass(frozen=True)
class TdbResponse:
    status: int
    body: Any
    headers: Mapping[str, str]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class TdbClient:
    """The two TDB calls Trustline makes, with the platform's Bearer token."""

    def __init__(self, *, base_url: str, token: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirect)

    def _call(self, method: str, path: str, body: Any = None) -> TdbResponse:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - the URL is the configured https TDB host
            f"{self.base_url}{path}", data=data, method=method,
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json",
                     "Content-Type": "application/json"},
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return TdbResponse(response.status, _json(response.read()), dict(response.headers))
        except urllib.error.HTTPError as error:
            return TdbResponse(error.code, _json(error.read()), dict(error.headers or {}))

    def submit(self, statements: list[dict[str, Any]]) -> TdbResponse:
        return self._call("POST", "/api/v1/statements", {"statements": statements})

    def exists(self, puid: str) -> bool | None:
        """True when the TDB has a statement with ``puid``, False when not, None when it did not say."""
        response = self._call("GET", f"/api/v1/statement/existing-puid/{puid}")
        if response.status in (200, 302):
            return True
        if response.status == 404:
            return False
        return None


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode() or "null")
    except (ValueError, UnicodeDecodeError):
        return raw[:MAX_ERROR_CHARS].decode(errors="replace")


def default_client() -> TdbClient:
    return TdbClient(base_url=conf.base_url(), token=conf.token(), timeout=conf.timeout())


# --------------------------------------------------------------------------------------------
# Step 1: enqueue
# --------------------------------------------------------------------------------------------


def submissions_enqueue(*, now: dt.datetime, limit: int = ENQUEUE_BATCH) -> int:
    """Create the missing submission rows (oldest restrictions first); returns how many were created."""
    missing = (restriction_decisions()
               .exclude(pk__in=StatementSubmission.objects.values("decision_id"))
               .order_by("effective_at", "id")
               .values_list("pk", flat=True)[:limit])
    ids = list(missing)
    if not ids:
        return 0
    rows = statement_rows_for(ids)
    created = []
    for row in rows:
        item = statement_from_row(row)
        if not isinstance(item, Skipped):
            status, error = SubmissionStatus.PENDING, ""
        elif item.needs_attention:
            status, error = SubmissionStatus.UNMAPPABLE, f"{item.reason}: {item.detail}"
        else:
            status, error = SubmissionStatus.UNMAPPABLE, f"no statement owed: {item.reason}: {item.detail}"
        created.append(StatementSubmission(
            puid=puid_for(row["id"]), decision_id=row["id"], status=status, created_at=now,
            next_attempt_at=now, last_error=error,
        ))
    StatementSubmission.objects.bulk_create(created, ignore_conflicts=True)
    return len(created)


def statement_rows_for(decision_ids: Iterable[object]) -> list[dict[str, Any]]:
    """The statement rows of these decisions, whatever their date."""
    wide = dt.date(2000, 1, 1), dt.date(2100, 1, 1)
    return list(statement_rows(start=wide[0], end=wide[1]).filter(pk__in=list(decision_ids)))


# --------------------------------------------------------------------------------------------
# Steps 2-5
# --------------------------------------------------------------------------------------------


def _claim(*, now: dt.datetime, size: int) -> list[StatementSubmission]:
    token = str(uuid.uuid4())
    due = (Q(status=SubmissionStatus.PENDING, next_attempt_at__lte=now)
           & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)))
    candidates = list(StatementSubmission.objects.filter(due).order_by("next_attempt_at", "id")
                      .values_list("pk", flat=True)[:size])
    if not candidates:
        return []
    StatementSubmission.objects.filter(due, pk__in=candidates).update(claimed_until=now + LEASE, claim_token=token)
    return list(StatementSubmission.objects.filter(claim_token=token, claimed_until=now + LEASE).order_by("id"))


def _backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _release(rows: Iterable[StatementSubmission], **changes: Any) -> None:
    ids = [row.pk for row in rows]
    if ids:
        StatementSubmission.objects.filter(pk__in=ids).update(claimed_until=None, claim_token="", **changes)


def _uuid_by_puid(body: Any) -> dict[str, str]:
    items = body.get("statements", []) if isinstance(body, dict) else body if isinstance(body, list) else []
    return {str(s.get("puid")): str(s.get("uuid", "")) for s in items if isinstance(s, dict) and s.get("puid")}


def _errors_by_index(body: Any) -> dict[int, str]:
    errors = body.get("errors", {}) if isinstance(body, dict) else {}
    found: dict[int, list[str]] = {}
    for key, value in (errors.items() if isinstance(errors, dict) else []):
        head, _, rest = str(key).partition(".")
        if head.startswith("statement_") and head[10:].isdigit():
            found.setdefault(int(head[10:]), []).append(f"{rest or head}: {value}")
    return {index: "; ".join(messages)[:MAX_ERROR_CHARS] for index, messages in found.items()}


@dataclasses.dataclass
class SubmitResult:
    enqueued: int = 0
    submitted: int = 0
    already_there: int = 0
    rejected: int = 0
    retry_later: int = 0
    disabled: bool = False

    def as_dict(self) -> dict[str, int]:
        return {k: int(v) for k, v in dataclasses.asdict(self).items()}


def _send(client: TdbClient, rows: list[StatementSubmission], now: dt.datetime, result: SubmitResult) -> None:
    """Steps 3-5 for one claimed batch."""
    stored: set[int] = set()
    for row in [r for r in rows if r.uncertain]:
        if client.exists(row.puid):
            _release([row], status=SubmissionStatus.SUBMITTED, submitted_at=now, uncertain=False, last_error="")
            result.already_there += 1
            stored.add(row.pk)
    to_send = [r for r in rows if r.pk not in stored]
    if not to_send:
        return
    by_decision = {str(r["id"]): statement_from_row(r) for r in statement_rows_for(r.decision_id for r in to_send)}
    statements, unmappable = [], []
    for row in to_send:
        item = by_decision.get(str(row.decision_id))
        if isinstance(item, dict):
            statements.append((row, item))
        else:
            unmappable.append(row)
    _release(unmappable, status=SubmissionStatus.UNMAPPABLE, last_error="no longer a valid statement")
    if not statements:
        return
    try:
        response = client.submit([s for _, s in statements])
    except (OSError, TimeoutError) as error:  # connection refused, DNS, timeout: maybe stored, maybe not
        response = TdbResponse(0, str(error), {})
    if response.status == 201:
        uuids = _uuid_by_puid(response.body)
        for row, _ in statements:
            _release([row], status=SubmissionStatus.SUBMITTED, submitted_at=now, uncertain=False, last_error="",
                     tdb_uuid=uuids.get(row.puid, ""), attempts=row.attempts + 1)
        result.submitted += len(statements)
        return
    if response.status == 422:
        errors = _errors_by_index(response.body)
        for index, (row, _) in enumerate(statements):
            message = errors.get(index)
            if message is None:
                _release([row], attempts=row.attempts + 1)  # innocent: goes in the next batch
                result.retry_later += 1
            elif "puid" in message.lower() and client.exists(row.puid):
                _release([row], status=SubmissionStatus.SUBMITTED, submitted_at=now, uncertain=False, last_error="")
                result.already_there += 1
            else:
                _release([row], status=SubmissionStatus.REJECTED, attempts=row.attempts + 1, last_error=message)
                result.rejected += 1
        return
    message = f"HTTP {response.status or 'no answer'}: {str(response.body)[:500]}"
    logger.warning("TDB submission of %d statements failed (%s); retrying later", len(statements), message)
    for row, _ in statements:
        _release([row], uncertain=True, attempts=row.attempts + 1, last_error=message,
                 next_attempt_at=now + _backoff(row.attempts + 1))
    result.retry_later += len(statements)


def statements_submit(
    *, actor: Actor = SYSTEM, client: TdbClient | None = None, max_batches: int = 10, force: bool = False
) -> SubmitResult:
    """Send due statements to the TDB (see the module docstring); ``force`` ignores the off switch (tests)."""
    require(actor, Perm.TRANSPARENCY_SUBMIT)
    result = SubmitResult()
    if not (force or conf.submit_enabled()):
        result.disabled = True
        return result
    client = client or default_client()
    now = clock.now()
    result.enqueued = submissions_enqueue(now=now)
    for _ in range(max_batches):
        rows = _claim(now=now, size=TDB_BATCH_SIZE)
        if not rows:
            break
        _send(client, rows, now, result)
    if result.submitted or result.already_there or result.rejected:
        with transaction.atomic():
            audit_record_many(actor=actor, events=[AuditEvent(
                AuditAction.TRANSPARENCY_STATEMENTS_SUBMITTED, "transparency.statementsubmission", "tdb",
                {k: v for k, v in result.as_dict().items() if k != "disabled"},
            )])
    return result
