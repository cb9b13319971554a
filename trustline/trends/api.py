"""Spike detection, incident clustering and insight reports (API).

Spikes: programme managers, policy analysts, escalation leads and auditors
read them; programme managers and policy analysts dismiss them as false
alarms. Incidents: reviewers too, so related cases can be decided together
(``POST /incidents/{id}/decide``, or ``POST /decisions/bulk`` with the
members' case ids). The insight report: partners (their countries only) and
programme staff. Everyone else gets 403 from the operation's permission.
"""

from typing import Any

from django.http import HttpResponse
from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from trustline.accounts.permissions import Perm, requires
from trustline.core.exceptions import NotFound
from trustline.core.types import ApiRequest
from trustline.review.api import decision_out
from trustline.review.inputs import decision_input
from trustline.review.paging import Mapped
from trustline.review.schemas import DecisionIn, DecisionOut
from trustline.trends.insight import insight_report_build, insight_report_html, insight_report_pdf
from trustline.trends.models import Incident, IncidentMember, Spike
from trustline.trends.schemas import (
    IncidentDetailOut,
    IncidentFilter,
    IncidentMemberOut,
    IncidentOut,
    InsightReportQuery,
    SpikeDismissIn,
    SpikeFilter,
    SpikeOut,
)
from trustline.trends.selectors import (
    incident_decidable_case_ids,
    incident_for_case,
    incident_get,
    incident_list,
    incident_members,
    incident_summary,
    spike_get,
    spike_list,
)
from trustline.trends.services import incident_decide, spike_dismiss

router = Router(tags=["trends"])


def spike_out(spike: Spike) -> dict[str, Any]:
    return {
        "id": spike.id, "day": spike.day, "country": spike.country, "category": spike.category_code,
        "language": spike.language, "observed": spike.observed, "expected": spike.expected,
        "p_value": spike.p_value, "p_same_weekday": spike.p_same_weekday, "series_tested": spike.series_tested,
        "method": spike.method, "evidence": spike.baseline, "status": spike.status,
        "detected_at": spike.detected_at, "updated_at": spike.updated_at, "dismissed_at": spike.dismissed_at,
        "dismissed_by": spike.dismissed_by.get_username() if spike.dismissed_by else None,
        "dismiss_reason": spike.dismiss_reason,
    }


def incident_out(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id, "kind": incident.kind, "title": incident.title, "member_count": incident.member_count,
        "account_count": incident.account_count, "partner_count": incident.partner_count,
        "countries": incident.countries, "languages": incident.languages, "categories": incident.categories,
        "signals": incident.signals, "first_seen_at": incident.first_seen_at, "last_seen_at": incident.last_seen_at,
        "created_at": incident.created_at,
    }


def member_out(member: IncidentMember) -> dict[str, Any]:
    return {
        "case_id": member.case_id, "signal": member.signal, "signal_value": member.signal_value,
        "matched_case_id": member.matched_case_id, "similarity": member.similarity, "joined_at": member.joined_at,
        "case_status": member.case.status, "country": member.case.country, "category": member.case.category_code,
        "opened_at": member.case.opened_at,
    }


@router.get("/spikes", response=list[SpikeOut], summary="Detected spikes of reports, newest day first")
@requires(Perm.SPIKE_VIEW)
@paginate(LimitOffsetPagination)
def list_spikes(request: ApiRequest, filters: Query[SpikeFilter]) -> Any:
    spikes = spike_list(
        actor=request.auth, status=filters.status, country=filters.country, category=filters.category,
        language=filters.language, day_from=filters.day_from, day_to=filters.day_to,
    )
    return Mapped(spikes, spike_out)


@router.get("/spikes/{spike_id}", response=SpikeOut, summary="One spike with its evidence")
@requires(Perm.SPIKE_VIEW)
def get_spike(request: ApiRequest, spike_id: str) -> dict[str, Any]:
    return spike_out(spike_get(actor=request.auth, spike_id=spike_id))


@router.post("/spikes/{spike_id}/dismiss", response=SpikeOut,
             summary="Dismiss a spike as a false alarm, with the reason (409 if already dismissed)")
@requires(Perm.SPIKE_DISMISS)
def dismiss_spike(request: ApiRequest, spike_id: str, payload: SpikeDismissIn) -> dict[str, Any]:
    return spike_out(spike_dismiss(actor=request.auth, spike_id=spike_id, reason=payload.reason))


@router.get("/incidents", response=list[IncidentOut],
            summary="Incidents and campaigns (clusters of related cases), most recently active first")
@requires(Perm.INCIDENT_VIEW)
@paginate(LimitOffsetPagination)
def list_incidents(request: ApiRequest, filters: Query[IncidentFilter]) -> Any:
    incidents = incident_list(actor=request.auth, kind=filters.kind, country=filters.country, since=filters.since)
    return Mapped(incidents, incident_out)


@router.get("/incidents/{incident_id}", response=IncidentDetailOut,
            summary="An incident: counts, countries, languages, first/last seen, sample texts, decidable cases")
@requires(Perm.INCIDENT_VIEW)
def get_incident(request: ApiRequest, incident_id: str) -> dict[str, Any]:
    incident = incident_get(actor=request.auth, incident_id=incident_id)
    summary = incident_summary(incident=incident)
    return {
        **incident_out(incident), "open_cases": summary.open_cases, "sample_texts": summary.sample_texts,
        "decidable_case_ids": incident_decidable_case_ids(incident=incident),
    }


@router.get("/incidents/{incident_id}/members", response=list[IncidentMemberOut],
            summary="The cases of an incident, with the signal that joined each")
@requires(Perm.INCIDENT_VIEW)
@paginate(LimitOffsetPagination)
def list_members(request: ApiRequest, incident_id: str) -> Any:
    incident = incident_get(actor=request.auth, incident_id=incident_id)
    return Mapped(incident_members(incident=incident), member_out)


@router.post("/incidents/{incident_id}/decide", response={201: list[DecisionOut]},
             summary="The same decision on every open member of the incident (at most 100), all or nothing")
@requires(Perm.INCIDENT_VIEW)
def decide_incident(request: ApiRequest, incident_id: str, payload: DecisionIn) -> Status[list[dict[str, Any]]]:
    decisions = incident_decide(actor=request.auth, incident_id=incident_id, data=decision_input(payload))
    return Status(201, [decision_out(d) for d in decisions])


@router.get("/cases/{case_id}/incident", response=IncidentOut, summary="The incident a case belongs to (404 if none)")
@requires(Perm.INCIDENT_VIEW)
def case_incident(request: ApiRequest, case_id: str) -> dict[str, Any]:
    incident = incident_for_case(actor=request.auth, case_id=case_id)
    if incident is None:
        raise NotFound("This case is in no incident.")
    return incident_out(incident_get(actor=request.auth, incident_id=incident.pk))


@router.get("/insight-report", summary="The insight report as HTML or PDF (partners: their countries only)")
@requires(Perm.INSIGHT_REPORT_VIEW)
def insight_report(request: ApiRequest, query: Query[InsightReportQuery]) -> HttpResponse:
    report = insight_report_build(actor=request.auth, period_from=query.period_from, period_to=query.period_to,
                                  partner=query.partner)
    if query.format == "pdf":
        response = HttpResponse(insight_report_pdf(report), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{report.slug}.pdf"'
    else:
        response = HttpResponse(insight_report_html(report), content_type="text/html; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{report.slug}.html"'
    response["Cache-Control"] = "no-store"
    return response
