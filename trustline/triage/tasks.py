"""Background triage jobs: thin wrappers that call the services.

* ``triage_pending`` every 5 s: triage new cases, rescore cases that gained items.
* ``sla_sweep`` every 30 s: record missed acknowledge/decide targets, raise priority, alert leads.
* ``sla_watchdog`` every 60 s: report when the sweeper has not finished a run for 3 intervals.

All three claim their work with conditional UPDATEs (or ``SKIP LOCKED``), so
overlapping runs are harmless. They run as the system actor.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from trustline.core import clock
from trustline.core.periodic import periodic
from trustline.triage import services, sla


@periodic(every=dt.timedelta(seconds=5))
@task()
def triage_pending() -> dict[str, int]:
    run = services.triage_pending()
    return {"triaged": run.triaged, "rescored": run.rescored}


@periodic(every=sla.SWEEP_INTERVAL)
@task()
def sla_sweep() -> dict[str, int]:
    result = sla.sla_sweep(now=clock.now())
    return {"ack": result.ack, "decide": result.decide}


@periodic(every=sla.WATCHDOG_INTERVAL)
@task()
def sla_watchdog() -> dict[str, object]:
    report = sla.sla_watchdog(clock.now())
    return {"ok": report.ok, "message": report.message}
