"""Recording messages in the outbox and delivering them to real receivers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from trustline.accounts.models import Organisation
from trustline.accounts.permissions import Actor
from trustline.conftest import actor_of
from trustline.core.clock import frozen_at
from trustline.notifications.choices import Channel, MessageStatus
from trustline.notifications.models import NotificationSetting, OutboxMessage
from trustline.notifications.selectors import outbox_visible
from trustline.notifications.services import (
    email_addresses,
    email_people,
    notification_send,
    outbox_deliver_due,
    outbox_enqueue,
)
from trustline.notifications.tasks import deliver_message_task
from trustline.notifications.tests.conftest import WebhookReceiver, make_endpoint
from trustline.notifications.transport import email_message_id

pytestmark = pytest.mark.django_db


def enqueue_email(key: str = "case:1:decided:email", to: str = "desk@sudan-monitor.example.org",
                  organisation: Organisation | None = None) -> OutboxMessage:
    with transaction.atomic():
        return outbox_enqueue(
            channel=Channel.EMAIL,
            recipient=to,
            subject="Your report was decided",
            body="We removed the post you reported.",
            idempotency_key=key,
            organisation=organisation,
        )


def test_it_records_nothing_when_the_change_rolls_back() -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        outbox_enqueue(channel=Channel.EMAIL, recipient="a@example.org", idempotency_key="k:rolled-back")
        raise Abort

    assert not OutboxMessage.objects.filter(idempotency_key="k:rolled-back").exists()


def test_the_same_key_twice_gives_one_message() -> None:
    first = enqueue_email(key="case:7:decided")
    second = enqueue_email(key="case:7:decided", to="someone.else@example.org")

    assert second.id == first.id
    assert OutboxMessage.objects.filter(idempotency_key="case:7:decided").count() == 1
    assert second.recipient == "desk@sudan-monitor.example.org"


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_run_outside_a_transaction() -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        outbox_enqueue(channel=Channel.EMAIL, recipient="a@example.org", idempotency_key="k:no-tx")


@pytest.mark.parametrize("key", ["", "has space", "ключ", "x" * 201, "line\nbreak"])
def test_it_refuses_keys_that_cannot_travel_in_headers(key: str) -> None:
    with pytest.raises(ValueError, match="idempotency key"), transaction.atomic():
        outbox_enqueue(channel=Channel.EMAIL, recipient="a@example.org", idempotency_key=key)


def test_it_refuses_a_webhook_without_its_endpoint_and_a_bad_address() -> None:
    with pytest.raises(ValueError, match="endpoint"), transaction.atomic():
        outbox_enqueue(channel=Channel.WEBHOOK, recipient="https://x.example/h", idempotency_key="k:w")
    with pytest.raises(ValueError, match="e-mail"), transaction.atomic():
        outbox_enqueue(channel=Channel.EMAIL, recipient="not-an-address", idempotency_key="k:e")


def test_the_first_attempt_is_enqueued_after_commit_and_delivers(
    smtp_server: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        message = enqueue_email(key="case:9:decided")
    assert not DBTaskResult.objects.filter(task_path__endswith="deliver_message_task").exists()
    assert len(callbacks) == 1

    callbacks[0]()  # the commit happens
    task_row = DBTaskResult.objects.get(task_path="trustline.notifications.tasks.deliver_message_task")
    assert task_row.args_kwargs == {"args": [str(message.id)], "kwargs": {}}

    # What the worker then runs:
    assert deliver_message_task.call(str(message.id))["sent"] == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.attempts == 1
    assert len(smtp_server.messages) == 1


def test_email_goes_through_a_real_smtp_server_with_the_key_in_its_headers(smtp_server: Any, t0: dt.datetime) -> None:
    message = enqueue_email(key="case:42:decided:email:abc")
    with frozen_at(t0):
        counts = outbox_deliver_due(now=t0)

    assert counts.as_dict() == {"claimed": 1, "sent": 1, "retrying": 0, "dead": 0, "released": 0}
    received = smtp_server.messages[0]
    assert received["Subject"] == "Your report was decided"
    assert received["To"] == "desk@sudan-monitor.example.org"
    assert received["X-Trustline-Idempotency-Key"] == "case:42:decided:email:abc"
    assert received["Message-ID"] == email_message_id("case:42:decided:email:abc")
    assert received["Message-ID"].endswith("@kite.example>")
    assert received.get_content().strip() == "We removed the post you reported."
    message.refresh_from_db()
    assert (message.status, message.sent_at, message.next_attempt_at) == (MessageStatus.SENT, t0, None)


def test_a_refused_mailbox_is_given_up_at_once(smtp_server: Any, t0: dt.datetime) -> None:
    message = enqueue_email(key="k:refused", to="nobody@refused.example.org")
    with frozen_at(t0):
        counts = outbox_deliver_due(now=t0)

    assert counts.dead == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.DEAD
    assert "550" in message.last_error
    assert smtp_server.messages == []


def test_a_webhook_is_signed_per_standard_webhooks(
    webhook_receiver: WebhookReceiver, sudan_partner: Organisation, t0: dt.datetime
) -> None:
    endpoint = make_endpoint(webhook_receiver, sudan_partner)
    with transaction.atomic():
        message = outbox_enqueue(
            channel=Channel.WEBHOOK,
            recipient="",
            payload={"type": "case.decided", "data": {"case": "c-1", "outcome": "violating"}},
            idempotency_key="case:c-1:decided:webhook",
            endpoint=endpoint,
        )
    with frozen_at(t0):
        counts = outbox_deliver_due(now=t0)

    assert counts.sent == 1
    assert webhook_receiver.rejected == []
    [received] = webhook_receiver.received
    assert received.headers["webhook-id"] == "case:c-1:decided:webhook"
    assert received.headers["content-type"] == "application/json"
    assert received.payload == {"type": "case.decided", "data": {"case": "c-1", "outcome": "violating"}}
    message.refresh_from_db()
    assert message.recipient == endpoint.url
    assert message.organisation == sudan_partner
    assert message.status == MessageStatus.SENT


def test_a_webhook_signed_with_another_secret_is_rejected_by_the_receiver(
    webhook_receiver: WebhookReceiver, sudan_partner: Organisation, t0: dt.datetime
) -> None:
    endpoint = make_endpoint(webhook_receiver, sudan_partner)
    webhook_receiver.secrets["/hooks"] = "whsec_" + "A" * 44  # the receiver expects a different key
    with transaction.atomic():
        outbox_enqueue(
            channel=Channel.WEBHOOK, recipient="", payload={"n": 1}, idempotency_key="k:s", endpoint=endpoint
        )
    with frozen_at(t0):
        counts = outbox_deliver_due(now=t0)

    assert counts.retrying == 1  # 401 from the receiver
    assert webhook_receiver.rejected == ["No matching signature found"]


def test_notification_send_uses_the_channels_the_organisation_switched_on(
    webhook_receiver: WebhookReceiver, smtp_server: Any, sudan_partner: Organisation, t0: dt.datetime
) -> None:
    wants_decisions = make_endpoint(webhook_receiver, sudan_partner, "/decisions", ["case.decided"])
    make_endpoint(webhook_receiver, sudan_partner, "/pages", ["page.triggered"])
    with frozen_at(t0), transaction.atomic():
        messages = notification_send(
            organisation=sudan_partner,
            event_type="case.decided",
            key="case:c-2:decided",
            subject="Decision on your report",
            body="Removed.",
            data={"case": "c-2"},
        )
        again = notification_send(
            organisation=sudan_partner, event_type="case.decided", key="case:c-2:decided",
            subject="Decision on your report", body="Removed.", data={"case": "c-2"},
        )
    assert [m.id for m in again] == [m.id for m in messages]
    assert [(m.channel, m.recipient) for m in messages] == [
        (Channel.EMAIL, "desk@sudan-monitor.example.org"),
        (Channel.WEBHOOK, wants_decisions.url),
    ]
    with frozen_at(t0):
        assert outbox_deliver_due(now=t0).sent == 2
    [received] = webhook_receiver.received
    assert received.path == "/decisions"
    assert received.payload == {"type": "case.decided", "timestamp": t0.isoformat(), "data": {"case": "c-2"}}

    NotificationSetting.objects.create(organisation=sudan_partner, email_enabled=False, webhook_enabled=False)
    with transaction.atomic():
        assert notification_send(
            organisation=sudan_partner, event_type="case.decided", key="case:c-3:decided",
            subject="s", body="b", data={},
        ) == []


def test_partners_see_only_their_own_delivery_status(
    sudan_partner: Organisation, pakistan_partner: Organisation, analyst_amal: Any, reviewer_rita: Any
) -> None:
    ours = enqueue_email(key="k:sudan", organisation=sudan_partner)
    theirs = enqueue_email(key="k:pakistan", to="desk@pk.example.org", organisation=pakistan_partner)

    amal: Actor = actor_of(analyst_amal)
    rita: Actor = actor_of(reviewer_rita)
    assert list(outbox_visible(actor=amal)) == [ours]
    assert {m.id for m in outbox_visible(actor=rita)} == {ours.id, theirs.id}


def test_email_people_sends_one_message_each_and_never_twice(lead_lena: Any, reviewer_rita: Any, admin_ada: Any):
    def alert(people: list[Any]) -> int:
        with transaction.atomic():
            return len(email_people(people=people, subject="SLA breach", body="Case overdue.",
                                    key="sla-breach:c1:ack", event_type="sla.breached", payload={"case_id": "c1"}))

    assert alert([lead_lena, reviewer_rita]) == 2
    alert([lead_lena, reviewer_rita, admin_ada])  # the sweep runs again; Ada joined the leads meanwhile

    sent = OutboxMessage.objects.filter(event_type="sla.breached").order_by("recipient")
    assert sorted(m.recipient for m in sent) == sorted(p.email for p in (lead_lena, reviewer_rita, admin_ada))
    assert all(m.payload == {"case_id": "c1"} and m.channel == Channel.EMAIL for m in sent)


def test_email_addresses_sends_to_any_domain_and_never_twice():
    def spike() -> int:
        with transaction.atomic():
            return len(email_addresses(addresses=["pm@kite.example", "desk@خرطوم.example"], subject="Spike",
                                       body="Unusual reports.", key="trends:spike:7", event_type="spike.detected"))

    assert spike() == 2
    spike()

    assert OutboxMessage.objects.filter(event_type="spike.detected").count() == 2
