"""Console forms: sign-in codes, the security policy, viewing preferences, the decision form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from trustline.console.choices import ImagePreviews
from trustline.platforms.choices import ActionType
from trustline.review.choices import AutomatedDecision, DecisionGround, Outcome
from trustline.review.selectors import template_languages


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "dir": "ltr"}
        ),
    )


class SecurityPolicyForm(forms.Form):
    require_two_factor = forms.BooleanField(
        label=_("Everyone in my organisation must sign in with a second factor"),
        required=False,
        help_text=_("People without an authenticator app are asked to set one up at their next sign-in."),
    )


class ViewingPreferenceForm(forms.Form):
    image_previews = forms.ChoiceField(
        label=_("Evidence images on the case page"), choices=ImagePreviews.choices, widget=forms.RadioSelect,
    )
    grayscale = forms.BooleanField(
        label=_("Show images in grey"), required=False,
        help_text=_("Grey takes the edge off blood and injuries while keeping what the decision needs."),
    )


class DecisionForm(forms.Form):
    """The fields of review's DecisionInput a reviewer fills in on the case page.

    Validation is review's (``decision_validate``): this form only shapes the input,
    and the service's field errors are shown against these fields.
    """

    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    policy = forms.CharField(label=_("Policy (category code)"), required=False, max_length=64)
    actions = forms.MultipleChoiceField(
        label=_("Actions on the platform"), required=False, choices=ActionType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    territorial_scope = forms.CharField(
        label=_("Territorial scope"), required=False, max_length=200,
        help_text=_("Country codes for a geographic restriction, comma-separated."),
    )
    label_text = forms.CharField(label=_("Label text (for a label action)"), required=False, max_length=500)
    decision_ground = forms.ChoiceField(
        label=_("Ground"), required=False, choices=[("", "—"), *DecisionGround.choices]
    )
    illegal_content_legal_ground = forms.CharField(label=_("Legal ground"), required=False, max_length=500)
    illegal_content_explanation = forms.CharField(
        label=_("Why it is illegal"), required=False, widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"})
    )
    incompatible_content_ground = forms.CharField(label=_("Terms ground"), required=False, max_length=500)
    incompatible_content_explanation = forms.CharField(
        label=_("Why it breaks the terms"), required=False, widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"})
    )
    automated_decision = forms.ChoiceField(
        label=_("Automation"), choices=AutomatedDecision.choices, initial=AutomatedDecision.NOT_AUTOMATED
    )
    explanation = forms.CharField(
        label=_("Explanation to the partner"), required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
        help_text=_("Leave empty to use the template for the outcome."),
    )
    language = forms.ChoiceField(
        label=_("Language of the template"), required=False,
        help_text=_("The template is filled in this language; an explanation you write is sent as you wrote it."),
    )
    question = forms.CharField(
        label=_("Question to the partner"), required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}),
        help_text=_("Only for “Needs more information”."),
    )
    internal_note = forms.CharField(
        label=_("Internal note (never shown to partners)"), required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["language"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("The language of the reports, when there is a template in it; else English")),
                         *((code, _language_name(code)) for code in template_languages())]


def _language_name(code: str) -> str:
    """``fr`` -> ``français (fr)``: a language named in itself, as the reviewer who reads it knows it."""
    try:
        return f"{get_language_info(code)['name_local']} ({code})"
    except KeyError:
        return code


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}))
