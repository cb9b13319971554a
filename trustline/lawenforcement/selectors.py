"""Reads of the law-enforcement area, each starting with the area check (partners: 404).

:func:`is_on_hold` is the exception: it takes no actor because the retention
work (a system job) asks it before deleting anything.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import F, Prefetch, Q, QuerySet

from trustline.accounts.permissions import Actor, Perm
from trustline.core import clock
from trustline.core.exceptions import NotFound
from trustline.lawenforcement.directory import parse_uuid
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
from trustline.lawenforcement.permissions import le_require


def is_on_hold(*, subject_kind: str, subject_value: str, at: dt.datetime | None = None) -> bool:
    """True while an unreleased hold covers the record (``account``/``case``/``report`` and its id) at ``at``."""
    return hold_until(subjects=[(subject_kind, subject_value)], at=at) is not None


def hold_until(*, subjects: list[tuple[str, str]], at: dt.datetime | None = None) -> dt.datetime | None:
    """When the last unreleased hold on any of ``subjects`` (``(kind, id)`` pairs) lapses; None when none holds.

    For retention work, which keeps a record until then and looks again (``intake.retention``).
    """
    if not subjects:
        return None
    moment = at or clock.now()
    covers = Q()
    for kind, value in subjects:
        covers |= Q(subject_kind=kind, subject_value=str(value).strip())
    found = LegalHold.objects.filter(covers, released_at__isnull=True, starts_at__lte=moment, expires_at__gt=moment)
    return found.order_by("-expires_at").values_list("expires_at", flat=True).first()


def agencies_visible(*, actor: Actor, country: str = "", topic: str = "", q: str = "") -> QuerySet[Agency]:
    le_require(actor, Perm.LE_DIRECTORY_VIEW)
    agencies = Agency.objects.prefetch_related("contacts").order_by("country", "region", "name")
    if country:
        agencies = agencies.filter(country=country.upper())
    if q:
        agencies = agencies.filter(Q(name__icontains=q) | Q(city__icontains=q) | Q(region__icontains=q))
    if topic:
        # JSON "contains" differs between SQLite and PostgreSQL; a topic list is short, so filter the ids.
        ids = [a.pk for a in Agency.objects.only("pk", "topics") if topic in a.topics]
        agencies = agencies.filter(pk__in=ids)
    return agencies


def agency_get(*, actor: Actor, agency_id: str | uuid.UUID) -> Agency:
    agency = agencies_visible(actor=actor).filter(pk=parse_uuid(agency_id, "Agency")).first()
    if agency is None:
        raise NotFound("Agency not found.")
    return agency


def contact_get(*, actor: Actor, contact_id: str | uuid.UUID) -> AgencyContact:
    """One contact (active or not) with its agency, for the directory's edit page."""
    le_require(actor, Perm.LE_DIRECTORY_VIEW)
    contact = AgencyContact.objects.select_related("agency").filter(pk=parse_uuid(contact_id, "Contact")).first()
    if contact is None:
        raise NotFound("Contact not found.")
    return contact


def requests_visible(
    *, actor: Actor, status: str = "", request_type: str = "", emergency: bool | None = None,
    overdue: bool = False,
) -> QuerySet[InboundRequest]:
    """Requests, most urgent first (open before answered, then by deadline)."""
    le_require(actor, Perm.LE_REQUEST_VIEW)
    requests = InboundRequest.objects.select_related(
        "agency", "callback_contact", "callback_by", "oncall_emergency__owner",
    ).prefetch_related(
        Prefetch("reviews", queryset=LegalReview.objects.select_related("reviewer").order_by("decided_at", "id"))
    )
    if status:
        requests = requests.filter(status=status)
    if request_type:
        requests = requests.filter(request_type=request_type)
    if emergency is not None:
        requests = requests.filter(emergency=emergency)
    if overdue:
        requests = requests.filter(responded_at__isnull=True, due_at__lte=clock.now())
    # Unanswered first on both databases (PostgreSQL sorts NULLs last by default, SQLite first).
    return requests.order_by(F("responded_at").asc(nulls_first=True), "due_at", "id")


def request_get(*, actor: Actor, request_id: str | uuid.UUID) -> InboundRequest:
    request = requests_visible(actor=actor).filter(pk=parse_uuid(request_id, "Request")).first()
    if request is None:
        raise NotFound("Request not found.")
    return request


def holds_visible(*, actor: Actor, active: bool | None = None, subject_value: str = "") -> QuerySet[LegalHold]:
    le_require(actor, Perm.LE_REQUEST_VIEW)
    holds = LegalHold.objects.select_related("request", "ncmec_report")
    now = clock.now()
    if active is True:
        holds = holds.filter(released_at__isnull=True, expires_at__gt=now)
    elif active is False:
        holds = holds.filter(Q(released_at__isnull=False) | Q(expires_at__lte=now))
    if subject_value:
        holds = holds.filter(subject_value=subject_value)
    return holds.order_by("expires_at", "id")


def hold_get(*, actor: Actor, hold_id: str | uuid.UUID) -> LegalHold:
    hold = holds_visible(actor=actor).filter(pk=parse_uuid(hold_id, "Hold")).first()
    if hold is None:
        raise NotFound("Hold not found.")
    return hold


def disclosures_visible(*, actor: Actor, request_id: str | uuid.UUID | None = None) -> QuerySet[Disclosure]:
    le_require(actor, Perm.LE_REQUEST_VIEW)
    disclosures = Disclosure.objects.select_related("agency", "approved_by", "sent_by", "request")
    if request_id is not None:
        disclosures = disclosures.filter(request_id=parse_uuid(request_id, "Request"))
    return disclosures.order_by("-sent_at", "id")


def referrals_visible(*, actor: Actor, status: str = "") -> QuerySet[LeReferral]:
    le_require(actor, Perm.LE_REFERRAL_MANAGE, Perm.LE_REFERRAL_APPROVE)
    referrals = LeReferral.objects.select_related("agency", "contact", "created_by", "approved_by", "sent_by")
    if status:
        referrals = referrals.filter(status=status)
    return referrals.order_by("-created_at", "id")


def referral_get(*, actor: Actor, referral_id: str | uuid.UUID) -> LeReferral:
    referral = referrals_visible(actor=actor).filter(pk=parse_uuid(referral_id, "Referral")).first()
    if referral is None:
        raise NotFound("Referral not found.")
    return referral


def ncmec_reports_visible(*, actor: Actor, case_id: str | uuid.UUID | None = None) -> QuerySet[NcmecReport]:
    le_require(actor, Perm.LE_REFERRAL_MANAGE)
    reports = NcmecReport.objects.select_related("created_by")
    if case_id is not None:
        reports = reports.filter(case_id=parse_uuid(case_id, "Case"))
    return reports.order_by("-created_at", "id")


def ncmec_report_get(*, actor: Actor, report_id: str | uuid.UUID) -> NcmecReport:
    report = ncmec_reports_visible(actor=actor).filter(pk=parse_uuid(report_id, "NCMEC report")).first()
    if report is None:
        raise NotFound("NCMEC report not found.")
    return report
