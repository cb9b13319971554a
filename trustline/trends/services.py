"""Writes of the trends app that people make: dismissing a spike, deciding an incident's cases together.

Detection and clustering are system jobs (``detection.py``, ``clustering.py``).
"""

from __future__ import annotations

import uuid

from django.db import transaction

from trustline.accounts.permissions import Actor, Perm, require
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.exceptions import Conflict, ValidationFailed
from trustline.review.models import Decision
from trustline.review.services import MAX_BULK_CASES, decision_record_bulk
from trustline.review.validation import DecisionInput
from trustline.trends.choices import SpikeStatus
from trustline.trends.models import Spike
from trustline.trends.selectors import incident_decidable_case_ids, incident_get, spike_get

MIN_REASON_CHARS = 3
MAX_REASON_CHARS = 2000


def spike_dismiss(*, actor: Actor, spike_id: str | uuid.UUID, reason: str) -> Spike:
    """Mark a spike as a false alarm, with the reason (recorded and audited; the row stays).

    Dismissed spikes are how the method's real false-alarm rate is measured,
    so they are never deleted; dismissing twice is a conflict.
    """
    spike = spike_get(actor=actor, spike_id=spike_id)
    require(actor, Perm.SPIKE_DISMISS)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_CHARS:
        raise ValidationFailed.field("reason", "say why this is a false alarm")
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationFailed.field("reason", f"at most {MAX_REASON_CHARS} characters")
    now = clock.now()
    with transaction.atomic():
        changed = Spike.objects.filter(pk=spike.pk, status=SpikeStatus.OPEN).update(
            status=SpikeStatus.DISMISSED, dismissed_at=now, dismissed_by=actor.user, dismiss_reason=reason,
            updated_at=now,
        )
        if changed != 1:
            raise Conflict("This spike was already dismissed.", code="already_dismissed")
        spike.refresh_from_db()
        audit_record(
            actor=actor, action=AuditAction.SPIKE_DISMISSED, target=spike,
            data={"reason": reason, "day": spike.day.isoformat(), "country": spike.country,
                  "category": spike.category_code, "language": spike.language, "observed": spike.observed},
        )
    return spike


def incident_decide(*, actor: Actor, incident_id: str | uuid.UUID, data: DecisionInput) -> list[Decision]:
    """The same decision on every still-open member of an incident, through ``review.decision_record_bulk``.

    All or nothing, with the review app's rules (the actor must hold one of
    the cases or be an escalation lead; the others are taken). At most
    ``MAX_BULK_CASES`` cases at once: bigger campaigns are decided in parts
    (``POST /api/v1/decisions/bulk`` with ``case_ids`` from the members list).
    """
    incident = incident_get(actor=actor, incident_id=incident_id)
    require(actor, Perm.DECISION_RECORD)
    case_ids = incident_decidable_case_ids(incident=incident)
    if not case_ids:
        raise Conflict("Every case of this incident is already decided.", code="nothing_to_decide")
    if len(case_ids) > MAX_BULK_CASES:
        raise ValidationFailed.field(
            "case_ids", f"{len(case_ids)} open cases: decide at most {MAX_BULK_CASES} at once with "
            "POST /api/v1/decisions/bulk and the members' case ids",
        )
    return decision_record_bulk(actor=actor, case_ids=case_ids, data=data)
