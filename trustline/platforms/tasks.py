"""Background jobs of the platform connector: thin wrappers that call the services.

* ``enforcement_retry_sweep`` every 30 s: drive again the enforcement actions
  whose retry is due (failed ones at their backoff time, ones stuck in
  ``requested``). Each record is claimed with a conditional UPDATE, so
  overlapping runs and several workers never call the platform twice for
  the same attempt.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from trustline.core import clock
from trustline.core.periodic import periodic
from trustline.platforms.services import action_retry_sweep


@periodic(every=dt.timedelta(seconds=30))
@task()
def enforcement_retry_sweep() -> dict[str, object]:
    result = action_retry_sweep(now=clock.now())
    return {"claimed": result.claimed, "outcomes": result.outcomes, "errors": result.errors}
