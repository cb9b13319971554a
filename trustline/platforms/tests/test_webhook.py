"""The webhook connector against a fake platform over real HTTP: signed actions through the outbox, describe."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from trustline.accounts.models import Organisation, User
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.core.clock import frozen_at
from trustline.notifications.choices import MessageStatus
from trustline.notifications.models import OutboxMessage, WebhookEndpoint
from trustline.notifications.services import notification_send, outbox_deliver_due
from trustline.platforms.choices import ENFORCEMENT_EVENT_TYPE, ActionStatus
from trustline.platforms.connectors import ContentRef, WebhookConnector, get_connector
from trustline.platforms.services import action_request
from trustline.platforms.tests.conftest import HALFAYA_POST, WEBHOOK_BACKEND, FakePlatform, action_for, closed_port_url

pytestmark = pytest.mark.django_db

REF = ContentRef(url=HALFAYA_POST, kind="post")
DESCRIPTION = {
    "text": "ديل ناس التكية في الحلفايا",
    "online": True,
    "created_at": "2026-09-21T23:38:00Z",
    "author": {"id": "7151183323", "handle": "halfaya.alaan", "display_name": "الحلفايا الآن",
               "follower_count": 363, "verified": False, "public_figure": False, "created_at": "2018-11-02T10:00:00Z"},
    "reach": {"views": 3808, "shares": 68},
    "media": [{"kind": "image", "url": "https://cdn.platform.example/1.jpg", "description": "four faces"}],
    "restrictions": [],
    "something_new": "ignored",
}


@pytest.fixture
def webhook(fake_platform: FakePlatform, use_connector: Callable[..., None]) -> FakePlatform:
    """The webhook connector in force, talking to the fake platform."""
    use_connector(WEBHOOK_BACKEND, **fake_platform.options())
    return fake_platform


def test_an_action_is_signed_and_delivered_through_the_outbox(
    webhook: FakePlatform, case: Case, reviewer_rita: User, kite: Organisation, t0: dt.datetime
):
    action = action_for(case, key="decision:77:remove")
    record = action_request(actor=actor_of(reviewer_rita), case=case, action=action)

    assert record.status == ActionStatus.QUEUED
    assert record.connector == "webhook"
    message = OutboxMessage.objects.get(idempotency_key="decision:77:remove")
    assert record.outbox_message_id == message.id
    assert (message.event_type, message.status, message.organisation_id) == (
        ENFORCEMENT_EVENT_TYPE, MessageStatus.PENDING, kite.pk
    )
    assert webhook.received == []  # nothing leaves before the outbox delivers

    with frozen_at(t0):
        counts = outbox_deliver_due(now=t0)

    assert counts.sent == 1
    assert webhook.rejected == []
    [received] = webhook.received
    assert received.path == "/enforcement"
    assert received.headers["webhook-id"] == "decision:77:remove"
    assert received.payload["type"] == ENFORCEMENT_EVENT_TYPE
    assert received.payload["data"] == action.as_payload()
    assert received.payload["data"]["case_id"] == str(case.pk)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


def test_a_platform_outage_delays_the_action_but_the_outbox_retries_it(
    webhook: FakePlatform, case: Case, reviewer_rita: User, kite: Organisation, t0: dt.datetime
):
    action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case, key="decision:78:remove"))
    webhook.enforcement_status = 503
    with frozen_at(t0):
        assert outbox_deliver_due(now=t0).retrying == 1

    webhook.enforcement_status = 204
    later = t0 + dt.timedelta(minutes=2)
    with frozen_at(later):
        assert outbox_deliver_due(now=later).sent == 1
    assert [r.headers["webhook-id"] for r in webhook.received] == ["decision:78:remove"] * 2


def test_the_platform_endpoint_only_receives_enforcement_requests(
    webhook: FakePlatform, case: Case, reviewer_rita: User, kite: Organisation, t0: dt.datetime
):
    action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case, key="decision:79:remove"))
    endpoint = WebhookEndpoint.objects.get(organisation=kite)
    assert endpoint.event_types == [ENFORCEMENT_EVENT_TYPE]

    with transaction.atomic():
        sent = notification_send(organisation=kite, event_type="case.decided", key="case:x:decided",
                                 subject="s", body="b", data={}, email_to=[])
    assert sent == []


def test_the_endpoint_follows_a_rotated_secret(
    webhook: FakePlatform, case: Case, reviewer_rita: User, kite: Organisation, use_connector: Callable[..., None],
    t0: dt.datetime,
):
    action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case, key="decision:80:remove"))
    from trustline.notifications.signing import webhook_secret_generate

    webhook.secret = webhook_secret_generate()
    use_connector(WEBHOOK_BACKEND, **webhook.options())
    action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case, key="decision:80:label",
                   action_type="label", label="Targets private people"))
    with frozen_at(t0):
        outbox_deliver_due(now=t0)

    assert WebhookEndpoint.objects.filter(organisation=kite).count() == 1
    assert [r.headers["webhook-id"] for r in webhook.received] == ["decision:80:remove", "decision:80:label"]


def test_without_a_platform_organisation_the_action_fails_and_says_why(
    fake_platform: FakePlatform, use_connector: Callable[..., None], case: Case, kite: Organisation,
    reviewer_rita: User,
):
    use_connector(WEBHOOK_BACKEND, **fake_platform.options(ORGANISATION="no-such-team"))
    record = action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case))
    assert record.status == ActionStatus.FAILED
    assert "platform organisation" in record.result_message


# --------------------------------------------------------------------------------------------
# describe
# --------------------------------------------------------------------------------------------


def test_describe_asks_the_platform_with_a_signed_request_and_reads_its_answer(webhook: FakePlatform):
    webhook.describe_body = DESCRIPTION
    described = get_connector().describe(REF)

    assert described.available, described.error
    assert described.source == "webhook"
    assert described.text == DESCRIPTION["text"]
    assert described.author is not None and described.author.follower_count == 363
    assert described.created_at == dt.datetime(2026, 9, 21, 23, 38, tzinfo=dt.UTC)
    assert (described.reach.views, described.reach.shares) == (3808, 68)
    assert described.media[0].url == "https://cdn.platform.example/1.jpg"
    assert described.online is True
    [received] = webhook.received
    assert received.path == "/describe"
    assert received.payload == {"url": HALFAYA_POST, "platform_id": "", "kind": "post"}
    assert webhook.rejected == []


@pytest.mark.parametrize(
    ("setup", "complaint"),
    [
        ({"describe_status": 500}, "HTTP 500"),
        ({"describe_body": "<html>oops</html>"}, "not a description"),
        ({"describe_body": {"reach": {"views": "lots"}}}, "reach.views"),
        ({"secret": "whsec_" + "A" * 43 + "="}, "HTTP 401"),  # the platform knows another secret
    ],
)
def test_a_bad_answer_gives_an_unavailable_description_not_an_error(
    webhook: FakePlatform, setup: dict[str, Any], complaint: str
):
    for name, value in setup.items():
        setattr(webhook, name, value)
    described = get_connector().describe(REF)

    assert described.available is False
    assert complaint in described.error
    assert (described.item, described.source) == (REF, "webhook")


def test_describe_handles_a_platform_that_is_down(use_connector: Callable[..., None], fake_platform: FakePlatform):
    use_connector(WEBHOOK_BACKEND, **fake_platform.options(DESCRIBE_URL=closed_port_url()))
    described = get_connector().describe(REF)
    assert described.available is False
    assert "cannot reach the platform" in described.error


def test_describe_gives_up_after_its_timeout(use_connector: Callable[..., None], fake_platform: FakePlatform):
    fake_platform.delay = 1.5
    fake_platform.describe_body = DESCRIPTION
    use_connector(WEBHOOK_BACKEND, **fake_platform.options(DESCRIBE_TIMEOUT_SECONDS=0.3))
    described = get_connector().describe(REF)
    assert described.available is False
    assert "0.3" in described.error


def test_without_a_describe_url_describe_says_so(fake_platform: FakePlatform):
    connector = WebhookConnector(**fake_platform.options(DESCRIBE_URL=""))
    described = connector.describe(REF)
    assert described.available is False
    assert "no describe URL" in described.error
