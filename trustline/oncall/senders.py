"""Outbox senders for the paging channels (PagerDuty-shaped events, the SMS/voice gateway).

Registered with :func:`trustline.notifications.transport.register_sender` when
the app is ready. Both POST the message's JSON payload to ``recipient``
through :func:`trustline.notifications.transport.post_json`, the outbox's one
HTTP path (address check, timeout, no redirects). 2xx is success, 4xx other
than 408/429 is permanent (retrying the same body cannot help), anything else
is retried by the outbox with backoff. PagerDuty deduplicates on
``dedup_key`` and the gateway gets the outbox idempotency key as a header, so
an at-least-once repeat is harmless. Neither is signed: PagerDuty and SMS
gateways authenticate by routing key and bearer token, not Standard Webhooks.
"""

from __future__ import annotations

from trustline.notifications.choices import Channel
from trustline.notifications.models import OutboxMessage
from trustline.notifications.transport import post_json, register_sender
from trustline.oncall import conf


def send_pagerduty(message: OutboxMessage) -> None:
    """POST a PagerDuty Events API v2 event (``routing_key``, ``event_action``, ``dedup_key``, ``payload``)."""
    post_json(message, url=message.recipient, client_errors_permanent=True)


def send_sms(message: OutboxMessage) -> None:
    """POST ``{"kind": "sms"|"voice", "to", "message", "ack_url"}`` to the configured gateway."""
    token = conf.sms_webhook_token()
    post_json(message, url=message.recipient, client_errors_permanent=True,
              headers={"Authorization": f"Bearer {token}"} if token else None)


def register() -> None:
    register_sender(Channel.PAGERDUTY, send_pagerduty)
    register_sender(Channel.SMS, send_sms)
