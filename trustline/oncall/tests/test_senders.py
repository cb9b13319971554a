"""Pages on the wire: what a PagerDuty, SMS/voice gateway or signed webhook receiver actually gets.

A local HTTP receiver records every request (path, headers, exact body) and
answers the status configured for its path. The pages go through the outbox
as in production (``outbox_deliver_due``), so these tests pin the payload
shapes, the headers and how each failure is classified.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from trustline.accounts.models import Organisation, User
from trustline.accounts.permissions import SYSTEM
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.core import clock
from trustline.core.local_http import local_http_server
from trustline.notifications.choices import Channel, MessageStatus
from trustline.notifications.models import OutboxMessage, WebhookEndpoint
from trustline.notifications.services import outbox_deliver_due
from trustline.notifications.signing import webhook_secret_generate
from trustline.oncall.models import Emergency
from trustline.oncall.rota import contact_create
from trustline.oncall.services import emergency_acknowledge
from trustline.oncall.tests.conftest import T0

pytestmark = pytest.mark.usefixtures("chain")

DELIVER_AT = T0 + dt.timedelta(seconds=1)


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    base_url: str
    statuses: dict[str, int] = field(default_factory=dict)  # path -> status to answer (default 202)
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode("utf-8")
            with state.lock:
                state.requests.append(Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state.statuses.get(self.path, 202))
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with local_http_server(Handler) as base_url:
        state = Receiver(base_url=base_url)
        yield state


@pytest.fixture
def pagerduty(receiver: Receiver, settings: Any) -> Receiver:
    settings.ONCALL_PAGERDUTY_URL = receiver.url("/v2/enqueue")
    return receiver


@pytest.fixture
def sms_gateway(receiver: Receiver, settings: Any) -> Receiver:
    settings.ONCALL_SMS_WEBHOOK_URL = receiver.url("/sms")
    settings.ONCALL_SMS_WEBHOOK_TOKEN = "gateway-token"
    return receiver


def _deliver(at: dt.datetime = DELIVER_AT) -> None:
    with clock.frozen_at(at):
        outbox_deliver_due(now=clock.now())


def _page(channel: str) -> OutboxMessage:
    return OutboxMessage.objects.get(channel=channel, event_type="emergency.page", idempotency_key__startswith="page:")


def test_a_pagerduty_page_is_an_events_v2_trigger_and_acknowledging_sends_acknowledge(
    pagerduty: Receiver, open_imminent: Callable[..., Case], reviewer_rita: User,
) -> None:
    contact_create(actor=SYSTEM, username="rita", kind="pagerduty", address="R0UTINGKEY")
    emergency = Emergency.objects.get(case=open_imminent())
    _deliver()

    page = _page(Channel.PAGERDUTY)
    assert page.status == MessageStatus.SENT
    [trigger] = pagerduty.requests
    assert trigger.path == "/v2/enqueue"
    assert trigger.body == json.dumps(page.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    event = json.loads(trigger.body)
    assert sorted(event) == ["client", "dedup_key", "event_action", "links", "payload", "routing_key"]
    assert (event["routing_key"], event["event_action"], event["dedup_key"], event["client"]) == (
        "R0UTINGKEY", "trigger", f"trustline-emergency-{emergency.pk}", "Trustline")
    assert sorted(event["payload"]) == ["component", "custom_details", "severity", "source", "summary"]
    assert (event["payload"]["source"], event["payload"]["severity"], event["payload"]["component"]) == (
        "trustline", "critical", "emergency-lane")
    assert event["payload"]["summary"].startswith(f"Imminent harm: case {emergency.case_id} ")
    assert event["payload"]["custom_details"]["emergency_id"] == str(emergency.pk)
    [link] = event["links"]
    assert link["text"] == "Acknowledge in Trustline" and "/emergency/ack/" in link["href"]
    assert link["href"] == event["payload"]["custom_details"]["ack_url"]
    assert trigger.headers["content-type"] == "application/json"
    assert trigger.headers["user-agent"] == "Trustline-Webhooks/1"
    assert trigger.headers["x-trustline-idempotency-key"] == page.idempotency_key
    assert "webhook-signature" not in trigger.headers and "authorization" not in trigger.headers

    with clock.frozen_at(DELIVER_AT):
        emergency_acknowledge(actor=actor_of(reviewer_rita), emergency_id=emergency.pk)
    _deliver(DELIVER_AT + dt.timedelta(seconds=1))
    acknowledge = json.loads(pagerduty.requests[-1].body)
    assert acknowledge == {"routing_key": "R0UTINGKEY", "event_action": "acknowledge",
                           "dedup_key": f"trustline-emergency-{emergency.pk}"}


def test_an_sms_page_goes_to_the_gateway_with_its_bearer_token(
    sms_gateway: Receiver, open_imminent: Callable[..., Case], reviewer_rita: User,
) -> None:
    contact_create(actor=SYSTEM, username="rita", kind="sms", address="+249900000000")
    contact_create(actor=SYSTEM, username="rita", kind="voice", address="+249900000001")
    emergency = Emergency.objects.get(case=open_imminent())
    _deliver()

    assert len(sms_gateway.requests) == 2
    bodies = sorted((json.loads(r.body) for r in sms_gateway.requests), key=lambda b: b["kind"])
    for body, kind, to in zip(bodies, ["sms", "voice"], ["+249900000000", "+249900000001"], strict=True):
        assert sorted(body) == ["ack_url", "emergency_id", "kind", "message", "to"]
        assert (body["kind"], body["to"], body["emergency_id"]) == (kind, to, str(emergency.pk))
        assert "/emergency/ack/" in body["ack_url"]
        assert body["message"].startswith(f"Imminent harm: case {emergency.case_id} ")
        assert body["message"].endswith(f". Ack: {body['ack_url']}")
    keys = set(OutboxMessage.objects.filter(channel=Channel.SMS).values_list("idempotency_key", flat=True))
    for request in sms_gateway.requests:
        assert request.path == "/sms"
        assert request.headers["authorization"] == "Bearer gateway-token"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["x-trustline-idempotency-key"] in keys
    assert len(keys) == 2


def test_without_a_gateway_token_no_authorization_header_is_sent(
    sms_gateway: Receiver, settings: Any, open_imminent: Callable[..., Case], reviewer_rita: User,
) -> None:
    settings.ONCALL_SMS_WEBHOOK_TOKEN = ""
    contact_create(actor=SYSTEM, username="rita", kind="sms", address="+249900000000")
    open_imminent()
    _deliver()
    [request] = sms_gateway.requests
    assert "authorization" not in request.headers


@pytest.mark.parametrize(("status", "outcome"), [
    (400, MessageStatus.DEAD),  # PagerDuty refusing the event will refuse it again
    (404, MessageStatus.DEAD),
    (410, MessageStatus.DEAD),
    (408, MessageStatus.FAILED),  # timeouts and rate limits are retried
    (429, MessageStatus.FAILED),
    (503, MessageStatus.FAILED),
])
def test_a_refused_page_is_given_up_and_a_failing_one_is_retried(
    pagerduty: Receiver, open_imminent: Callable[..., Case], reviewer_rita: User, status: int, outcome: str,
) -> None:
    pagerduty.statuses["/v2/enqueue"] = status
    contact_create(actor=SYSTEM, username="rita", kind="pagerduty", address="R0UTINGKEY")
    open_imminent()
    _deliver()
    page = _page(Channel.PAGERDUTY)
    assert (page.status, page.attempts) == (outcome, 1)
    assert page.last_error == f"HTTP {status} from {pagerduty.url('/v2/enqueue')}"
    assert (page.next_attempt_at is None) == (outcome == MessageStatus.DEAD)


def test_an_unreachable_gateway_is_retried(
    settings: Any, open_imminent: Callable[..., Case], reviewer_rita: User,
) -> None:
    settings.ONCALL_SMS_WEBHOOK_URL = "http://127.0.0.1:9/sms"  # discard port: nothing listens
    contact_create(actor=SYSTEM, username="rita", kind="sms", address="+249900000000")
    open_imminent()
    _deliver()
    page = _page(Channel.SMS)
    assert page.status == MessageStatus.FAILED
    assert page.last_error.startswith("cannot reach http://127.0.0.1:9/sms: ")


def test_a_webhook_page_is_signed_per_standard_webhooks(
    receiver: Receiver, kite: Organisation, open_imminent: Callable[..., Case], reviewer_rita: User,
) -> None:
    secret = webhook_secret_generate()
    endpoint = WebhookEndpoint.objects.create(organisation=kite, url=receiver.url("/pager"), secret=secret,
                                              event_types=[], created_at=clock.now())
    contact_create(actor=SYSTEM, username="rita", kind="webhook", endpoint_id=str(endpoint.pk))
    emergency = Emergency.objects.get(case=open_imminent())
    _deliver()

    page = _page(Channel.WEBHOOK)
    assert page.status == MessageStatus.SENT
    [request] = receiver.requests
    assert request.path == "/pager"
    assert Webhook(secret).verify(request.body, request.headers) == page.payload  # raises if the signature is bad
    assert request.headers["webhook-id"] == page.idempotency_key
    assert "x-trustline-idempotency-key" not in request.headers
    body = json.loads(request.body)
    assert sorted(body) == ["data", "timestamp", "type"]
    assert body["type"] == "emergency.page"
    assert body["data"]["emergency_id"] == str(emergency.pk)
    assert body["data"]["case_id"] == str(emergency.case_id)
