"""Background jobs of the intake app: thin wrappers that call the services.

* ``bulk_answers_forget`` every hour (``bulk.bulk_answers_expire``): forget the stored answers of keyed bulk
  uploads older than ``BULK_ANSWER_DAYS`` (one conditional DELETE; runs
  overlapping or twice are harmless).
* ``evidence_retention`` every hour (``retention.evidence_retention_sweep``): delete evidence files
  ``EVIDENCE_RETENTION_DAYS`` after the last case they back closed, unless held or contested.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from trustline.core import clock
from trustline.core.periodic import periodic
from trustline.intake.bulk import bulk_answers_expire
from trustline.intake.retention import evidence_retention_run


@periodic(every=dt.timedelta(hours=1))
@task()
def bulk_answers_forget() -> dict[str, int]:
    return {"deleted": bulk_answers_expire(now=clock.now())}


@periodic(every=dt.timedelta(hours=1))
@task()
def evidence_retention() -> dict[str, int]:
    return evidence_retention_run()
