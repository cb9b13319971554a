"""Web forms for accounts. They check shapes only; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.models import Organisation


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Key name"),
        max_length=100,
        help_text=_("What the key is for, so you know which one to revoke later, e.g. “Case tracker sync”."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "dir": "auto"}),
    )
    organisation = forms.ModelChoiceField(
        label=_("Partner organisation"),
        queryset=Organisation.objects.none(),
        empty_label=_("Choose a partner"),
    )

    def __init__(self, *args: Any, choose_organisation: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if choose_organisation:
            # Programme staff issue keys to any partner; partner admins only to their own.
            field = self.fields["organisation"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = Organisation.objects.filter(kind=OrganisationKind.PARTNER).order_by("name")
        else:
            del self.fields["organisation"]
