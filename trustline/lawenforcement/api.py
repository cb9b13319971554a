"""Law-enforcement directory, requests, holds, disclosures, referrals, NCMEC reports and figures (API).

Everything here is for the platform's own liaisons, legal reviewers and
administrators; partners get 404 for every path (``le_requires``), staff
without the role 403. The one exception is ``GET /public/directory``: the
public contact guide, without authentication, showing only public fields.
"""

from typing import Any

from django.http import HttpResponse
from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from trustline.accounts.permissions import Perm
from trustline.cases.models import Case
from trustline.core.exceptions import NotFound
from trustline.core.types import ApiRequest
from trustline.lawenforcement import directory, holds, inbound, referrals
from trustline.lawenforcement import ncmec as ncmec_build
from trustline.lawenforcement import ncmec_client as ncmec_file
from trustline.lawenforcement import selectors as sel
from trustline.lawenforcement.figures import figures_for
from trustline.lawenforcement.out import (
    agency_out,
    disclosure_out,
    hold_out,
    ncmec_out,
    referral_out,
    request_out,
    stale_contact_out,
)
from trustline.lawenforcement.permissions import le_requires
from trustline.lawenforcement.schemas import (
    AcknowledgeIn,
    AgencyFilter,
    AgencyIn,
    AgencyOut,
    AgencyStatusIn,
    CallbackIn,
    CloseIn,
    ContactIn,
    DisclosureIn,
    DisclosureOut,
    FiguresFilter,
    FiguresOut,
    HoldFilter,
    HoldIn,
    HoldOut,
    HoldReleaseIn,
    LinkAgencyIn,
    NcmecFilter,
    NcmecIn,
    NcmecOut,
    PublicCountryOut,
    PublicFilter,
    ReasonIn,
    ReferralFieldOut,
    ReferralIn,
    ReferralOut,
    RequestFilter,
    RequestIn,
    RequestOut,
    ReviewIn,
    ReviewOut,
    SendIn,
    StaleContactOut,
    SuggestionFilter,
    SuggestionOut,
    VerifyNoteIn,
)
from trustline.review.paging import Mapped

router = Router(tags=["law enforcement"])


# --- Public ------------------------------------------------------------------------------------------


@router.get("/public/directory", response=list[PublicCountryOut], auth=None,
            summary="How to contact law enforcement, by country and topic (public: no sign-in)")
def public_directory(request: ApiRequest, filters: Query[PublicFilter]) -> list[dict[str, Any]]:
    return directory.public_directory(country=filters.country, topic=filters.topic)


# --- Directory ---------------------------------------------------------------------------------------


def _agency_data(payload: AgencyIn) -> directory.AgencyData:
    return directory.AgencyData(**payload.dict())


def _contact_data(payload: ContactIn) -> directory.ContactData:
    values = payload.dict()
    values.pop("active")
    return directory.ContactData(**values)


@router.get("/agencies", response=list[AgencyOut], summary="The agency directory")
@le_requires(Perm.LE_DIRECTORY_VIEW)
@paginate(LimitOffsetPagination)
def list_agencies(request: ApiRequest, filters: Query[AgencyFilter]) -> Any:
    return Mapped(sel.agencies_visible(actor=request.auth, country=filters.country, topic=filters.topic,
                                       q=filters.q), agency_out)


@router.post("/agencies", response={201: AgencyOut}, summary="Add an agency (a draft until it has two contacts)")
@le_requires(Perm.LE_DIRECTORY_MANAGE)
def create_agency(request: ApiRequest, payload: AgencyIn) -> Status[dict[str, Any]]:
    agency = directory.agency_create(actor=request.auth, data=_agency_data(payload))
    return Status(201, agency_out(sel.agency_get(actor=request.auth, agency_id=agency.pk)))


@router.get("/agencies/{agency_id}", response=AgencyOut, summary="One agency with its contacts")
@le_requires(Perm.LE_DIRECTORY_VIEW)
def get_agency(request: ApiRequest, agency_id: str) -> dict[str, Any]:
    return agency_out(sel.agency_get(actor=request.auth, agency_id=agency_id))


@router.put("/agencies/{agency_id}", response=AgencyOut, summary="Change an agency")
@le_requires(Perm.LE_DIRECTORY_MANAGE)
def update_agency(request: ApiRequest, agency_id: str, payload: AgencyIn) -> dict[str, Any]:
    directory.agency_update(actor=request.auth, agency_id=agency_id, data=_agency_data(payload))
    return agency_out(sel.agency_get(actor=request.auth, agency_id=agency_id))


