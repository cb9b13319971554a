"""What a page says: its summary, its e-mail text and its structured details, for a case or a law-enforcement request.

Pages leave Trustline (e-mail, webhooks, PagerDuty, SMS gateways), so they
carry only what the person paged needs to get up and open Trustline:

* for an imminent-harm case: the case id, category and country, and the
  partner's imminent-harm reason (as before);
* for an emergency law-enforcement request: the agency, the agency's
  reference, the type of request, the deadline and a link to the request page
  (which only law-enforcement liaisons, legal reviewers and administrators can
  open). Never the identifiers in scope, the data asked for, the officer, the
  legal basis or the reason the agency gave: those stay behind that link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse

from trustline.oncall.models import Emergency, PageStep

if TYPE_CHECKING:
    from trustline.lawenforcement.models import InboundRequest


@dataclass(frozen=True)
class PageText:
    summary: str  # subject line, PagerDuty summary, SMS text
    body: str  # the e-mail text between the summary and the links
    details: dict[str, Any]  # webhook data and PagerDuty custom details


def board_url(emergency: Emergency) -> str:
    return f"{settings.SITE_URL}/emergency/{emergency.pk}"


def le_request_url(request_id: object) -> str:
    return settings.SITE_URL + reverse("lawenforcement:request_detail", kwargs={"request_id": request_id})


def le_request_brief(request: InboundRequest) -> dict[str, Any]:
    """The minimal description of a request that pages, the board and the acknowledge page may show."""
    return {
        "id": str(request.pk),
        "agency": request.agency.name if request.agency is not None else request.agency_name_given,
        "reference": request.reference,
        "request_type": request.request_type,
        "request_type_label": str(request.get_request_type_display()),
        "country": request.country,
        "due_at": request.due_at.isoformat(),
        "url": le_request_url(request.pk),
    }


def page_text(*, emergency: Emergency, step: PageStep, link: str) -> PageText:
    """The words of one page (``link`` is the person's one-time acknowledge link)."""
    common = {
        "emergency_id": str(emergency.pk), "source": emergency.source, "step": step.step_index + 1,
        "round": step.round + 1, "opened_at": emergency.opened_at.isoformat(), "ack_url": link,
        "board_url": board_url(emergency),
    }
    if emergency.le_request is not None:
        brief = le_request_brief(emergency.le_request)
        due = emergency.le_request.due_at
        summary = (f"EMERGENCY law-enforcement request from {brief['agency']} "
                   f"(ref. {brief['reference'] or 'none given'}): answer due {due:%Y-%m-%d %H:%M} UTC")
        body = (f"Agency: {brief['agency']}\nTheir reference: {brief['reference'] or '-'}\n"
                f"Type: {brief['request_type_label']}\nAnswer due: {due:%Y-%m-%d %H:%M} UTC\n"
                f"The request (law-enforcement liaisons, legal reviewers): {brief['url']}\n"
                "Nothing is disclosed before the requester is verified by a call-back to a directory number.")
        return PageText(summary=summary, body=body, details={
            **common, "case_id": None, "le_request_id": brief["id"], "agency": brief["agency"],
            "reference": brief["reference"], "request_type": brief["request_type"], "due_at": brief["due_at"],
            "request_url": brief["url"],
        })
    case = emergency.case
    assert case is not None  # the check constraint: a case when there is no request
    summary = (f"Imminent harm: case {case.pk} ({case.category_code or 'no category'}, "
               f"{case.country or 'no country'}) needs a person now")
    return PageText(summary=summary, body=f"Reason given: {emergency.reason[:500]}", details={
        **common, "case_id": str(case.pk), "reason": emergency.reason[:500],
    })
