"""The second-review rule form, shared by the Django admin and the console's rule pages.

It only shapes input: each parameter is checked by
``validation.second_review_rule_param_problems``, the same function the
service runs, so the admin and the console refuse exactly the same values and
show the reason next to the field. Saving goes through
``services.second_review_rule_set`` (never ``form.save()``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trustline.review.models import SecondReviewRule
from trustline.review.validation import second_review_rule_param_problems


class SecondReviewRuleForm(forms.ModelForm[SecondReviewRule]):
    """``kind=...`` fixes the kind (the console edits one kind per page); the admin leaves it choosable."""

    class Meta:
        model = SecondReviewRule
        fields = ["kind", "is_active", "targets", "tiers", "outcomes"]
        help_texts = {
            "targets": _('protected_target: the report targets that make an action wait, as a JSON list, e.g. '
                         '["journalist", "activist"]; empty: the default list.'),
            "tiers": _("tier_not_violating: severity tiers as a JSON list, e.g. [1]; empty: [1]."),
            "outcomes": _('tier_not_violating: outcome values as a JSON list, e.g. ["not_violating"]; empty: that '
                          'one.'),
        }

    def __init__(self, *args: Any, kind: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind is not None:
            self.fields["kind"].initial = kind
            self.fields["kind"].disabled = True

    def _param(self, name: str) -> list[Any]:
        value = self.cleaned_data.get(name)
        value = [] if value is None else value
        problems = second_review_rule_param_problems(name, value)
        if problems:
            raise forms.ValidationError(problems)
        return list(value)

    def clean_targets(self) -> list[str]:
        return self._param("targets")

    def clean_tiers(self) -> list[int]:
        return self._param("tiers")

    def clean_outcomes(self) -> list[str]:
        return self._param("outcomes")

    def data_for_service(self) -> dict[str, Any]:
        """The keyword arguments of ``second_review_rule_set`` besides the actor."""
        c = self.cleaned_data
        return {"kind": c["kind"], "is_active": c["is_active"], "targets": c["targets"], "tiers": c["tiers"],
                "outcomes": c["outcomes"]}
