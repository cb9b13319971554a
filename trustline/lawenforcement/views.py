"""Pages for liaisons and legal reviewers, and the public contact guide.

Thin: each view reads through a selector or calls one service. Actions are
htmx forms: an htmx POST gets the refreshed panel back, a plain POST a
redirect. Errors from the services become messages naming each field.
The public guide (:func:`public`) needs no sign-in and shows only public fields.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from trustline.accounts.permissions import Actor, Perm
from trustline.accounts.views import portal_view
from trustline.cases.models import Case
from trustline.core.exceptions import ApplicationError, NotFound
from trustline.lawenforcement import directory, holds, inbound, ncmec, ncmec_client, referrals
from trustline.lawenforcement import selectors as sel
from trustline.lawenforcement.choices import (
    AgencyStatus,
    DataType,
    Outcome,
    RequestType,
    ReviewDecision,
    ReviewReason,
    SendChannel,
    Topic,
)
from trustline.lawenforcement.conf import le_setting
from trustline.lawenforcement.out import paging_out
from trustline.lawenforcement.permissions import le_require


def _try(request: HttpRequest, action: Callable[[], Any], success: str) -> bool:
    """Run a service call; report success or every problem it names as messages."""
    try:
        action()
    except ApplicationError as exc:
        details = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.fields.items())
        messages.error(request, f"{exc.message} {details}".strip())
        return False
    messages.success(request, success)
    return True


@require_GET
def public(request: HttpRequest) -> HttpResponse:
    """How to contact law enforcement directly, by country and topic (no sign-in; only public fields)."""
    country, topic = request.GET.get("country", "")[:2], request.GET.get("topic", "")[:40]
    countries = directory.public_directory(country=country, topic=topic)
    return render(request, "lawenforcement/public.html", {
        "countries": countries,
        # Without a filter the directory is already the full list: do not build it twice.
        "all_countries": countries if not (country or topic) else directory.public_directory(),
        "topics": Topic.choices,
        "country": country.upper(), "topic": topic,
    })


@require_GET
@portal_view
def directory_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    q, country = request.GET.get("q", "")[:100], request.GET.get("country", "")[:2]
    return render(request, "lawenforcement/directory.html", {
        "agencies": list(sel.agencies_visible(actor=actor, country=country, q=q)[:300]),
        "stale": list(directory.contacts_stale(actor=actor)[:100]), "q": q, "country": country,
        "can_manage": actor.has(Perm.LE_DIRECTORY_MANAGE),
    })


@require_GET
@portal_view
def agency_page(request: HttpRequest, actor: Actor, agency_id: str) -> HttpResponse:
    return render(request, "lawenforcement/agency.html", {
        "agency": sel.agency_get(actor=actor, agency_id=agency_id), "stale_before": directory.stale_before(),
        "can_manage": actor.has(Perm.LE_DIRECTORY_MANAGE), "statuses": AgencyStatus.choices,
    })


@require_POST
@portal_view
def contact_verify(request: HttpRequest, actor: Actor, contact_id: str) -> HttpResponse:
    contact = None

    def act() -> None:
        nonlocal contact
        contact = directory.contact_verify(actor=actor, contact_id=contact_id, note=request.POST.get("note", ""))

    _try(request, act, _("Recorded: checked today."))
    if contact is None:
        raise NotFound("Contact not found.")
    return redirect("lawenforcement:agency", agency_id=contact.agency_id)


@require_GET
@portal_view
def request_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    status = request.GET.get("status", "")[:16]
    return render(request, "lawenforcement/requests.html", {
        "requests": list(sel.requests_visible(actor=actor, status=status)[:300]), "status": status,
    })


def _request_context(actor: Actor, request_id: str) -> dict[str, Any]:
    req = sel.request_get(actor=actor, request_id=request_id)
    return {
        "req": req, "reviews": list(req.reviews.all()),
        "disclosures": list(sel.disclosures_visible(actor=actor, request_id=req.pk)),
        "holds": list(req.holds.all()),
        "paging": paging_out(req),
        "missing": {} if req.verified_at else inbound.verification_problems(req),
        "warnings": inbound.process_warnings(req.request_type, req.data_types),
        "contacts": list(req.agency.contacts.filter(active=True).exclude(phone="")) if req.agency else [],
        "agencies": list(sel.agencies_visible(actor=actor, country=req.country)) if not req.agency else [],
        "can_handle": actor.has(Perm.LE_REQUEST_HANDLE), "can_review": actor.has(Perm.LE_REQUEST_REVIEW),
        "decisions": ReviewDecision.choices, "reasons": ReviewReason.choices, "data_types": DataType.choices,
        "channels": SendChannel.choices, "outcomes": [(o, Outcome(o).label) for o in
                                                      (Outcome.NO_DATA, Outcome.REJECTED, Outcome.CLARIFICATION)],
    }


@require_GET
@portal_view
def request_detail(request: HttpRequest, actor: Actor, request_id: str) -> HttpResponse:
    return render(request, "lawenforcement/request_detail.html", _request_context(actor, request_id))


def _panel(request: HttpRequest, actor: Actor, request_id: str) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return render(request, "lawenforcement/partials/request_panel.html", _request_context(actor, request_id))
    return redirect("lawenforcement:request_detail", request_id=request_id)


@require_POST
@portal_view
def request_action(request: HttpRequest, actor: Actor, request_id: str, action: str) -> HttpResponse:
    """One of: link (agency), callback, verify, review, disclose, close."""
    post = request.POST
    le_require(actor, Perm.LE_REQUEST_VIEW)
    calls: dict[str, tuple[Callable[[], Any], str]] = {
        "link": (lambda: inbound.request_link_agency(actor=actor, request_id=request_id,
                                                     agency_id=post.get("agency_id", "")), _("Agency matched.")),
        "callback": (lambda: inbound.request_record_callback(
            actor=actor, request_id=request_id, contact_id=post.get("contact_id", ""),
            confirmed=post.get("confirmed") == "yes", notes=post.get("notes", "")[:2000]), _("Call-back recorded.")),
        "verify": (lambda: inbound.request_verify(actor=actor, request_id=request_id), _("Requester verified.")),
        "review": (lambda: inbound.request_review(
            actor=actor, request_id=request_id, decision=post.get("decision", ""), reasons=post.getlist("reasons"),
            notes=post.get("notes", "")[:5000], approved_data_types=post.getlist("approved_data_types")),
            _("Legal review recorded.")),
        "disclose": (lambda: inbound.disclosure_record(
            actor=actor, request_id=request_id, data_types=post.getlist("data_types"),
            fields=[f.strip() for f in post.get("fields", "").split(",") if f.strip()],
            files=[{"name": post.get("file_name", ""), "sha256": post.get("file_sha256", "").lower(),
                    "size": 0}] if post.get("file_name") else [],
            recipient=post.get("recipient", ""), channel=post.get("channel", ""), note=post.get("note", "")[:2000]),
            _("Disclosure recorded in the log.")),
        "close": (lambda: inbound.request_close(actor=actor, request_id=request_id, outcome=post.get("outcome", ""),
                                                note=post.get("note", "")[:2000]), _("Request closed.")),
    }
    if action not in calls:
        raise NotFound("No such action.")
    call, success = calls[action]
    _try(request, call, success)
    return _panel(request, actor, request_id)


@require_GET
@portal_view
def referral_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "lawenforcement/referrals.html", {
        "referrals": list(sel.referrals_visible(actor=actor)[:300]),
        "can_build": actor.has(Perm.LE_REFERRAL_MANAGE),
    })


@portal_view
def referral_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The builder: pick a case, see the suggested agencies, tick fields and justify each."""
    le_require(actor, Perm.LE_REFERRAL_MANAGE)
    case_id = request.POST.get("case_id") or request.GET.get("case_id", "")
    case = None
    if case_id:
        try:
            case = Case.objects.filter(pk=uuid.UUID(case_id)).first()
        except ValueError:  # a malformed id is simply "no case"
            case = None
        if case is None:
            messages.error(request, _("No case with that id."))
    if request.method == "POST" and case is not None:
        chosen = [{"name": n, "justification": request.POST.get(f"why_{n}", "")[:2000]}
                  for n in request.POST.getlist("fields")]
        created: list[Any] = []
        ok = _try(request, lambda: created.append(referrals.referral_create(
            actor=actor, case_id=case.pk, agency_id=request.POST.get("agency_id", ""),
            contact_id=request.POST.get("contact_id") or None, facts=request.POST.get("facts", "")[:10_000],
            fields=chosen)), _("Referral built."))
        if ok:
            return redirect("lawenforcement:referral_detail", referral_id=created[0].pk)
    suggestions = []
    if case is not None:
        suggestions = directory.agency_suggestions(actor=actor, country=case.country, category=case.category_code,
                                                   imminent_harm=case.imminent_harm,
                                                   region=request.GET.get("region", ""))
    return render(request, "lawenforcement/referral_new.html", {
        "case": case, "suggestions": suggestions, "fields": referrals.FIELDS.items(), "post": request.POST,
    })


