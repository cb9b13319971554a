"""Background jobs of the trends app: thin wrappers that call the services as the system.

* ``detect_spikes`` every hour: test yesterday (now complete) and today so
  far. Spikes are unique per (series, day), so the hourly re-runs refresh
  the evidence of a spike and never notify twice.
* ``cluster_new_cases`` every minute: fingerprint and cluster cases that
  arrived since the cursor, a few batches per run (the next run continues).
* ``announce_insight_reports`` every six hours: in the first week of a
  month, e-mail partners and policy staff the link to last month's insight
  report (once per month and recipient).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django_tasks import task

from trustline.core import clock
from trustline.core.periodic import periodic
from trustline.trends.announce import insight_reports_announce
from trustline.trends.clustering import incidents_cluster_new
from trustline.trends.detection import spikes_detect

MAX_BATCHES_PER_RUN = 10


@periodic(every=dt.timedelta(hours=1))
@task()
def detect_spikes() -> dict[str, Any]:
    today = clock.now().astimezone(dt.UTC).date()
    result = spikes_detect(day_from=today - dt.timedelta(days=1), day_to=today)
    return {k: v for k, v in dataclasses.asdict(result).items() if k != "new_spike_ids"}


@periodic(every=dt.timedelta(seconds=60))
@task()
def cluster_new_cases() -> dict[str, int]:
    totals = {"cases": 0, "incidents_created": 0, "members_added": 0, "incidents_merged": 0}
    for _ in range(MAX_BATCHES_PER_RUN):
        step = incidents_cluster_new()
        for key in totals:
            totals[key] += getattr(step, key)
        if step.cases == 0:
            break
    return totals


@periodic(every=dt.timedelta(hours=6))
@task()
def announce_insight_reports() -> dict[str, int]:
    return {"messages": insight_reports_announce(today=clock.now().astimezone(dt.UTC).date())}