@router.post("/agencies/{agency_id}/status", response=AgencyOut,
             summary="Mark complete (at least two active contacts), draft or retired")
@le_requires(Perm.LE_DIRECTORY_MANAGE)
def set_agency_status(request: ApiRequest, agency_id: str, payload: AgencyStatusIn) -> dict[str, Any]:
    directory.agency_set_status(actor=request.auth, agency_id=agency_id, status=payload.status)
    return agency_out(sel.agency_get(actor=request.auth, agency_id=agency_id))


@router.post("/agencies/{agency_id}/contacts", response={201: AgencyOut}, summary="Add a contact to an agency")
@le_requires(Perm.LE_DIRECTORY_MANAGE)
def add_contact(request: ApiRequest, agency_id: str, payload: ContactIn) -> Status[dict[str, Any]]:
    directory.contact_add(actor=request.auth, agency_id=agency_id, data=_contact_data(payload))
    return Status(201, agency_out(sel.agency_get(actor=request.auth, agency_id=agency_id)))


@router.get("/contacts/stale", response=list[StaleContactOut],
            summary="Contacts due for re-verification (not verified for STALE_CONTACT_DAYS)")
@le_requires(Perm.LE_DIRECTORY_VIEW)
@paginate(LimitOffsetPagination)
def stale_contacts(request: ApiRequest) -> Any:
    return Mapped(directory.contacts_stale(actor=request.auth), stale_contact_out)


@router.put("/contacts/{contact_id}", response=AgencyOut, summary="Change or deactivate a contact")
@le_requires(Perm.LE_DIRECTORY_MANAGE)
def update_contact(request: ApiRequest, contact_id: str, payload: ContactIn) -> dict[str, Any]:
    contact = directory.contact_update(actor=request.auth, contact_id=contact_id, data=_contact_data(payload),
                                       active=payload.active)
    return agency_out(sel.agency_get(actor=request.auth, agency_id=contact.agency_id))


@router.post("/contacts/{contact_id}/verify", response=AgencyOut, summary="Record that the contact was checked today")
@le_requires(Perm.LE_DIRECTORY_MANAGE)
def verify_contact(request: ApiRequest, contact_id: str, payload: VerifyNoteIn) -> dict[str, Any]:
    contact = directory.contact_verify(actor=request.auth, contact_id=contact_id, note=payload.note)
    return agency_out(sel.agency_get(actor=request.auth, agency_id=contact.agency_id))


@router.get("/suggestions", response=list[SuggestionOut],
            summary="Which agencies to contact for a case (or a country, region and category), best first")
@le_requires(Perm.LE_DIRECTORY_VIEW)
def suggestions(request: ApiRequest, filters: Query[SuggestionFilter]) -> list[dict[str, Any]]:
    country, category, imminent = filters.country, filters.category, filters.imminent_harm
    if filters.case_id is not None:
        case = Case.objects.filter(pk=filters.case_id).first()
        if case is None:
            raise NotFound("Case not found.")
        country, category, imminent = case.country, case.category_code, case.imminent_harm
    found = directory.agency_suggestions(actor=request.auth, country=country, region=filters.region,
                                         city=filters.city, category=category, imminent_harm=imminent)
    return [{"agency": agency_out(s.agency), "score": s.score, "reasons": s.reasons} for s in found]


# --- Inbound requests --------------------------------------------------------------------------------


def _request(request: ApiRequest, request_id: Any) -> dict[str, Any]:
    return request_out(sel.request_get(actor=request.auth, request_id=request_id))


@router.get("/requests", response=list[RequestOut], summary="Inbound requests, unanswered first by deadline")
@le_requires(Perm.LE_REQUEST_VIEW)
@paginate(LimitOffsetPagination)
def list_requests(request: ApiRequest, filters: Query[RequestFilter]) -> Any:
    return Mapped(sel.requests_visible(actor=request.auth, status=filters.status, request_type=filters.request_type,
                                       emergency=filters.emergency, overdue=filters.overdue), request_out)


@router.post("/requests", response={201: RequestOut}, summary="Record a request as received",
             description="Emergency requests get an hour deadline and are paged through the emergency lane "
                         "(`paging` in the answer); preservation requests hold the identified records for 90 days "
                         "at once.")
