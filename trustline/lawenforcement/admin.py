"""Read-only admin views: every change goes through the services (permission, validation, audit)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from trustline.lawenforcement.models import (
    Agency,
    AgencyContact,
    Disclosure,
    InboundRequest,
    LegalHold,
    LeReferral,
    NcmecReport,
)


class ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Agency)
class AgencyAdmin(ReadOnly):
    list_display = ["name", "country", "region", "status", "public"]
    list_filter = ["country", "status", "public"]


@admin.register(AgencyContact)
class AgencyContactAdmin(ReadOnly):
    list_display = ["name", "agency", "role", "emergency_line", "last_verified_on", "active"]


@admin.register(InboundRequest)
class InboundRequestAdmin(ReadOnly):
    list_display = ["received_at", "request_type", "agency_name_given", "status", "outcome", "due_at"]
    list_filter = ["request_type", "status", "outcome", "emergency"]


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnly):
    list_display = ["sent_at", "request", "agency", "recipient", "approved_by", "sent_by"]


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnly):
    list_display = ["subject_kind", "subject_value", "reason", "starts_at", "expires_at", "released_at"]
    list_filter = ["reason", "subject_kind"]


@admin.register(LeReferral)
class LeReferralAdmin(ReadOnly):
    list_display = ["created_at", "case", "agency", "status", "personal_data"]


@admin.register(NcmecReport)
class NcmecReportAdmin(ReadOnly):
    list_display = ["created_at", "case", "status", "ncmec_report_id"]
