"""Web forms for the partner portal.

The forms give a partner every problem at once, next to the field, using the
same checks as the service (URL canonicalisation, country and language codes),
and then build the same :class:`ReportIn` the JSON API receives, so the
service stays the one place that decides. Whatever the service still refuses
is mapped back onto the fields by :func:`apply_service_errors`.
"""

from __future__ import annotations

import functools
import gettext
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import pycountry
from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError as PydanticValidationError

from trustline.core.conf import limit
from trustline.core.exceptions import ValidationFailed
from trustline.intake.canonical import UrlRejected, canonical_platform_id, canonicalize_url
from trustline.intake.choices import ItemKind, ReportStatus, Target
from trustline.intake.schemas import ItemIn, ReportIn
from trustline.partners.services import normalise_language
from trustline.taxonomy.models import Category

BONA_FIDE_STATEMENT = _(
    "I confirm in good faith that the information and allegations in this report are accurate and complete "
    "(bona fide statement, DSA Art. 16(2)(d))."
)
IMMINENT_HARM_GUIDANCE = _(
    "Tick this only for a credible threat to someone's life or physical safety in the coming hours or days. "
    "Signs that it is imminent: an identifiable target (a named person, group or place), details of a location "
    "or a time, and a stated means or intent to act. Imminent-harm reports are reviewed first; serious harm that "
    "is not urgent should be reported without this flag."
)
LANGUAGE_HELP = _(
    "The language of the reported content as a BCP 47 tag, e.g. ar (Arabic), ar-SD (Sudanese Arabic), en, fr, "
    "ur. Leave empty if you are not sure."
)
COMMON_LANGUAGES = ("ar", "en", "fr", "es", "ur", "bn", "ka", "ru", "sw", "am", "fa", "ps")


def country_choices() -> tuple[tuple[str, str], ...]:
    """All ISO 3166-1 countries, by name in the reader's language (pycountry is the list the service validates)."""
    return _country_choices(translation.get_language() or "en")


@functools.cache
def _country_choices(language: str) -> tuple[tuple[str, str], ...]:
    names = _country_names(language)
    return tuple(sorted(((c.alpha_2, names.gettext(c.name)) for c in pycountry.countries),
                        key=lambda pair: pair[1].casefold()))


@functools.cache
def _country_names(language: str) -> gettext.NullTranslations:
    """pycountry's own translations of the ISO 3166-1 names (Debian's iso-codes): "Sudan" is "السّودان" in Arabic."""
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language.split("-")[0]], fallback=True)


def country_name(code: str) -> str:
    """The country's name in the reader's language; the code itself when it is not an ISO 3166-1 country."""
    country = pycountry.countries.get(alpha_2=code) if code else None
    if country is None:
        return code
    return _country_names(translation.get_language() or "en").gettext(str(country.name))


def category_groups(categories: Iterable[Category]) -> list[tuple[str, list[Category]]]:
    """Categories grouped by policy area (in the reader's language), keeping the taxonomy's order."""
    groups: dict[str, list[Category]] = {}
    for category in categories:
        groups.setdefault(category.shown_policy_area, []).append(category)
    return list(groups.items())


def _category_choices(categories: Sequence[Category], blank: str) -> list[Any]:
    return [("", blank)] + [
        (area, [(c.code, c.shown_name) for c in members]) for area, members in category_groups(categories)
    ]


class _NoRequiredAttribute:
    def use_required_attribute(self, initial: Any) -> bool:
        return False


class ConditionalTextInput(_NoRequiredAttribute, forms.TextInput):
    pass


class ConditionalTextarea(_NoRequiredAttribute, forms.Textarea):
    pass


