"""The partner web portal: submit a report, upload a CSV, follow reports and their timelines.

Views are thin: forms check shapes, the intake services (``report_submit``,
``bulk_submit``, ``evidence_attach``) do the work exactly as for the API, and
reads go through the intake selectors, so a partner sees only its own
organisation's reports (another organisation's report is a 404, like a
missing one). Everything a partner typed is rendered escaped: reported content
is hostile by nature.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pydantic import ValidationError as PydanticValidationError

from trustline.accounts.permissions import Actor, Perm
from trustline.accounts.views import portal_view
from trustline.core.csvsafe import write_rows
from trustline.core.exceptions import Conflict, Gone, ValidationFailed
from trustline.intake import selectors
from trustline.intake.bulk import bulk_submit
from trustline.intake.choices import Channel, ItemKind, Target, TimelineKind
from trustline.intake.evidence import evidence_attach, evidence_open
from trustline.intake.forms import (
    COMMON_LANGUAGES,
    BulkUploadForm,
    ReportFilterForm,
    ReportForm,
    apply_service_errors,
    build_report_in,
    carried_over,
    country_name,
    item_formset,
    pydantic_fields,
)
from trustline.intake.models import Report
from trustline.intake.preview import evidence_excerpt, evidence_preview
from trustline.intake.schemas import ReportFilter
from trustline.intake.services import SubmitResult, check_can_submit, report_submit
from trustline.review.choices import Outcome
from trustline.taxonomy.selectors import category_list

PAGE_SIZE = 25
BULK_ROWS_SHOWN = 200  # a 10,000-row result would not load on a weak connection
MORE_ROWS = 3


def home(request: HttpRequest) -> HttpResponse:
    return redirect("intake:report_list" if request.user.is_authenticated else "login")


# --- Submitting a report -----------------------------------------------------


def _partner_profile(actor: Actor) -> tuple[list[str], list[str]]:
    """Countries and languages the partner's accreditation covers (for defaults and shortcuts)."""
    accreditation = getattr(actor.organisation, "accreditation", None) if actor.organisation else None
    if accreditation is None:
        return [], []
    return [str(c) for c in accreditation.countries], [str(tag) for tag in accreditation.languages]


def _idempotency_token(request: HttpRequest) -> str:
    """The per-render token of the form, or a new one if it is missing or not ours."""
    raw = request.POST.get("idempotency_key", "") if request.method == "POST" else ""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return str(uuid.uuid4())


def _ack_message(result: SubmitResult) -> str:
    report = result.report
    received = f"{timezone.localtime(report.received_at):%Y-%m-%d %H:%M} ({timezone.get_current_timezone_name()})"
    case_ids = list(dict.fromkeys(str(item.case_id) for item in result.items))
    cases = ", ".join(case_ids[:5])
    if len(case_ids) > 5:
        cases += " " + _("and %(count)d more") % {"count": len(case_ids) - 5}
    values = {"id": report.pk, "at": received, "count": report.item_count, "cases": cases}
    if not result.created:
        return _(
            "This report was already received at %(at)s (report %(id)s); it was not sent twice."
        ) % values
    items = ngettext("%(count)d item", "%(count)d items", report.item_count) % values
    return _("Report %(id)s received. Received at %(at)s, %(items)s, case ids %(cases)s.") % {
        **values, "items": items,
    }


def _attach_files(request: HttpRequest, actor: Actor, report: Report, files: list[Any], *, replay: bool) -> None:
    """Attach evidence one file at a time; a refused file never undoes the report or the other files."""
    attached = 0
    for upload in files:
        name = upload.name or "upload"
        try:
            evidence_attach(
                actor=actor, report=report, fileobj=upload, name=name, declared_type=upload.content_type,
            )
        except Conflict as exc:
            if replay:
                continue  # the first, interrupted attempt already stored this file
            messages.error(request, _("Evidence file “%(name)s” was not attached: %(reason)s") % {
                "name": name, "reason": exc.message,
            })
        except ValidationFailed as exc:
            reason = "; ".join(r for reasons in exc.fields.values() for r in reasons) or exc.message
            messages.error(request, _(
                "Evidence file “%(name)s” was refused: %(reason)s. The report itself is stored; "
                "you can add another file on this page."
            ) % {"name": name, "reason": reason})
        else:
            attached += 1
    if attached:
        messages.success(request, ngettext(
            "%(count)d evidence file attached.", "%(count)d evidence files attached.", attached
        ) % {"count": attached})


