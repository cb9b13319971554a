"""Writing to the outbox.

Call these inside the transaction of the state change that causes the
message: the message commits or rolls back with it, and its first delivery
attempt is enqueued only after commit. Delivery itself lives in
:mod:`trustline.notifications.delivery` (re-exported here).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from trustline.accounts.models import Organisation
from trustline.core import clock
from trustline.notifications.choices import Channel, MessageStatus
from trustline.notifications.delivery import DeliveryCounts, outbox_deliver_due, outbox_deliver_message
from trustline.notifications.models import OutboxMessage, WebhookEndpoint
from trustline.notifications.selectors import notification_settings_get, webhook_endpoints_for_event
from trustline.notifications.tasks import deliver_message_task

__all__ = [
    "DeliveryCounts",
    "notification_send",
    "outbox_deliver_due",
    "outbox_deliver_message",
    "outbox_enqueue",
]

# Visible ASCII only: the key travels in HTTP and e-mail headers as it is.
_KEY_RE = re.compile(r"[!-~]{1,200}")


def _enqueue_delivery(message_id: str) -> None:
    deliver_message_task.enqueue(message_id)


def outbox_enqueue(
    *,
    channel: Channel | str,
    recipient: str,
    subject: str = "",
    body: str = "",
    payload: Mapping[str, Any] | None = None,
    idempotency_key: str,
    organisation: Organisation | None = None,
    endpoint: WebhookEndpoint | None = None,
    event_type: str = "",
) -> OutboxMessage:
    """Record one message to send after commit; the same ``idempotency_key`` twice gives the first message.

    1. Check the arguments (programming errors raise ``ValueError``): the key
       is 1-200 visible ASCII characters; an e-mail goes to one valid
       address; a webhook names its ``endpoint`` (whose secret signs it, and
       whose URL is the recipient when ``recipient`` is empty).
    2. Return the existing message if the key was used before (also when a
       concurrent transaction inserted it first).
    3. Otherwise insert it as ``pending``, due now, and enqueue an immediate
       delivery attempt on commit. If that enqueue fails, the periodic sweep
       delivers it anyway.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_enqueue must run inside the transaction of the change it reports")
    if not _KEY_RE.fullmatch(idempotency_key):
        raise ValueError(f"idempotency key must be 1-200 visible ASCII characters, got {idempotency_key!r}")
    channel = Channel(channel)
    if channel == Channel.EMAIL:
        try:
            validate_email(recipient)
        except ValidationError as exc:
            raise ValueError(f"not an e-mail address: {recipient!r}") from exc
    elif channel == Channel.WEBHOOK:
        if endpoint is None:
            raise ValueError("a webhook message needs its endpoint (for the signing secret)")
        recipient = recipient or endpoint.url
        organisation = organisation or endpoint.organisation

    existing = OutboxMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    now = clock.now()
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                organisation=organisation,
                channel=channel,
                recipient=recipient,
                endpoint=endpoint,
                event_type=event_type,
                # Header-safe subject: a line break in a subject is refused by the mail API.
                subject=" ".join(subject.split())[:300],
                body=body,
                payload=dict(payload or {}),
                idempotency_key=idempotency_key,
                status=MessageStatus.PENDING,
                next_attempt_at=now,
                created_at=now,
            )
    except IntegrityError:
        return OutboxMessage.objects.get(idempotency_key=idempotency_key)
    transaction.on_commit(partial(_enqueue_delivery, str(message.id)), robust=True)
    return message


def _address_tag(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()[:16]


def notification_send(
    *,
    organisation: Organisation,
    event_type: str,
    key: str,
    subject: str,
    body: str,
    data: Mapping[str, Any],
    email_to: Sequence[str] | None = None,
) -> list[OutboxMessage]:
    """Tell an organisation about an event through every channel it has switched on.

    * E-mail (unless switched off) to ``email_to``, by default the
      organisation's contact address.
    * A webhook to each active endpoint that wants ``event_type``, with the
      Standard Webhooks payload shape ``{"type", "timestamp", "data"}``.

    ``key`` identifies the event (e.g. ``case:<id>:decided``); each message's
    idempotency key is derived from it, so calling this twice for the same
    event sends nothing twice. Keep ``key`` under 160 characters.
    """
    setting = notification_settings_get(organisation=organisation)
    messages: list[OutboxMessage] = []
    if setting.email_enabled:
        addresses = list(email_to) if email_to is not None else [organisation.contact_email]
        for address in dict.fromkeys(a for a in addresses if a):
            messages.append(
                outbox_enqueue(
                    channel=Channel.EMAIL,
                    recipient=address,
                    subject=subject,
                    body=body,
                    idempotency_key=f"{key}:email:{_address_tag(address)}",
                    organisation=organisation,
                    event_type=event_type,
                )
            )
    if setting.webhook_enabled:
        payload = {"type": event_type, "timestamp": clock.now().isoformat(), "data": dict(data)}
        for endpoint in webhook_endpoints_for_event(organisation=organisation, event_type=event_type):
            messages.append(
                outbox_enqueue(
                    channel=Channel.WEBHOOK,
                    recipient=endpoint.url,
                    payload=payload,
                    idempotency_key=f"{key}:webhook:{endpoint.id.hex}",
                    organisation=organisation,
                    endpoint=endpoint,
                    event_type=event_type,
                )
            )
    return messages