@le_requires(Perm.LE_REQUEST_HANDLE)
def receive_request(request: ApiRequest, payload: RequestIn) -> Status[dict[str, Any]]:
    data = inbound.RequestData(
        request_type=payload.request_type, agency_name=payload.agency_name, country=payload.country,
        officer_name=payload.officer_name, officer_email=payload.officer_email, legal_basis=payload.legal_basis,
        identifiers=[i.dict() for i in payload.identifiers], data_types=payload.data_types,
        agency_id=str(payload.agency_id) if payload.agency_id else None, officer_phone=payload.officer_phone,
        reference=payload.reference, date_ranges=[{"from": d.from_, "to": d.to} for d in payload.date_ranges],
        summary=payload.summary, emergency_reason=payload.emergency_reason, due_at=payload.due_at,
        deadline_hours=payload.deadline_hours,
    )
    created = inbound.request_receive(actor=request.auth, data=data)
    return Status(201, _request(request, created.pk))


@router.get("/requests/{request_id}", response=RequestOut, summary="One request, with what its verification lacks")
@le_requires(Perm.LE_REQUEST_VIEW)
def get_request(request: ApiRequest, request_id: str) -> dict[str, Any]:
    return _request(request, request_id)


@router.post("/requests/{request_id}/agency", response=RequestOut, summary="Match the request to a directory agency")
@le_requires(Perm.LE_REQUEST_HANDLE)
def link_agency(request: ApiRequest, request_id: str, payload: LinkAgencyIn) -> dict[str, Any]:
    inbound.request_link_agency(actor=request.auth, request_id=request_id, agency_id=payload.agency_id)
    return _request(request, request_id)


@router.post("/requests/{request_id}/callback", response=RequestOut,
             summary="Record the call-back to a directory number (never the request's)")
@le_requires(Perm.LE_REQUEST_HANDLE)
def record_callback(request: ApiRequest, request_id: str, payload: CallbackIn) -> dict[str, Any]:
    inbound.request_record_callback(actor=request.auth, request_id=request_id, contact_id=payload.contact_id,
                                    confirmed=payload.confirmed, notes=payload.notes)
    return _request(request, request_id)


@router.post("/requests/{request_id}/verify", response=RequestOut,
             summary="Verify the requester: known agency, matching e-mail domain, confirmed call-back")
@le_requires(Perm.LE_REQUEST_HANDLE)
def verify_request(request: ApiRequest, request_id: str) -> dict[str, Any]:
    inbound.request_verify(actor=request.auth, request_id=request_id)
    return _request(request, request_id)


@router.post("/requests/{request_id}/review", response={201: ReviewOut},
             summary="Legal review: comply, comply_in_part, reject or clarify, with reasons")
@le_requires(Perm.LE_REQUEST_REVIEW)
def review_request(request: ApiRequest, request_id: str, payload: ReviewIn) -> Status[dict[str, Any]]:
    sel.request_get(actor=request.auth, request_id=request_id)
    review = inbound.request_review(actor=request.auth, request_id=request_id, decision=payload.decision,
                                    reasons=payload.reasons, notes=payload.notes,
                                    approved_data_types=payload.approved_data_types)
    from trustline.lawenforcement.out import review_out

    return Status(201, review_out(review))


@router.post("/requests/{request_id}/disclosures", response={201: DisclosureOut},
             summary="Record data sent under the request (refused unless verified and approved)")
@le_requires(Perm.LE_REQUEST_HANDLE)
def disclose(request: ApiRequest, request_id: str, payload: DisclosureIn) -> Status[dict[str, Any]]:
    disclosure = inbound.disclosure_record(
        actor=request.auth, request_id=request_id, data_types=payload.data_types, fields=payload.fields,
        files=[f.dict() for f in payload.files], recipient=payload.recipient, channel=payload.channel,
        note=payload.note)
    return Status(201, disclosure_out(sel.disclosures_visible(actor=request.auth).get(pk=disclosure.pk)))


@router.post("/requests/{request_id}/close", response=RequestOut, summary="Close without (further) disclosure")
@le_requires(Perm.LE_REQUEST_HANDLE, Perm.LE_REQUEST_REVIEW)
def close_request(request: ApiRequest, request_id: str, payload: CloseIn) -> dict[str, Any]:
    inbound.request_close(actor=request.auth, request_id=request_id, outcome=payload.outcome, note=payload.note)
    return _request(request, request_id)


@router.get("/disclosures", response=list[DisclosureOut], summary="The disclosure log (append-only), newest first")
@le_requires(Perm.LE_REQUEST_VIEW)
@paginate(LimitOffsetPagination)
def list_disclosures(request: ApiRequest, request_id: str | None = None) -> Any:
    return Mapped(sel.disclosures_visible(actor=request.auth, request_id=request_id), disclosure_out)


