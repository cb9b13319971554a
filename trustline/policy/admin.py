from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from trustline.policy.models import PolicyItem


@admin.register(PolicyItem)
class PolicyItemAdmin(admin.ModelAdmin[PolicyItem]):
    """Read-only: policy items change only through ``policy.services`` (audited, partners told)."""

    list_display = ["created_at", "kind", "topic", "organisation", "status", "assigned_to", "conclusion"]
    list_filter = ["kind", "status", "conclusion"]
    search_fields = ["topic"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: PolicyItem | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PolicyItem | None = None) -> bool:
        return False