@require_GET
@portal_view
def referral_detail(request: HttpRequest, actor: Actor, referral_id: str) -> HttpResponse:
    return render(request, "lawenforcement/referral_detail.html", {
        "referral": sel.referral_get(actor=actor, referral_id=referral_id), "channels": SendChannel.choices,
        "can_approve": actor.has(Perm.LE_REFERRAL_APPROVE), "can_send": actor.has(Perm.LE_REFERRAL_MANAGE),
    })


@require_POST
@portal_view
def referral_action(request: HttpRequest, actor: Actor, referral_id: str, action: str) -> HttpResponse:
    post = request.POST
    calls: dict[str, tuple[Callable[[], Any], str]] = {
        "approve": (lambda: referrals.referral_approve(actor=actor, referral_id=referral_id), _("Approved.")),
        "send": (lambda: referrals.referral_send(actor=actor, referral_id=referral_id,
                                                 channel=post.get("channel", ""), sent_to=post.get("sent_to", "")),
                 _("Sending recorded.")),
        "acknowledge": (lambda: referrals.referral_acknowledge(
            actor=actor, referral_id=referral_id, acknowledgement=post.get("acknowledgement", "")[:2000]),
            _("Acknowledgement recorded.")),
        "cancel": (lambda: referrals.referral_cancel(actor=actor, referral_id=referral_id,
                                                     reason=post.get("reason", "")[:2000]), _("Cancelled.")),
    }
    if action not in calls:
        raise NotFound("No such action.")
    sel.referral_get(actor=actor, referral_id=referral_id)
    call, success = calls[action]
    _try(request, call, success)
    return redirect("lawenforcement:referral_detail", referral_id=referral_id)


