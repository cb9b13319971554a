"""Telling people that an enforcement action failed for good, or was done but the content is still online.

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


def enforcement_still_online_notify(*, record: EnforcementActionRecord) -> int:
    """The platform said it acted, but the content is still online (``verification``): tell the same people."""
    people = {lead.pk: lead for lead in escalation_leads()}
    reviewer = _reviewer(record)
    if reviewer is not None:
        people.setdefault(reviewer.pk, reviewer)
    target = record.target_url or f"id:{record.target_platform_id}"
    subject = f"Still online after \"{record.get_action_type_display()}\": case {record.case_id}"
    body = (
        f"The platform answered that it carried out \"{record.get_action_type_display()}\" for case "
        f"{record.case_id} (target {target}, platform reference {record.reference or 'none'}), but when "
        "Trustline checked a few minutes later the platform still showed the content as online.\n\n"
        "Check it in the platform's own tools and act there; what the platform showed is kept as a snapshot "
        "on the case page.\n"
    )
    payload = {"action_id": str(record.pk), "case_id": str(record.case_id), "action_type": record.action_type,
               "reference": record.reference}
    return len(email_people(people=people.values(), subject=subject, body=body, payload=payload,
                            key=f"enforcement-still-online:{record.pk}", event_type=STILL_ONLINE_EVENT_TYPE))
