"""Bulk intake from a CSV file of up to 10,000 rows.

Each CSV row is one item. Rows that share a ``report_ref`` form one report
(its report-level fields come from the group's first row and must not
contradict it); a row without ``report_ref`` is a report of its own.

1. Check the actor, the file size, the encoding and the header (unknown or
   missing columns are refused before any row is read).
2. Parse every row into an item; a bad cell rejects that row only.
3. Group rows into reports and validate each report with the same code as the
   JSON API (``report_prepare``); item-level problems reject their row,
   report-level problems reject every row of the group.
4. With ``all_or_nothing`` any problem stores nothing; otherwise all valid
   rows are stored in one transaction and every rejected row is listed with
   its row number (the header is row 1), field and reason.
5. With an ``Idempotency-Key``, the answer is stored in that transaction
   (:class:`~trustline.intake.models.BulkUploadRecord`, kept
   ``BULK_ANSWER_DAYS``): the same file sent again with the same key gets
   that answer back (``replayed``) and stores nothing; the key with another
   file or other options is refused. An upload that stored nothing keeps no
   answer: sent again, it is checked again.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from pydantic import ValidationError as PydanticValidationError

from trustline.accounts.permissions import Actor
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.conf import limit
from trustline.core.exceptions import Conflict, ValidationFailed
from trustline.intake.choices import Channel
from trustline.intake.models import BulkUploadRecord
from trustline.intake.schemas import ItemIn, ReportIn
from trustline.intake.services import (
    PreparedReport,
    categories_by_code,
    check_can_submit,
    idempotency_key_clean,
    report_prepare,
    reports_write,
)

ITEM_COLUMNS = ("url", "platform_id", "kind", "excerpt", "location_details")
REPORT_COLUMNS = (
    "category", "explanation", "country", "language", "imminent_harm", "imminent_harm_reason", "targets",
    "bona_fide", "report_ref",
)
ALL_COLUMNS = frozenset(ITEM_COLUMNS + REPORT_COLUMNS)
REQUIRED_COLUMNS = ("kind", "category", "explanation", "country")
TRUE_WORDS = {"1", "true", "yes", "y", "on"}
FALSE_WORDS = {"", "0", "false", "no", "n", "off"}


@dataclass
class RowError:
    row: int
    field: str
    message: str


@dataclass
class Row:
    number: int
    cells: dict[str, str]
    item: ItemIn | None = None


@dataclass
class Group:
    ref: str
    rows: list[Row] = field(default_factory=list)


def _parse_bool(value: str, column: str) -> bool:
    lowered = value.strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise ValueError(f"{column} must be true or false, not {value!r}")


def _delimiter(header_line: str) -> str:
    """Comma by default; semicolon or tab when the header uses them (spreadsheets in many locales do).

    Only the delimiter is guessed, from the header line, which holds column names
    only: guessing the quote character from reported text (full of apostrophes
    in many languages) misreads valid files.
    """
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_rows(upload: UploadedFile) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    max_bytes = limit("MAX_BULK_BYTES")
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationFailed(
            f"file: the CSV is larger than {max_bytes // (1024 * 1024)} MB; split it into several uploads",
            code="too_large", fields={"file": ["too large"]}, status=413,
        )
    raw = upload.read()
    if not raw.strip():
        raise ValidationFailed.field("file", _("the CSV file is empty"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.field(
            "file", _("the CSV is not UTF-8 text (byte %(at)d); save it as 'CSV UTF-8'") % {"at": exc.start}
        ) from exc
    if "\x00" in text:
        raise ValidationFailed.field("file", _("the file contains NUL bytes: it is not a CSV text file"))
    delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as exc:
        raise ValidationFailed.field("file", _("malformed CSV header: %(error)s") % {"error": exc}) from exc
    unknown = [h for h in header if h not in ALL_COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if "url" not in header and "platform_id" not in header:
        missing.insert(0, "url (or platform_id)")
    problems: dict[str, list[str]] = {}
    if unknown:
        problems["header"] = [f"unknown column(s): {', '.join(unknown)}; allowed: {', '.join(sorted(ALL_COLUMNS))}"]
    if missing:
        problems.setdefault("header", []).append(f"missing column(s): {', '.join(missing)}")
    if len(set(header)) != len(header):
        problems.setdefault("header", []).append("a column appears twice")
    if problems:
        raise ValidationFailed(f"header: {problems['header'][0]}", fields=problems)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        number = 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ValidationFailed(
                    f"malformed CSV at row {number + 1}: {exc}", code="malformed_csv",
                    fields={"file": [f"row {number + 1}: {exc}"]},
                ) from exc
            number += 1
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                yield number, {"__width__": f"has {len(values)} cells but the header has {len(header)}"}
                continue
            yield number, dict(zip(header, values, strict=True))

    return header, rows()


def _parse_item(row: Row, errors: list[RowError]) -> None:
    cells = row.cells
    if "__width__" in cells:
        errors.append(RowError(row.number, "row", cells["__width__"]))
        return
    try:
        row.item = ItemIn(
            url=cells.get("url") or None,
            platform_id=cells.get("platform_id") or None,
            kind=cells.get("kind", "").strip().lower(),  # type: ignore[arg-type]  # validated by pydantic
            excerpt=cells.get("excerpt", ""),
            location_details=cells.get("location_details", ""),
        )
    except PydanticValidationError as exc:
        for err in exc.errors():
            errors.append(RowError(row.number, ".".join(str(p) for p in err["loc"]) or "row", err["msg"]))


def _report_fields(cells: dict[str, str], default_bona_fide: bool) -> dict[str, Any]:
    targets = [t.strip().lower() for t in cells.get("targets", "").replace(",", ";").split(";") if t.strip()]
    bona_fide_cell = cells.get("bona_fide", "")
    return {
        "category": cells.get("category", "").strip(),
        "explanation": cells.get("explanation", ""),
        "country": cells.get("country", "").strip(),
        "language": cells.get("language", "").strip() or None,
        "imminent_harm": _parse_bool(cells.get("imminent_harm", ""), "imminent_harm"),
        "imminent_harm_reason": cells.get("imminent_harm_reason", ""),
        "targets": targets,
        "bona_fide": _parse_bool(bona_fide_cell, "bona_fide") if bona_fide_cell.strip() else default_bona_fide,
        "reference": cells.get("report_ref", "").strip(),
    }


def _prepare_group(
    group: Group, default_bona_fide: bool, categories: dict[str, Any], errors: list[RowError]
) -> PreparedReport | None:
    """Validate one group; drop rows with item errors and retry, reject the group on report errors."""
    rows = [r for r in group.rows if r.item is not None]
    if not rows:
        return None
    try:
        fields = _report_fields(rows[0].cells, default_bona_fide)
    except ValueError as exc:
        for r in rows:
            errors.append(RowError(r.number, str(exc).split(" ")[0], str(exc)))
        return None
    for r in rows[1:]:
        for column in REPORT_COLUMNS:
            value = r.cells.get(column, "").strip()
            if column != "report_ref" and value and value != rows[0].cells.get(column, "").strip():
                errors.append(RowError(r.number, column, f"differs from row {rows[0].number}, which starts "
                                                         f"report_ref {group.ref!r}; a report has one {column}"))
                r.item = None
    rows = [r for r in rows if r.item is not None]
    for _attempt in range(3):
        if not rows:
            return None
        try:
            data = ReportIn(items=[r.item for r in rows if r.item is not None], **fields)
            prepared = report_prepare(data=data, categories=categories)
        except PydanticValidationError as exc:
            problems = {".".join(str(p) for p in e["loc"]): [e["msg"]] for e in exc.errors()}
        except ValidationFailed as exc:
            problems = exc.fields
        else:
            prepared.row = rows[0].number
            return prepared
        bad_rows: set[int] = set()
        report_level = False
        for name, reasons in problems.items():
            parts = name.split(".")
            if parts[0] == "items" and len(parts) > 1 and parts[1].isdigit():
                row = rows[int(parts[1])]
                errors.append(RowError(row.number, ".".join(parts[2:]) or "item", reasons[0]))
                bad_rows.add(int(parts[1]))
            else:
                report_level = True
                errors.append(RowError(rows[0].number, name, reasons[0]))
        if report_level:
            for r in rows[1:]:
                errors.append(RowError(r.number, "report_ref", f"not stored: row {rows[0].number} of the same "
                                                               "report has errors"))
            return None
        rows = [r for i, r in enumerate(rows) if i not in bad_rows]
    return None


BULK_ANSWER_DAYS = 7  # how long a keyed upload's answer is kept for retries


def upload_fingerprint(upload: UploadedFile, *, all_or_nothing: bool, default_bona_fide: bool) -> str:
    """sha256 of the upload's options and bytes: what a retry with the same key must repeat exactly."""
    digest = hashlib.sha256(f"bulk:{int(all_or_nothing)}:{int(default_bona_fide)}:".encode())
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _bulk_replay(*, actor: Actor, key: str, fingerprint: str) -> dict[str, Any] | None:
    record = BulkUploadRecord.objects.filter(organisation=actor.organisation, key=key).first()
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise Conflict(
            "This Idempotency-Key was already used for a different upload (another file, or other options). "
            "Use a new key for a new upload; reuse a key only to send exactly the same file again.",
            code="idempotency_key_reused",
            fields={"Idempotency-Key": ["already used with a different file or options"]},
        )
    return {**record.result, "replayed": True}


