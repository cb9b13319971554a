"""The SLA sweeper and its watchdog.

``sla_sweep(now=...)`` runs every ``SWEEP_INTERVAL`` on the background
worker; any number of copies may run at once:

1. Record the start of the run (``SweepRun`` row ``sla_sweep``).
2. For each kind of target (acknowledge, then decide), list up to a batch of
   overdue cases, earliest deadline first:

   * acknowledge: open, not yet acknowledged, still ``new`` or ``triaged``,
     ``ack_due_at`` passed, not already breached;
   * decide: open, ``new``, ``triaged`` or ``in_review`` (a case ``on_hold``
     waits for the partner, so its clock is paused), ``decide_due_at``
     passed, not already breached.

3. Claim each one with a conditional UPDATE that sets its ``*_breached``
   flag only if it is still unset and still overdue. Only the process whose
   UPDATE changed the row goes on, in the same transaction:
4. record an ``SlaBreach`` row (unique per case and kind, a second guard),
   recompute the priority with the breach component, alert every
   escalation lead by e-mail through the outbox (one message per lead per
   breach, keyed, so a retry sends nothing twice), and audit ``sla.breached``.
5. Record the end of the run and how many breaches it claimed.

A breach, once recorded, stays recorded: re-tiering a case to a later
deadline does not erase it.

``sla_watchdog(now)`` checks step 5 happened recently: when the last
finished sweep is older than three intervals (or there never was one) it
logs an error, e-mails the escalation leads once per hour (they would
otherwise be waiting for breach alerts that never come) and reports it.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from trustline.accounts.permissions import SYSTEM, Actor
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.notifications.services import email_people
from trustline.triage.choices import BreachKind
from trustline.triage.models import SlaBreach, SweepRun
from trustline.triage.priority import compute_priority
from trustline.triage.selectors import case_facts, escalation_leads, priority_inputs_for

logger = logging.getLogger(__name__)

SWEEP_NAME = "sla_sweep"
SWEEP_INTERVAL = dt.timedelta(seconds=30)
WATCHDOG_INTERVAL = dt.timedelta(seconds=60)
WATCHDOG_FACTOR = 3
BATCH_SIZE = 500

_FLAG = {BreachKind.ACK: "ack_breached", BreachKind.DECIDE: "decide_breached"}
_DUE = {BreachKind.ACK: "ack_due_at", BreachKind.DECIDE: "decide_due_at"}


@dataclass(frozen=True)
class SweepResult:
    ack: int
    decide: int

    @property
    def total(self) -> int:
        return self.ack + self.decide


@dataclass(frozen=True)
class WatchdogReport:
    ok: bool
    last_sweep_at: dt.datetime | None
    message: str


def overdue(kind: BreachKind, now: dt.datetime) -> QuerySet[Case]:
    """Cases whose ``kind`` target has passed at ``now`` and is not recorded as breached yet."""
    if kind == BreachKind.ACK:
        return Case.objects.filter(
            Q(is_open=True, ack_breached=False, acknowledged_at__isnull=True, ack_due_at__lte=now),
            status__in=[CaseStatus.NEW, CaseStatus.TRIAGED],
        )
    return Case.objects.filter(
        Q(is_open=True, decide_breached=False, decide_due_at__lte=now),
        status__in=[CaseStatus.NEW, CaseStatus.TRIAGED, CaseStatus.IN_REVIEW],
    )


def _sweep_mark(*, now: dt.datetime, started: bool, claimed: int = 0) -> None:
    if started:
        SweepRun.objects.update_or_create(name=SWEEP_NAME, defaults={"last_started_at": now})
    else:
        SweepRun.objects.update_or_create(name=SWEEP_NAME, defaults={"last_finished_at": now,
                                                                      "last_claimed": claimed})


def sla_sweep(*, now: dt.datetime, actor: Actor = SYSTEM, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Record every missed target at ``now`` exactly once (see the module docstring for the steps)."""
    _sweep_mark(now=now, started=True)
    counts = {BreachKind.ACK: 0, BreachKind.DECIDE: 0}
    for kind in (BreachKind.ACK, BreachKind.DECIDE):
        ids = list(overdue(kind, now).order_by(_DUE[kind], "pk").values_list("pk", flat=True)[:batch_size])
        for case_id in ids:
            if _breach_claim(kind=kind, case_id=case_id, now=now, actor=actor):
                counts[kind] += 1
    result = SweepResult(ack=counts[BreachKind.ACK], decide=counts[BreachKind.DECIDE])
    _sweep_mark(now=now, started=False, claimed=result.total)
    if result.total:
        logger.info("SLA sweep at %s: %d acknowledge and %d decide breaches", now.isoformat(), result.ack,
                    result.decide)
    return result


