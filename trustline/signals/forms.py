"""Signal-exchange forms: the agreement with one peer platform, as a programme manager edits it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trustline.signals.choices import SHAREABLE_TLP
from trustline.taxonomy.selectors import active_categories


class AgreementForm(forms.Form):
    """The fields of ``services.agreement_set``; the service checks them again (the API uses it too)."""

    max_tlp = forms.ChoiceField(
        label=_("Most restricted marking the peer receives"), choices=SHAREABLE_TLP,
        help_text=_("TLP:RED is never shared. A peer at GREEN receives CLEAR and GREEN signals, not AMBER."),
    )
    categories = forms.MultipleChoiceField(
        label=_("Categories"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every category."),
    )
    accepts_inbound = forms.BooleanField(label=_("The peer may send us signals"), required=False)
    is_active = forms.BooleanField(
        label=_("Active"), required=False,
        help_text=_("Inactive: the peer's feed is empty and its signals are refused, the agreement kept."),
    )
    note = forms.CharField(
        label=_("Note (terms, contacts, review date)"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        categories = self.fields["categories"]
        assert isinstance(categories, forms.MultipleChoiceField)
        named: list[tuple[str, str]] = sorted(
            ((code, category.shown_name) for code, category in active_categories().items()), key=lambda c: c[1])
        categories.choices = named