def bulk_answers_expire(*, now: dt.datetime) -> int:
    """Forget keyed uploads' answers after ``BULK_ANSWER_DAYS`` (a retry comes within hours, not weeks)."""
    deleted, _by_model = BulkUploadRecord.objects.filter(
        created_at__lt=now - dt.timedelta(days=BULK_ANSWER_DAYS)
    ).delete()
    return deleted


def bulk_submit(
    *, actor: Actor, upload: UploadedFile, all_or_nothing: bool, channel: Channel, default_bona_fide: bool = False,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    check_can_submit(actor)
    key = idempotency_key_clean(idempotency_key)
    fingerprint = upload_fingerprint(upload, all_or_nothing=all_or_nothing,
                                     default_bona_fide=default_bona_fide) if key else ""
    if key and (replay := _bulk_replay(actor=actor, key=key, fingerprint=fingerprint)) is not None:
        return replay
    _header, records = _read_rows(upload)
    max_rows = limit("MAX_BULK_ROWS")
    errors: list[RowError] = []
    groups: dict[str, Group] = {}
    total = 0
    for number, cells in records:
        total += 1
        if total > max_rows:
            raise ValidationFailed(
                f"file: more than {max_rows:,} rows; split the file", code="too_many_rows",
                fields={"file": [f"at most {max_rows} rows per upload"]}, status=413,
            )
        row = Row(number=number, cells=cells)
        _parse_item(row, errors)
        ref = cells.get("report_ref", "").strip()
        group_key = f"ref:{ref}" if ref else f"row:{number}"
        groups.setdefault(group_key, Group(ref=ref)).rows.append(row)
    if total == 0:
        raise ValidationFailed.field("file", _("the CSV has a header but no rows"))

    categories = categories_by_code()
    prepared = [p for g in groups.values() if (p := _prepare_group(g, default_bona_fide, categories, errors))]
    errors.sort(key=lambda e: e.row)
    rejected_rows = len({e.row for e in errors})
    if all_or_nothing and errors:
        prepared = []
    if not prepared:
        return _answer(total=total, all_or_nothing=all_or_nothing, errors=errors, rejected_rows=rejected_rows,
                       reports_out=[])
    try:
        with transaction.atomic():
            results = reports_write(actor=actor, prepared=prepared, channel=channel)
            audit_record(
                actor=actor, action=AuditAction.BULK_UPLOADED, target=("intake.bulk", upload.name or "upload.csv"),
                data={"rows": total, "reports": len(results), "rejected_rows": rejected_rows},
            )
            answer = _answer(total=total, all_or_nothing=all_or_nothing, errors=errors, rejected_rows=rejected_rows,
                             reports_out=_reports_out(prepared, results))
            if key:
                assert actor.organisation is not None  # check_can_submit guarantees it
                BulkUploadRecord.objects.create(organisation=actor.organisation, key=key, request_hash=fingerprint,
                                                result=answer, created_at=clock.now())
    except IntegrityError:
        # The same key's upload committed first (a retry racing the original): its answer, and nothing twice.
        if key and (replay := _bulk_replay(actor=actor, key=key, fingerprint=fingerprint)) is not None:
            return replay
        raise
    return answer


def _reports_out(prepared: list[PreparedReport], results: list[Any]) -> list[dict[str, Any]]:
    """The stored reports, from the rows written (``reports_write``), not model instances."""
    names = ("id", "case_id", "canonical_url", "platform_id", "kind", "position")
    out = []
    for prep, written in zip(prepared, results, strict=True):
        out.append({
            "row": prep.row,
            "report_ref": prep.reference,
            "id": written.report_id,
            "items": [
                {"id": item_id, "case_id": case_id, "url": url, "platform_id": platform_id,
                 "kind": kind, "position": position}
                for item_id, case_id, url, platform_id, kind, position in zip(
                    *(written.item_values(n) for n in names), strict=True
                )
            ],
        })
    return out


def _answer(
    *, total: int, all_or_nothing: bool, errors: list[RowError], rejected_rows: int, reports_out: list[dict[str, Any]]
) -> dict[str, Any]:
    accepted_rows = sum(len(r["items"]) for r in reports_out)
    return {
        "rows": total,
        "accepted_rows": accepted_rows,
        "rejected_rows": total - accepted_rows if (all_or_nothing and errors) else rejected_rows,
        "all_or_nothing": all_or_nothing,
        "replayed": False,
        "reports": reports_out,
        "errors": [{"row": e.row, "field": e.field, "message": e.message} for e in errors],
    }
