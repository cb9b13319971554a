"""Real receivers for the outbox tests: a local SMTP server and a local webhook endpoint.

``smtp_server`` runs aiosmtpd on 127.0.0.1 and points Django's SMTP backend
at it; addresses at ``refused.example.org`` get a 550. ``webhook_receiver``
is an ``http.server`` in a thread that verifies every request's Standard
Webhooks signature with the ``standardwebhooks`` package and answers with the
status configured for the path (204 by default).
"""

from __future__ import annotations

import datetime as dt
import email
import email.message
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from trustline.accounts.models import Organisation
from trustline.core import clock
from trustline.core.local_http import local_http_server
from trustline.notifications.models import WebhookEndpoint
from trustline.notifications.signing import webhook_secret_generate


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _MailHandler:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.endswith("@refused.example.org"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[_MailHandler]:
    handler = _MailHandler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "Trustline <trustline@kite.example>"
    try:
        yield handler
    finally:
        controller.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    payload: Any


@dataclass
class WebhookReceiver:
    base_url: str
    secrets: dict[str, str] = field(default_factory=dict)  # path -> secret to verify with
    statuses: dict[str, int] = field(default_factory=dict)  # path -> status to answer
    delay: float = 0.0  # seconds each answer takes
    received: list[Received] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def ids(self) -> list[str]:
        with self.lock:
            return [r.headers["webhook-id"] for r in self.received]


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver: WebhookReceiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode("utf-8")
            headers = {key.lower(): value for key, value in self.headers.items()}
            secret = receiver.secrets.get(self.path)
            try:
                if secret is None:
                    raise WebhookVerificationError(f"no secret for {self.path}")
                payload = Webhook(secret).verify(body, headers)
            except WebhookVerificationError as exc:
                with receiver.lock:
                    receiver.rejected.append(str(exc))
                self.send_response(401)
                self.end_headers()
                return
            with receiver.lock:
                receiver.received.append(Received(self.path, headers, payload))
            time.sleep(receiver.delay)
            self.send_response(receiver.statuses.get(self.path, 204))
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with local_http_server(Handler) as base_url:
        receiver = WebhookReceiver(base_url=base_url)
        yield receiver


def make_endpoint(
    receiver: WebhookReceiver, organisation: Organisation, path: str = "/hooks", event_types: list[str] | None = None
) -> WebhookEndpoint:
    """An endpoint of ``organisation`` at ``path`` on the receiver, which learns its secret."""
    secret = webhook_secret_generate()
    receiver.secrets[path] = secret
    return WebhookEndpoint.objects.create(
        organisation=organisation,
        url=receiver.url(path),
        secret=secret,
        event_types=event_types or [],
        created_at=clock.now(),
    )


@pytest.fixture
def t0() -> dt.datetime:
    """A time to freeze at: ten seconds from now, so what the test enqueues (at real time) is due.

    Kept near the real time because Standard Webhooks receivers check
    signature timestamps against their own clock.
    """
    return clock.now().replace(microsecond=0) + dt.timedelta(seconds=10)