@require_GET
@portal_view
def hold_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "lawenforcement/holds.html", {
        "holds": list(sel.holds_visible(actor=actor, active=True)[:500]),
        "can_manage": actor.has(Perm.LE_REQUEST_HANDLE) or actor.has(Perm.LE_REQUEST_REVIEW),
    })


@require_POST
@portal_view
def hold_action(request: HttpRequest, actor: Actor, hold_id: str, action: str) -> HttpResponse:
    sel.hold_get(actor=actor, hold_id=hold_id)
    if action == "extend":
        _try(request, lambda: holds.hold_extend(actor=actor, hold_id=hold_id), _("Extended by 90 days."))
    elif action == "release":
        _try(request, lambda: holds.hold_release(actor=actor, hold_id=hold_id,
                                                 reason=request.POST.get("reason", "")[:2000]), _("Released."))
    else:
        raise NotFound("No such action.")
    return redirect("lawenforcement:holds")


@portal_view
def ncmec_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    """CyberTipline reports: generate one for a child-safety case (validated), read its XML, file it."""
    le_require(actor, Perm.LE_REFERRAL_MANAGE)
    if request.method == "POST":
        case_id = request.POST.get("case_id", "").strip()
        try:
            case_uuid = uuid.UUID(case_id)
        except ValueError:
            messages.error(request, _("No case with that id."))
        else:
            case = Case.objects.filter(pk=case_uuid).first()
            if case is None:
                messages.error(request, _("No case with that id."))
            else:
                options = ncmec.default_options(case)
                _try(request, lambda: ncmec.ncmec_report_generate(actor=actor, case_id=case.pk, options=options),
                     _("Report generated and valid against NCMEC's schema."))
        return redirect("lawenforcement:ncmec")
    return render(request, "lawenforcement/ncmec.html", {
        "reports": list(sel.ncmec_reports_visible(actor=actor)[:200]),
        "enabled": bool(le_setting("NCMEC")["ENABLED"]),
    })


