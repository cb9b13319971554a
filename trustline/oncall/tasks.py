"""Background jobs of the emergency lane: thin wrappers that call the services.

* ``emergency_fast_lane`` every 1 s: triage flagged imminent cases at once, deliver their first pages.
* ``paging_sweep`` every 5 s: fire the escalation steps that are due, deliver their pages.
* ``paging_watchdog`` every 60 s: alert the escalation leads when steps are late or the sweeper is behind.

The first two run at a high task priority: the database worker takes tasks
by priority, so a page is never queued behind hundreds of ordinary jobs
(one delivery task per outbox message, digests, metrics).

All claim their work atomically (conditional UPDATEs, SKIP LOCKED on
PostgreSQL), so overlapping runs and several workers are harmless.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from trustline.core import clock
from trustline.core.periodic import periodic
from trustline.oncall import fastlane, paging, watchdog

EMERGENCY_PRIORITY = 50  # django-tasks priorities run from -100 to 100; the default is 0


@periodic(every=dt.timedelta(seconds=1))
@task(priority=EMERGENCY_PRIORITY)
def emergency_fast_lane() -> dict[str, int]:
    return fastlane.emergency_fast_lane()


@periodic(every=dt.timedelta(seconds=5))
@task(priority=EMERGENCY_PRIORITY)
def paging_sweep() -> dict[str, int]:
    result = paging.paging_sweep(now=clock.now())
    sent = fastlane.pages_deliver_now() if result.fired else 0
    return {"fired": result.fired, "late": result.late, "pages_sent": sent}


@periodic(every=dt.timedelta(seconds=60))
@task()
def paging_watchdog() -> dict[str, object]:
    health = watchdog.paging_watchdog(clock.now())
    return {"ok": health.ok, "late_steps": health.late_steps, "message": health.message}
