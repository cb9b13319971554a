"""Delivering the outbox: claim due messages, send them, record the outcome.

1. **Claim.** A message is due when its status is ``pending``, ``failed`` or
   ``sending`` and ``next_attempt_at`` has passed (for ``sending`` that is the
   lease expiry: the worker that claimed it died mid-send). Claiming sets
   ``sending``, adds one to ``attempts`` and leases the row for
   ``OUTBOX_LEASE_SECONDS``. On PostgreSQL the rows are locked with
   ``SELECT ... FOR UPDATE SKIP LOCKED`` so concurrent runs take disjoint
   batches; elsewhere each row is taken with a conditional UPDATE that
   succeeds for one run only.
2. **Send**, outside any transaction (network I/O never holds a lock). A
   message whose lease is about to run out before it is its turn is released
   rather than sent, so a slow batch never races a run that took it over.
3. **Record**, guarded by ``status = sending AND attempts = <our attempt>``:
   a run whose lease was taken over cannot overwrite the newer outcome.
   Success -> ``sent``. Failure -> ``failed`` with the next attempt after
   :func:`retry_delay`, or ``dead`` after ``OUTBOX_MAX_ATTEMPTS`` attempts or
   a permanent failure (an endpoint answering 410 is also switched off).

Delivery is at least once: a worker killed after the receiver accepted a
message but before step 3 sends it again after the lease; receivers drop the
repeat by its idempotency key (``webhook-id``, ``Message-ID``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
import uuid

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet

from trustline.core import clock
from trustline.notifications import transport
from trustline.notifications.choices import CLAIMABLE_STATUSES, MessageStatus
from trustline.notifications.models import OutboxMessage, WebhookEndpoint

logger = logging.getLogger(__name__)

MAX_ERROR_CHARS = 4000
MAX_RETRY_DELAY = dt.timedelta(hours=1)


@dataclasses.dataclass
class DeliveryCounts:
    """What one delivery run did."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    released: int = 0

    def add(self, other: DeliveryCounts) -> None:
        for field in dataclasses.fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


def retry_delay(attempts: int, *, jitter: float) -> dt.timedelta:
    """Wait after the ``attempts``-th failed attempt: 30 s × 2^(attempts-1), ±20 % jitter, at most 1 h.

    ``jitter`` is in [-1, 1] (random in production) so that messages failing
    together, say during an endpoint outage, do not all come back at once.
    """
    base = 30.0 * 2 ** min(max(attempts - 1, 0), 20)
    return min(dt.timedelta(seconds=base * (1 + 0.2 * jitter)), MAX_RETRY_DELAY)


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=int(settings.OUTBOX_LEASE_SECONDS))


def _send_margin() -> dt.timedelta:
    """Lease time a message needs left to be sent: the longest a send may block, plus slack."""
    longest = max(int(settings.OUTBOX_WEBHOOK_TIMEOUT_SECONDS), int(settings.EMAIL_TIMEOUT or 0))
    return dt.timedelta(seconds=longest + 5)


def _due(now: dt.datetime) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(status__in=CLAIMABLE_STATUSES, next_attempt_at__lte=now)


def _claim(candidates: QuerySet[OutboxMessage], *, now: dt.datetime, limit: int) -> list[OutboxMessage]:
    """Take up to ``limit`` of ``candidates`` for this run; see step 1 of the module docstring."""
    lease_until = now + _lease()
    claimed: dict[uuid.UUID, int] = {}
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            rows = list(
                candidates.order_by("next_attempt_at")
                .select_for_update(skip_locked=True)
                .values_list("id", "attempts")[:limit]
            )
            OutboxMessage.objects.filter(id__in=[row_id for row_id, _ in rows]).update(
                status=MessageStatus.SENDING,
                attempts=F("attempts") + 1,
                lease_expires_at=lease_until,
                next_attempt_at=lease_until,
            )
            claimed = {row_id: attempts + 1 for row_id, attempts in rows}
        else:
            for row_id, attempts in list(candidates.order_by("next_attempt_at").values_list("id", "attempts")[:limit]):
                changed = _due(now).filter(id=row_id, attempts=attempts).update(
                    status=MessageStatus.SENDING,
                    attempts=attempts + 1,
                    lease_expires_at=lease_until,
                    next_attempt_at=lease_until,
                )
                if changed == 1:
                    claimed[row_id] = attempts + 1
    messages = list(OutboxMessage.objects.select_related("endpoint").filter(id__in=list(claimed)))
    for message in messages:
        message.attempts = claimed[message.id]  # our fencing token, whatever happened since
    messages.sort(key=lambda m: m.created_at)
    return messages


