"""Telling people that an enforcement action failed for good, or was done but did not take effect.

The platform did not act although a decision (or a contest's reversal) asked
it to: someone has to do it by hand or find out why. The escalation leads
and the case's reviewer (who decided, else who holds the case) get one
e-mail each through the outbox, keyed by record and person, so a later
manual retry that fails again tells nobody twice.
"""

from __future__ import annotations

import uuid

from trustline.accounts.models import User
from trustline.notifications.services import email_people
from trustline.platforms.choices import Verification
from trustline.platforms.models import EnforcementActionRecord
from trustline.review.models import Decision
from trustline.triage.selectors import escalation_leads

EVENT_TYPE = "enforcement.failed"


def _reviewer(record: EnforcementActionRecord) -> User | None:
    """Who decided what the action carries out, else who holds the case now."""
    try:
        decision_pk = uuid.UUID(record.decision_id) if record.decision_id else None
    except ValueError:
        decision_pk = None
    if decision_pk is not None:
        decided_by = Decision.objects.filter(pk=decision_pk).values_list("decided_by", flat=True).first()
        if decided_by is not None:
            return User.objects.filter(pk=decided_by, is_active=True).exclude(email="").first()
    assigned = record.case.assigned_to_id
    return User.objects.filter(pk=assigned, is_active=True).exclude(email="").first() if assigned else None


def enforcement_gave_up_notify(*, record: EnforcementActionRecord) -> int:
    """E-mail the escalation leads and the reviewer, inside the caller's transaction; return how many."""
    people = {lead.pk: lead for lead in escalation_leads()}
    reviewer = _reviewer(record)
    if reviewer is not None:
        people.setdefault(reviewer.pk, reviewer)
    target = record.target_url or f"id:{record.target_platform_id}"
    subject = (f"Enforcement failed for good: {record.get_action_type_display()} "
               f"on case {record.case_id}")
    body = (
        f"The platform did not carry out \"{record.get_action_type_display()}\" for case {record.case_id} "
        f"(target {target}) after {record.attempts} attempts through the {record.connector} connector; "
        "Trustline will not try again by itself.\n\n"
        f"Last error: {record.result_message or 'none given'}\n\n"
        "Carry it out in the platform's own tools, or fix the cause and use \"Retry now\" on the case page "
        f"(API: POST /api/v1/platforms/actions/{record.pk}/retry).\n"
    )
    payload = {"action_id": str(record.pk), "case_id": str(record.case_id), "action_type": record.action_type,
               "attempts": record.attempts, "idempotency_key": record.idempotency_key}
    return len(email_people(people=people.values(), subject=subject, body=body, payload=payload,
                            key=f"enforcement-gave-up:{record.pk}", event_type=EVENT_TYPE))


STILL_ONLINE_EVENT_TYPE = "enforcement.still_online"
STILL_OFFLINE_EVENT_TYPE = "enforcement.still_offline"


def enforcement_not_in_effect_notify(*, record: EnforcementActionRecord) -> int:
    """The platform said it acted, but its content shows otherwise (``verification``): tell the same people.

    Still online after a removal or suspension; still offline after the
    reinstatement that undoes one (a contest reversed the decision, and the
    author is owed their content back without undue delay).
    """
    people = {lead.pk: lead for lead in escalation_leads()}
    reviewer = _reviewer(record)
    if reviewer is not None:
        people.setdefault(reviewer.pk, reviewer)
    target = record.target_url or f"id:{record.target_platform_id}"
    reinstating = record.verification == Verification.STILL_OFFLINE
    action = record.get_action_type_display()
    subject = (f"Still offline after reinstatement: case {record.case_id}" if reinstating
               else f"Still online after \"{action}\": case {record.case_id}")
    expected, shown = ("back online", "offline") if reinstating else ("offline", "online")
    body = (
        f"The platform answered that it carried out \"{action}\" for case {record.case_id} "
        f"(target {target}, platform reference {record.reference or 'none'}), so the content should be "
        f"{expected}; when Trustline checked a few minutes later the platform still showed it as {shown}.\n\n"
        + ("A contest reversed the decision: the content should be restored without undue delay. Another "
           "action may still stand (the author's suspension, say). " if reinstating else "")
        + "Check it in the platform's own tools and act there, or use \"Ask the platform again\" on the case "
        f"page (API: POST /api/v1/platforms/actions/{record.pk}/again); what the platform showed is kept as "
        "a snapshot on the case page.\n"
    )
    payload = {"action_id": str(record.pk), "case_id": str(record.case_id), "action_type": record.action_type,
               "reference": record.reference, "verification": record.verification}
    key = f"enforcement-still-{'offline' if reinstating else 'online'}:{record.pk}"
    event_type = STILL_OFFLINE_EVENT_TYPE if reinstating else STILL_ONLINE_EVENT_TYPE
    return len(email_people(people=people.values(), subject=subject, body=body, payload=payload,
                            key=key, event_type=event_type))