# --- Holds -------------------------------------------------------------------------------------------


@router.get("/holds", response=list[HoldOut], summary="Legal holds, soonest expiry first")
@le_requires(Perm.LE_REQUEST_VIEW)
@paginate(LimitOffsetPagination)
def list_holds(request: ApiRequest, filters: Query[HoldFilter]) -> Any:
    return Mapped(sel.holds_visible(actor=request.auth, active=filters.active, subject_value=filters.subject),
                  hold_out)


@router.post("/holds", response={201: HoldOut}, summary="Place a manual 90-day hold")
@le_requires(Perm.LE_REQUEST_HANDLE, Perm.LE_REQUEST_REVIEW)
def create_hold(request: ApiRequest, payload: HoldIn) -> Status[dict[str, Any]]:
    hold = holds.hold_create(actor=request.auth, subject_kind=payload.subject_kind,
                             subject_value=payload.subject_value, note=payload.note)
    return Status(201, hold_out(hold))


@router.post("/holds/{hold_id}/extend", response=HoldOut, summary="Extend an active hold once by 90 days")
@le_requires(Perm.LE_REQUEST_HANDLE, Perm.LE_REQUEST_REVIEW)
def extend_hold(request: ApiRequest, hold_id: str) -> dict[str, Any]:
    return hold_out(holds.hold_extend(actor=request.auth, hold_id=hold_id))


@router.post("/holds/{hold_id}/release", response=HoldOut, summary="End a hold early, with the reason")
@le_requires(Perm.LE_REQUEST_HANDLE, Perm.LE_REQUEST_REVIEW)
def release_hold(request: ApiRequest, hold_id: str, payload: HoldReleaseIn) -> dict[str, Any]:
    return hold_out(holds.hold_release(actor=request.auth, hold_id=hold_id, reason=payload.reason))


# --- Outbound referrals ------------------------------------------------------------------------------


@router.get("/referrals/fields", response=list[ReferralFieldOut],
            summary="What a referral package may contain (each chosen with a justification)")
@le_requires(Perm.LE_REFERRAL_MANAGE, Perm.LE_REFERRAL_APPROVE)
def referral_fields(request: ApiRequest) -> list[dict[str, Any]]:
    return [{"name": n, "label": f.label, "personal": f.personal} for n, f in referrals.FIELDS.items()]


@router.get("/referrals", response=list[ReferralOut], summary="Outbound referrals, newest first")
@le_requires(Perm.LE_REFERRAL_MANAGE, Perm.LE_REFERRAL_APPROVE)
@paginate(LimitOffsetPagination)
def list_referrals(request: ApiRequest, status: str = "") -> Any:
    return Mapped(sel.referrals_visible(actor=request.auth, status=status), referral_out)


@router.post("/referrals", response={201: ReferralOut},
             summary="Build a referral: only the fields selected go into the package")
@le_requires(Perm.LE_REFERRAL_MANAGE)
def create_referral(request: ApiRequest, payload: ReferralIn) -> Status[dict[str, Any]]:
    referral = referrals.referral_create(
        actor=request.auth, case_id=payload.case_id, agency_id=payload.agency_id, facts=payload.facts,
        fields=[f.dict() for f in payload.fields], contact_id=payload.contact_id,
        review_referral_id=payload.review_referral_id)
    return Status(201, referral_out(sel.referral_get(actor=request.auth, referral_id=referral.pk)))


@router.get("/referrals/{referral_id}", response=ReferralOut, summary="One referral with its package")
@le_requires(Perm.LE_REFERRAL_MANAGE, Perm.LE_REFERRAL_APPROVE)
def get_referral(request: ApiRequest, referral_id: str) -> dict[str, Any]:
    return referral_out(sel.referral_get(actor=request.auth, referral_id=referral_id))


@router.post("/referrals/{referral_id}/approve", response=ReferralOut,
             summary="Second approval of a package with personal data (not by its author)")
@le_requires(Perm.LE_REFERRAL_APPROVE)
def approve_referral(request: ApiRequest, referral_id: str) -> dict[str, Any]:
    referrals.referral_approve(actor=request.auth, referral_id=referral_id)
    return referral_out(sel.referral_get(actor=request.auth, referral_id=referral_id))


@router.post("/referrals/{referral_id}/send", response=ReferralOut, summary="Record the sending (e-mail: via outbox)")
@le_requires(Perm.LE_REFERRAL_MANAGE)
def send_referral(request: ApiRequest, referral_id: str, payload: SendIn) -> dict[str, Any]:
    referrals.referral_send(actor=request.auth, referral_id=referral_id, channel=payload.channel,
                            sent_to=payload.sent_to)
    return referral_out(sel.referral_get(actor=request.auth, referral_id=referral_id))


