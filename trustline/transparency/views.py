"""The transparency pages: partners' Art. 22(3) annual report, staff exports, and trusted flaggers' precision.

Thin: the figures come from :mod:`trustline.transparency.partner` and the
selectors; downloads are the API's (session authentication works for GET),
so the page and the API can never disagree.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from trustline.accounts.permissions import Actor, Perm
from trustline.accounts.views import portal_view
from trustline.core import clock
from trustline.core.exceptions import ApplicationError, PermissionDenied
from trustline.metrics.periods import period_for
from trustline.transparency.flaggers import dsc_communication_record, flagger_precision, min_decided, precision_below
from trustline.transparency.partner import FIRST_YEAR, partner_report
from trustline.transparency.selectors import submission_summary


def _api(name: str, **params: str | int) -> str:
    return reverse(f"api-v1:{name}") + "?" + urlencode(params)


def _date(raw: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(raw) if raw else default
    except ValueError:
        return default


@require_GET
@portal_view
def index(request: HttpRequest, actor: Actor) -> HttpResponse:
    staff = actor.has(Perm.TRANSPARENCY_EXPORT)
    partner = actor.has(Perm.TRANSPARENCY_PARTNER_REPORT) and actor.organisation is not None \
        and not actor.organisation.is_platform
    if not (staff or partner):
        raise PermissionDenied("Your role does not allow this (transparency.export).")
    today = clock.now().date()
    context: dict[str, object] = {"staff": staff, "partner": partner,
                                  "perms_scorecards": actor.has(Perm.SCORECARD_VIEW)}
    if partner:
        try:
            year = int(request.GET.get("year", today.year))
        except ValueError:
            year = today.year
        year = min(max(year, FIRST_YEAR), today.year)
        report = partner_report(actor=actor, year=year)
        context.update({
            "year": year, "years": list(range(today.year, FIRST_YEAR - 1, -1)), "report": report,
            "csv_url": _api("get_partner_report", year=year, format="csv"),
            "json_url": _api("get_partner_report", year=year),
        })
    if staff:
        start = _date(request.GET.get("from"), today.replace(month=1, day=1))
        end = _date(request.GET.get("to"), today)
        period = {"from": start.isoformat(), "to": end.isoformat()}
        context.update({
            "start": start, "end": end,
            "statements_url": _api("export_statements", **period),
            "batches_url": _api("export_statements", **period, format="batches"),
            "gaps_url": _api("statement_gaps", **period),
            "notices_url": _api("report_section", **period, section="4_notices"),
            "complaints_url": _api("report_section", **period, section="7_appeals_and_recidivism"),
            "orders_url": _api("report_section", **period, section="3_member_states_orders"),
            "flaggers_url": _api("report_section", **period, section="x_notices_by_trusted_flagger"),
            "xlsx_url": _api("report_xlsx", **period),
            "submissions": submission_summary(actor=actor),
        })
    return render(request, "transparency/index.html", context)


@require_http_methods(["GET", "POST"])
@portal_view
def flaggers(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Trusted flaggers' precision over a period (programme managers), the Art. 22(6) figures, and the record form."""
    if not actor.has(Perm.SCORECARD_VIEW):
        raise PermissionDenied("Your role does not allow this (metrics.scorecard_view).")
    today = clock.now().date()
    source = request.POST if request.method == "POST" else request.GET
    start = _date(source.get("from"), today - dt.timedelta(days=182))
    end = max(start, _date(source.get("to"), today))
    period = period_for(kind="custom", tz="UTC", date=None, from_date=start, to_date=end)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            sent = dsc_communication_record(actor=actor, organisation_slug=request.POST.get("organisation", ""),
                                            period=period, note=request.POST.get("note", ""),
                                            dsc=request.POST.get("dsc", ""))
        except ApplicationError as exc:
            errors = exc.fields or {"": [exc.message]}
        else:
            messages.success(request, _("Recorded: the figures of %(partner)s were sent to %(dsc)s.") % {
                "partner": sent.organisation.name, "dsc": sent.dsc})
            back = urlencode({"from": start.isoformat(), "to": end.isoformat()})
            return redirect(f"{reverse('transparency:flaggers')}?{back}")
    rows = flagger_precision(actor=actor, period=period)
    return render(request, "transparency/flaggers.html", {
        "rows": rows, "start": start, "end": end, "errors": errors, "form": request.POST,
        "can_record": actor.has(Perm.PARTNER_MANAGE), "min_decided": min_decided(),
        "precision_below": precision_below(),
        "dossier_query": urlencode({"from": start.isoformat(), "to": end.isoformat()}),
    }, status=400 if errors else 200)
