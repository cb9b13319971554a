"""Model rows to API dictionaries (shared by the API and the pages)."""

from __future__ import annotations

from typing import Any

from trustline.accounts.models import User
from trustline.core import clock
from trustline.lawenforcement.choices import RequestType
from trustline.lawenforcement.directory import stale_before
from trustline.lawenforcement.inbound import process_warnings, verification_problems
from trustline.lawenforcement.models import (
    Agency,
    AgencyContact,
    Disclosure,
    InboundRequest,
    LegalHold,
    LegalReview,
    LeReferral,
    NcmecReport,
)


def _name(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def contact_out(c: AgencyContact) -> dict[str, Any]:
    return {
        "id": c.pk, "name": c.name, "role": c.role, "email": c.email, "phone": c.phone, "portal_url": c.portal_url,
        "emergency_line": c.emergency_line, "last_verified_on": c.last_verified_on,
        "stale": c.last_verified_on < stale_before(), "public": c.public, "public_fields": c.public_fields,
        "active": c.active,
    }


def stale_contact_out(c: AgencyContact) -> dict[str, Any]:
    return {**contact_out(c), "agency_id": c.agency_id, "agency_name": c.agency.name}


def agency_out(a: Agency) -> dict[str, Any]:
    return {
        "id": a.pk, "name": a.name, "country": a.country, "region": a.region, "city": a.city, "topics": a.topics,
        "email_domains": a.email_domains, "website": a.website, "status": a.status, "public": a.public,
        "public_notes": a.public_notes, "notes": a.notes,
        "contacts": [contact_out(c) for c in a.contacts.all()],
    }


def review_out(r: LegalReview) -> dict[str, Any]:
    return {"id": r.pk, "decision": r.decision, "reasons": r.reasons, "notes": r.notes,
            "approved_data_types": r.approved_data_types, "reviewer": r.reviewer.get_username(),
            "decided_at": r.decided_at}


def paging_out(r: InboundRequest) -> dict[str, Any] | None:
    """Where the emergency lane stands with an emergency request (None for any other request)."""
    emergency = getattr(r, "oncall_emergency", None) if r.emergency else None  # select_related by the selector
    if emergency is None:
        return None
    return {"emergency_id": emergency.pk, "state": emergency.state, "owner": _name(emergency.owner),
            "opened_at": emergency.opened_at, "acknowledged_at": emergency.acknowledged_at,
            "closed_at": emergency.closed_at, "chain": str(emergency.chain_snapshot.get("name", ""))}


def request_out(r: InboundRequest, *, reviews: bool = True) -> dict[str, Any]:
    callback = None
    if r.callback_at is not None:
        callback = {"contact_id": str(r.callback_contact_id), "number": r.callback_number,
                    "by": _name(r.callback_by), "at": r.callback_at.isoformat(), "notes": r.callback_notes}
    return {
        "id": r.pk, "request_type": r.request_type, "request_type_label": str(RequestType(r.request_type).label),
        "status": r.status, "outcome": r.outcome, "reference": r.reference, "agency_id": r.agency_id,
        "agency_name": r.agency.name if r.agency else r.agency_name_given, "country": r.country,
        "officer_name": r.officer_name, "officer_email": r.officer_email, "officer_phone": r.officer_phone,
        "legal_basis": r.legal_basis, "identifiers": r.identifiers, "date_ranges": r.date_ranges,
        "data_types": r.data_types, "summary": r.summary, "emergency": r.emergency,
        "emergency_reason": r.emergency_reason, "received_at": r.received_at, "due_at": r.due_at,
        "overdue": r.responded_at is None and r.due_at <= clock.now(), "email_domain_ok": r.email_domain_ok,
        "callback": callback, "verified_at": r.verified_at,
        "verification_missing": {} if r.verified_at else verification_problems(r),
        "process_warnings": process_warnings(r.request_type, r.data_types), "responded_at": r.responded_at,
        "reviews": [review_out(v) for v in r.reviews.all()] if reviews else [],  # prefetched by the selector
        "paging": paging_out(r),
    }


def disclosure_out(d: Disclosure) -> dict[str, Any]:
    return {
        "id": d.pk, "request_id": d.request_id, "agency": d.agency.name, "recipient": d.recipient,
        "data_types": d.data_types, "fields": d.fields, "files": d.files, "channel": d.channel, "note": d.note,
        "approved_by": d.approved_by.get_username(), "sent_by": d.sent_by.get_username(), "sent_at": d.sent_at,
    }


def hold_out(h: LegalHold) -> dict[str, Any]:
    active = h.released_at is None and h.expires_at > clock.now()
    return {
        "id": h.pk, "subject_kind": h.subject_kind, "subject_value": h.subject_value, "reason": h.reason,
        "request_id": h.request_id, "ncmec_report_id": h.ncmec_report_id, "note": h.note,
        "starts_at": h.starts_at, "expires_at": h.expires_at, "active": active,
        "extension_count": h.extension_count, "extendable": active and h.extension_count < 1,
        "released_at": h.released_at,
    }


def referral_out(r: LeReferral) -> dict[str, Any]:
    return {
        "id": r.pk, "case_id": r.case_id, "review_referral_id": r.review_referral_id, "agency_id": r.agency_id,
        "agency_name": r.agency.name, "contact_id": r.contact_id, "status": r.status, "facts": r.facts,
        "fields": r.fields, "personal_data": r.personal_data, "package": r.package,
        "package_sha256": r.package_sha256, "created_by": r.created_by.get_username(), "created_at": r.created_at,
        "approved_by": _name(r.approved_by), "approved_at": r.approved_at, "sent_by": _name(r.sent_by),
        "sent_at": r.sent_at, "sent_channel": r.sent_channel, "sent_to": r.sent_to,
        "acknowledged_at": r.acknowledged_at, "acknowledgement": r.acknowledgement,
    }


def ncmec_out(n: NcmecReport) -> dict[str, Any]:
    return {
        "id": n.pk, "case_id": n.case_id, "status": n.status, "incident_type": n.incident_type, "xml": n.xml,
        "account_identifiers": n.account_identifiers, "ncmec_report_id": n.ncmec_report_id,
        "file_ids": n.file_ids, "error": n.error, "created_at": n.created_at, "submitted_at": n.submitted_at,
        "finished_at": n.finished_at, "retracted_at": n.retracted_at,
    }
