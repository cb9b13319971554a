from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from trustline.notifications.models import NotificationSetting, OutboxMessage, WebhookEndpoint


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin[OutboxMessage]):
    """Read-only: messages change only through the outbox services and the delivery worker."""

    list_display = ["created_at", "channel", "recipient", "event_type", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "channel"]
    search_fields = ["recipient", "idempotency_key", "event_type"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboxMessage | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboxMessage | None = None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin[WebhookEndpoint]):
    list_display = ["url", "organisation", "is_active", "created_at", "deactivated_at"]
    list_filter = ["is_active"]
    exclude = ["secret"]
    readonly_fields = ["created_at", "deactivated_at", "deactivated_reason"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created through the API, which generates the secret


@admin.register(NotificationSetting)
class NotificationSettingAdmin(admin.ModelAdmin[NotificationSetting]):
    list_display = ["organisation", "email_enabled", "webhook_enabled", "daily_digest_enabled"]
