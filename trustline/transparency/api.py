"""DSA statements of reasons and transparency reports (API).

Staff with ``transparency.export`` (programme managers, policy analysts,
auditors, administrators) stream the statements and download the report;
partners download their own Art. 22(3) annual report. Streams are read
through a server-side cursor and sent as they are built. Programme managers
read trusted flaggers' precision and the Art. 22(6) figures, and record a
communication to a Digital Services Coordinator (``transparency.flaggers``).
"""

import json
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from ninja import Query, Router, Status

from trustline.accounts.permissions import Perm, requires
from trustline.core.types import ApiRequest
from trustline.metrics.periods import Period, period_for
from trustline.transparency.flaggers import awarding_dsc, dsc_communication_record, flagger_dossier, flagger_precision
from trustline.transparency.partner import partner_report
from trustline.transparency.schemas import (
    DscCommunicationIn,
    DscCommunicationOut,
    FlaggerPrecisionOut,
    PartnerReportFilter,
    PartnerReportOut,
    PeriodFilter,
    ReportFilter,
    SectionOut,
    SkippedOut,
    StatementFilter,
    SubmissionSummaryOut,
)
from trustline.transparency.selectors import report_for, statements_for, submission_summary
from trustline.transparency.statements import Skipped, buffered, jsonl, jsonl_batches, only_statements

router = Router(tags=["transparency"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(response: HttpResponse | StreamingHttpResponse, filename: str) -> None:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'


@router.get(
    "/statements",
    summary="Statements of reasons (DSA Transparency Database format) of restrictions that took effect in a period",
    description=(
        "Streams JSON Lines (`application/x-ndjson`): one statement per line, or with `format=batches` one "
        "`{\"statements\": [...]}` body of at most 100 statements per line, ready for `POST /api/v1/statements`. "
        "Decisions that cannot be mapped are left out and listed by `GET /transparency/statements/gaps`."
    ),
)
@requires(Perm.TRANSPARENCY_EXPORT)
def export_statements(request: ApiRequest, filters: Query[StatementFilter]) -> StreamingHttpResponse:
    statements = only_statements(statements_for(actor=request.auth, start=filters.start, end=filters.end))
    lines = jsonl_batches(statements) if filters.format == "batches" else jsonl(statements)
    response = StreamingHttpResponse(buffered(lines), content_type="application/x-ndjson; charset=utf-8")
    _attachment(response, f"statements_{filters.start}_{filters.end}.jsonl")
    return response


@router.get("/statements/gaps", response=list[SkippedOut],
            summary="Restriction decisions of the period without a statement, and why")
@requires(Perm.TRANSPARENCY_EXPORT)
def statement_gaps(request: ApiRequest, filters: Query[PeriodFilter]) -> list[dict[str, Any]]:
    items = statements_for(actor=request.auth, start=filters.start, end=filters.end)
    return [item.as_dict() for item in items if isinstance(item, Skipped)]


@router.get(
    "/report",
    response=SectionOut,
    summary="One section of the DSA transparency report (Implementing Regulation (EU) 2024/2835 template)",
    description="`format=csv` (default) downloads the template's CSV file; `format=json` returns its columns and rows.",
)
@requires(Perm.TRANSPARENCY_EXPORT)
def report_section(request: ApiRequest, filters: Query[ReportFilter]) -> Any:
    section = report_for(actor=request.auth, start=filters.start, end=filters.end).section(filters.section)
    if filters.format == "json":
        return {"name": section.name, "title": section.title, "columns": list(section.columns), "rows": section.rows}
    response = HttpResponse(section.csv(), content_type="text/csv; charset=utf-8")
    _attachment(response, f"{section.name}.csv")
    return response


@router.get("/report.xlsx", summary="The DSA transparency report as one workbook (one sheet per section)")
@requires(Perm.TRANSPARENCY_EXPORT)
def report_xlsx(request: ApiRequest, filters: Query[PeriodFilter]) -> HttpResponse:
    report = report_for(actor=request.auth, start=filters.start, end=filters.end)
    response = HttpResponse(report.xlsx(), content_type=XLSX)
    _attachment(response, f"transparency_report_{filters.start}_{filters.end}.xlsx")
    return response


@router.get(
    "/partner-report",
    response=PartnerReportOut,
    summary="Your organisation's trusted-flagger annual report (DSA Art. 22(3)): notices by content type and action",
    description="No personal data. `format=csv` downloads it. Staff may name a partner with `organisation`.",
)
@requires(Perm.TRANSPARENCY_PARTNER_REPORT, Perm.TRANSPARENCY_EXPORT)
def get_partner_report(request: ApiRequest, filters: Query[PartnerReportFilter]) -> Any:
    report = partner_report(actor=request.auth, year=filters.year, slug=filters.organisation)
    if filters.format == "csv":
        response = HttpResponse(report.csv(), content_type="text/csv; charset=utf-8")
        _attachment(response, f"trusted_flagger_report_{filters.year}.csv")
        return response
    return report.as_dict()


@router.get("/submissions", response=SubmissionSummaryOut,
            summary="Statements sent to the DSA Transparency Database: counts by status, and those needing a person")
@requires(Perm.TRANSPARENCY_EXPORT)
def get_submissions(request: ApiRequest) -> dict[str, Any]:
    return submission_summary(actor=request.auth)


def _days(start: Any, end: Any) -> Period:
    return period_for(kind="custom", tz="UTC", date=None, from_date=start, to_date=end)


@router.get("/flaggers", response=list[FlaggerPrecisionOut],
            summary="Every trusted partner's precision over a period, lowest first (for DSA Art. 22(6))")
@requires(Perm.SCORECARD_VIEW)
def flaggers(request: ApiRequest, filters: Query[PeriodFilter]) -> list[dict[str, Any]]:
    return [{**row.figures(), "organisation": row.organisation.slug, "organisation_name": row.organisation.name,
             "awarding_dsc": awarding_dsc(row.organisation), "marked": row.marked,
             "last_communication_at": row.last_communication.sent_at if row.last_communication else None}
            for row in flagger_precision(actor=request.auth, period=_days(filters.start, filters.end))]


@router.get("/flaggers/{slug}/dossier", summary="One partner's Art. 22(6) supporting figures (JSON download)")
@requires(Perm.SCORECARD_VIEW)
def flagger_dossier_get(request: ApiRequest, slug: str, filters: Query[PeriodFilter]) -> HttpResponse:
    dossier = flagger_dossier(actor=request.auth, organisation_slug=slug, period=_days(filters.start, filters.end))
    response = HttpResponse(json.dumps(dossier, ensure_ascii=False, indent=2),
                            content_type="application/json; charset=utf-8")
    _attachment(response, f"art22-6_{slug}_{filters.start}_{filters.end}.json")
    return response


@router.post("/flaggers/{slug}/communications", response={201: DscCommunicationOut},
             summary="Record that the partner's figures were sent to its Digital Services Coordinator (audited)")
@requires(Perm.PARTNER_MANAGE)
def communication_record(request: ApiRequest, slug: str, payload: DscCommunicationIn) -> Any:
    sent = dsc_communication_record(actor=request.auth, organisation_slug=slug, note=payload.note, dsc=payload.dsc,
                                    period=_days(payload.start, payload.end))
    return Status(201, {"id": sent.pk, "organisation": slug, "dsc": sent.dsc, "period_start": sent.period_start,
                        "period_end": sent.period_end, "figures": sent.figures, "note": sent.note,
                        "sent_at": sent.sent_at})
