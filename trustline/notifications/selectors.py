"""Reading notification state: settings, endpoints and the delivery status of messages."""

from __future__ import annotations

from django.db.models import QuerySet

from trustline.accounts.models import Organisation
from trustline.accounts.permissions import Actor
from trustline.notifications.models import NotificationSetting, OutboxMessage, WebhookEndpoint


def notification_settings_get(*, organisation: Organisation) -> NotificationSetting:
    """The organisation's settings; an unsaved row with the defaults when it has none."""
    setting = NotificationSetting.objects.filter(organisation=organisation).first()
    return setting if setting is not None else NotificationSetting(organisation=organisation)


def webhook_endpoints_for_event(*, organisation: Organisation, event_type: str) -> list[WebhookEndpoint]:
    """Active endpoints of the organisation that want ``event_type`` (an empty type list wants all)."""
    endpoints = WebhookEndpoint.objects.filter(organisation=organisation, is_active=True).order_by("created_at")
    return [endpoint for endpoint in endpoints if endpoint.wants(event_type)]


def outbox_visible(*, actor: Actor) -> QuerySet[OutboxMessage]:
    """Messages whose delivery status ``actor`` may see: staff see all, an organisation its own."""
    messages = OutboxMessage.objects.select_related("endpoint").order_by("-created_at")
    if actor.is_staff_side:
        return messages
    if actor.organisation is None:
        return messages.none()
    return messages.filter(organisation=actor.organisation)
