"""Failures: backoff with jitter, giving up, gone endpoints and workers that die mid-send."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from trustline.accounts.models import Organisation
from trustline.core.clock import frozen_at
from trustline.notifications import transport
from trustline.notifications.choices import Channel, MessageStatus
from trustline.notifications.models import OutboxMessage, WebhookEndpoint
from trustline.notifications.services import outbox_deliver_due, outbox_enqueue
from trustline.notifications.tests.conftest import WebhookReceiver, make_endpoint

pytestmark = pytest.mark.django_db


def enqueue_webhook(endpoint: WebhookEndpoint, key: str = "case:c-9:decided:webhook") -> OutboxMessage:
    with transaction.atomic():
        return outbox_enqueue(
            channel=Channel.WEBHOOK, recipient="", payload={"type": "case.decided"}, idempotency_key=key,
            endpoint=endpoint,
        )


@pytest.fixture
def failing_endpoint(webhook_receiver: WebhookReceiver, sudan_partner: Organisation) -> WebhookEndpoint:
    webhook_receiver.statuses["/down"] = 503
    return make_endpoint(webhook_receiver, sudan_partner, "/down")


def test_a_failed_delivery_is_retried_after_the_backoff(
    failing_endpoint: WebhookEndpoint, webhook_receiver: WebhookReceiver, t0: dt.datetime
) -> None:
    message = enqueue_webhook(failing_endpoint)
    with frozen_at(t0):
        assert outbox_deliver_due(now=t0).retrying == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 1
    assert message.last_error.startswith("HTTP 503 from http://127.0.0.1:")
    assert message.next_attempt_at is not None
    assert t0 + dt.timedelta(seconds=24) <= message.next_attempt_at <= t0 + dt.timedelta(seconds=36)

    first_retry = message.next_attempt_at
    with frozen_at(first_retry - dt.timedelta(seconds=1)):
        assert outbox_deliver_due(now=first_retry - dt.timedelta(seconds=1)).claimed == 0

    webhook_receiver.statuses["/down"] = 200  # the endpoint recovers
    with frozen_at(first_retry):
        assert outbox_deliver_due(now=first_retry).sent == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 2, "")
    assert webhook_receiver.ids() == [message.idempotency_key] * 2  # same webhook-id on the retry


def test_a_message_is_given_up_after_twelve_failed_attempts(failing_endpoint: WebhookEndpoint, t0: dt.datetime) -> None:
    message = enqueue_webhook(failing_endpoint)
    now = t0
    waits: list[dt.timedelta] = []
    for attempt in range(1, 13):
        with frozen_at(now):
            counts = outbox_deliver_due(now=now)
        message.refresh_from_db()
        assert message.attempts == attempt
        if attempt < 12:
            assert counts.retrying == 1 and message.status == MessageStatus.FAILED
            assert message.next_attempt_at is not None
            waits.append(message.next_attempt_at - now)
            now = message.next_attempt_at
        else:
            assert counts.dead == 1

    assert message.status == MessageStatus.DEAD
    assert message.next_attempt_at is None
    assert waits[0] < waits[1] < waits[2] < waits[3]
    assert max(waits) <= dt.timedelta(hours=1)
    with frozen_at(now + dt.timedelta(days=1)):
        assert outbox_deliver_due(now=now + dt.timedelta(days=1)).claimed == 0


def test_an_endpoint_answering_410_is_switched_off(
    webhook_receiver: WebhookReceiver, sudan_partner: Organisation, t0: dt.datetime
) -> None:
    webhook_receiver.statuses["/gone"] = 410
    endpoint = make_endpoint(webhook_receiver, sudan_partner, "/gone")
    first = enqueue_webhook(endpoint, "k:gone:1")
    second = enqueue_webhook(endpoint, "k:gone:2")

    with frozen_at(t0):
        counts = outbox_deliver_due(now=t0)

    assert counts.dead == 2
    assert len(webhook_receiver.received) == 1  # the second is not even tried
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.deactivated_at == t0
    assert "410" in endpoint.deactivated_reason
    first.refresh_from_db()
    second.refresh_from_db()
    assert {first.last_error, second.last_error} == {
        f"HTTP 410 Gone from {endpoint.url}", "webhook endpoint is deactivated"
    }


def test_an_unreachable_endpoint_is_retried(sudan_partner: Organisation, t0: dt.datetime) -> None:
    endpoint = WebhookEndpoint.objects.create(
        organisation=sudan_partner, url="http://127.0.0.1:9/closed", secret="whsec_" + "B" * 44, created_at=t0
    )
    message = enqueue_webhook(endpoint)
    with frozen_at(t0):
        assert outbox_deliver_due(now=t0).retrying == 1
    message.refresh_from_db()
    assert message.last_error.startswith("cannot reach http://127.0.0.1:9/closed")


def test_private_addresses_are_refused_unless_allowed(
    settings: Any, webhook_receiver: WebhookReceiver, sudan_partner: Organisation, t0: dt.datetime
) -> None:
    settings.OUTBOX_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    message = enqueue_webhook(make_endpoint(webhook_receiver, sudan_partner))
    with frozen_at(t0):
        assert outbox_deliver_due(now=t0).dead == 1
    message.refresh_from_db()
    assert message.last_error == "127.0.0.1 resolves to non-public address 127.0.0.1"
    assert webhook_receiver.received == []


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: nothing after the send runs."""


