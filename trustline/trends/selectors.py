"""Reads of spikes and incidents, starting from what the actor may see.

Spikes and incidents are the platform team's working objects: without
``spike.view`` / ``incident.view`` every read answers ``NotFound`` (lists are
empty), the same as for an id that does not exist. Partners see trends only
through the insight report, which carries no case-level detail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from django.db.models import QuerySet

from trustline.accounts.permissions import Actor, Perm
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.core.exceptions import NotFound
from trustline.intake.models import ReportItem
from trustline.trends.models import Incident, IncidentMember, Spike

SAMPLE_TEXTS = 5
SAMPLE_CHARS = 400


def parse_id(raw: str | uuid.UUID, what: str) -> uuid.UUID:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound(f"{what} not found.") from exc


def spikes_visible(*, actor: Actor) -> QuerySet[Spike]:
    if not actor.has(Perm.SPIKE_VIEW):
        return Spike.objects.none()
    return Spike.objects.select_related("dismissed_by")


def spike_list(
    *, actor: Actor, status: str | None = None, country: str | None = None, category: str | None = None,
    language: str | None = None, day_from: dt.date | None = None, day_to: dt.date | None = None,
) -> QuerySet[Spike]:
    """Newest day first, biggest first; filters narrow, never widen."""
    spikes = spikes_visible(actor=actor)
    if status:
        spikes = spikes.filter(status=status)
    if country:
        spikes = spikes.filter(country=country.upper())
    if category:
        spikes = spikes.filter(category_code=category)
    if language:
        spikes = spikes.filter(language=language.lower())
    if day_from:
        spikes = spikes.filter(day__gte=day_from)
    if day_to:
        spikes = spikes.filter(day__lte=day_to)
    return spikes.order_by("-day", "-observed", "id")


def spike_get(*, actor: Actor, spike_id: str | uuid.UUID) -> Spike:
    spike = spikes_visible(actor=actor).filter(pk=parse_id(spike_id, "Spike")).first()
    if spike is None:
        raise NotFound("Spike not found.")
    return spike


def incidents_visible(*, actor: Actor) -> QuerySet[Incident]:
    """Live incidents (not merged into another) for staff with ``incident.view``."""
    if not actor.has(Perm.INCIDENT_VIEW):
        return Incident.objects.none()
    return Incident.objects.filter(merged_into__isnull=True, member_count__gt=0)


def incident_list(
    *, actor: Actor, kind: str | None = None, country: str | None = None, since: dt.datetime | None = None,
) -> QuerySet[Incident]:
    incidents = incidents_visible(actor=actor)
    if kind:
        incidents = incidents.filter(kind=kind)
    if since:
        incidents = incidents.filter(last_seen_at__gte=since)
    if country:
        # JSON containment is not portable across SQLite and PostgreSQL: match through the members.
        incidents = incidents.filter(members__case__country=country.upper()).distinct()
    return incidents.order_by("-last_seen_at", "id")


def incident_get(*, actor: Actor, incident_id: str | uuid.UUID) -> Incident:
    """One incident; an id that was merged away answers with the incident that absorbed it."""
    pk = parse_id(incident_id, "Incident")
    if not actor.has(Perm.INCIDENT_VIEW):
        raise NotFound("Incident not found.")
    incident = Incident.objects.filter(pk=pk).first()
    hops = 0
    while incident is not None and incident.merged_into_id is not None and hops < 20:
        incident = Incident.objects.filter(pk=incident.merged_into_id).first()
        hops += 1
    if incident is None or incident.member_count == 0:
        raise NotFound("Incident not found.")
    return incident


def incident_members(*, incident: Incident) -> QuerySet[IncidentMember]:
    return IncidentMember.objects.filter(incident=incident).select_related("case").order_by("joined_at", "id")


def incident_decidable_case_ids(*, incident: Incident) -> list[str]:
    """Members that can still be decided: open, and not decided or closed already."""
    ids = (
        Case.objects.filter(incident_membership__incident=incident, is_open=True)
        .exclude(status__in=[CaseStatus.DECIDED, CaseStatus.CLOSED])
        .order_by("opened_at", "id")
        .values_list("id", flat=True)
    )
    return [str(i) for i in ids]


def incident_for_case(*, actor: Actor, case_id: str | uuid.UUID) -> Incident | None:
    """The incident a case belongs to (for the reviewer's case page), or ``None``."""
    if not actor.has(Perm.INCIDENT_VIEW):
        raise NotFound("Case not found.")
    member = IncidentMember.objects.filter(case_id=parse_id(case_id, "Case")).select_related("incident").first()
    return member.incident if member is not None else None


@dataclasses.dataclass(frozen=True)
class IncidentSummary:
    """What policy staff read instead of a thousand rows."""

    incident: Incident
    sample_texts: list[str]
    open_cases: int


def incident_summary(*, incident: Incident) -> IncidentSummary:
    """Counters come from the incident row; a few distinct excerpts are the sample texts (staff only)."""
    excerpts = (
        ReportItem.objects.filter(case__incident_membership__incident=incident)
        .exclude(excerpt="")
        .order_by("report__received_at")
        .values_list("excerpt", flat=True)[:200]
    )
    samples: list[str] = []
    for text in excerpts:
        short = text[:SAMPLE_CHARS]
        if short not in samples:
            samples.append(short)
        if len(samples) >= SAMPLE_TEXTS:
            break
    open_cases = Case.objects.filter(incident_membership__incident=incident, is_open=True).count()
    return IncidentSummary(incident=incident, sample_texts=samples, open_cases=open_cases)
