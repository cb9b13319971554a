"""Partner intake API: submit, list and read reports, bulk CSV, evidence."""


import uuid
from typing import Any, BinaryIO, cast

from django.http import FileResponse, HttpResponse
from ninja import File, Form, Header, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate

from trustline.accounts.permissions import Perm, requires
from trustline.core.api import validated_json
from trustline.core.types import ApiRequest
from trustline.intake.bulk import bulk_submit
from trustline.intake.choices import Channel
from trustline.intake.evidence import evidence_attach, evidence_open
from trustline.intake.exports import reports_csv
from trustline.intake.models import Report, ReportItem
from trustline.intake.schemas import (
    BulkResultOut,
    EvidenceOut,
    ReportAckOut,
    ReportFilter,
    ReportIn,
    ReportOut,
    ReportSummaryOut,
)
from trustline.intake.selectors import evidence_get, report_get, report_list
from trustline.intake.services import report_submit

router = Router(tags=["reports"])


def item_out(item: ReportItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "case_id": item.case_id,
        "url": item.canonical_url,
        "platform_id": item.platform_id,
        "kind": item.kind,
        "position": item.position,
    }


def ack_out(report: Report, items: list[ReportItem]) -> dict[str, Any]:
    return {
        "id": report.id,
        "status": report.status,
        "received_at": report.received_at,
        "reference": report.reference,
        "item_count": report.item_count,
        "items": [item_out(i) for i in items],
    }


@router.post(
    "",
    response={201: ReportAckOut, 200: ReportAckOut},
    summary="Submit a report (DSA Art. 16 notice) of 1 to 500 items",
    description=(
        "Answers 201 with the report id, received time, and for each item its id, case id and canonical URL. "
        "Send an `Idempotency-Key` header to retry safely: a retry with the same key and body answers 200 "
        "with the original report; the same key with a different body answers 409."
    ),
)
@requires(Perm.REPORT_SUBMIT)
def submit_report(
    request: ApiRequest,
    payload: ReportIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Status[dict[str, Any]]:
    result = report_submit(actor=request.auth, data=payload, channel=Channel.API, idempotency_key=idempotency_key)
    return Status(201 if result.created else 200, ack_out(result.report, result.items))


@router.get("", response=list[ReportSummaryOut], summary="Your organisation's reports, newest first")
@requires(Perm.REPORT_VIEW_OWN, Perm.REPORT_VIEW_ALL)
@paginate(LimitOffsetPagination)
def list_reports(request: ApiRequest, filters: Query[ReportFilter]) -> Any:
    return report_list(actor=request.auth, filters=filters)


@router.get("/export.csv", summary="Your reports as CSV (cells are formula-safe)")
@requires(Perm.REPORT_VIEW_OWN, Perm.REPORT_VIEW_ALL)
def export_reports(request: ApiRequest, filters: Query[ReportFilter]) -> HttpResponse:
    body = reports_csv(report_list(actor=request.auth, filters=filters).prefetch_related("items"))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="reports.csv"'
    return response


@router.post(
    "/bulk",
    response=BulkResultOut,
    summary="Submit many items as a CSV upload (up to 10,000 rows)",
    description=(
        "Columns: url or platform_id, kind, category, explanation, country, language, imminent_harm, "
        "imminent_harm_reason, targets (separated by `;`), bona_fide, report_ref, excerpt. Rows sharing a "
        "report_ref form one report. Valid rows are accepted and every invalid row is listed with its row "
        "number, field and reason; with all_or_nothing=true nothing is stored unless every row is valid. "
        "Send an `Idempotency-Key` header to retry safely: the same file with the same key gets the first "
        "answer back (`replayed: true`) and stores nothing again (answers are kept 7 days); the same key "
        "with another file or other options answers 409."
    ),
)
@requires(Perm.REPORT_SUBMIT)
def bulk_upload(
    request: ApiRequest,
    file: File[UploadedFile],
    all_or_nothing: Form[bool] = False,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> HttpResponse:
    result = bulk_submit(actor=request.auth, upload=file, all_or_nothing=all_or_nothing, channel=Channel.BULK,
                         idempotency_key=idempotency_key)
    return validated_json(BulkResultOut, result)


@router.get("/{report_id}", response=ReportOut, summary="A report with its status and partner-visible timeline")
@requires(Perm.REPORT_VIEW_OWN, Perm.REPORT_VIEW_ALL)
def get_report(request: ApiRequest, report_id: str) -> dict[str, Any]:
    report = report_get(actor=request.auth, report_id=report_id)
    return {
        "id": report.id, "status": report.status, "channel": report.channel, "received_at": report.received_at,
        "reference": report.reference, "category": report.category.code, "country": report.country,
        "language": report.language, "imminent_harm": report.imminent_harm,
        "imminent_harm_reason": report.imminent_harm_reason, "targets": report.targets,
        "explanation": report.explanation, "dsa_elements": report.dsa_elements, "item_count": report.item_count,
        "items": [item_out(i) for i in report.items.all()],
        "evidence": list(report.evidence.all()),
        "timeline": [
            {"kind": e.kind, "at": e.at, "item_id": e.item_id, "data": e.data} for e in report.timeline.all()
        ],
    }


@router.post("/{report_id}/evidence", response={201: EvidenceOut}, summary="Attach an evidence file")
@requires(Perm.REPORT_SUBMIT)
def add_evidence(
    request: ApiRequest, report_id: str, file: File[UploadedFile], item_id: Form[str] = ""
) -> Status[Any]:
    report = report_get(actor=request.auth, report_id=report_id)
    evidence = evidence_attach(
        actor=request.auth, report=report, fileobj=cast(BinaryIO, file), name=file.name or "upload",
        declared_type=file.content_type, item_id=item_id or None,
    )
    return Status(201, evidence)


@router.get("/{report_id}/evidence/{evidence_id}", summary="Download an evidence file (the read is audited)")
@requires(Perm.EVIDENCE_VIEW)
def download_evidence(request: ApiRequest, report_id: str, evidence_id: uuid.UUID) -> FileResponse:
    evidence = evidence_get(actor=request.auth, report_id=report_id, evidence_id=evidence_id)
    handle = evidence_open(actor=request.auth, evidence=evidence)
    response = FileResponse(handle, content_type=evidence.content_type, as_attachment=True,
                            filename=f"evidence-{evidence.pk}{evidence.extension}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
