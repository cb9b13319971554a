"""Admin views of enforcement actions and the demo platform's state: read-only records."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from trustline.platforms.models import DemoContentState, EnforcementActionRecord


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Changes go through the services (audited), never through the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EnforcementActionRecord)
class EnforcementActionRecordAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "action_type", "status", "connector", "case", "reference"]
    list_filter = ["status", "action_type", "connector"]
    search_fields = ["idempotency_key", "reference", "target_url", "target_platform_id"]
    date_hierarchy = "requested_at"


@admin.register(DemoContentState)
class DemoContentStateAdmin(ReadOnlyAdmin):
    list_display = ["url", "platform_id", "removed", "visibility_restricted", "account_suspended", "updated_at"]
    list_filter = ["removed", "visibility_restricted", "age_restricted", "account_restricted", "account_suspended"]
    search_fields = ["url", "platform_id"]
