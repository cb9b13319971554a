"""The emergency fast lane: partner-flagged imminent cases do not wait for the next triage batch.

Triage runs every 5 s for everyone; a report flagged as imminent harm must
page a person within seconds of its 201, so ``emergency_fast_lane`` (every
second on the worker):

1. Triages the open, untriaged cases a partner flagged imminent, oldest
   first, one by one through triage's own ``triage_case`` (idempotent; the
   triage hook opens the emergency and fires its first step in that
   transaction).
2. After each case, delivers the pages now due at once, in this task, instead of leaving them
   to the immediate delivery task (one more worker poll away) or the outbox
   sweep. The outbox's claim makes this safe beside those: each message is
   sent by whoever claims it first.
"""

from __future__ import annotations

import datetime as dt
import time

from trustline.accounts.permissions import SYSTEM
from trustline.cases.models import Case
from trustline.core import clock
from trustline.notifications.choices import MessageStatus
from trustline.notifications.models import OutboxMessage
from trustline.notifications.services import outbox_deliver_message

BATCH = 100
BUDGET_SECONDS = 10.0
PAGE_EVENT = "emergency.page"


def pages_deliver_now(*, limit: int = 500) -> int:
    """Step 2: deliver pending paging messages (only pages: ordinary mail waits for the outbox)."""
    ids = list(
        OutboxMessage.objects.filter(event_type=PAGE_EVENT, status=MessageStatus.PENDING,
                                     next_attempt_at__lte=clock.now())
        .order_by("created_at").values_list("id", flat=True)[:limit]
    )
    sent = 0
    for message_id in ids:
        sent += outbox_deliver_message(message_id=message_id, now=clock.now()).sent
    return sent


def emergency_fast_lane(*, now: dt.datetime | None = None, budget_seconds: float = BUDGET_SECONDS) -> dict[str, int]:
    """Steps 1 and 2, one case at a time: each case's first page goes out right after its own commit."""
    from trustline.triage.services import triage_case  # triage imports this app's hooks: import late

    started = time.monotonic()
    ids = list(
        Case.objects.filter(triaged_at__isnull=True, is_open=True, imminent_harm=True)
        .order_by("opened_at").values_list("pk", flat=True)[:BATCH]
    )
    sent = triaged = 0
    for case_id in ids:
        triage_case(actor=SYSTEM, case_id=case_id)
        triaged += 1
        sent += pages_deliver_now(limit=50)
        if time.monotonic() - started > budget_seconds:
            break  # leave the worker to other jobs; the next run (a second later) goes on
    sent += pages_deliver_now()
    return {"triaged": triaged, "pages_sent": sent}