@require_http_methods(["GET", "POST"])
@portal_view
def report_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The report form.

    1. "More rows" (the no-JavaScript way to add items) shows the form again
       with what was typed and three more empty rows, without validating.
    2. A valid form becomes a ``ReportIn`` and goes to ``report_submit`` with
       the form's hidden per-render token as idempotency key: a double submit
       on a flaky connection returns the first report instead of a second one.
    3. Evidence files are attached after the report is stored.
    """
    check_can_submit(actor)
    categories = list(category_list())
    countries, languages = _partner_profile(actor)
    token = _idempotency_token(request)
    kwargs: dict[str, Any] = {"categories": categories, "partner_countries": countries}
    if request.method == "POST" and "more_rows" in request.POST:
        values, rows = carried_over(ReportForm(request.POST, **kwargs), item_formset(data=request.POST))
        form = ReportForm(initial=values, **kwargs)
        formset = item_formset(initial=rows, extra=len(rows) + MORE_ROWS)
        if request.FILES:
            messages.info(request, _("Files are not kept when rows are added: choose your evidence files again."))
    elif request.method == "POST":
        form = ReportForm(request.POST, request.FILES, **kwargs)
        formset = item_formset(data=request.POST)
        if form.is_valid() and formset.is_valid():
            items = formset.filled_forms()
            try:
                result = report_submit(
                    actor=actor, data=build_report_in(form, items), channel=Channel.WEB, idempotency_key=token,
                )
            except PydanticValidationError as exc:
                apply_service_errors(form, formset, items, pydantic_fields(exc))
            except ValidationFailed as exc:
                apply_service_errors(form, formset, items, exc.fields or {"": [exc.message]})
            except Conflict:
                token = str(uuid.uuid4())
                form.add_error(None, _(
                    "This form was already sent once, with different content, and that report is stored "
                    "(see My reports). Your changes were not sent. To send them as a new report, press Send again."
                ))
            else:
                messages.success(request, _ack_message(result))
                _attach_files(request, actor, result.report, form.cleaned_data["evidence"],
                              replay=not result.created)
                return redirect("intake:report_detail", report_id=result.report.pk)
    else:
        form = ReportForm(initial={"country": countries[0] if countries else ""}, **kwargs)
        formset = item_formset()
    context = {
        "form": form,
        "formset": formset,
        "idempotency_key": token,
        "language_options": list(dict.fromkeys([*languages, *COMMON_LANGUAGES])),
        "files_lost": request.method == "POST" and bool(request.FILES) and form.is_bound,
    }
    return render(request, "intake/report_new.html", context)


# --- Reading reports ---------------------------------------------------------


@require_GET
@portal_view
def report_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    categories = list(category_list())
    filter_form = ReportFilterForm(request.GET or None, categories=categories)
    filters = filter_form.filters() if request.GET else {}
    reports = selectors.report_list(actor=actor, filters=ReportFilter(**filters))
    show_organisation = actor.has(Perm.REPORT_VIEW_ALL)
    if show_organisation:
        reports = reports.select_related("organisation")
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    export_query = {k: ("true" if v else "false") if isinstance(v, bool) else v for k, v in filters.items()}
    context = {
        "filter_form": filter_form,
        "filtered": bool(filters),
        "page_obj": page,
        "show_organisation": show_organisation,
        # The CSV export is the API's (session auth works for GET), with the same filters and visibility.
        "export_url": reverse("api-v1:export_reports") + ("?" + urlencode(export_query) if export_query else ""),
        "can_submit": actor.has(Perm.REPORT_SUBMIT),
    }
    return render(request, "intake/report_list.html", context)


def _timeline(report: Report) -> list[dict[str, Any]]:
    """The partner-visible timeline, worded for people."""
    events = []
    for event in report.timeline.all():
        data = event.data if isinstance(event.data, dict) else {}
        detail = ""
        if event.kind == TimelineKind.RECEIVED:
            count = int(data.get("items") or report.item_count)
            label = ngettext("Received: %(count)d item", "Received: %(count)d items", count) % {"count": count}
        elif event.kind == TimelineKind.EVIDENCE_ADDED:
            label, detail = _("Evidence added"), str(data.get("content_type") or "")
        else:
            label = str(event.get_kind_display())
        # Decisions: the outcome in words, the reviewer's explanation and what to contest (trustline.console)
        if event.kind == TimelineKind.DECIDED and data.get("outcome"):
            detail = str(dict(Outcome.choices).get(str(data["outcome"]), data["outcome"]))
        events.append({"at": event.at, "kind": event.kind, "label": label, "detail": detail,
                       "explanation": str(data.get("explanation") or ""),
                       "decision_id": str(data.get("decision_id") or "")})
    return events


@require_GET
@portal_view
def report_detail(request: HttpRequest, actor: Actor, report_id: uuid.UUID) -> HttpResponse:
    report = selectors.report_get(actor=actor, report_id=report_id)
    targets = dict(Target.choices)
    context = {
        "report": report,
        "items": list(report.items.all()),
        "evidence": list(report.evidence.all()),
        "timeline": _timeline(report),
        "country_name": country_name(report.country),
        "target_labels": [targets.get(t, t) for t in report.targets],
        "show_case": actor.is_staff_side,
        "show_organisation": actor.organisation_id != report.organisation_id,
        "can_download": actor.has(Perm.EVIDENCE_VIEW),
        "can_add_evidence": actor.has(Perm.REPORT_SUBMIT) and actor.organisation_id == report.organisation_id,
        "submission_keys": selectors.report_submission_keys(actor=actor, report=report),
    }
    return render(request, "intake/report_detail.html", context)


@require_POST
@portal_view
def evidence_add(request: HttpRequest, actor: Actor, report_id: uuid.UUID) -> HttpResponse:
    """Add evidence to a stored report (e.g. a file refused at submission, or a later screenshot)."""
    report = selectors.report_get(actor=actor, report_id=report_id)
    files = request.FILES.getlist("evidence")
    if not files:
        messages.error(request, _("Choose at least one file to add."))
    else:
        _attach_files(request, actor, report, files, replay=False)
    return redirect("intake:report_detail", report_id=report.pk)


@require_GET
@portal_view
def evidence_download(
    request: HttpRequest, actor: Actor, report_id: uuid.UUID, evidence_id: uuid.UUID
) -> HttpResponseBase:
    """Always a download, never shown inline; the read is audited by ``evidence_open``."""
    evidence = selectors.evidence_get(actor=actor, report_id=report_id, evidence_id=evidence_id)
    try:
        handle = evidence_open(actor=actor, evidence=evidence)
    except Gone as exc:
        return _refusal(exc)
    return _inert(FileResponse(handle, content_type=evidence.content_type, as_attachment=True,
                               filename=f"evidence-{evidence.pk}{evidence.extension}"))


def _inert(response: HttpResponseBase) -> HttpResponseBase:
    """Bytes that came from a partner: never sniffed into another type, never run as a page."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _refusal(exc: ValidationFailed | Gone) -> HttpResponse:
    return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")


