"""Trends pages: spikes (list, evidence, dismiss), incidents (list, summary, members), the insight report.

Thin: reads through the trends selectors, the one write (dismissing a spike)
through ``spike_dismiss``; the same view answers an htmx request with just
the fragment it replaces. Sample texts are partners' copies of hostile
content: always rendered escaped.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from trustline.accounts.permissions import Actor, Perm, require
from trustline.accounts.views import portal_view
from trustline.core import clock
from trustline.core.exceptions import ValidationFailed
from trustline.partners.models import Accreditation
from trustline.trends.choices import IncidentKind, Signal, SpikeStatus
from trustline.trends.insight import insight_report_build, insight_report_html, insight_report_pdf
from trustline.trends.selectors import (
    incident_decidable_case_ids,
    incident_get,
    incident_list,
    incident_members,
    incident_summary,
    spike_get,
    spike_list,
)
from trustline.trends.services import spike_dismiss

PAGE_SIZE = 25
MEMBERS_SHOWN = 200


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


@require_GET
@portal_view
def home(request: HttpRequest, actor: Actor) -> HttpResponseBase:
    if actor.has(Perm.SPIKE_VIEW):
        return redirect("trends:spike_list")
    if actor.has(Perm.INCIDENT_VIEW):
        return redirect("trends:incident_list")
    return redirect("trends:insight")


class SpikeFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", _("Any status")), *SpikeStatus.choices], required=False)
    country = forms.CharField(max_length=2, required=False)


@require_GET
@portal_view
def spike_list_view(request: HttpRequest, actor: Actor) -> HttpResponse:
    require(actor, Perm.SPIKE_VIEW)
    form = SpikeFilterForm(request.GET or None)
    status = country = None
    if form.is_valid():
        status = form.cleaned_data["status"] or None
        country = form.cleaned_data["country"] or None
    page = Paginator(spike_list(actor=actor, status=status, country=country), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"form": form, "page_obj": page}
    template = "trends/partials/spike_table.html" if _htmx(request) else "trends/spike_list.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@portal_view
def spike_detail(request: HttpRequest, actor: Actor, spike_id: uuid.UUID) -> HttpResponse:
    spike = spike_get(actor=actor, spike_id=spike_id)
    error = ""
    if request.method == "POST":
        try:
            spike = spike_dismiss(actor=actor, spike_id=spike.pk, reason=request.POST.get("reason", ""))
            messages.success(request, _("Dismissed as a false alarm; the reason is recorded."))
        except ValidationFailed as exc:
            error = exc.message
        if _htmx(request):
            return render(request, "trends/partials/spike_status.html",
                          {"spike": spike, "error": error, "can_dismiss": actor.has(Perm.SPIKE_DISMISS)})
    context = {"spike": spike, "error": error, "can_dismiss": actor.has(Perm.SPIKE_DISMISS)}
    return render(request, "trends/spike_detail.html", context)


class IncidentFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", _("Incidents and campaigns")), *IncidentKind.choices], required=False)
    country = forms.CharField(max_length=2, required=False)


@require_GET
@portal_view
def incident_list_view(request: HttpRequest, actor: Actor) -> HttpResponse:
    require(actor, Perm.INCIDENT_VIEW)
    form = IncidentFilterForm(request.GET or None)
    kind = country = None
    if form.is_valid():
        kind = form.cleaned_data["kind"] or None
        country = form.cleaned_data["country"] or None
    incidents = incident_list(actor=actor, kind=kind, country=country).filter(member_count__gt=1)
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "trends/partials/incident_table.html" if _htmx(request) else "trends/incident_list.html"
    return render(request, template, {"form": form, "page_obj": page})


@require_GET
@portal_view
def incident_detail(request: HttpRequest, actor: Actor, incident_id: uuid.UUID) -> HttpResponse:
    incident = incident_get(actor=actor, incident_id=incident_id)
    summary = incident_summary(incident=incident)
    members = list(incident_members(incident=incident)[:MEMBERS_SHOWN])
    context = {
        "incident": incident, "summary": summary, "members": members,
        "more_members": max(0, incident.member_count - len(members)),
        "decidable": incident_decidable_case_ids(incident=incident),
        "can_decide": actor.has(Perm.DECISION_RECORD),
        "can_open_cases": actor.has(Perm.QUEUE_VIEW),
        "signals": [(Signal(s).label if s in Signal.values else s, n) for s, n in sorted(incident.signals.items())],
    }
    return render(request, "trends/incident_detail.html", context)


class InsightForm(forms.Form):
    period_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    period_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    partner = forms.ChoiceField(label=_("Partner"), required=False)
    format = forms.ChoiceField(label=_("Format"), choices=[("html", "HTML"), ("pdf", "PDF")], initial="pdf")

    def __init__(self, *args: object, staff: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's loosely typed signature
        if staff:
            partners = Accreditation.objects.select_related("organisation").order_by("organisation__name")
            field = self.fields["partner"]
            assert isinstance(field, forms.ChoiceField)
            options = [(a.organisation.slug, a.organisation.name) for a in partners]
            field.choices = [("", _("Whole programme")), *options]
        else:
            del self.fields["partner"]


@require_GET
@portal_view
def insight(request: HttpRequest, actor: Actor) -> HttpResponseBase:
    """The form; with its fields filled in (GET), the report as a download."""
    require(actor, Perm.INSIGHT_REPORT_VIEW)
    today = clock.now().astimezone(dt.UTC).date()
    initial = {"period_from": today - dt.timedelta(days=7), "period_to": today - dt.timedelta(days=1)}
    form = InsightForm(request.GET if "period_from" in request.GET else None, initial=initial,
                       staff=actor.is_staff_side)
    error = ""
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            report = insight_report_build(actor=actor, period_from=data["period_from"], period_to=data["period_to"],
                                          partner=data.get("partner") or None)
        except ValidationFailed as exc:
            error = exc.message
        else:
            if data["format"] == "pdf":
                response = HttpResponse(insight_report_pdf(report), content_type="application/pdf")
                response["Content-Disposition"] = f'attachment; filename="{report.slug}.pdf"'
            else:
                response = HttpResponse(insight_report_html(report), content_type="text/html; charset=utf-8")
                response["Content-Disposition"] = f'attachment; filename="{report.slug}.html"'
            return response
    return render(request, "trends/insight.html", {"form": form, "error": error})
