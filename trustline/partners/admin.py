from __future__ import annotations

from django.contrib import admin

from trustline.partners.models import Accreditation


@admin.register(Accreditation)
class AccreditationAdmin(admin.ModelAdmin[Accreditation]):
    list_display = ["organisation", "status", "status_changed_at"]
    list_filter = ["status"]
    readonly_fields = ["status", "status_reason", "status_changed_at"]