@require_GET
@portal_view
def evidence_preview_image(
    request: HttpRequest, actor: Actor, report_id: uuid.UUID, evidence_id: uuid.UUID
) -> HttpResponseBase:
    """A re-encoded JPEG of an image (``preview.evidence_preview``); 422 with the reason when none can be made."""
    evidence = selectors.evidence_get(actor=actor, report_id=report_id, evidence_id=evidence_id)
    try:
        data = evidence_preview(actor=actor, evidence=evidence)
    except (ValidationFailed, Gone) as exc:
        return _refusal(exc)
    return _inert(HttpResponse(data, content_type="image/jpeg"))


@require_GET
@portal_view
def evidence_excerpt_text(
    request: HttpRequest, actor: Actor, report_id: uuid.UUID, evidence_id: uuid.UUID
) -> HttpResponse:
    """The start of a text evidence file, escaped, as a fragment the case page loads when it is opened.

    htmx swaps only successful answers, so to an htmx request a refusal is a 200 fragment saying why
    (the reviewer sees it where the text would be); to anyone else, its status.
    """
    evidence = selectors.evidence_get(actor=actor, report_id=report_id, evidence_id=evidence_id)
    try:
        excerpt = evidence_excerpt(actor=actor, evidence=evidence)
    except (ValidationFailed, Gone) as exc:
        status = 200 if request.headers.get("HX-Request") else exc.status
        return render(request, "intake/partials/evidence_excerpt.html", {"refused": exc.message}, status=status)
    return render(request, "intake/partials/evidence_excerpt.html", {"excerpt": excerpt})


