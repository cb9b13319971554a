"""Inbound law-enforcement requests: receipt, verification, legal review, disclosure, closing, deadlines.

The one rule that matters most: **no data leaves for an unverified
requester**. :func:`disclosure_record` refuses unless the request is
verified (known agency, e-mail domain matching the directory, a recorded
call-back to a number from the directory) and a legal reviewer decided to
comply, in full or in part, and then only the data types the reviewer
approved.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from trustline.accounts.choices import Role
from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM, Actor, Perm
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound, ValidationFailed
from trustline.lawenforcement.choices import (
    DATA_CLASS,
    DISCLOSING_DECISIONS,
    OPEN_REQUEST_STATUSES,
    PROCESS_REACH,
    AgencyStatus,
    DataType,
    HoldReason,
    IdentifierKind,
    Outcome,
    RequestStatus,
    RequestType,
    ReviewDecision,
    ReviewReason,
    SendChannel,
)
from trustline.lawenforcement.conf import le_int
from trustline.lawenforcement.directory import fail, parse_uuid, user_of
from trustline.lawenforcement.holds import hold_place
from trustline.lawenforcement.models import Agency, AgencyContact, Disclosure, InboundRequest, LegalReview
from trustline.lawenforcement.notify import (
    LIAISONS,
    notify,
    page_emergency,
    staff_with_roles,
    stop_paging,
    working_on,
)
from trustline.lawenforcement.permissions import le_require

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
HOLDABLE = {IdentifierKind.ACCOUNT: "account", IdentifierKind.CASE: "case", IdentifierKind.REPORT: "report"}


@dataclasses.dataclass(frozen=True)
class RequestData:
    request_type: str
    agency_name: str
    country: str
    officer_name: str
    officer_email: str
    legal_basis: str
    identifiers: Sequence[Mapping[str, str]]
    data_types: Sequence[str]
    agency_id: str | None = None
    officer_phone: str = ""
    reference: str = ""
    date_ranges: Sequence[Mapping[str, dt.date]] = ()
    summary: str = ""
    emergency_reason: str = ""
    due_at: dt.datetime | None = None
    deadline_hours: int | None = None


def domain_matches(email: str, domains: Sequence[str]) -> bool:
    """The e-mail's domain is one of ``domains`` or a subdomain of one (``x.police.gov`` under ``police.gov``)."""
    domain = email.rsplit("@", 1)[-1].strip().lower()
    return any(domain == d or domain.endswith("." + d) for d in domains)


def process_warnings(request_type: str, data_types: Sequence[str]) -> list[str]:
    """Data types the type of process does not reach under §2703 (advice for the legal reviewer)."""
    reach = PROCESS_REACH.get(request_type)
    if reach is None:
        return []
    return [
        f"{DataType(t).label} is {DATA_CLASS[t]} data, which a {RequestType(request_type).label} does not reach"
        for t in data_types if t in DATA_CLASS and DATA_CLASS[t] not in reach
    ]


