"""Admin: explanation templates and second-review rules (editable, checked, audited); decisions read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.review.choices import Outcome
from trustline.review.models import (
    ClockPause,
    Decision,
    DecisionTemplate,
    InformationRequest,
    PartnerPrecision,
    Referral,
    SecondReviewRule,
)
from trustline.review.templates_text import PLACEHOLDERS, template_problems
from trustline.triage.admin import admin_actor


class DecisionTemplateForm(forms.ModelForm[DecisionTemplate]):
    class Meta:
        model = DecisionTemplate
        fields = ["outcome", "language", "name", "body", "is_active"]
        help_texts = {"body": "Placeholders: " + ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)}

    def clean_body(self) -> str:
        body = str(self.cleaned_data.get("body") or "")
        problems = template_problems(body)
        if problems:
            raise forms.ValidationError(problems)
        return body


@admin.register(DecisionTemplate)
class DecisionTemplateAdmin(admin.ModelAdmin[DecisionTemplate]):
    form = DecisionTemplateForm
    list_display = ["name", "outcome", "language", "is_active", "updated_at"]
    list_filter = ["outcome", "language", "is_active"]

    def save_model(self, request: HttpRequest, obj: DecisionTemplate, form: ModelForm[DecisionTemplate],
                   change: bool) -> None:
        obj.updated_at = clock.now()
        super().save_model(request, obj, form, change)
        audit_record(
            actor=admin_actor(request), action=AuditAction.DECISION_TEMPLATE_CHANGED, target=obj,
            data={"created": not change, "changed": sorted(form.changed_data), "outcome": obj.outcome,
                  "language": obj.language, "is_active": obj.is_active, "body": obj.body},
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: decisions point at the template they used


class SecondReviewRuleForm(forms.ModelForm[SecondReviewRule]):
    class Meta:
        model = SecondReviewRule
        fields = ["kind", "is_active", "targets", "tiers", "outcomes"]

    def clean_outcomes(self) -> list[str]:
        outcomes = self.cleaned_data.get("outcomes") or []
        unknown = [o for o in outcomes if o not in Outcome.values]
        if unknown:
            raise forms.ValidationError(f"unknown outcomes: {', '.join(map(str, unknown))}")
        return list(outcomes)

    def clean_tiers(self) -> list[int]:
        tiers = self.cleaned_data.get("tiers") or []
        if any(t not in (1, 2, 3) for t in tiers):
            raise forms.ValidationError("tiers are 1, 2 or 3")
        return list(tiers)


@admin.register(SecondReviewRule)
class SecondReviewRuleAdmin(admin.ModelAdmin[SecondReviewRule]):
    form = SecondReviewRuleForm
    list_display = ["kind", "is_active", "targets", "tiers", "outcomes", "updated_at"]

    def save_model(self, request: HttpRequest, obj: SecondReviewRule, form: ModelForm[SecondReviewRule],
                   change: bool) -> None:
        obj.updated_at = clock.now()
        super().save_model(request, obj, form, change)
        audit_record(
            actor=admin_actor(request), action=AuditAction.SECOND_REVIEW_RULE_CHANGED, target=obj,
            data={"created": not change, "changed": sorted(form.changed_data), "kind": obj.kind,
                  "is_active": obj.is_active, "targets": obj.targets, "tiers": obj.tiers, "outcomes": obj.outcomes},
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # switch a rule off instead


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Decisions and what follows from them change through the services (audited), never here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["decided_at", "outcome", "status", "case", "policy", "decided_by", "second_reviewer"]
    list_filter = ["outcome", "status", "decision_ground"]
    date_hierarchy = "decided_at"


@admin.register(InformationRequest)
class InformationRequestAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "organisation", "status", "due_at", "answered_at", "case"]
    list_filter = ["status"]


@admin.register(ClockPause)
class ClockPauseAdmin(ReadOnlyAdmin):
    list_display = ["case", "paused_at", "resumed_at", "paused_seconds", "resume_reason"]


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "status", "case"]
    list_filter = ["kind", "status"]


@admin.register(PartnerPrecision)
class PartnerPrecisionAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "category", "decided", "violating", "updated_at"]
