"""Seal the audit log every few seconds: chain what was written since the last run.

Overlapping runs are harmless: each locks the chain head, so they take turns
and the second finds nothing (or only what committed meanwhile) to seal.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from trustline.audit import services
from trustline.core.periodic import periodic


@periodic(every=dt.timedelta(seconds=2))
@task()
def seal() -> dict[str, int]:
    result = services.audit_seal()
    return {"sealed": result.sealed, "head_seq": result.head_seq}
