"""Opening emergencies and paging people: the escalation engine.

``emergency_open`` (called by triage, in the transaction that marks a case
imminent):

1. Insert the case's ``Emergency`` (one per case: a second call finds it
   and does nothing).
2. Copy the default escalation chain into ``chain_snapshot`` (a chain of one
   step paging the escalation leads when none is configured), so later edits
   never change this escalation.
3. Write every step of every round as a ``PageStep`` with its ``due_at``:
   each step waits its ``delay_minutes`` after the previous one; each repeat
   round starts ``repeat_delay_minutes`` after the last step.
4. Fire the steps already due (step 1, usually at once) in the same
   transaction: the pages are outbox rows that commit with the emergency and
   are delivered right after commit, not at the next sweep.
5. Tell the partners (timeline ``emergency_opened``) and audit.

Emergency law-enforcement requests open theirs through
:mod:`trustline.oncall.law_enforcement` (same steps, no partner to tell).

``paging_sweep(now)`` (every few seconds on the worker) fires the steps whose
``due_at`` has passed: each is claimed with a conditional UPDATE
(``fired_at IS NULL AND cancelled_at IS NULL``) inside its own transaction,
so concurrent sweepers never fire a step twice, and a step cancelled by an
acknowledgement in the meantime is not fired (nor is one whose case was
decided or closed, or whose law-enforcement request was answered or closed,
by then). Firing resolves the step's
target *at that moment* (who is on call now), creates a one-time acknowledge
link per person and enqueues one outbox message per contact method.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from trustline.accounts.choices import OrganisationKind, Role
from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM, Actor
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.core import clock
from trustline.intake.choices import TimelineKind
from trustline.lawenforcement.choices import OPEN_REQUEST_STATUSES
from trustline.notifications.choices import Channel
from trustline.notifications.models import OutboxMessage
from trustline.notifications.services import outbox_enqueue
from trustline.oncall import conf
from trustline.oncall.choices import ContactKind, EmergencySource, EmergencyState, StepTarget
from trustline.oncall.models import AckToken, ContactMethod, Emergency, EscalationChain, PageStep, Schedule
from trustline.oncall.pagetext import PageText, page_text
from trustline.oncall.rotation import oncall_now
from trustline.review.telling import timeline_add
from trustline.triage.selectors import escalation_leads

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200
FINISHED_CASE = (CaseStatus.DECIDED, CaseStatus.CLOSED)
MAX_ROUNDS = 10
FALLBACK_CHAIN: dict[str, Any] = {
    "chain_id": None,
    "name": "Fallback: escalation leads",
    "repeat_count": 2,
    "repeat_delay_minutes": 5,
    "steps": [{"position": 1, "target": StepTarget.ESCALATION_LEADS.value, "schedule_id": None,
               "schedule_name": "", "user_id": None, "delay_minutes": 0}],
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def chain_snapshot(chain: EscalationChain | None) -> dict[str, Any]:
    """Step 2: the chain as data (a fallback when there is none)."""
    if chain is None:
        return dict(FALLBACK_CHAIN)
    steps = [
        {
            "position": s.position,
            "target": s.target,
            "schedule_id": s.schedule_id,
            "schedule_name": s.schedule.name if s.schedule is not None else "",
            "user_id": s.user_id,
            "delay_minutes": s.delay_minutes,
        }
        for s in chain.steps.select_related("schedule").order_by("position")
    ]
    if not steps:
        return dict(FALLBACK_CHAIN)
    return {
        "chain_id": chain.pk,
        "name": chain.name,
        "repeat_count": min(chain.repeat_count, MAX_ROUNDS - 1),
        "repeat_delay_minutes": chain.repeat_delay_minutes,
        "steps": steps,
    }


def planned_steps(snapshot: dict[str, Any], start: dt.datetime) -> list[tuple[int, int, dict[str, Any], dt.datetime]]:
    """Step 3: (round, step index, step, due_at) for every step of every round."""
    plan = []
    due = start
    for round_no in range(int(snapshot.get("repeat_count", 0)) + 1):
        for index, step in enumerate(snapshot["steps"]):
            if round_no > 0 and index == 0:
                delay = max(1, int(snapshot.get("repeat_delay_minutes", 5)))
            else:
                delay = int(step.get("delay_minutes", 0))
            due = due + dt.timedelta(minutes=delay)
            plan.append((round_no, index, step, due))
    return plan


def emergency_open(
    *, case: Case, source: EmergencySource, reason: str, rule_name: str = "", actor: Actor = SYSTEM,
    now: dt.datetime | None = None,
) -> Emergency | None:
    """Open the case's emergency and start paging (steps 1-5); None when it already has one."""
    now = now or clock.now()
    if Emergency.objects.filter(case_id=case.pk).exists():
        return None
    chain = EscalationChain.objects.filter(is_default=True).first()
    snapshot = chain_snapshot(chain)
    snapshot["taken_at"] = now.isoformat()
    try:
        with transaction.atomic():
            emergency = Emergency.objects.create(
                case=case, state=EmergencyState.OPEN, source=source, reason=reason[:4000], rule_name=rule_name,
                opened_at=now, chain_snapshot=snapshot,
            )
    except IntegrityError:
        return None  # opened by a concurrent transaction
    timeline_add(case_id=case.pk, kind=TimelineKind.EMERGENCY_OPENED, data={"opened_at": now.isoformat()}, at=now)
    audit_record(actor=actor, action=AuditAction.EMERGENCY_OPENED, target=emergency, data={
        "case_id": str(case.pk), "source": str(source), "rule": rule_name, "chain": snapshot["name"],
        "steps": len(snapshot["steps"]), "repeat_count": snapshot["repeat_count"],
    })
    paging_start(emergency=emergency, now=now)
    return emergency


