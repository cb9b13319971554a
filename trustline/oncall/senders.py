"""Outbox senders for the paging channels (PagerDuty-shaped events, the SMS/voice gateway).

Registered with :func:`trustline.notifications.transport.register_sender` when
the app is ready. Both POST the message's JSON payload to ``recipient``;
2xx is success, 4xx other than 408/429 is permanent (retrying the same
body cannot help), anything else is retried by the outbox with backoff.
PagerDuty deduplicates on ``dedup_key`` and the gateway gets the outbox
idempotency key as a header, so an at-least-once repeat is harmless.
"""

from __future__ import annotations

import urllib.error
import urllib.request

from django.conf import settings

from trustline.notifications.choices import Channel
from trustline.notifications.models import OutboxMessage
from trustline.notifications.transport import (
    IDEMPOTENCY_HEADER,
    USER_AGENT,
    DeliveryFailed,
    _check_address,
    _opener,
    register_sender,
    webhook_body,
)
from trustline.oncall import conf


def _post_json(message: OutboxMessage, extra_headers: dict[str, str]) -> None:
    url = message.recipient
    _check_address(url)
    body = webhook_body(message.payload).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               IDEMPOTENCY_HEADER: message.idempotency_key, **extra_headers}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked
    try:
        with _opener.open(request, timeout=float(settings.OUTBOX_WEBHOOK_TIMEOUT_SECONDS)) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryFailed(f"cannot reach {url}: {getattr(exc, 'reason', exc)}") from exc
    if 200 <= status < 300:
        return
    permanent = 400 <= status < 500 and status not in (408, 429)
    raise DeliveryFailed(f"HTTP {status} from {url}", permanent=permanent)


def send_pagerduty(message: OutboxMessage) -> None:
    """POST a PagerDuty Events API v2 event (``routing_key``, ``event_action``, ``dedup_key``, ``payload``)."""
    _post_json(message, {})


def send_sms(message: OutboxMessage) -> None:
    """POST ``{"kind": "sms"|"voice", "to", "message", "ack_url"}`` to the configured gateway."""
    token = conf.sms_webhook_token()
    _post_json(message, {"Authorization": f"Bearer {token}"} if token else {})


def register() -> None:
    register_sender(Channel.PAGERDUTY, send_pagerduty)
    register_sender(Channel.SMS, send_sms)