def _breach_claim(*, kind: BreachKind, case_id: uuid.UUID, now: dt.datetime, actor: Actor) -> bool:
    """Steps 3 and 4 for one case; False when another sweeper (or a state change) got there first."""
    with transaction.atomic():
        if overdue(kind, now).filter(pk=case_id).update(**{_FLAG[kind]: True}) != 1:
            return False
        case = Case.objects.get(pk=case_id)
        due_at = getattr(case, _DUE[kind])
        try:
            with transaction.atomic():
                breach = SlaBreach.objects.create(
                    case=case, kind=kind, due_at=due_at, detected_at=now, tier=case.tier,
                    policy_name=str((case.sla_policy_snapshot or {}).get("name", ""))[:120],
                )
        except IntegrityError:
            return False  # recorded before (the flag was reset by hand): nothing new to say
        facts = case_facts(case)
        priority = compute_priority(
            priority_inputs_for(case=case, facts=facts, tier=case.tier or facts.tier, now=now)
        )
        Case.objects.filter(pk=case.pk).update(
            priority=priority.score, priority_components=priority.components, priority_computed_at=now
        )
        alerted = _alert_leads(case=case, breach=breach)
        audit_record(
            actor=actor,
            action=AuditAction.SLA_BREACHED,
            target=case,
            data={
                "kind": str(kind),
                "due_at": due_at.isoformat(),
                "detected_at": now.isoformat(),
                "tier": case.tier,
                "policy": breach.policy_name,
                "from_priority": case.priority,
                "priority": priority.score,
                "alerted": alerted,
            },
        )
    return True


def _alert_leads(*, case: Case, breach: SlaBreach) -> int:
    """E-mail every escalation lead about one breach (through the outbox, keyed per lead and breach)."""
    what = "acknowledged" if breach.kind == BreachKind.ACK else "decided"
    tier = f"tier {case.tier}" if case.tier else "untiered"
    imminent = " (imminent harm)" if case.imminent_harm else ""
    subject = f"SLA breach: case {case.pk} not {what} in time, {tier}{imminent}"
    body = (
        f"Case {case.pk} ({tier}{imminent}, {case.category_code or 'no category'}, "
        f"{case.country or 'no country'}) was due to be {what} by {breach.due_at:%Y-%m-%d %H:%M} UTC "
        f"under the policy \"{breach.policy_name}\". The miss was detected at "
        f"{breach.detected_at:%Y-%m-%d %H:%M} UTC and the case's priority was raised.\n"
    )
    payload = {"case_id": str(case.pk), "kind": breach.kind, "due_at": breach.due_at.isoformat(),
               "tier": case.tier, "imminent_harm": case.imminent_harm}
    return len(email_people(people=escalation_leads(), subject=subject, body=body, payload=payload,
                            key=f"sla-breach:{case.pk}:{breach.kind}", event_type="sla.breached"))


def sla_watchdog(now: dt.datetime) -> WatchdogReport:
    """Is the sweeper keeping up? Behind when its last finished run is older than 3 sweep intervals."""
    run = SweepRun.objects.filter(name=SWEEP_NAME).first()
    last = run.last_finished_at if run is not None else None
    limit = WATCHDOG_FACTOR * SWEEP_INTERVAL
    if last is not None and last >= now - limit:
        return WatchdogReport(ok=True, last_sweep_at=last, message="the SLA sweeper is keeping up")
    message = (
        "the SLA sweeper has never finished a run"
        if last is None
        else f"the SLA sweeper last finished at {last.isoformat()}, more than {int(limit.total_seconds())} s ago"
    ) + ": SLA breaches are not being detected. Is `trustline scheduler` running beside `trustline db_worker`?"
    logger.error("SLA watchdog: %s", message)
    hour = now.strftime("%Y%m%d%H")
    with transaction.atomic():
        email_people(people=escalation_leads(), subject="Trustline: the SLA sweeper is not running",
                     body=message + "\n", payload={"last_sweep_at": last.isoformat() if last else None},
                     key=f"sla-watchdog:{hour}", event_type="sla.watchdog")
    return WatchdogReport(ok=False, last_sweep_at=last, message=message)
