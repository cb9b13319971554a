"""Background protection jobs, run as the system actor.

* ``protection_expire`` every 5 minutes: the expiry sweeper.
* ``protection_rescore(account_id)``: enqueued after a protection starts, is extended or expires.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from trustline.core.periodic import periodic
from trustline.protection import services


@periodic(every=dt.timedelta(minutes=5))
@task()
def protection_expire() -> dict[str, int]:
    return {"expired": services.protection_expire_due()}


@task()
def protection_rescore(account_id: str) -> dict[str, int]:
    return {"rescored": services.protection_rescore(account_id=account_id)}
