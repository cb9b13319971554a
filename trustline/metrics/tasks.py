"""Background job: keep the item-fact roll-up in step with the source tables (every minute).

Thin: it calls :func:`trustline.metrics.facts.facts_refresh`, which is
idempotent and serialises concurrent runs on its state row, so an overlap
of two runs is harmless.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from trustline.core.periodic import periodic
from trustline.metrics.facts import facts_refresh


@periodic(every=dt.timedelta(minutes=1), max_runtime=dt.timedelta(minutes=30))
@task()
def metrics_facts_refresh() -> dict[str, object]:
    result = facts_refresh()
    return {"cases": result.cases, "full": result.full, "through": result.refreshed_through.isoformat()}
