"""Senders: put one outbox message on the wire, or say why not.

A sender returns normally when the receiver accepted the message and raises
:class:`DeliveryFailed` otherwise: ``permanent=True`` when retrying cannot help
(mailbox does not exist, endpoint gone, address refused), ``False`` for
everything else (timeouts, 5xx, connection refused), which is retried with
backoff. New channels (PagerDuty, SMS) register a sender with
:func:`register_sender`; one that speaks HTTP calls :func:`post_json`, the
single place that signs, posts and classifies failures.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import smtplib
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage
from django.utils import timezone

from trustline.notifications.choices import Channel
from trustline.notifications.models import OutboxMessage
from trustline.notifications.signing import webhook_headers

USER_AGENT = "Trustline-Webhooks/1"
IDEMPOTENCY_HEADER = "X-Trustline-Idempotency-Key"


class DeliveryFailed(Exception):
    """The receiver did not take the message; ``permanent`` says whether to stop trying."""

    def __init__(self, reason: str, *, permanent: bool = False, endpoint_gone: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent or endpoint_gone
        self.endpoint_gone = endpoint_gone


Sender = Callable[[OutboxMessage], None]
_senders: dict[str, Sender] = {}


def register_sender(channel: str, sender: Sender) -> None:
    _senders[channel] = sender


def send(message: OutboxMessage) -> None:
    sender = _senders.get(message.channel)
    if sender is None:
        raise DeliveryFailed(f"no sender for channel {message.channel!r}", permanent=True)
    sender(message)


# --- E-mail --------------------------------------------------------------------------------


def email_message_id(idempotency_key: str) -> str:
    """A ``Message-ID`` derived from the key, so every retry of a message carries the same one."""
    _, from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    domain = from_address.rpartition("@")[2] or "trustline.invalid"
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:40]
    return f"<{digest}@{domain}>"


def send_email(message: OutboxMessage) -> None:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={"Message-ID": email_message_id(message.idempotency_key), IDEMPOTENCY_HEADER: message.idempotency_key},
    )
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _reason in exc.recipients.values()]
        permanent = bool(codes) and all(code >= 500 for code in codes)
        raise DeliveryFailed(f"recipient refused: {exc.recipients}", permanent=permanent) from exc
    except BadHeaderError as exc:
        raise DeliveryFailed(f"invalid header: {exc}", permanent=True) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc


# --- Webhooks ------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answered as failures: a signed POST must reach the URL that was registered."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _check_address(url: str) -> None:
    """Refuse loopback, private and link-local targets unless the deployment allows them.

    Partners register webhook URLs, so without this a partner could make the
    server call into its own network. ``OUTBOX_WEBHOOK_ALLOW_PRIVATE_ADDRESSES``
    is on in development (DEBUG) and for local test receivers.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise DeliveryFailed(f"not an http(s) URL: {url}", permanent=True)
    if settings.OUTBOX_WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise DeliveryFailed(f"cannot resolve {parts.hostname}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise DeliveryFailed(f"{parts.hostname} resolves to non-public address {address}", permanent=True)


def webhook_body(payload: Any) -> str:
    """The exact JSON text that is signed and sent."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def post_json(
    message: OutboxMessage,
    *,
    url: str,
    secret: str | None = None,
    headers: Mapping[str, str] | None = None,
    client_errors_permanent: bool = False,
) -> None:
    """POST ``message.payload`` as JSON to ``url``: the one HTTP path of every outbox channel.

    Webhooks, PagerDuty events and the SMS/voice gateway all go through here,
    so the address check, redirects, timeout and failure classes are the same
    everywhere; the outbox (``delivery``) records the attempt and retries.

    1. Refuse a non-http(s) URL or a private address (:func:`_check_address`).
    2. The body is :func:`webhook_body`. With ``secret`` the request carries
       the Standard Webhooks headers (``webhook-id`` is the idempotency key,
       signed afresh per attempt); without it the key travels as
       ``X-Trustline-Idempotency-Key``. ``headers`` are added last.
    3. POST without following redirects, waiting at most
       ``OUTBOX_WEBHOOK_TIMEOUT_SECONDS``.
    4. 2xx is success. Unreachable, 5xx, 408 and 429 are retried. 410 from a
       registered endpoint (``message.endpoint``) switches it off. Any other
       4xx is permanent when ``client_errors_permanent`` (a third-party API
       refusing the body will refuse it again), retried otherwise (a partner's
       receiver may be misconfigured for a while).
    """
    _check_address(url)
    body = webhook_body(message.payload)
    request_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if secret is not None:
        # Wall-clock time, not trustline.core.clock: the receiver checks it against its own clock.
        request_headers.update(
            webhook_headers(secret=secret, msg_id=message.idempotency_key, timestamp=timezone.now(), body=body)
        )
    else:
        request_headers[IDEMPOTENCY_HEADER] = message.idempotency_key
    request_headers.update(headers or {})
    request = urllib.request.Request(url, data=body.encode("utf-8"), headers=request_headers, method="POST")  # noqa: S310 - scheme checked above
    timeout = float(settings.OUTBOX_WEBHOOK_TIMEOUT_SECONDS)
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryFailed(f"cannot reach {url}: {reason}") from exc
    if 200 <= status < 300:
        return
    if status == 410 and message.endpoint_id is not None:
        raise DeliveryFailed(f"HTTP 410 Gone from {url}", endpoint_gone=True)
    permanent = client_errors_permanent and 400 <= status < 500 and status not in (408, 429)
    raise DeliveryFailed(f"HTTP {status} from {url}", permanent=permanent)


def send_webhook(message: OutboxMessage) -> None:
    """POST the payload, signed with the endpoint's secret; 2xx is success, 410 switches the endpoint off."""
    endpoint = message.endpoint
    if endpoint is None:
        raise DeliveryFailed("webhook endpoint was deleted", permanent=True)
    if not endpoint.is_active:
        raise DeliveryFailed("webhook endpoint is deactivated", permanent=True)
    post_json(message, url=endpoint.url, secret=endpoint.secret)


register_sender(Channel.EMAIL, send_email)
register_sender(Channel.WEBHOOK, send_webhook)