def paging_start(*, emergency: Emergency, now: dt.datetime) -> None:
    """Steps 3 and 4, in the caller's transaction: write every step of the snapshot, fire those due now."""
    PageStep.objects.bulk_create([
        PageStep(emergency=emergency, sequence=seq, round=round_no, step_index=index, target=step, due_at=due)
        for seq, (round_no, index, step, due) in enumerate(planned_steps(emergency.chain_snapshot, now))
    ])
    for step in PageStep.objects.filter(emergency=emergency, due_at__lte=now).order_by("sequence"):
        _fire_claimed(step=step, emergency=emergency, now=now)


@dataclass(frozen=True)
class SweepResult:
    fired: int
    late: int  # fired more than the watchdog's threshold after due


def paging_sweep(*, now: dt.datetime, batch_size: int = SWEEP_BATCH) -> SweepResult:
    """Fire every step due at ``now`` once (see the module docstring)."""
    late_after = dt.timedelta(seconds=conf.step_late_seconds())
    fired = late = 0
    due_ids = list(
        PageStep.objects.filter(fired_at__isnull=True, cancelled_at__isnull=True, due_at__lte=now)
        .order_by("due_at", "pk").values_list("pk", flat=True)[:batch_size]
    )
    for step_id in due_ids:
        with transaction.atomic():
            qs = PageStep.objects.filter(pk=step_id, fired_at__isnull=True, cancelled_at__isnull=True)
            if connection.features.has_select_for_update_skip_locked:
                # The step and its emergency (an acknowledgement holds that lock): not the case or the request,
                # which are the nullable side of an outer join.
                qs = qs.select_for_update(skip_locked=True, of=("self", "emergency"))
            step = qs.select_related("emergency", "emergency__case", "emergency__le_request__agency").first()
            if step is None:
                continue  # fired, cancelled, or being fired by another sweeper
            if _fire_claimed(step=step, emergency=step.emergency, now=now):
                fired += 1
                if now - step.due_at > late_after:
                    late += 1
    return SweepResult(fired=fired, late=late)


def _fire_claimed(*, step: PageStep, emergency: Emergency, now: dt.datetime) -> bool:
    """Claim (conditional UPDATE) and fire one step inside the caller's transaction."""
    if PageStep.objects.filter(pk=step.pk, fired_at__isnull=True, cancelled_at__isnull=True).update(
        fired_at=now
    ) != 1:
        return False
    if emergency.state != EmergencyState.OPEN or not _subject_open(emergency):
        # Acknowledged meanwhile, or the case (the request) was decided or closed by other means: nobody needs waking.
        PageStep.objects.filter(pk=step.pk).update(fired_at=None, cancelled_at=now)
        return False
    users, fallback = step_recipients(step.target, emergency.chain_snapshot, now,
                                      law_enforcement=emergency.is_law_enforcement)
    messages = 0
    for user in users:
        messages += len(page_person(emergency=emergency, user=user, step=step, now=now))
    PageStep.objects.filter(pk=step.pk).update(paged_user_ids=[u.pk for u in users], message_count=messages)
    audit_record(actor=SYSTEM, action=AuditAction.EMERGENCY_PAGED, target=emergency, data={
        "sequence": step.sequence, "round": step.round, "step": step.step_index + 1,
        "target": step.target.get("target"), "users": [u.pk for u in users], "messages": messages,
        "due_at": step.due_at.isoformat(), "fired_at": now.isoformat(), "fallback_to_leads": fallback,
    })
    return True


