"""Background delivery of the outbox.

``deliver_message_task`` is enqueued after the commit that wrote a message,
for a delivery within seconds; ``deliver_outbox`` sweeps every 10 seconds for
anything due (retries, leases that ran out, messages whose immediate task was
lost), so nothing depends on the immediate task running.
"""

from __future__ import annotations

import datetime as dt
import time

from django_tasks import task

from trustline.core import clock
from trustline.core.periodic import periodic
from trustline.notifications.delivery import DeliveryCounts, outbox_deliver_due, outbox_deliver_message

SWEEP_BATCH = 100
SWEEP_BUDGET_SECONDS = 30.0


@task()
def deliver_message_task(message_id: str) -> dict[str, int]:
    return outbox_deliver_message(message_id=message_id, now=clock.now()).as_dict()


@periodic(every=dt.timedelta(seconds=10))
@task()
def deliver_outbox() -> dict[str, int]:
    """Deliver due messages in batches until the backlog is gone or the time budget is spent."""
    total = DeliveryCounts()
    started = time.monotonic()
    while True:
        counts = outbox_deliver_due(now=clock.now(), limit=SWEEP_BATCH)
        total.add(counts)
        if counts.claimed < SWEEP_BATCH or time.monotonic() - started > SWEEP_BUDGET_SECONDS:
            return total.as_dict()


@periodic(every=dt.timedelta(hours=1))
@task()
def send_daily_digests() -> dict[str, int]:
    """Hourly; from the digest hour (UTC) on, yesterday's digest goes once to each organisation that wants it."""
    # Imported here: digest builds on services, which imports this module for deliver_message_task.
    from trustline.notifications.digest import daily_digest_send

    return daily_digest_send(now=clock.now())