@require_POST
@portal_view
def ncmec_submit(request: HttpRequest, actor: Actor, report_id: str) -> HttpResponse:
    sel.ncmec_report_get(actor=actor, report_id=report_id)
    _try(request, lambda: ncmec_client.ncmec_report_submit(actor=actor, report_id=report_id), _("Filed with NCMEC."))
    return redirect("lawenforcement:ncmec")


def _identifiers(text: str) -> list[dict[str, str]]:
    """One identifier per line, ``kind: value`` (``account: kite-user-1``); a bare value is an account."""
    result = []
    for line in text.splitlines():
        if not line.strip():
            continue
        kind, sep, value = line.partition(":")
        if not sep or kind.strip() not in ("account", "case", "report", "url"):
            kind, value = "account", line
        result.append({"kind": kind.strip(), "value": value.strip()})
    return result


@portal_view
def request_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Record a request as it arrived (e-mail, portal, fax): the form behind ``POST /requests``."""
    le_require(actor, Perm.LE_REQUEST_HANDLE)
    post = request.POST
    if request.method == "POST":
        date_ranges = []
        try:
            if post.get("date_from") and post.get("date_to"):
                date_ranges = [{"from": dt.date.fromisoformat(post["date_from"]),
                                "to": dt.date.fromisoformat(post["date_to"])}]
            due_at = (dt.datetime.fromisoformat(post["due_at"]).replace(tzinfo=dt.UTC)
                      if post.get("due_at") else None)
            hours = int(post["deadline_hours"]) if post.get("deadline_hours") else None
        except ValueError:
            messages.error(request, _("Dates must be YYYY-MM-DD and the deadline a whole number of hours."))
        else:
            agency_id = post.get("agency_id", "")
            agency = sel.agencies_visible(actor=actor).filter(pk=agency_id).first() if _is_uuid(agency_id) else None
            created: list[Any] = []
            data = inbound.RequestData(
                request_type=post.get("request_type", ""), agency_id=str(agency.pk) if agency else None,
                agency_name=post.get("agency_name", "") or (agency.name if agency else ""),
                country=post.get("country", "") or (agency.country if agency else ""),
                officer_name=post.get("officer_name", ""), officer_email=post.get("officer_email", ""),
                officer_phone=post.get("officer_phone", ""), reference=post.get("reference", ""),
                legal_basis=post.get("legal_basis", ""), identifiers=_identifiers(post.get("identifiers", "")),
                data_types=post.getlist("data_types"), date_ranges=date_ranges, summary=post.get("summary", ""),
                emergency_reason=post.get("emergency_reason", ""), due_at=due_at, deadline_hours=hours,
            )
            if _try(request, lambda: created.append(inbound.request_receive(actor=actor, data=data)),
                    _("Request recorded.")):
                return redirect("lawenforcement:request_detail", request_id=created[0].pk)
    return render(request, "lawenforcement/request_new.html", {
        "types": RequestType.choices, "data_types": DataType.choices, "post": post,
        "agencies": list(sel.agencies_visible(actor=actor).exclude(status="retired")),
    })


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
