"""Platform connector fixtures: reported items, the connector in force, and a fake platform over HTTP.

``fake_platform`` is an ``http.server`` in a thread playing the platform of
the webhook connector: it verifies every request's Standard Webhooks
signature with the ``standardwebhooks`` package, records enforcement
requests at ``/enforcement`` and answers describe requests at ``/describe``
with whatever the test sets (status, JSON body, delay).
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.core import clock
from trustline.core.local_http import local_http_server
from trustline.intake.choices import Channel
from trustline.intake.models import ReportItem
from trustline.intake.schemas import ReportIn
from trustline.intake.services import report_submit
from trustline.notifications.signing import webhook_secret_generate
from trustline.platforms.connectors import ContentRef, EnforcementAction

DEMO_BACKEND = "trustline.platforms.connectors.DemoPlatformConnector"
MANUAL_BACKEND = "trustline.platforms.connectors.ManualConnector"
WEBHOOK_BACKEND = "trustline.platforms.connectors.WebhookConnector"

# A post of the demo catalogue, spelled the way a partner's phone shares it.
HALFAYA_POST_SHARED = "https://m.kite.example/@halfaya.alaan/posts/7312345678?utm_source=whatsapp"
HALFAYA_POST = "https://kite.example/@halfaya.alaan/posts/7312345678"
HALFAYA_ACCOUNT = "https://kite.example/@halfaya.alaan"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    payload: Any


@dataclass
class FakePlatform:
    base_url: str
    secret: str
    describe_status: int = 200
    describe_body: Any = field(default_factory=dict)
    enforcement_status: int = 204
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def options(self, **overrides: Any) -> dict[str, Any]:
        return {
            "URL": self.url("/enforcement"),
            "SECRET": self.secret,
            "DESCRIBE_URL": self.url("/describe"),
            "DESCRIBE_TIMEOUT_SECONDS": 2,
            **overrides,
        }


@pytest.fixture
def fake_platform() -> Iterator[FakePlatform]:
    platform: FakePlatform

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode("utf-8")
            headers = {key.lower(): value for key, value in self.headers.items()}
            try:
                payload = Webhook(platform.secret).verify(body, headers)
            except WebhookVerificationError as exc:
                with platform.lock:
                    platform.rejected.append(str(exc))
                self.send_response(401)
                self.end_headers()
                return
            with platform.lock:
                platform.received.append(Received(self.path, headers, payload))
            time.sleep(platform.delay)
            try:
                if self.path == "/describe":
                    answer = (platform.describe_body if isinstance(platform.describe_body, str)
                              else json.dumps(platform.describe_body)).encode("utf-8")
                    self.send_response(platform.describe_status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                self.send_response(platform.enforcement_status)
                self.end_headers()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with local_http_server(Handler) as base_url:
        platform = FakePlatform(base_url=base_url, secret=webhook_secret_generate())
        yield platform


def closed_port_url(path: str = "/describe") -> str:
    """An address where nothing listens: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


@pytest.fixture
def use_connector(settings: Any) -> Callable[..., None]:
    """``use_connector(BACKEND, **OPTIONS)``: make that connector the one in force for the test."""

    def use(backend: str, **options: Any) -> None:
        settings.PLATFORM_CONNECTOR = {"BACKEND": backend, "OPTIONS": options}
        settings.OUTBOX_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # the fake platform listens on 127.0.0.1

    return use


@pytest.fixture
def t0() -> dt.datetime:
    """A time to freeze at, near the real time: the platform checks signature timestamps against its clock."""
    return clock.now().replace(microsecond=0) + dt.timedelta(seconds=10)


@pytest.fixture
def reported(analyst_amal: User, report_payload: Callable[..., dict[str, Any]]) -> Callable[..., ReportItem]:
    """``reported(url, kind="post")``: the item the Sudan partner reports at ``url``, through the intake service."""

    def make(url: str = HALFAYA_POST_SHARED, kind: str = "post") -> ReportItem:
        data = ReportIn(**report_payload(items=[{"url": url, "kind": kind}], category="threat_to_life"))
        result = report_submit(actor=actor_of(analyst_amal), data=data, channel=Channel.API)
        return result.items[0]

    return make


@pytest.fixture
def item(reported: Callable[..., ReportItem]) -> ReportItem:
    """The Halfaya post of the demo catalogue, reported by the Sudan partner."""
    return reported()


@pytest.fixture
def case(item: ReportItem) -> Case:
    return item.case


def action_for(case: Case, key: str = "decision:1:remove", action_type: str = "remove",
               url: str = HALFAYA_POST, **fields: Any) -> EnforcementAction:
    return EnforcementAction(
        action_type=action_type,  # type: ignore[arg-type]  # coerced to ActionType on creation
        target=ContentRef(url=url, kind=fields.pop("kind", "post")),
        case_id=str(case.pk),
        idempotency_key=key,
        reason="Names four volunteers as collaborators and sets a deadline of tonight.",
        policy_code="threat_to_life",
        **fields,
    )