def _deadline(data: RequestData, now: dt.datetime, errors: dict[str, list[str]]) -> dt.datetime:
    if data.request_type == RequestType.EMERGENCY_DISCLOSURE:
        hours = data.deadline_hours if data.deadline_hours is not None else le_int("EMERGENCY_DEADLINE_HOURS")
        if data.due_at is not None:
            hours = max(1, int((data.due_at - now).total_seconds() // 3600))
        if not 1 <= hours <= le_int("EMERGENCY_MAX_HOURS"):
            errors["deadline_hours"] = [f"an emergency deadline is 1 to {le_int('EMERGENCY_MAX_HOURS')} hours away"]
        return now + dt.timedelta(hours=hours)
    if data.deadline_hours is not None:
        errors["deadline_hours"] = ["only emergency requests have hour deadlines; give due_at"]
    if data.due_at is not None:
        if data.due_at <= now:
            errors["due_at"] = ["must be in the future"]
        return data.due_at
    days = le_int("PRESERVATION_DEADLINE_DAYS" if data.request_type == RequestType.PRESERVATION
                  else "DEFAULT_DEADLINE_DAYS")
    return now + dt.timedelta(days=days)


def request_receive(*, actor: Actor, data: RequestData) -> InboundRequest:
    """Record a request as received; page for emergencies; hold the records of a preservation request.

    1. Validate every field (type, agency if named, e-mail, identifiers,
       date ranges, data types, deadline), naming each problem.
    2. Compute the deadline: emergencies in whole hours (default
       ``EMERGENCY_DEADLINE_HOURS``), others the given date or a default.
    3. Record the e-mail domain check against the agency's registered domains.
    4. Emergency: page through the emergency lane (the person on call, then
       up the escalation chain until someone acknowledges; see
       :mod:`trustline.oncall.law_enforcement`).
       Preservation: a 90-day hold on each account, case and report
       identifier (preserving discloses nothing, so it does not wait for
       verification); the request's outcome becomes ``preserved``.
    """
    le_require(actor, Perm.LE_REQUEST_HANDLE)
    now = clock.now()
    errors: dict[str, list[str]] = {}
    if data.request_type not in RequestType.values:
        errors["request_type"] = [f"one of {', '.join(RequestType.values)}"]
    agency: Agency | None = None
    if data.agency_id:
        try:
            agency = Agency.objects.filter(pk=uuid.UUID(str(data.agency_id))).first()
        except ValueError:
            agency = None
        if agency is None:
            errors["agency_id"] = ["no such agency in the directory"]
    if "@" not in data.officer_email:
        errors["officer_email"] = ["an e-mail address"]
    for field_name in ("agency_name", "officer_name", "legal_basis"):
        if not str(getattr(data, field_name)).strip():
            errors[field_name] = ["required"]
    if not data.identifiers:
        errors["identifiers"] = ["name at least one account, case, report or URL in scope"]
    for i, ident in enumerate(data.identifiers):
        if ident.get("kind") not in IdentifierKind.values:
            errors[f"identifiers.{i}.kind"] = [f"one of {', '.join(IdentifierKind.values)}"]
        if not str(ident.get("value", "")).strip():
            errors[f"identifiers.{i}.value"] = ["required"]
    for i, span in enumerate(data.date_ranges):
        if span["from"] > span["to"]:
            errors[f"date_ranges.{i}"] = ["from is after to"]
    if not data.data_types:
        errors["data_types"] = ["name at least one data type"]
    for i, kind in enumerate(data.data_types):
        if kind not in DataType.values:
            errors[f"data_types.{i}"] = [f"one of {', '.join(DataType.values)}"]
    emergency = data.request_type == RequestType.EMERGENCY_DISCLOSURE
    if emergency and not data.emergency_reason.strip():
        errors["emergency_reason"] = ["say what danger of death or serious injury the agency describes"]
    due_at = _deadline(data, now, errors)
    fail(errors)
    with transaction.atomic():
        request = InboundRequest.objects.create(
            request_type=data.request_type, reference=data.reference.strip(), agency=agency,
            agency_name_given=data.agency_name.strip(), country=data.country.upper(),
            officer_name=data.officer_name.strip(), officer_email=data.officer_email.strip(),
            officer_phone=data.officer_phone.strip(), legal_basis=data.legal_basis.strip(),
            identifiers=[{"kind": i["kind"], "value": str(i["value"]).strip()} for i in data.identifiers],
            date_ranges=[{"from": s["from"].isoformat(), "to": s["to"].isoformat()} for s in data.date_ranges],
            data_types=list(dict.fromkeys(data.data_types)), summary=data.summary, emergency=emergency,
            emergency_reason=data.emergency_reason, received_at=now, due_at=due_at, created_by=user_of(actor),
            email_domain_ok=domain_matches(data.officer_email, agency.email_domains) if agency else None,
        )
        audit_record(actor=actor, action=AuditAction.LE_REQUEST_RECEIVED, target=request, data={
            "type": request.request_type, "agency": str(agency.pk) if agency else None,
            "agency_name": request.agency_name_given, "due_at": due_at, "data_types": request.data_types,
            "identifiers": len(request.identifiers),
        })
        if emergency:
            page_emergency(actor=actor, request_id=request.pk, now=now)
        if request.request_type == RequestType.PRESERVATION:
            for ident in request.identifiers:
                if ident["kind"] in HOLDABLE:
                    hold_place(actor=actor, subject_kind=HOLDABLE[ident["kind"]], subject_value=ident["value"],
                               reason=HoldReason.PRESERVATION_REQUEST, days=le_int("HOLD_DAYS"), request=request)
            request.outcome = Outcome.PRESERVED
            request.responded_at = now
            request.save(update_fields=["outcome", "responded_at"])
    return request


def _locked_request(request_id: str | uuid.UUID) -> InboundRequest:
    found = (InboundRequest.objects.select_for_update()
             .filter(pk=parse_uuid(request_id, "Request")).first())
    if found is None:
        raise NotFound("Request not found.")
    return found


def request_link_agency(*, actor: Actor, request_id: str | uuid.UUID, agency_id: str | uuid.UUID) -> InboundRequest:
    """Match the request to a directory agency (the domain check is redone against its domains)."""
    le_require(actor, Perm.LE_REQUEST_HANDLE)
    with transaction.atomic():
        request = _locked_request(request_id)
        if request.verified_at is not None:
            raise Conflict("The request is already verified against its agency.", code="already_verified")
        agency = Agency.objects.filter(pk=parse_uuid(agency_id, "Agency")).first()
        if agency is None:
            raise ValidationFailed.field("agency_id", "no such agency in the directory")
        request.agency = agency
        request.email_domain_ok = domain_matches(request.officer_email, agency.email_domains)
        request.callback_contact = None
        request.callback_at = None
        request.save(update_fields=["agency", "email_domain_ok", "callback_contact", "callback_at"])
        audit_record(actor=actor, action=AuditAction.LE_REQUEST_VERIFIED, target=request,
                     data={"step": "agency_linked", "agency": str(agency.pk),
                           "email_domain_ok": request.email_domain_ok})
    return request


def request_record_callback(
    *, actor: Actor, request_id: str | uuid.UUID, contact_id: str | uuid.UUID, confirmed: bool, notes: str = "",
) -> InboundRequest:
    """Record the call-back: who called, when, and the directory number they used (never the request's).

    The contact must be an active contact of the request's agency with a
    phone number; ``confirmed`` is whether the agency confirmed the request.
    An unconfirmed call is recorded (audited) but does not count.
    """
    le_require(actor, Perm.LE_REQUEST_HANDLE)
    with transaction.atomic():
        request = _locked_request(request_id)
        if request.agency_id is None:
            raise Conflict("Link the request to a directory agency first.", code="agency_unknown")
        contact = AgencyContact.objects.filter(pk=parse_uuid(contact_id, "Contact"), agency_id=request.agency_id,
                                               active=True).first()
        if contact is None:
            raise ValidationFailed.field("contact_id", "not an active contact of the request's agency")
        if not contact.phone:
            raise ValidationFailed.field("contact_id", "this contact has no phone number in the directory")
        now = clock.now()
        if confirmed:
            request.callback_contact = contact
            request.callback_number = contact.phone
            request.callback_by = user_of(actor)
            request.callback_at = now
            request.callback_notes = notes
            request.save(update_fields=["callback_contact", "callback_number", "callback_by", "callback_at",
                                        "callback_notes"])
        audit_record(actor=actor, action=AuditAction.LE_REQUEST_CALLBACK, target=request, data={
            "contact": str(contact.pk), "number": contact.phone, "confirmed": confirmed, "at": now, "notes": notes,
        })
        if request.emergency:
            working_on(actor=actor, request_id=request.pk, step="callback")
    return request


def verification_problems(request: InboundRequest) -> dict[str, list[str]]:
    """What still stands between the request and "verified" (empty when it may be verified)."""
    problems: dict[str, list[str]] = {}
    agency = request.agency
    if agency is None:
        problems["agency"] = ["not matched to a directory agency"]
    elif agency.status == AgencyStatus.RETIRED:
        problems["agency"] = ["the agency is retired in the directory"]
    if agency is not None and not domain_matches(request.officer_email, agency.email_domains):
        problems["officer_email"] = ["its domain is not one the directory has for this agency"]
    if request.callback_at is None or request.callback_contact_id is None:
        problems["callback"] = ["no confirmed call-back to a directory number is recorded"]
    elif agency is not None and request.callback_contact is not None \
            and request.callback_contact.agency_id != agency.pk:
        problems["callback"] = ["the call-back went to another agency's contact"]
    return problems


def request_verify(*, actor: Actor, request_id: str | uuid.UUID) -> InboundRequest:
    """Mark the requester verified once the agency, the e-mail domain and the call-back all check out."""
    le_require(actor, Perm.LE_REQUEST_HANDLE)
    with transaction.atomic():
        request = _locked_request(request_id)
        if request.verified_at is not None:
            return request
        problems = verification_problems(request)
        if problems:
            raise ValidationFailed("The requester cannot be verified yet.", code="unverified", fields=problems)
        request.email_domain_ok = True
        request.verified_at = clock.now()
        update = ["email_domain_ok", "verified_at"]
        if request.status == RequestStatus.RECEIVED:
            request.status = RequestStatus.VERIFIED
            update.append("status")
        request.save(update_fields=update)
        audit_record(actor=actor, action=AuditAction.LE_REQUEST_VERIFIED, target=request, data={
            "step": "verified", "agency": str(request.agency_id), "callback_contact": str(request.callback_contact_id),
        })
        if request.emergency:
            working_on(actor=actor, request_id=request.pk, step="verified")
    return request


def request_review(
    *, actor: Actor, request_id: str | uuid.UUID, decision: str, reasons: Sequence[str], notes: str = "",
    approved_data_types: Sequence[str] = (),
) -> LegalReview:
    """Record the legal review: comply (all requested types), comply in part (a subset), reject or clarify.

    Rejecting closes the request; asking for clarification records a response
    and leaves it open for a later review.
    """
    le_require(actor, Perm.LE_REQUEST_REVIEW)
    errors: dict[str, list[str]] = {}
    if decision not in ReviewDecision.values:
        errors["decision"] = [f"one of {', '.join(ReviewDecision.values)}"]
    if not reasons:
        errors["reasons"] = ["give at least one reason"]
    for i, reason in enumerate(reasons):
        if reason not in ReviewReason.values:
            errors[f"reasons.{i}"] = [f"one of {', '.join(ReviewReason.values)}"]
    if user_of(actor) is None:
        errors["reviewer"] = ["a legal review is made by a person"]
    fail(errors)
    with transaction.atomic():
        request = _locked_request(request_id)
        if request.status not in OPEN_REQUEST_STATUSES:
            raise Conflict("This request is closed.", code="request_closed")
        approved: list[str] = []
        if decision == ReviewDecision.COMPLY:
            approved = list(request.data_types)
        elif decision == ReviewDecision.COMPLY_IN_PART:
            approved = list(dict.fromkeys(approved_data_types))
            outside = [t for t in approved if t not in request.data_types]
            if not approved or outside or len(approved) >= len(request.data_types):
                raise ValidationFailed.field(
                    "approved_data_types", "comply in part approves some, not all, of the data types requested"
                )
        now = clock.now()
        review = LegalReview.objects.create(
            request=request, decision=decision, reasons=list(reasons), notes=notes, approved_data_types=approved,
            reviewer=user_of(actor), decided_at=now,
        )
        update = ["status"]
        if decision in DISCLOSING_DECISIONS:
            request.status = RequestStatus.DECIDED
        elif decision == ReviewDecision.REJECT:
            request.status = RequestStatus.CLOSED
            request.outcome = Outcome.REJECTED
            update.append("outcome")
        else:
            request.outcome = Outcome.CLARIFICATION
            update.append("outcome")
        if decision in (ReviewDecision.REJECT, ReviewDecision.CLARIFY) and request.responded_at is None:
            request.responded_at = now
            update.append("responded_at")
        request.save(update_fields=update)
        audit_record(actor=actor, action=AuditAction.LE_REQUEST_REVIEWED, target=request, data={
            "review": str(review.pk), "decision": decision, "reasons": list(reasons), "approved": approved,
        })
        if request.status == RequestStatus.CLOSED and request.emergency:
            stop_paging(actor=actor, request_id=request.pk, why=f"the request was rejected ({', '.join(reasons)})")
        elif request.emergency:
            working_on(actor=actor, request_id=request.pk, step="review")
    return review


def disclosure_record(
    *, actor: Actor, request_id: str | uuid.UUID, data_types: Sequence[str], fields: Sequence[str],
    files: Sequence[Mapping[str, Any]], recipient: str, channel: str, note: str = "",
) -> Disclosure:
    """Record data sent under a request, refusing unless it is verified, approved and within the approval.

    1. The request must be verified (:func:`request_verify`): else 409
       ``request_unverified``. Nothing about the data is even looked at first.
    2. Its latest legal review must be comply or comply in part: else 409
       ``not_approved``.
    3. The data types sent must be among those the review approved; files
       carry a name, SHA-256 and size.
    4. Append the disclosure (the table refuses updates), mark the request
       answered with outcome complied or complied in part, audit.
    """
    le_require(actor, Perm.LE_REQUEST_HANDLE)
    with transaction.atomic():
        request = _locked_request(request_id)
        if request.verified_at is None:
            raise Conflict("The requester is not verified: no data may be disclosed.", code="request_unverified")
        review = request.reviews.order_by("-decided_at", "-id").first()
        if review is None or review.decision not in DISCLOSING_DECISIONS:
            raise Conflict("No legal review approves a disclosure for this request.", code="not_approved")
        if request.status not in OPEN_REQUEST_STATUSES:
            raise Conflict("This request is closed.", code="request_closed")
        errors: dict[str, list[str]] = {}
        if not data_types:
            errors["data_types"] = ["name what is sent"]
        for i, kind in enumerate(data_types):
            if kind not in review.approved_data_types:
                errors[f"data_types.{i}"] = ["not approved by the legal review"]
        for i, item in enumerate(files):
            if not str(item.get("name", "")).strip():
                errors[f"files.{i}.name"] = ["required"]
            if not _SHA256.fullmatch(str(item.get("sha256", ""))):
                errors[f"files.{i}.sha256"] = ["64 lower-case hex digits"]
        if not recipient.strip():
            errors["recipient"] = ["to whom the data went"]
        if channel not in SendChannel.values:
            errors["channel"] = [f"one of {', '.join(SendChannel.values)}"]
        fail(errors)
        assert request.agency is not None  # verified implies a directory agency
        now = clock.now()
        disclosure = Disclosure.objects.create(
            request=request, review=review, agency=request.agency, recipient=recipient.strip(),
            data_types=list(dict.fromkeys(data_types)), fields=list(fields),
            files=[{"name": str(f["name"]), "sha256": str(f["sha256"]), "size": int(f.get("size") or 0)}
                   for f in files],
            channel=channel, note=note, approved_by=review.reviewer, sent_by=user_of(actor), sent_at=now,
        )
        partial = review.decision == ReviewDecision.COMPLY_IN_PART
        request.status = RequestStatus.ANSWERED
        request.outcome = Outcome.COMPLIED_IN_PART if partial else Outcome.COMPLIED
        update = ["status", "outcome"]
        if request.responded_at is None:
            request.responded_at = now
            update.append("responded_at")
        request.save(update_fields=update)
        audit_record(actor=actor, action=AuditAction.LE_DISCLOSURE_RECORDED, target=disclosure, data={
            "request": str(request.pk), "review": str(review.pk), "data_types": disclosure.data_types,
            "fields": disclosure.fields, "files": disclosure.files, "recipient": disclosure.recipient,
            "approved_by": review.reviewer_id,
        })
        if request.emergency:
            stop_paging(actor=actor, request_id=request.pk, why=f"the request was answered ({request.outcome})")
    return disclosure


def request_close(*, actor: Actor, request_id: str | uuid.UUID, outcome: str, note: str) -> InboundRequest:
    """Close a request without (further) disclosure: no data found, withdrawn, or clarification unanswered."""
    le_require(actor, Perm.LE_REQUEST_HANDLE, Perm.LE_REQUEST_REVIEW)
    allowed = (Outcome.NO_DATA, Outcome.REJECTED, Outcome.PRESERVED, Outcome.CLARIFICATION)
    errors: dict[str, list[str]] = {}
    if outcome not in allowed:
        errors["outcome"] = [f"one of {', '.join(allowed)}"]
    if not note.strip():
        errors["note"] = ["say why"]
    fail(errors)
    with transaction.atomic():
        request = _locked_request(request_id)
        if request.status not in OPEN_REQUEST_STATUSES:
            raise Conflict("This request is already closed or answered.", code="request_closed")
        now = clock.now()
        request.status = RequestStatus.CLOSED
        request.outcome = outcome
        update = ["status", "outcome"]
        if request.responded_at is None:
            request.responded_at = now
            update.append("responded_at")
        request.save(update_fields=update)
        audit_record(actor=actor, action=AuditAction.LE_REQUEST_CLOSED, target=request,
                     data={"outcome": outcome, "note": note})
        if request.emergency:
            stop_paging(actor=actor, request_id=request.pk, why=f"the request was closed ({outcome})")
    return request


def requests_sweep_overdue(*, now: dt.datetime) -> int:
    """Alert liaisons (and leads, for emergencies) about requests past their deadline, once per request.

    1. Read open, unanswered requests with ``due_at <= now`` and no alert yet
       (partial index on ``due_at`` where unanswered).
    2. Claim each with ``UPDATE ... SET overdue_alerted_at = now WHERE pk = ?
       AND overdue_alerted_at IS NULL``; skip it unless exactly one row changed.
    3. In that transaction, e-mail through the outbox (keyed per request) and audit.
    """
    due = list(
        InboundRequest.objects.filter(responded_at__isnull=True, overdue_alerted_at__isnull=True, due_at__lte=now,
                                      status__in=OPEN_REQUEST_STATUSES)
        .values_list("pk", flat=True)[:500]
    )
    alerted = 0
    people: dict[tuple[str, ...], list[User]] = {}  # read once per run, per set of roles
    for pk in due:
        with transaction.atomic():
            if InboundRequest.objects.filter(pk=pk, overdue_alerted_at__isnull=True).update(
                    overdue_alerted_at=now) != 1:
                continue
            request = InboundRequest.objects.get(pk=pk)
            kind = "EMERGENCY request" if request.emergency else "Request"
            roles: tuple[str, ...] = (*LIAISONS, Role.ESCALATION_LEAD) if request.emergency else LIAISONS
            if roles not in people:
                people[roles] = list(staff_with_roles(roles))
            notify(
                roles=roles, people=people[roles],
                subject=f"OVERDUE: {kind} {request.pk} from {request.agency_name_given}",
                body=(f"{kind} {request.pk} ({request.get_request_type_display()}) from "
                      f"{request.agency_name_given} was due at {request.due_at:%Y-%m-%d %H:%M} UTC and is not "
                      f"answered (status: {request.get_status_display()}).\n"),
                key=f"le-request-overdue:{request.pk}", event_type="le_request.overdue",
                payload={"request_id": str(request.pk), "due_at": request.due_at.isoformat()},
            )
            audit_record(actor=SYSTEM, action=AuditAction.LE_REQUEST_OVERDUE, target=request,
                         data={"due_at": request.due_at, "detected_at": now})
            alerted += 1
    return alerted