def _subject_open(emergency: Emergency) -> bool:
    """Whether what the emergency is about still needs someone: an open case, an unanswered request."""
    if emergency.case_id is None:
        return Emergency.objects.filter(pk=emergency.pk, le_request__status__in=OPEN_REQUEST_STATUSES).exists()
    case = Case.objects.filter(pk=emergency.case_id).values_list("is_open", "status").first()
    return case is not None and case[0] and case[1] not in FINISHED_CASE


def le_liaisons() -> list[User]:
    """Active law-enforcement liaisons of the platform with an e-mail address (as ``escalation_leads``)."""
    return list(
        User.objects.filter(is_active=True, memberships__role=Role.LAW_ENFORCEMENT_LIAISON,
                            memberships__organisation__kind=OrganisationKind.PLATFORM)
        .exclude(email="").distinct().order_by("pk")
    )


def fallback_people(*, law_enforcement: bool) -> list[User]:
    """Who is paged when a step resolves to nobody: the escalation leads; for a request, its liaisons too.

    For a law-enforcement request these are the people it e-mailed before the
    lane paged requests, so an empty rota never leaves a request unannounced.
    """
    people = list(escalation_leads())
    if law_enforcement:
        people += le_liaisons()
    return list({u.pk: u for u in people}.values())


def _schedule_people(schedule_id: int, now: dt.datetime, which: str) -> list[User]:
    schedule = Schedule.objects.filter(pk=schedule_id, is_active=True).first()
    if schedule is None:
        return []
    on = oncall_now(schedule, now)
    if which == "everyone":
        people = [p.user for p in schedule.participants.select_related("user")]
        return people + ([on.primary] if on.primary is not None else [])
    person = on.primary if which == "primary" else on.secondary
    return [person] if person is not None else []


def step_recipients(step: dict[str, Any], snapshot: dict[str, Any], now: dt.datetime, *,
                    law_enforcement: bool = False) -> tuple[list[User], bool]:
    """Who a step pages at ``now``; falls back to :func:`fallback_people` when it resolves to nobody."""
    target = step.get("target")
    people: list[User] = []
    if target == StepTarget.SCHEDULE_PRIMARY and step.get("schedule_id"):
        people = _schedule_people(int(step["schedule_id"]), now, "primary")
    elif target == StepTarget.SCHEDULE_SECONDARY and step.get("schedule_id"):
        people = _schedule_people(int(step["schedule_id"]), now, "secondary")
    elif target == StepTarget.USER and step.get("user_id"):
        people = list(User.objects.filter(pk=step["user_id"], is_active=True))
    elif target == StepTarget.ESCALATION_LEADS:
        people = list(escalation_leads())
    elif target == StepTarget.LE_LIAISONS:
        people = le_liaisons()
    elif target == StepTarget.EVERYONE:
        for other in snapshot.get("steps", []):
            if other.get("target") == StepTarget.EVERYONE:
                continue
            if other.get("schedule_id") and other.get("target") in (StepTarget.SCHEDULE_PRIMARY,
                                                                     StepTarget.SCHEDULE_SECONDARY):
                people += _schedule_people(int(other["schedule_id"]), now, "everyone")
            else:
                people += step_recipients(other, snapshot, now)[0]
    unique = list({u.pk: u for u in people if u.is_active}.values())
    if unique:
        return unique, False
    return fallback_people(law_enforcement=law_enforcement), True


def ack_url(token: str) -> str:
    return f"{settings.SITE_URL}/emergency/ack/{token}"