# --- Bulk CSV ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@portal_view
def bulk_upload(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Upload a CSV and show the per-row result.

    With htmx the form posts in the background and only the panel (form and
    result) is returned; without JavaScript the same view returns the page.
    """
    check_can_submit(actor)
    result: dict[str, Any] | None = None
    token = _idempotency_token(request)
    form = BulkUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = bulk_submit(
                actor=actor, upload=form.cleaned_data["file"], all_or_nothing=form.cleaned_data["all_or_nothing"],
                channel=Channel.BULK, default_bona_fide=form.cleaned_data["bona_fide"], idempotency_key=token,
            )
        except Conflict:
            token = str(uuid.uuid4())
            form.add_error("file", _(
                "This form was already sent once, with another file, and that upload is stored (see My reports). "
                "To upload this file as well, press “Upload and check” again."
            ))
        except ValidationFailed as exc:
            for name, reasons in (exc.fields or {"file": [exc.message]}).items():
                for reason in reasons:
                    form.add_error("file", reason if name == "file" else f"{name}: {reason}")
        else:
            token = str(uuid.uuid4())  # the next upload on this page is a new one
            form = BulkUploadForm(initial={"all_or_nothing": form.cleaned_data["all_or_nothing"],
                                           "bona_fide": form.cleaned_data["bona_fide"]})
    context: dict[str, Any] = {"form": form, "result": result, "idempotency_key": token}
    if result is not None:
        context |= {
            "errors_shown": result["errors"][:BULK_ROWS_SHOWN],
            "errors_hidden": max(0, len(result["errors"]) - BULK_ROWS_SHOWN),
            "reports_shown": result["reports"][:BULK_ROWS_SHOWN],
            "reports_hidden": max(0, len(result["reports"]) - BULK_ROWS_SHOWN),
        }
    if request.headers.get("HX-Request"):
        return render(request, "intake/partials/bulk_panel.html", context)
    context |= {"categories": list(category_list()), "targets": Target.choices, "kinds": ", ".join(ItemKind.values)}
    return render(request, "intake/bulk_upload.html", context)


BULK_TEMPLATE_HEADER = (
    "url", "platform_id", "kind", "excerpt", "category", "explanation", "country", "language", "imminent_harm",
    "imminent_harm_reason", "targets", "bona_fide", "report_ref",
)
BULK_TEMPLATE_ROWS = (
    (
        "https://example.com/posts/123456", "", "post", "The words of the post as you saw them",
        "threat_to_life", "The post names a local journalist, gives her home address and calls for an attack.",
        "SD", "ar", "true", "Calls for an attack tonight at a named address", "journalist", "true", "KRT-0001",
    ),
    ("", "9876543210", "account", "", "", "", "", "", "", "", "", "", "KRT-0001"),
)


@require_GET
@portal_view
def bulk_template(request: HttpRequest, actor: Actor) -> HttpResponse:
    """A CSV to start from: the header and two rows of one report (rows share a report_ref)."""
    body = write_rows(BULK_TEMPLATE_HEADER, BULK_TEMPLATE_ROWS)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="trustline-bulk-template.csv"'
    return response
