from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from trustline.appeals.models import Appeal


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin[Appeal]):
    """Read-only: contests change only through ``appeals.services`` (audited, with the different-reviewer rule)."""

    list_display = ["received_at", "organisation", "status", "outcome", "assigned_to", "decided_at"]
    list_filter = ["status", "outcome", "about_no_action"]
    date_hierarchy = "received_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Appeal | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Appeal | None = None) -> bool:
        return False