@router.post("/referrals/{referral_id}/acknowledge", response=ReferralOut,
             summary="Record the agency's acknowledgement")
@le_requires(Perm.LE_REFERRAL_MANAGE)
def acknowledge_referral(request: ApiRequest, referral_id: str, payload: AcknowledgeIn) -> dict[str, Any]:
    referrals.referral_acknowledge(actor=request.auth, referral_id=referral_id,
                                   acknowledgement=payload.acknowledgement)
    return referral_out(sel.referral_get(actor=request.auth, referral_id=referral_id))


@router.post("/referrals/{referral_id}/cancel", response=ReferralOut, summary="Cancel an unsent referral")
@le_requires(Perm.LE_REFERRAL_MANAGE)
def cancel_referral(request: ApiRequest, referral_id: str, payload: ReasonIn) -> dict[str, Any]:
    referrals.referral_cancel(actor=request.auth, referral_id=referral_id, reason=payload.reason)
    return referral_out(sel.referral_get(actor=request.auth, referral_id=referral_id))


# --- NCMEC CyberTipline ------------------------------------------------------------------------------


@router.get("/ncmec-reports", response=list[NcmecOut], summary="CyberTipline reports, newest first")
@le_requires(Perm.LE_REFERRAL_MANAGE)
@paginate(LimitOffsetPagination)
def list_ncmec(request: ApiRequest, filters: Query[NcmecFilter]) -> Any:
    return Mapped(sel.ncmec_reports_visible(actor=request.auth, case_id=filters.case_id), ncmec_out)


@router.post("/ncmec-reports", response={201: NcmecOut},
             summary="Generate a child-safety case's report, validated against NCMEC's XSD (422 with every problem)")
@le_requires(Perm.LE_REFERRAL_MANAGE)
def generate_ncmec(request: ApiRequest, payload: NcmecIn) -> Status[dict[str, Any]]:
    options = ncmec_build.ReportOptions(
        incident_type=payload.incident_type, incident_at=payload.incident_at, escalate_reason=payload.escalate_reason,
        account_identifiers=payload.account_identifiers, annotations=payload.annotations,
        additional_info=payload.additional_info)
    report = ncmec_build.ncmec_report_generate(actor=request.auth, case_id=payload.case_id, options=options)
    return Status(201, ncmec_out(report))


@router.get("/ncmec-reports/{report_id}", response=NcmecOut, summary="One CyberTipline report")
@le_requires(Perm.LE_REFERRAL_MANAGE)
def get_ncmec(request: ApiRequest, report_id: str) -> dict[str, Any]:
    return ncmec_out(sel.ncmec_report_get(actor=request.auth, report_id=report_id))


@router.get("/ncmec-reports/{report_id}/xml", summary="The report XML as sent to NCMEC")
@le_requires(Perm.LE_REFERRAL_MANAGE)
def get_ncmec_xml(request: ApiRequest, report_id: str) -> HttpResponse:
    report = sel.ncmec_report_get(actor=request.auth, report_id=report_id)
    return HttpResponse(report.xml, content_type="application/xml; charset=utf-8")


@router.post("/ncmec-reports/{report_id}/submit", response=NcmecOut,
             summary="File with NCMEC (409 ncmec_disabled unless the deployment turned the client on)")
@le_requires(Perm.LE_REFERRAL_MANAGE)
def submit_ncmec(request: ApiRequest, report_id: str) -> dict[str, Any]:
    return ncmec_out(ncmec_file.ncmec_report_submit(actor=request.auth, report_id=report_id))


@router.post("/ncmec-reports/{report_id}/retract", response=NcmecOut, summary="Cancel an opened, unfinished filing")
@le_requires(Perm.LE_REFERRAL_MANAGE)
def retract_ncmec(request: ApiRequest, report_id: str) -> dict[str, Any]:
    return ncmec_out(ncmec_file.ncmec_report_retract(actor=request.auth, report_id=report_id))


# --- Figures -----------------------------------------------------------------------------------------


@router.get("/figures", response=FiguresOut,
            summary="Government requests by country, type and outcome; time to respond by type")
@le_requires(Perm.LE_FIGURES_VIEW)
def figures(request: ApiRequest, filters: Query[FiguresFilter]) -> dict[str, Any]:
    return figures_for(actor=request.auth, date_from=filters.date_from, date_to=filters.date_to)
