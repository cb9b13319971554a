"""Admin: explanation templates and second-review rules (editable, checked, audited); decisions read-only."""

from __future__ import annotations

import dataclasses
from typing import Any

from django import forms
from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from trustline.accounts.choices import Role
from trustline.accounts.permissions import Actor, Perm
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.review.forms import SecondReviewRuleForm
from trustline.review.models import (
    ClockPause,
    Decision,
    DecisionTemplate,
    InformationRequest,
    PartnerPrecision,
    Referral,
    SecondReviewRule,
)
from trustline.review.services import second_review_rule_set
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


@admin.register(SecondReviewRule)
class SecondReviewRuleAdmin(admin.ModelAdmin[SecondReviewRule]):
    form = SecondReviewRuleForm
    list_display = ["kind", "is_active", "targets", "tiers", "outcomes", "updated_at"]

    def save_model(self, request: HttpRequest, obj: SecondReviewRule, form: ModelForm[SecondReviewRule],
                   change: bool) -> None:
        """Through the same service as the console (checked, audited in the same transaction)."""
        assert isinstance(form, SecondReviewRuleForm)
        saved = second_review_rule_set(actor=_rule_actor(request), **form.data_for_service())
        obj.pk, obj.updated_at = saved.pk, saved.updated_at  # the admin logs and redirects with obj

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # switch a rule off instead


def _rule_actor(request: HttpRequest) -> Actor:
    """The admin user as the service's actor.

    The admin has already checked Django's own permission on the model
    (``review.change_secondreviewrule``); a superuser or Django staff member
    without a platform role is let through the service's
    ``second_review_rule.manage`` check on that ground, and is still recorded
    as themselves in the audit log.
    """
    actor = admin_actor(request)
    if actor.has(Perm.SECOND_REVIEW_RULE_MANAGE):
        return actor
    return dataclasses.replace(actor, roles=actor.roles | {Role.ADMINISTRATOR})


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
