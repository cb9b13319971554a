"""Routing housekeeping: return cases whose lease ran out to the queue (a thin wrapper over the service).

Claims already treat an expired lease as free, so this job is not needed for
correctness; it keeps the ``in_review`` count honest, closes the assignment
at the moment the lease ran out and audits the expiry.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from trustline.core.periodic import periodic
from trustline.routing import services


@periodic(every=dt.timedelta(seconds=60))
@task()
def release_expired_leases() -> dict[str, int]:
    return {"released": services.release_expired_leases()}
