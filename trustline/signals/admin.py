from django.contrib import admin

from trustline.signals.models import SharingAgreement, Signal, SignalMatch


@admin.register(SharingAgreement)
class SharingAgreementAdmin(admin.ModelAdmin[SharingAgreement]):
    list_display = ("peer", "max_tlp", "accepts_inbound", "is_active", "updated_at")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Signal)
class SignalAdmin(admin.ModelAdmin[Signal]):
    list_display = ("signal_type", "value", "direction", "organisation", "tlp", "status", "updated_at")
    list_filter = ("direction", "status", "signal_type", "tlp")
    search_fields = ("value",)
    readonly_fields = [f.name for f in Signal._meta.fields]


@admin.register(SignalMatch)
class SignalMatchAdmin(admin.ModelAdmin[SignalMatch]):
    list_display = ("signal", "case", "matched_at")
    readonly_fields = ("signal", "case", "matched_at")
