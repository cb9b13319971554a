"""Admin: reviewer profiles, assignments, saved queues (read-only: changes go through the audited services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from trustline.routing.models import Assignment, ReviewerProfile, SavedQueue


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Browse only: every change here must leave an audit entry, which the API's services write."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(ReadOnlyAdmin):
    list_display = ["user", "languages", "countries", "regions", "clearances", "is_active", "on_shift"]
    list_filter = ["is_active", "on_shift"]
    search_fields = ["user__username", "user__full_name"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["case", "reviewer", "pool", "claimed_at", "ended_at", "end_reason"]
    list_filter = ["pool", "end_reason"]
    raw_id_fields = ["case", "reviewer"]


@admin.register(SavedQueue)
class SavedQueueAdmin(ReadOnlyAdmin):
    list_display = ["name", "owner", "shared", "updated_at"]
    list_filter = ["shared"]
