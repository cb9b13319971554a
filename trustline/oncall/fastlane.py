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

from django.db import connection, transaction

from trustline.accounts.permissions import SYSTEM
from trustline.cases.models import Case
from trustline.core import clock
from trustline.notifications.choices import MessageStatus
from trustline.notifications.models import OutboxMessage
from trustline.notifications.services import outbox_deliver_message

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
    sent = triaged = 0
    skip: set[object] = set()
    while time.monotonic() - started < budget_seconds:
        # Re-read each time: reports that arrive meanwhile are taken in the same run, oldest first.
        with transaction.atomic():
            candidates = (
                Case.objects.filter(triaged_at__isnull=True, is_open=True, imminent_harm=True)
                .exclude(pk__in=skip).order_by("opened_at")
            )
            if connection.features.has_select_for_update_skip_locked:
                # Several workers run the lane side by side: each takes a case nobody else holds.
                candidates = candidates.select_for_update(skip_locked=True)
            case_id = candidates.values_list("pk", flat=True).first()
            if case_id is None:
                break
            skip.add(case_id)  # never loop on a case triage leaves untriaged (closed meanwhile)
            triage_case(actor=SYSTEM, case_id=case_id)  # the same transaction: our lock is its lock
        triaged += 1
        sent += pages_deliver_now(limit=50)
    sent += pages_deliver_now()
    return {"triaged": triaged, "pages_sent": sent}
