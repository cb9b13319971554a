"""Admin for SLA policies (editable, audited) and breaches and sweep runs (read-only records)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from trustline.accounts.context_processors import request_actor
from trustline.accounts.models import User
from trustline.accounts.permissions import Actor
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.triage.models import SlaBreach, SlaPolicy, SweepRun


def admin_actor(request: HttpRequest) -> Actor:
    """The person using the admin; a superuser without a membership is still recorded as themselves."""
    actor = request_actor(request)
    if actor is not None:
        return actor
    user = request.user
    assert isinstance(user, User)  # the admin only lets signed-in staff in
    return Actor(kind="user", organisation=None, user=user)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin[SlaPolicy]):
    list_display = ["name", "tier", "category", "country", "ack_minutes", "decide_minutes", "is_active"]
    list_filter = ["tier", "is_active"]
    search_fields = ["name", "category__code", "country"]

    def save_model(self, request: HttpRequest, obj: SlaPolicy, form: ModelForm[SlaPolicy], change: bool) -> None:
        # The admin runs this inside its own transaction, so the audit entry commits with the change.
        super().save_model(request, obj, form, change)
        audit_record(
            actor=admin_actor(request),
            action=AuditAction.SLA_POLICY_CHANGED,
            target=obj,
            data={
                "created": not change,
                "changed": sorted(form.changed_data),
                "tier": obj.tier,
                "category": obj.category.code if obj.category is not None else "",
                "country": obj.country,
                "ack_minutes": obj.ack_minutes,
                "decide_minutes": obj.decide_minutes,
                "is_active": obj.is_active,
            },
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: cases keep a snapshot, the row keeps the history


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SlaBreach)
class SlaBreachAdmin(ReadOnlyAdmin):
    list_display = ["case", "kind", "tier", "due_at", "detected_at", "policy_name"]
    list_filter = ["kind", "tier"]
    date_hierarchy = "detected_at"


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnlyAdmin):
    list_display = ["name", "last_started_at", "last_finished_at", "last_claimed"]
