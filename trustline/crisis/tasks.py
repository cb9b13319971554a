"""Background crisis jobs: thin wrappers over the services, run as the system actor.

* ``crisis_rescore(crisis_id)``: enqueued after a designation, change or end commits.
* ``crisis_sweep`` every 60 s: a scheduled start or end that passed, and labels for newly triaged cases.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from trustline.core.periodic import periodic
from trustline.crisis import rescore


@task()
def crisis_rescore(crisis_id: str) -> dict[str, int]:
    result = rescore.crisis_rescore(crisis_id=crisis_id)
    return {"considered": result.considered, "rescored": result.rescored, "tagged": result.tagged}


@periodic(every=dt.timedelta(seconds=60))
@task()
def crisis_sweep() -> dict[str, int]:
    result = rescore.crisis_sweep()
    return {"rescored_crises": result.rescored_crises, "tagged": result.tagged}