def test_a_message_left_sending_by_a_killed_worker_is_sent_after_its_lease(
    monkeypatch: pytest.MonkeyPatch, webhook_receiver: WebhookReceiver, sudan_partner: Organisation, t0: dt.datetime
) -> None:
    message = enqueue_webhook(make_endpoint(webhook_receiver, sudan_partner))

    def killed_mid_send(_message: OutboxMessage) -> None:
        raise WorkerKilled

    with monkeypatch.context() as patch:
        patch.setattr(transport, "send", killed_mid_send)
        with frozen_at(t0), pytest.raises(WorkerKilled):
            outbox_deliver_due(now=t0)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENDING, 1)
    assert message.lease_expires_at == t0 + dt.timedelta(minutes=2)

    during_lease = t0 + dt.timedelta(seconds=119)
    with frozen_at(during_lease):
        assert outbox_deliver_due(now=during_lease).claimed == 0

    after_lease = t0 + dt.timedelta(seconds=120)
    with frozen_at(after_lease):
        assert outbox_deliver_due(now=after_lease).sent == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.lease_expires_at) == (MessageStatus.SENT, 2, None)
    assert webhook_receiver.ids() == [message.idempotency_key]


def test_a_message_is_released_rather_than_sent_when_its_lease_is_nearly_over(
    monkeypatch: pytest.MonkeyPatch, webhook_receiver: WebhookReceiver, sudan_partner: Organisation, t0: dt.datetime
) -> None:
    endpoint = make_endpoint(webhook_receiver, sudan_partner)
    slow = enqueue_webhook(endpoint, "k:slow")
    late = enqueue_webhook(endpoint, "k:late")
    real_send = transport.send

    with contextlib.ExitStack() as clock_stack:
        clock_stack.enter_context(frozen_at(t0))

        def slow_send(message: OutboxMessage) -> None:
            real_send(message)
            clock_stack.enter_context(frozen_at(t0 + dt.timedelta(seconds=110)))  # it took most of the lease

        monkeypatch.setattr(transport, "send", slow_send)
        counts = outbox_deliver_due(now=t0)

    assert (counts.sent, counts.released) == (1, 1)
    late.refresh_from_db()
    slow.refresh_from_db()
    assert slow.status == MessageStatus.SENT
    assert (late.status, late.attempts) == (MessageStatus.PENDING, 0)
    assert late.next_attempt_at == t0 + dt.timedelta(seconds=110)
