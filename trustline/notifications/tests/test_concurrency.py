"""Concurrent delivery runs and enqueues on real PostgreSQL (separate connections, real row locks)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from trustline.accounts.models import Organisation
from trustline.core.clock import frozen_at
from trustline.notifications.choices import Channel, MessageStatus
from trustline.notifications.models import OutboxMessage
from trustline.notifications.services import outbox_deliver_due, outbox_enqueue
from trustline.notifications.tests.conftest import WebhookReceiver, make_endpoint

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs concurrent writers with row locks: SQLite serialises whole transactions, "
        "so this only means something on PostgreSQL",
    ),
]

THREADS = 4


def run_in_threads(work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``THREADS`` threads released together; re-raise the first error."""
    barrier = threading.Barrier(THREADS)
    results: list[Any] = [None] * THREADS
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait(10)
            results[i] = work(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if errors:
        raise errors[0]
    return results


def test_concurrent_delivery_runs_never_send_a_message_twice(
    webhook_receiver: WebhookReceiver, sudan_partner: Organisation, t0: dt.datetime
) -> None:
    endpoint = make_endpoint(webhook_receiver, sudan_partner)
    webhook_receiver.delay = 0.02  # long enough for the runs to overlap
    with transaction.atomic():
        for n in range(60):
            outbox_enqueue(
                channel=Channel.WEBHOOK, recipient="", payload={"n": n}, idempotency_key=f"k:{n}", endpoint=endpoint
            )

    def deliver_until_empty(_: int) -> int:
        sent = 0
        while True:
            counts = outbox_deliver_due(now=t0, limit=5)
            sent += counts.sent
            if counts.claimed == 0:
                return sent

    with frozen_at(t0):
        sent_per_thread = run_in_threads(deliver_until_empty)

    assert sum(sent_per_thread) == 60
    assert sum(1 for sent in sent_per_thread if sent) > 1, "the runs did not overlap; the test proved nothing"
    deliveries = Counter(webhook_receiver.ids())
    assert len(deliveries) == 60
    assert set(deliveries.values()) == {1}
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(MessageStatus.SENT, 1)}


def test_concurrent_enqueues_with_one_key_make_one_message(sudan_partner: Organisation) -> None:
    def enqueue(i: int) -> str:
        with transaction.atomic():
            message = outbox_enqueue(
                channel=Channel.EMAIL, recipient=f"desk{i}@example.org", idempotency_key="case:c-5:decided:email",
                organisation=sudan_partner,
            )
        return str(message.id)

    ids = run_in_threads(enqueue)

    assert len(set(ids)) == 1
    assert OutboxMessage.objects.filter(idempotency_key="case:c-5:decided:email").count() == 1
