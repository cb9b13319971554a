"""Forms of the directory pages: they shape input only; the directory services validate it and save it.

Field names match the field paths of the services' ``ValidationFailed``
(``name``, ``country``, ``topics``, ``email_domains.1``, ``phone`` ...), so
``errors_onto`` puts every problem the service found next to the field it is
about. Nothing is checked twice: a form refuses only what it cannot turn into
the service's input or the column (a date that is not a date, a web address
that is not one); "at least one topic", country codes, domain names and "a way
to reach them" are the services' rules.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from trustline.core.exceptions import ApplicationError
from trustline.core.forms import Placement
from trustline.core.forms import errors_onto as core_errors_onto
from trustline.lawenforcement.choices import CONTACT_PUBLIC_FIELDS, Topic
from trustline.lawenforcement.directory import AgencyData, ContactData
from trustline.lawenforcement.models import Agency, AgencyContact

_PUBLIC_FIELD_LABELS = {
    "name": _("Name"), "role": _("Role"), "email": _("E-mail"), "phone": _("Phone"),
    "portal_url": _("Portal"), "emergency_line": _("24/7 line"),
}


class AgencyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    country = forms.CharField(label=_("Country"), max_length=2, required=False,
                              widget=forms.TextInput(attrs={"size": 2, "autocomplete": "off"}),
                              help_text=_("Two-letter ISO code, e.g. SD, KE, DE."))
    region = forms.CharField(label=_("Region"), max_length=100, required=False,
                             help_text=_("State, province or region; empty for a national agency."))
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    topics = forms.MultipleChoiceField(label=_("Topics"), choices=Topic.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple)
    email_domains = forms.CharField(
        label=_("E-mail domains"), required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false", "dir": "ltr"}),
        help_text=_("One per line, e.g. police.gov.sd: an inbound request's e-mail must come from one of them."),
    )
    website = forms.URLField(label=_("Website"), max_length=200, required=False, assume_scheme="https")
    public = forms.BooleanField(label=_("List on the public contact guide"), required=False)
    public_notes = forms.CharField(label=_("Public notes"), max_length=2000, required=False,
                                   widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}),
                                   help_text=_("Shown on the public contact guide."))
    notes = forms.CharField(label=_("Internal notes"), max_length=5000, required=False,
                            widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
                            help_text=_("Staff only."))

    @staticmethod
    def initial_of(agency: Agency) -> dict[str, object]:
        return {"name": agency.name, "country": agency.country, "region": agency.region, "city": agency.city,
                "topics": list(agency.topics), "email_domains": "\n".join(agency.email_domains),
                "website": agency.website, "public": agency.public, "public_notes": agency.public_notes,
                "notes": agency.notes}

    def data_for_service(self) -> AgencyData:
        c = self.cleaned_data
        domains = [line.strip() for line in (c["email_domains"] or "").splitlines() if line.strip()]
        return AgencyData(name=c["name"], country=c["country"].strip(), region=c["region"], city=c["city"],
                          topics=list(c["topics"]), email_domains=domains, website=c["website"], public=c["public"],
                          public_notes=c["public_notes"], notes=c["notes"])


class ContactForm(forms.Form):
    """``last_verified_on`` only when adding (afterwards "Checked today" records it); ``active`` only when editing."""

    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    role = forms.CharField(label=_("Role"), max_length=200, required=False,
                           help_text=_("e.g. 24/7 operations, head of unit, legal office."))
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    portal_url = forms.URLField(label=_("Portal address"), max_length=200, required=False, assume_scheme="https")
    emergency_line = forms.BooleanField(label=_("Answered 24/7 (emergency line)"), required=False)
    last_verified_on = forms.DateField(
        label=_("Last verified on"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("When someone last checked these details; empty: today."),
    )
    public = forms.BooleanField(label=_("List on the public contact guide"), required=False)
    public_fields = forms.MultipleChoiceField(
        label=_("Fields the public guide may show"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(name, _PUBLIC_FIELD_LABELS[name]) for name in CONTACT_PUBLIC_FIELDS],
    )
    active = forms.BooleanField(label=_("Active (unticked: no longer used, kept for the record)"), required=False)

    def __init__(self, *args: Any, editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["last_verified_on" if editing else "active"]

    @staticmethod
    def initial_of(contact: AgencyContact) -> dict[str, object]:
        return {"name": contact.name, "role": contact.role, "email": contact.email, "phone": contact.phone,
                "portal_url": contact.portal_url, "emergency_line": contact.emergency_line,
                "public": contact.public, "public_fields": list(contact.public_fields), "active": contact.active}

    def data_for_service(self) -> ContactData:
        c = self.cleaned_data
        return ContactData(name=c["name"], role=c["role"], email=c["email"], phone=c["phone"].strip(),
                           portal_url=c["portal_url"], emergency_line=c["emergency_line"],
                           last_verified_on=c.get("last_verified_on"), public=c["public"],
                           public_fields=list(c["public_fields"]))


def errors_onto(form: forms.Form, exc: ApplicationError) -> None:
    """:func:`trustline.core.forms.errors_onto`, with a domain's line: ``email_domains.1`` -> "Line 2: ..." on
    ``email_domains``; a problem without a field of its own ("channels", a conflict) goes on the form."""

    def place(path: str, reason: str) -> Placement:
        name, _dot, index = path.partition(".")
        if name == "email_domains" and index.isdigit():
            return form, name, gettext("Line %(n)s: ") % {"n": int(index) + 1} + reason
        return form, name, reason

    core_errors_onto(form, exc, place=place)
