"""Reads of reports, always starting from what the actor may see."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from trustline.accounts.permissions import Actor, Perm
from trustline.core.exceptions import NotFound
from trustline.intake.models import Evidence, IdempotencyRecord, Report
from trustline.intake.schemas import ReportFilter


def report_visible(*, actor: Actor) -> QuerySet[Report]:
    """Staff see every report; a partner only its own organisation's."""
    if actor.has(Perm.REPORT_VIEW_ALL):
        return Report.objects.all()
    if actor.has(Perm.REPORT_VIEW_OWN) and actor.organisation is not None:
        return Report.objects.filter(organisation=actor.organisation)
    return Report.objects.none()


def report_list(*, actor: Actor, filters: ReportFilter | None = None) -> QuerySet[Report]:
    qs = report_visible(actor=actor).select_related("category")
    if filters is not None:
        if filters.status:
            qs = qs.filter(status=filters.status)
        if filters.category:
            qs = qs.filter(category__code=filters.category)
        if filters.country:
            qs = qs.filter(country=filters.country.upper())
        if filters.imminent_harm is not None:
            qs = qs.filter(imminent_harm=filters.imminent_harm)
        if filters.reference:
            qs = qs.filter(reference=filters.reference)
        if filters.received_after:
            qs = qs.filter(received_at__gte=filters.received_after)
        if filters.received_before:
            qs = qs.filter(received_at__lt=filters.received_before)
    return qs.order_by("-received_at", "-id")


def _parse_id(raw: str | uuid.UUID, what: str) -> uuid.UUID:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound(f"{what} not found.") from exc


def report_get(*, actor: Actor, report_id: str | uuid.UUID) -> Report:
    """One report, or NotFound: the same answer for "does not exist" and "not yours"."""
    report = (
        report_visible(actor=actor)
        .select_related("category", "organisation")
        .prefetch_related("items", "evidence", "timeline")
        .filter(pk=_parse_id(report_id, "Report"))
        .first()
    )
    if report is None:
        raise NotFound("Report not found.")
    return report


def evidence_get(*, actor: Actor, report_id: str | uuid.UUID, evidence_id: str | uuid.UUID) -> Evidence:
    report = report_get(actor=actor, report_id=report_id)
    if not actor.has(Perm.EVIDENCE_VIEW):
        raise NotFound("Evidence not found.")
    evidence = report.evidence.filter(pk=_parse_id(evidence_id, "Evidence")).first()
    if evidence is None:
        raise NotFound("Evidence not found.")
    return evidence


def report_submission_keys(*, actor: Actor, report: Report) -> list[str]:
    """The idempotency keys the report was sent with, for its own organisation only.

    The report form's draft (kept in the partner's browser) carries the
    form's key; a report page that shows it tells the browser the draft is
    stored and can go, even when the answer to the submission itself was lost.
    """
    if actor.organisation_id is None or actor.organisation_id != report.organisation_id:
        return []
    return list(IdempotencyRecord.objects.filter(report=report).values_list("key", flat=True)[:10])