class ConditionalCharField(forms.CharField):
    """Required only in some cases, which the form's ``clean`` checks (e.g. "URL or platform ID").

    It is labelled as required (no "optional" next to it) but carries no HTML
    ``required`` attribute and lets an empty value through to the form.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=True, **kwargs)

    def validate(self, value: Any) -> None:
        return None


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type=file multiple>``; cleans to a list."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        values = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [single(value, initial) for value in values]


class ReportForm(forms.Form):
    """The report-level fields of a DSA Art. 16 notice (items are an :class:`ItemFormSet`)."""

    category = forms.ChoiceField(label=_("Category"))
    country = forms.ChoiceField(
        label=_("Country concerned"),
        help_text=_("Where the harm happens or the people at risk are."),
    )
    language = forms.CharField(
        label=_("Content language"), required=False, max_length=35, help_text=LANGUAGE_HELP,
        widget=forms.TextInput(attrs={
            "list": "language-options", "autocomplete": "off", "autocapitalize": "none", "spellcheck": "false",
            "dir": "ltr",
        }),
    )
    explanation = forms.CharField(
        label=_("Why is this harmful or illegal?"),
        max_length=20_000,
        help_text=_(
            "Explain what the content says or shows, who is at risk and why it breaks the law or the platform's "
            "rules. Write in any language."
        ),
        widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}),
    )
    imminent_harm = forms.BooleanField(
        label=_("Imminent harm: someone's life or physical safety is at risk now"),
        required=False, help_text=IMMINENT_HARM_GUIDANCE,
    )
    imminent_harm_reason = ConditionalCharField(
        label=_("What harm, to whom, and how soon?"), max_length=5_000,
        help_text=_("E.g. “Names a journalist, gives her home address in Omdurman and calls for an attack tonight.”"),
        widget=ConditionalTextarea(attrs={"rows": 3, "dir": "auto"}),
    )
    targets = forms.MultipleChoiceField(
        label=_("Who is targeted?"), required=False, choices=Target.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick every group the content targets, if any."),
    )
    evidence = MultipleFileField(
        label=_("Evidence files"), required=False,
        help_text=_(
            "Screenshots (PNG, JPEG, GIF, WebP), PDF or plain text; up to 10 MB each. You can choose several "
            "files, and add more later on the report's page."
        ),
        widget=MultipleFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp,application/pdf,"
                                                  "text/plain,.png,.jpg,.jpeg,.gif,.webp,.pdf,.txt"}),
    )
    reference = forms.CharField(
        label=_("Your reference"), required=False, max_length=100,
        help_text=_("Your own case or ticket number, to find this report again."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "dir": "auto"}),
    )
    bona_fide = forms.BooleanField(
        label=BONA_FIDE_STATEMENT,
        error_messages={"required": _("Please confirm this statement: the platform can only act on a notice "
                                      "that includes it.")},
    )

    def __init__(
        self, *args: Any, categories: Sequence[Category], partner_countries: Sequence[str] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.category_groups = category_groups(categories)
        cast(forms.ChoiceField, self.fields["category"]).choices = _category_choices(
            categories, str(_("Choose a category"))
        )
        everything = list(country_choices())
        countries: list[Any] = [("", _("Choose a country"))]
        if partner_countries:
            countries.append((_("Countries you cover"), [(c, country_name(c)) for c in partner_countries]))
            countries.append((_("All countries"), everything))
        else:
            countries.extend(everything)
        cast(forms.ChoiceField, self.fields["country"]).choices = countries
        self.fields["imminent_harm"].widget.attrs["aria-controls"] = "imminent-harm-reason"

    def clean_language(self) -> str:
        value: str = self.cleaned_data["language"].strip()
        if not value:
            return ""
        try:
            return normalise_language(value)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.fields["language"][0]) from exc

    def clean_evidence(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data["evidence"]
        most = limit("MAX_EVIDENCE_PER_REPORT")
        if len(files) > most:
            raise forms.ValidationError(_("Choose at most %(most)d files.") % {"most": most})
        return files

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("imminent_harm") and not (data.get("imminent_harm_reason") or "").strip():
            self.add_error("imminent_harm_reason", _("Say what harm is expected, to whom and how soon."))
        if not data.get("imminent_harm"):
            data["imminent_harm_reason"] = ""  # unticked: a leftover reason is not part of the report
        return data


class ItemForm(forms.Form):
    """One reported item: a URL, or the platform's identifier when there is no URL."""

    url = ConditionalCharField(
        label=_("Link (URL)"), max_length=4096,
        widget=ConditionalTextInput(attrs={
            "inputmode": "url", "autocomplete": "off", "autocapitalize": "none", "spellcheck": "false",
            "dir": "ltr", "placeholder": "https://",
        }),
    )
    platform_id = forms.CharField(
        label=_("Platform ID"), required=False, max_length=256,
        help_text=_("Only when there is no link, e.g. the ID of an account or a message."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "dir": "ltr"}),
    )
    kind = forms.ChoiceField(label=_("What is it?"), choices=ItemKind.choices, initial=ItemKind.POST)
    excerpt = forms.CharField(
        label=_("Excerpt"), required=False, max_length=10_000,
        help_text=_("The words as you saw them, in case the content is edited or deleted."),
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        url = (data.get("url") or "").strip()
        platform_id = (data.get("platform_id") or "").strip()
        if url and platform_id:
            self.add_error("platform_id", _("Give the link or the platform ID, not both."))
        elif not url and not platform_id:
            self.add_error("url", _("Give the link to the content (or its platform ID if there is no link)."))
        elif url:
            try:
                canonicalize_url(url)
            except UrlRejected as exc:
                self.add_error("url", capfirst(exc.reason))
        elif data.get("kind"):
            try:
                canonical_platform_id(data["kind"], platform_id)
            except UrlRejected as exc:
                self.add_error("platform_id", capfirst(exc.reason))
        data["url"], data["platform_id"] = url, platform_id
        return data


class BaseItemFormSet(forms.BaseFormSet):
    """Items of a report. Every row is optional; untouched rows are ignored.

    An unbound formset counts no "initial" forms, so rows carried over by the
    "more rows" button (given as ``initial``) stay optional when posted again.
    """

    def initial_form_count(self) -> int:
        return super().initial_form_count() if self.is_bound else 0

    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.filled_forms():
            raise forms.ValidationError(
                _("Add at least one item: the link (or platform ID) of the content you are reporting."),
                code="no_items",
            )

    def filled_forms(self) -> list[forms.Form]:
        return [form for form in self.forms if getattr(form, "cleaned_data", None)]


def item_formset(*, data: Mapping[str, Any] | None = None, initial: list[dict[str, Any]] | None = None,
                 extra: int = 3) -> BaseItemFormSet:
    most = limit("MAX_ITEMS_PER_REPORT")
    formset_class = forms.formset_factory(
        ItemForm, formset=BaseItemFormSet, extra=min(extra, most), max_num=most, absolute_max=most,
        validate_max=True,
    )
    return cast(BaseItemFormSet, formset_class(data=data, initial=initial, prefix="items"))


def carried_over(form: forms.Form, formset: BaseItemFormSet) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The raw values of bound forms, to show them again unbound (no errors) with more rows."""
    values = {bound.name: bound.data for bound in form if bound.name != "evidence"}
    rows = []
    for item in formset.forms:
        row = {bound.name: bound.data for bound in item}
        if any((row.get(name) or "").strip() for name in ("url", "platform_id", "excerpt")):
            rows.append(row)
    return values, rows


def build_report_in(form: ReportForm, items: Sequence[forms.Form]) -> ReportIn:
    """The API's input schema from the cleaned forms (raises pydantic's ValidationError)."""
    data = form.cleaned_data
    return ReportIn(
        items=[
            ItemIn(
                url=item.cleaned_data["url"] or None,
                platform_id=item.cleaned_data["platform_id"] or None,
                kind=ItemKind(item.cleaned_data["kind"]),
                excerpt=item.cleaned_data["excerpt"],
                location_details="",
            )
            for item in items
        ],
        category=data["category"],
        explanation=data["explanation"],
        country=data["country"],
        language=data["language"] or None,
        imminent_harm=data["imminent_harm"],
        imminent_harm_reason=data["imminent_harm_reason"],
        targets=[Target(t) for t in data["targets"]],
        bona_fide=data["bona_fide"],
        reference=data["reference"],
    )


def pydantic_fields(exc: PydanticValidationError) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in exc.errors():
        fields.setdefault(".".join(str(p) for p in error["loc"]) or "body", []).append(str(error["msg"]))
    return fields


_ITEM_REF = re.compile(r"\bitems\.(\d+)\b")


def apply_service_errors(
    form: ReportForm, formset: BaseItemFormSet, items: Sequence[forms.Form], fields: Mapping[str, Sequence[str]]
) -> None:
    """Put the service's field errors (``items.2.url``, ``country``...) next to the right inputs.

    ``items.N`` counts only the rows that were sent, so N is mapped back to
    the formset row it came from.
    """
    def row_number(match: re.Match[str]) -> str:
        index = int(match.group(1))
        return str(_("item %(n)d") % {"n": formset.forms.index(items[index]) + 1}) if index < len(items) else match[0]

    for name, reasons in fields.items():
        parts = name.split(".")
        for raw_reason in reasons:
            # "the same content as items.0" -> "... as item 1" (the row the partner sees)
            reason = capfirst(_ITEM_REF.sub(row_number, raw_reason))
            if parts[0] == "items" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(items):
                row = items[int(parts[1])]
                field = parts[2] if len(parts) > 2 and parts[2] in row.fields else None
                row.add_error(field, reason)
            elif parts[0] == "items":
                formset.non_form_errors().append(reason)
            elif not name:
                form.add_error(None, reason)
            elif name in form.fields:
                form.add_error(name, reason)
            else:
                form.add_error(None, f"{name}: {reason}")


class ReportFilterForm(forms.Form):
    """Filters of the report list (GET). Invalid values are ignored, not fatal."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    imminent = forms.ChoiceField(
        label=_("Imminent harm"), required=False,
        choices=[("", _("Any")), ("yes", _("Imminent harm only")), ("no", _("Not imminent"))],
    )

    def __init__(self, *args: Any, categories: Sequence[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["status"]).choices = [("", _("Any")), *ReportStatus.choices]
        cast(forms.ChoiceField, self.fields["category"]).choices = _category_choices(categories, str(_("Any")))
        cast(forms.ChoiceField, self.fields["country"]).choices = [("", _("Any")), *country_choices()]

    def filters(self) -> dict[str, Any]:
        """Valid filter values, named as in the API's ``ReportFilter``."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        imminent = {"yes": True, "no": False}.get(data.get("imminent") or "")
        result: dict[str, Any] = {
            "status": data.get("status") or None,
            "category": data.get("category") or None,
            "country": data.get("country") or None,
            "imminent_harm": imminent,
        }
        return {key: value for key, value in result.items() if value is not None}


class BulkUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8 CSV, one row per item, up to 10,000 rows. Download the template below to start."),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )
    all_or_nothing = forms.BooleanField(
        label=_("All or nothing: store nothing if any row has an error"), required=False,
        help_text=_("Otherwise the valid rows are stored and every rejected row is listed with the reason."),
    )
    bona_fide = forms.BooleanField(
        label=BONA_FIDE_STATEMENT, required=False,
        help_text=_("Applies to every row without its own bona_fide column. Rows without either are refused."),
    )
