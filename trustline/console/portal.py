"""Partner portal pages the intake portal lacks: information requests, contests, notifications, own figures.

Each view is thin: it reads through the owning app's selectors and writes
through its services (review for answers, appeals for contests,
notifications for settings and webhooks). Errors from the services are shown
on the form; ``portal_view`` turns NotFound into 404 and PermissionDenied
into a 403 page.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from trustline.accounts.permissions import Actor, Perm
from trustline.accounts.views import forbidden, portal_view
from trustline.appeals.selectors import appeal_open_of
from trustline.appeals.services import appeal_submit
from trustline.console.selectors import partner_decision_get, partner_figures
from trustline.core.drafts import draft_stored
from trustline.core.exceptions import ApplicationError, ValidationFailed
from trustline.core.forms import errors_onto
from trustline.notifications import services as notification_services
from trustline.notifications.choices import EventType
from trustline.notifications.language import default_email_language
from trustline.notifications.models import WebhookEndpoint
from trustline.notifications.selectors import notification_settings_get
from trustline.review.choices import InformationRequestStatus
from trustline.review.information import information_request_answer as answer_service
from trustline.review.selectors import (
    information_request_get,
    information_request_reports,
    information_requests_visible,
)
from trustline.transparency.selectors import own_dsc_communications


def _partner_only(actor: Actor) -> None:
    if actor.is_staff_side:
        raise Http404("Not found.")


class AnswerForm(forms.Form):
    answer = forms.CharField(label=gettext_lazy("Your answer"), max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}))


class ContestForm(forms.Form):
    reasons = forms.CharField(
        label=gettext_lazy("Why should the decision change?"), max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}),
        help_text=gettext_lazy("A reviewer who was not involved in the decision will look at it again."),
    )


@require_GET
@portal_view
def information_requests(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Questions reviewers asked my organisation, open ones first."""
    _partner_only(actor)
    rows = list(information_requests_visible(actor=actor).order_by("-requested_at")[:100])
    rows.sort(key=lambda r: r.status != InformationRequestStatus.OPEN)
    return render(request, "console/portal/information_requests.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@portal_view
def information_request_answer(request: HttpRequest, actor: Actor, request_id: uuid.UUID) -> HttpResponse:
    _partner_only(actor)
    found = information_request_get(actor=actor, request_id=request_id)
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            answer_service(actor=actor, request_id=found.pk, answer=form.cleaned_data["answer"])
        except ApplicationError as exc:
            errors_onto(form, exc)
        else:
            draft_stored(request, f"answer:{request.user.pk}:{found.pk}")
            messages.success(request, _("Thank you: your answer is with the reviewer."))
            return redirect("console:information_requests")
    can_answer = actor.has(Perm.INFORMATION_REQUEST_ANSWER) and found.status == InformationRequestStatus.OPEN
    return render(request, "console/portal/information_request.html", {
        "req": found, "reports": information_request_reports(found), "form": form, "can_answer": can_answer,
        # Sent too late (the question expired or was withdrawn meanwhile): show the text, so it is not lost.
        "unsent": form.data.get("answer", "") if form.is_bound and not can_answer else "",
    })


@require_http_methods(["GET", "POST"])
@portal_view
def contest(request: HttpRequest, actor: Actor, decision_id: uuid.UUID) -> HttpResponse:
    """Contest a decision on content my organisation reported (appeals' ``appeal_submit``)."""
    _partner_only(actor)
    if not actor.has(Perm.APPEAL_SUBMIT):
        return forbidden(request, _("Your role cannot contest decisions."))
    decision = partner_decision_get(actor=actor, decision_id=decision_id)
    form = ContestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appeal = appeal_submit(actor=actor, decision_id=decision.pk, reasons=form.cleaned_data["reasons"])
        except ApplicationError as exc:
            errors_onto(form, exc)
        else:
            draft_stored(request, f"contest:{request.user.pk}:{decision.pk}")
            messages.success(request, _("Your contest is registered (reference %(id)s).") % {"id": appeal.pk})
            return redirect("intake:report_detail", report_id=appeal.report_id)
    return render(request, "console/portal/contest.html", {
        "decision": decision, "form": form,
        "contested": appeal_open_of(actor=actor, decision_id=decision.pk),  # a reply lost: the partner is back
    })


class SettingsForm(forms.Form):
    email_enabled = forms.BooleanField(label=gettext_lazy("Send e-mails"), required=False)
    webhook_enabled = forms.BooleanField(label=gettext_lazy("Call our webhooks"), required=False)
    daily_digest_enabled = forms.BooleanField(label=gettext_lazy("Daily digest e-mail"), required=False)
    email_recipients = forms.CharField(
        label=gettext_lazy("E-mail recipients"), required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
        help_text=gettext_lazy("One address per line (or comma-separated)."),
    )
    email_language = forms.ChoiceField(label=gettext_lazy("Language of e-mails"), required=False)

    def __init__(self, *args: Any, default_language: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = dict(settings.LANGUAGES)
        automatic = _("Automatic: %(language)s") % {"language": names.get(default_language, default_language)}
        field = self.fields["email_language"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", automatic), *settings.LANGUAGES]


class WebhookForm(forms.Form):
    url = forms.URLField(label=gettext_lazy("Webhook URL (https)"), max_length=2048, assume_scheme="https",
                         widget=forms.URLInput(attrs={"dir": "ltr"}))
    event_types = forms.MultipleChoiceField(
        label=gettext_lazy("Events (none = all)"), required=False, choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
    )


@require_http_methods(["GET", "POST"])
@portal_view
def notification_settings(request: HttpRequest, actor: Actor) -> HttpResponse:
    """How my organisation is told (e-mail, webhooks, digest) and its webhook endpoints (partner admin)."""
    organisation = notification_services.notification_organisation_get(actor=actor)
    setting = notification_settings_get(organisation=organisation)
    action = request.POST.get("form", "")
    automatic = default_email_language(organisation)
    settings_form = SettingsForm(request.POST if action == "settings" else None, initial={
        "email_enabled": setting.email_enabled, "webhook_enabled": setting.webhook_enabled,
        "daily_digest_enabled": setting.daily_digest_enabled,
        "email_recipients": "\n".join(setting.email_recipients or []), "email_language": setting.email_language,
    }, default_language=automatic)
    webhook_form = WebhookForm(request.POST if action == "webhook" else None)
    new_secret = ""
    try:
        if action == "settings" and settings_form.is_valid():
            data = settings_form.cleaned_data
            recipients = [a.strip() for a in data["email_recipients"].replace(",", "\n").splitlines() if a.strip()]
            notification_services.notification_settings_update(
                actor=actor, organisation=organisation, email_enabled=data["email_enabled"],
                webhook_enabled=data["webhook_enabled"], daily_digest_enabled=data["daily_digest_enabled"],
                email_recipients=recipients, email_language=data["email_language"],
            )
            messages.success(request, _("Notification settings saved."))
            return redirect("console:notification_settings")
        if action == "webhook" and webhook_form.is_valid():
            created = notification_services.webhook_endpoint_create(
                actor=actor, organisation=organisation, url=webhook_form.cleaned_data["url"],
                event_types=webhook_form.cleaned_data["event_types"],
            )
            new_secret = created.secret
            webhook_form = WebhookForm()
        if action == "disable":
            endpoint = notification_services.webhook_endpoint_get(actor=actor, endpoint_id=request.POST.get("id", ""))
            notification_services.webhook_endpoint_disable(actor=actor, endpoint=endpoint,
                                                           reason="disabled in the portal")
            messages.success(request, _("Webhook endpoint disabled."))
            return redirect("console:notification_settings")
    except ValidationFailed as exc:
        errors_onto(webhook_form if action == "webhook" else settings_form, exc)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    endpoints = list(WebhookEndpoint.objects.filter(organisation=organisation).order_by("-created_at")
                     .only("id", "url", "event_types", "is_active", "created_at"))
    return render(request, "console/portal/notifications.html", {
        "organisation": organisation, "settings_form": settings_form, "webhook_form": webhook_form,
        "endpoints": endpoints, "new_secret": new_secret,
    })


@require_GET
@portal_view
def figures(request: HttpRequest, actor: Actor) -> HttpResponse:
    """My organisation's own figures: volume by month, status and category, outcomes, turnaround."""
    _partner_only(actor)
    return render(request, "console/portal/figures.html", {
        "figures": partner_figures(actor=actor), "dsc_communications": own_dsc_communications(actor=actor)})