def _ours(message: OutboxMessage) -> QuerySet[OutboxMessage]:
    """The row, only while this run still holds its claim."""
    return OutboxMessage.objects.filter(id=message.id, status=MessageStatus.SENDING, attempts=message.attempts)


def _release(message: OutboxMessage, *, now: dt.datetime) -> None:
    previous = MessageStatus.PENDING if message.attempts <= 1 else MessageStatus.FAILED
    _ours(message).update(
        status=previous, attempts=F("attempts") - 1, next_attempt_at=now, lease_expires_at=None
    )


def _record_sent(message: OutboxMessage, *, now: dt.datetime) -> bool:
    changed = _ours(message).update(
        status=MessageStatus.SENT, sent_at=now, next_attempt_at=None, lease_expires_at=None, last_error=""
    )
    if changed != 1:
        logger.warning("outbox message %s was sent after its lease was taken over", message.id)
    return changed == 1


def _record_failure(message: OutboxMessage, failure: transport.DeliveryFailed, *, now: dt.datetime) -> MessageStatus:
    if failure.endpoint_gone and message.endpoint_id is not None:
        WebhookEndpoint.objects.filter(id=message.endpoint_id, is_active=True).update(
            is_active=False, deactivated_at=now, deactivated_reason=failure.reason[:300]
        )
    if failure.permanent or message.attempts >= int(settings.OUTBOX_MAX_ATTEMPTS):
        status, next_attempt_at = MessageStatus.DEAD, None
        logger.warning("outbox message %s is dead after %s attempts: %s", message.id, message.attempts, failure.reason)
    else:
        status = MessageStatus.FAILED
        next_attempt_at = now + retry_delay(message.attempts, jitter=random.uniform(-1.0, 1.0))
    _ours(message).update(
        status=status,
        next_attempt_at=next_attempt_at,
        lease_expires_at=None,
        last_error=failure.reason[:MAX_ERROR_CHARS],
    )
    return status


def _deliver(messages: list[OutboxMessage]) -> DeliveryCounts:
    counts = DeliveryCounts(claimed=len(messages))
    margin = _send_margin()
    gone: set[uuid.UUID] = set()  # endpoints switched off during this batch
    for message in messages:
        if message.endpoint is not None and message.endpoint_id in gone:
            message.endpoint.is_active = False
        now = clock.now()
        if message.lease_expires_at is None or message.lease_expires_at - now < margin:
            _release(message, now=now)
            counts.released += 1
            continue
        try:
            transport.send(message)
        except transport.DeliveryFailed as failure:
            outcome = _record_failure(message, failure, now=clock.now())
            if failure.endpoint_gone and message.endpoint_id is not None:
                gone.add(message.endpoint_id)
        except Exception as exc:  # a bug in a sender must not strand the rest of the batch
            logger.exception("outbox sender crashed on message %s", message.id)
            crash = transport.DeliveryFailed(f"{type(exc).__name__}: {exc}")
            outcome = _record_failure(message, crash, now=clock.now())
        else:
            _record_sent(message, now=clock.now())
            counts.sent += 1
            continue
        if outcome == MessageStatus.DEAD:
            counts.dead += 1
        else:
            counts.retrying += 1
    return counts


def outbox_deliver_due(*, now: dt.datetime, limit: int = 100) -> DeliveryCounts:
    """Claim up to ``limit`` messages due at ``now`` and deliver them (see the module docstring)."""
    return _deliver(_claim(_due(now), now=now, limit=limit))


def outbox_deliver_message(*, message_id: uuid.UUID | str, now: dt.datetime) -> DeliveryCounts:
    """Deliver one message if it is due and nobody else holds it (the immediate attempt after commit)."""
    return _deliver(_claim(_due(now).filter(id=message_id), now=now, limit=1))
