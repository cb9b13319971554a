"""Periodic law-enforcement jobs: thin wrappers over the services, run as the system.

* ``le_requests_overdue`` every 60 s: alert on requests past their deadline (emergencies are hours away).
* ``le_holds_remind`` hourly: remind liaisons of holds about to expire.
* ``le_contacts_stale`` hourly: the daily digest of contacts to re-verify (one per liaison per day).
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from trustline.core import clock
from trustline.core.periodic import periodic
from trustline.lawenforcement.directory import contacts_stale_remind
from trustline.lawenforcement.holds import holds_remind
from trustline.lawenforcement.inbound import requests_sweep_overdue


@periodic(every=dt.timedelta(seconds=60))
@task()
def le_requests_overdue() -> dict[str, int]:
    return {"alerted": requests_sweep_overdue(now=clock.now())}


@periodic(every=dt.timedelta(hours=1))
@task()
def le_holds_remind() -> dict[str, int]:
    return {"reminded": holds_remind(now=clock.now())}


@periodic(every=dt.timedelta(hours=1))
@task()
def le_contacts_stale() -> dict[str, int]:
    return {"notified": contacts_stale_remind(now=clock.now())}
