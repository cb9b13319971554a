"""The paging watchdog: are escalation steps firing on time, and is the worker alive?

``paging_watchdog(now)``:

1. Late steps: steps not fired and not cancelled whose ``due_at`` is older
   than ``ONCALL_STEP_LATE_SECONDS`` (default 60 s). With the sweeper every
   5 s a healthy system never has any.
2. Worker down: the paging sweeper's ``PeriodicJob`` row says it is behind
   (``periodic_overdue``: scheduler or worker down, or a run stuck).
3. Either problem logs an error and e-mails every escalation lead through the
   outbox (one message per lead per hour, keyed), so a silent emergency lane
   is noticed. The same report is served at ``GET /api/v1/oncall/health``
   so an outside monitor can poll it: when the worker is down this job
   cannot run either, and only an outside check sees that.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction

from trustline.core.models import PeriodicJob
from trustline.notifications.choices import Channel
from trustline.notifications.services import outbox_enqueue
from trustline.oncall import conf
from trustline.oncall.models import PageStep
from trustline.triage.selectors import escalation_leads

logger = logging.getLogger(__name__)

SWEEPER_JOB = "trustline.oncall.tasks.paging_sweep"


@dataclass(frozen=True)
class PagingHealth:
    ok: bool
    late_steps: int
    oldest_late_due_at: dt.datetime | None
    sweeper_last_finished_at: dt.datetime | None
    sweeper_problem: str | None
    message: str


def paging_health(now: dt.datetime) -> PagingHealth:
    """Steps 1 and 2, read-only."""
    late_before = now - dt.timedelta(seconds=conf.step_late_seconds())
    late = PageStep.objects.filter(fired_at__isnull=True, cancelled_at__isnull=True, due_at__lt=late_before)
    count = late.count()
    oldest = late.order_by("due_at").values_list("due_at", flat=True).first()
    job = PeriodicJob.objects.filter(name=SWEEPER_JOB).first()
    problem = job.lag_reason(now) if job is not None else "the paging sweeper has never been scheduled"
    parts = []
    if count:
        parts.append(f"{count} paging step(s) are late (oldest due {oldest.isoformat() if oldest else '?'})")
    if problem:
        parts.append(f"paging sweeper: {problem}")
    message = "; ".join(parts) or "paging is on time"
    return PagingHealth(ok=not parts, late_steps=count, oldest_late_due_at=oldest,
                        sweeper_last_finished_at=job.last_finished_at if job else None,
                        sweeper_problem=problem, message=message)


def paging_watchdog(now: dt.datetime) -> PagingHealth:
    """Step 3: alert the escalation leads (hourly at most) when paging is behind."""
    health = paging_health(now)
    if health.ok:
        return health
    logger.error("paging watchdog: %s", health.message)
    hour = now.strftime("%Y%m%d%H")
    with transaction.atomic():
        for lead in escalation_leads():
            outbox_enqueue(
                channel=Channel.EMAIL, recipient=lead.email,
                subject="Trustline: emergency paging is behind",
                body=health.message + "\nIs `trustline scheduler` running beside `trustline db_worker`?\n",
                payload={"late_steps": health.late_steps}, idempotency_key=f"paging-watchdog:{hour}:user:{lead.pk}",
                event_type="sla.watchdog",
            )
    return health
