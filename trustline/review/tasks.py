"""Background jobs of the review app: thin wrappers that call the services.

* ``review_follow_up`` every 60 s: expire unanswered information requests
  (resuming the SLA clock), drive unfinished enforcement actions of
  effective decisions again, close cases whose actions are done, and tell
  partners whose reports joined an already decided case.

Both halves claim their work with conditional UPDATEs or row locks and use
idempotency keys, so overlapping runs are harmless. They run as the system actor.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from trustline.core import clock
from trustline.core.periodic import periodic
from trustline.review.information import information_requests_expire
from trustline.review.services import decisions_follow_up


@periodic(every=dt.timedelta(seconds=60))
@task()
def review_follow_up() -> dict[str, int]:
    expired = information_requests_expire(now=clock.now())
    return {"expired": expired, **decisions_follow_up()}
