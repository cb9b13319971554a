"""Background protection jobs: the expiry sweeper (every 5 minutes), run as the system actor."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from trustline.core.periodic import periodic
from trustline.protection import services


@periodic(every=dt.timedelta(minutes=5))
@task()
def protection_expire() -> dict[str, int]:
    return {"expired": services.protection_expire_due()}