def page_person(*, emergency: Emergency, user: User, step: PageStep, now: dt.datetime) -> list[OutboxMessage]:
    """One acknowledge link for ``user`` and one outbox message per active contact method (e-mail by default)."""
    token = secrets.token_urlsafe(32)
    AckToken.objects.create(
        emergency=emergency, user=user, token_hash=token_hash(token), created_at=now,
        expires_at=now + dt.timedelta(minutes=conf.ack_link_minutes()),
    )
    link = ack_url(token)
    text = page_text(emergency=emergency, step=step, link=link)
    contacts = list(ContactMethod.objects.filter(user=user, is_active=True).select_related("endpoint"))
    if not contacts and user.email:
        contacts = [ContactMethod(user=user, kind=ContactKind.EMAIL, address=user.email)]
    messages = []
    for contact in contacts:
        key = f"page:{emergency.pk}:{step.sequence}:{user.pk}:{contact.pk or 'default'}"
        message = _enqueue_page(contact=contact, key=key, text=text, link=link, emergency=emergency)
        if message is not None:
            messages.append(message)
    return messages


def pagerduty_event(*, routing_key: str, action: str, emergency: Emergency, summary: str = "",
                    details: dict[str, Any] | None = None, link: str = "") -> dict[str, Any]:
    """A PagerDuty Events API v2 event; one incident per emergency through ``dedup_key``."""
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": action,
        "dedup_key": f"trustline-emergency-{emergency.pk}",
    }
    if action == "trigger":
        event["payload"] = {"summary": summary[:1024], "source": "trustline", "severity": "critical",
                            "component": "emergency-lane", "custom_details": details or {}}
        event["client"] = "Trustline"
        event["links"] = [{"href": link, "text": "Acknowledge in Trustline"}] if link else []
    return event


def _enqueue_page(*, contact: ContactMethod, key: str, text: PageText, link: str,
                  emergency: Emergency) -> OutboxMessage | None:
    summary, details = text.summary, text.details
    body = (f"{summary}.\n\n{text.body}\n\nAcknowledge (one use, expires): {link}\n"
            f"Board: {details['board_url']}\n")
    if contact.kind == ContactKind.EMAIL:
        return outbox_enqueue(channel=Channel.EMAIL, recipient=contact.address, subject=summary, body=body,
                              payload=details, idempotency_key=key, event_type="emergency.page")
    if contact.kind == ContactKind.WEBHOOK:
        if contact.endpoint is None or not contact.endpoint.is_active:
            logger.warning("contact %s has no active webhook endpoint; page skipped", contact.pk)
            return None
        payload = {"type": "emergency.page", "timestamp": clock.now().isoformat(), "data": details}
        return outbox_enqueue(channel=Channel.WEBHOOK, recipient=contact.endpoint.url, payload=payload,
                              endpoint=contact.endpoint, idempotency_key=key, event_type="emergency.page")
    if contact.kind == ContactKind.PAGERDUTY:
        if contact.address not in emergency.pagerduty_routes:
            emergency.pagerduty_routes = [*emergency.pagerduty_routes, contact.address]
            Emergency.objects.filter(pk=emergency.pk).update(pagerduty_routes=emergency.pagerduty_routes)
        event = pagerduty_event(routing_key=contact.address, action="trigger", emergency=emergency,
                                summary=summary, details=details, link=link)
        return outbox_enqueue(channel=Channel.PAGERDUTY, recipient=conf.pagerduty_url(), payload=event,
                              idempotency_key=key, event_type="emergency.page")
    url = conf.sms_webhook_url()
    if not url:
        logger.warning("no ONCALL_SMS_WEBHOOK_URL: %s page to contact %s skipped", contact.kind, contact.pk)
        return None
    payload = {"kind": contact.kind, "to": contact.address, "message": f"{summary}. Ack: {link}",
               "ack_url": link, "emergency_id": str(emergency.pk)}
    return outbox_enqueue(channel=Channel.SMS, recipient=url, payload=payload, idempotency_key=key,
                          event_type="emergency.page")


def pagerduty_notify(*, emergency: Emergency, action: str) -> int:
    """Tell every PagerDuty route paged for this emergency that it was acknowledged or resolved."""
    for routing_key in emergency.pagerduty_routes:
        digest = hashlib.sha256(routing_key.encode()).hexdigest()[:16]
        outbox_enqueue(channel=Channel.PAGERDUTY, recipient=conf.pagerduty_url(),
                       payload=pagerduty_event(routing_key=routing_key, action=action, emergency=emergency),
                       idempotency_key=f"page:{emergency.pk}:{action}:{digest}", event_type="emergency.page")
    return len(emergency.pagerduty_routes)


def cancel_pending_steps(emergency_id: uuid.UUID, now: dt.datetime) -> int:
    return PageStep.objects.filter(emergency_id=emergency_id, fired_at__isnull=True, cancelled_at__isnull=True).update(
        cancelled_at=now
    )
