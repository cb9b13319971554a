"""Writing to the outbox.

Call these inside the transaction of the state change that causes the
message: the message commits or rolls back with it, and its first delivery
attempt is enqueued only after commit. Delivery itself lives in
:mod:`trustline.notifications.delivery` (re-exported here).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from trustline.accounts.models import Organisation, User
from trustline.accounts.permissions import Actor, Perm, require
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound, ValidationFailed
from trustline.notifications.choices import Channel, EventType, MessageStatus
from trustline.notifications.delivery import DeliveryCounts, outbox_deliver_due, outbox_deliver_message
from trustline.notifications.language import interface_languages
from trustline.notifications.models import NotificationSetting, OutboxMessage, WebhookEndpoint
from trustline.notifications.selectors import notification_settings_get, webhook_endpoints_for_event
from trustline.notifications.signing import webhook_secret_generate
from trustline.notifications.tasks import deliver_message_task

__all__ = [
    "DeliveryCounts",
    "NewWebhookSecret",
    "delivery_list",
    "notification_organisation_get",
    "notification_send",
    "notification_settings_update",
    "outbox_deliver_due",
    "outbox_deliver_message",
    "outbox_enqueue",
    "webhook_endpoint_create",
    "webhook_endpoint_disable",
    "webhook_endpoint_get",
    "webhook_endpoint_rotate_secret",
    "webhook_url_problem",
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


def email_people(
    *, people: Iterable[User], subject: str, body: str, key: str, event_type: str,
    payload: Mapping[str, Any] | None = None,
) -> list[OutboxMessage]:
    """One e-mail to each person through the outbox (inside the caller's transaction).

    Each message's idempotency key is ``{key}:user:{pk}``: a retried
    transaction or a later run of the same sweep tells nobody twice, and a
    person added later still gets theirs.
    """
    return [
        outbox_enqueue(channel=Channel.EMAIL, recipient=person.email, subject=subject, body=body,
                       payload=dict(payload or {}), idempotency_key=f"{key}:user:{person.pk}", event_type=event_type)
        for person in people
    ]


def email_addresses(
    *, addresses: Iterable[str], subject: str, body: str, key: str, event_type: str,
    organisation: Organisation | None = None,
) -> list[OutboxMessage]:
    """:func:`email_people` for bare addresses, each once; each key is ``{key}:{a tag of the address}``."""
    return [
        outbox_enqueue(channel=Channel.EMAIL, recipient=address, subject=subject, body=body,
                       idempotency_key=f"{key}:{_address_tag(address)}", organisation=organisation,
                       event_type=event_type)
        for address in dict.fromkeys(a for a in addresses if a)
    ]


def _address_tag(address: str) -> str:
    """A short stable tag of an address for idempotency keys (keys are ASCII; the address may not be)."""
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
      organisation's configured e-mail recipients, else its contact address.
    * A webhook to each active endpoint that wants ``event_type``, with the
      Standard Webhooks payload shape ``{"type", "timestamp", "data"}``.

    ``key`` identifies the event (e.g. ``case:<id>:decided``); each message's
    idempotency key is derived from it, so calling this twice for the same
    event sends nothing twice. Keep ``key`` under 160 characters.
    """
    setting = notification_settings_get(organisation=organisation)
    messages: list[OutboxMessage] = []
    if setting.email_enabled:
        default_to = list(setting.email_recipients or []) or [organisation.contact_email]
        addresses = list(email_to) if email_to is not None else default_to
        messages += email_addresses(addresses=addresses, subject=subject, body=body, key=f"{key}:email",
                                    organisation=organisation, event_type=event_type)
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


# --------------------------------------------------------------------------------------------
# Settings and webhook endpoints, managed by an organisation's admins (or administrators)
# --------------------------------------------------------------------------------------------

MAX_EMAIL_RECIPIENTS = 10
MAX_ACTIVE_ENDPOINTS = 10


@dataclass(frozen=True)
class NewWebhookSecret:
    """An endpoint with its signing secret: returned once, at creation or rotation."""

    endpoint: WebhookEndpoint
    secret: str


def require_notification_manager(actor: Actor) -> None:
    """403 unless the actor may manage notifications at all (partner admin, administrator)."""
    if not (actor.has(Perm.NOTIFICATION_MANAGE_OWN) or actor.has(Perm.NOTIFICATION_MANAGE_ALL)):
        require(actor, Perm.NOTIFICATION_MANAGE_OWN)


def notification_organisation_get(*, actor: Actor, slug: str | None = None) -> Organisation:
    """The organisation whose notifications ``actor`` manages: its own, or (administrators) ``slug``'s.

    403 for a role that manages no notifications; 404 for an organisation the
    actor may not manage, the same answer as for one that does not exist.
    """
    require_notification_manager(actor)
    if slug and (actor.organisation is None or slug != actor.organisation.slug):
        if not actor.has(Perm.NOTIFICATION_MANAGE_ALL):
            raise NotFound("Organisation not found.")
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            raise NotFound("Organisation not found.")
        return organisation
    if actor.organisation is None:
        raise NotFound("Organisation not found.")
    return actor.organisation


def webhook_endpoint_get(*, actor: Actor, endpoint_id: str | uuid.UUID) -> WebhookEndpoint:
    """One endpoint the actor manages, or 404 (also for another organisation's endpoint)."""
    require_notification_manager(actor)
    try:
        pk = endpoint_id if isinstance(endpoint_id, uuid.UUID) else uuid.UUID(str(endpoint_id))
    except ValueError as exc:
        raise NotFound("Webhook endpoint not found.") from exc
    endpoints = WebhookEndpoint.objects.select_related("organisation")
    if not actor.has(Perm.NOTIFICATION_MANAGE_ALL):
        if actor.organisation is None:
            raise NotFound("Webhook endpoint not found.")
        endpoints = endpoints.filter(organisation=actor.organisation)
    endpoint = endpoints.filter(pk=pk).first()
    if endpoint is None:
        raise NotFound("Webhook endpoint not found.")
    return endpoint


def webhook_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook endpoint, or None.

    HTTPS only, so payloads and signatures travel encrypted; plain http and
    loopback or private addresses are accepted only in development (DEBUG) or
    where ``OUTBOX_WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` allows local receivers.
    Host names are not resolved here (DNS can change later); delivery checks
    the resolved address again before every call.
    """
    if len(url) > 2048:
        return "must be at most 2048 characters"
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return "must be an absolute http(s) URL"
    parts = urlsplit(url)
    if parts.username or parts.password:
        return "must not contain a user name or password"
    relaxed = bool(settings.DEBUG) or bool(settings.OUTBOX_WEBHOOK_ALLOW_PRIVATE_ADDRESSES)
    if relaxed:
        return None
    if parts.scheme != "https":
        return "must use https"
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return "must be a public host, not a local one"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not address.is_global:
        return f"must be a public address, not {address}"
    return None


def _check_event_types(event_types: Sequence[str]) -> list[str]:
    unknown = [t for t in event_types if t not in EventType.values]
    if unknown:
        raise ValidationFailed(
            f"event_types: unknown event type {unknown[0]!r}",
            fields={"event_types": [f"unknown event type {t!r}; choose from the documented list" for t in unknown]},
        )
    return list(dict.fromkeys(event_types))


def _check_recipients(addresses: Sequence[str]) -> list[str]:
    cleaned = list(dict.fromkeys(a.strip() for a in addresses if a.strip()))
    if len(cleaned) > MAX_EMAIL_RECIPIENTS:
        raise ValidationFailed.field("email_recipients", f"at most {MAX_EMAIL_RECIPIENTS} addresses")
    fields: dict[str, list[str]] = {}
    for index, address in enumerate(cleaned):
        try:
            validate_email(address)
        except ValidationError:
            fields[f"email_recipients.{index}"] = ["not a valid e-mail address"]
    if fields:
        raise ValidationFailed(f"{next(iter(fields))}: not a valid e-mail address", fields=fields)
    return cleaned


def _check_language(language: str) -> str:
    cleaned = language.strip()
    spoken = interface_languages()
    if cleaned and cleaned not in spoken:
        raise ValidationFailed.field("email_language", f"one of {', '.join(spoken)}, or empty for the default")
    return cleaned


def _require_manages(actor: Actor, organisation: Organisation) -> None:
    """Services re-check what the API resolved, so no other caller can skip it."""
    if actor.has(Perm.NOTIFICATION_MANAGE_ALL):
        return
    require(actor, Perm.NOTIFICATION_MANAGE_OWN)
    if actor.organisation_id != organisation.pk:
        raise NotFound("Organisation not found.")


@transaction.atomic
def notification_settings_update(
    *,
    actor: Actor,
    organisation: Organisation,
    email_enabled: bool | None = None,
    webhook_enabled: bool | None = None,
    daily_digest_enabled: bool | None = None,
    email_recipients: Sequence[str] | None = None,
    email_language: str | None = None,
) -> NotificationSetting:
    """Change how an organisation is told; ``None`` leaves a setting as it is. Audited with the changes.

    ``email_language`` is one of ``settings.LANGUAGES`` or ``""`` for the
    default (:mod:`trustline.notifications.language`).
    """
    _require_manages(actor, organisation)
    NotificationSetting.objects.get_or_create(organisation=organisation)
    setting = NotificationSetting.objects.select_for_update().get(organisation=organisation)
    wanted: dict[str, Any] = {
        "email_enabled": email_enabled,
        "webhook_enabled": webhook_enabled,
        "daily_digest_enabled": daily_digest_enabled,
        "email_recipients": _check_recipients(email_recipients) if email_recipients is not None else None,
        "email_language": _check_language(email_language) if email_language is not None else None,
    }
    changes = {
        name: {"from": getattr(setting, name), "to": value}
        for name, value in wanted.items()
        if value is not None and getattr(setting, name) != value
    }
    if changes:
        for name, change in changes.items():
            setattr(setting, name, change["to"])
        setting.updated_at = clock.now()
        setting.save(update_fields=[*changes, "updated_at"])
        audit_record(
            actor=actor, action=AuditAction.NOTIFICATION_SETTINGS_CHANGED, target=organisation,
            data={"changes": changes},
        )
    return setting


@transaction.atomic
def webhook_endpoint_create(
    *, actor: Actor, organisation: Organisation, url: str, event_types: Sequence[str] = ()
) -> NewWebhookSecret:
    """Register an endpoint and generate its ``whsec_`` secret (returned here, never shown again)."""
    _require_manages(actor, organisation)
    url = url.strip()
    problem = webhook_url_problem(url)
    if problem:
        raise ValidationFailed.field("url", problem)
    types = _check_event_types(event_types)
    active = WebhookEndpoint.objects.filter(organisation=organisation, is_active=True)
    if active.count() >= MAX_ACTIVE_ENDPOINTS:
        raise Conflict(f"An organisation may have at most {MAX_ACTIVE_ENDPOINTS} active webhook endpoints; "
                       "disable one first.")
    if active.filter(url=url).exists():
        raise Conflict("An active endpoint with this URL already exists.", fields={"url": ["already registered"]})
    secret = webhook_secret_generate()
    endpoint = WebhookEndpoint.objects.create(
        organisation=organisation, url=url, secret=secret, event_types=types, created_at=clock.now()
    )
    audit_record(
        actor=actor, action=AuditAction.WEBHOOK_CREATED, target=endpoint,
        data={"organisation": organisation.pk, "url": url, "event_types": types},
    )
    return NewWebhookSecret(endpoint=endpoint, secret=secret)


@transaction.atomic
def webhook_endpoint_rotate_secret(*, actor: Actor, endpoint: WebhookEndpoint) -> NewWebhookSecret:
    """Replace the signing secret at once: every attempt from now on, retries included, is signed with it."""
    _require_manages(actor, endpoint.organisation)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if not endpoint.is_active:
        raise Conflict("This endpoint is disabled; create a new one instead.")
    endpoint.secret = webhook_secret_generate()
    endpoint.save(update_fields=["secret"])
    audit_record(actor=actor, action=AuditAction.WEBHOOK_SECRET_ROTATED, target=endpoint, data={"url": endpoint.url})
    return NewWebhookSecret(endpoint=endpoint, secret=endpoint.secret)


@transaction.atomic
def webhook_endpoint_disable(*, actor: Actor, endpoint: WebhookEndpoint, reason: str = "") -> WebhookEndpoint:
    """Stop sending to an endpoint (messages still queued for it are given up at their next attempt)."""
    _require_manages(actor, endpoint.organisation)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.is_active:
        endpoint.is_active = False
        endpoint.deactivated_at = clock.now()
        endpoint.deactivated_reason = (reason.strip() or f"disabled by {actor.label}")[:300]
        endpoint.save(update_fields=["is_active", "deactivated_at", "deactivated_reason"])
        audit_record(
            actor=actor, action=AuditAction.WEBHOOK_DISABLED, target=endpoint,
            data={"url": endpoint.url, "reason": endpoint.deactivated_reason},
        )
    return endpoint


def delivery_list(*, actor: Actor, organisation: Organisation, status: str | None = None) -> QuerySet[OutboxMessage]:
    """The organisation's outbox messages, newest first: what was sent, what is retrying and why."""
    _require_manages(actor, organisation)
    messages = OutboxMessage.objects.filter(organisation=organisation).order_by("-created_at")
    if status:
        messages = messages.filter(status=status)
    return messages
