"""Background jobs of the platform connector: thin wrappers that call the services.

* ``enforcement_retry_sweep`` every 30 s: drive again the enforcement actions
  whose retry is due (failed ones at their backoff time, ones stuck in
  ``requested``). Each record is claimed with a conditional UPDATE, so
  overlapping runs and several workers never call the platform twice for
  the same attempt.
* ``content_snapshots`` every 5 s: preserve what the platform shows of
  triaged cases' content (``snapshots.snapshot_sweep``).
* ``enforcement_verification`` every minute: check that content an action
  was to take offline is offline, and back online after the reinstatement
  that undoes one (``verification.verification_sweep``).
* ``content_snapshot_retention`` every hour: empty snapshots past the
  evidence retention period (``snapshots.snapshot_retention_sweep``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django_tasks import task

from trustline.core import clock
from trustline.core.periodic import periodic
from trustline.platforms.services import action_retry_sweep
from trustline.platforms.snapshots import snapshot_retention_run, snapshot_sweep
from trustline.platforms.verification import verification_sweep


@periodic(every=dt.timedelta(seconds=30))
@task()
def enforcement_retry_sweep() -> dict[str, object]:
    result = action_retry_sweep(now=clock.now())
    return {"claimed": result.claimed, "outcomes": result.outcomes, "errors": result.errors}


@periodic(every=dt.timedelta(seconds=5))
@task()
def content_snapshots() -> dict[str, int]:
    result = snapshot_sweep(now=clock.now())
    return {"taken": result.taken, "unanswered": result.unanswered, "dropped": result.dropped,
            "cleared": result.cleared}


@periodic(every=dt.timedelta(hours=1))
@task()
def content_snapshot_retention() -> dict[str, int]:
    return snapshot_retention_run()


@periodic(every=dt.timedelta(minutes=1))
@task()
def enforcement_verification() -> dict[str, int]:
    result = verification_sweep(now=clock.now())
    return dataclasses.asdict(result)
