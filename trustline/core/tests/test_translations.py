"""Trustline's pages in Arabic, French and Spanish.

Partners write in many languages and many read English as a second or third
one; a partner analyst in Khartoum reads the portal in Arabic, right to left,
and so may the reviewer in Nairobi who decides the case. The catalogues in
``trustline/locale`` are translated by hand for every message: the partner
pages (the portal, sign-in and two-factor set-up, reports, bulk upload,
questions, contests, notifications, API keys, error pages), the staff
console (review, on-call, law enforcement, crises, trends, metrics,
transparency) and the labels they show. The compiled ``.mo`` files are
committed, so a new machine needs no gettext; ``make messages`` regenerates
both.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client

from trustline.accounts.models import User

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ("ar", "fr", "es")
# Where the strings a partner sees come from (paths as the catalogues give them, relative to trustline/).
PARTNER_FACING = re.compile(
    r"^(templates/|accounts/templates/|accounts/(choices|forms)\.py|console/templates/console/portal/|"
    r"console/templates/console/(security|two_factor_\w+)\.html|console/(portal|forms)\.py|intake/|"
    r"(review|cases|appeals)/choices\.py)"
)
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def partner_facing(entry: polib.POEntry) -> bool:
    return any(PARTNER_FACING.match(path) for path, _line in entry.occurrences)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    """Partner pages and staff console alike: a fuzzy entry is gettext's guess, which Django would not show."""
    entries = list(catalogue(language))

    # Generated from the sources, not left empty: the partner pages alone hold more than 350 messages.
    assert len(entries) > 1200 and sum(partner_facing(e) for e in entries) > 350
    untranslated = [e.msgid for e in entries if not e.translated() or "fuzzy" in e.flags]
    assert untranslated == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language: str) -> None:
    """A lost ``%(id)s`` would show a partner a receipt without its report number."""
    for entry in catalogue(language).translated_entries():
        wanted = set(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        forms = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in forms:
            assert set(PLACEHOLDER.findall(text)) == wanted, (entry.msgid, text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_compiled_catalogue_matches_its_source(language: str) -> None:
    """Django reads the ``.mo``: an edit to the ``.po`` that was not compiled would never reach a page."""
    source = {(e.msgctxt, e.msgid): e for e in catalogue(language).translated_entries()}
    compiled = {(e.msgctxt, e.msgid): e for e in polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
                if e.msgid}

    assert set(compiled) == set(source)
    for key, entry in source.items():
        if entry.msgid_plural:
            assert compiled[key].msgstr_plural == entry.msgstr_plural, key
        else:
            assert compiled[key].msgstr == entry.msgstr, key


@pytest.mark.django_db
class TestThePortalInTheReadersLanguage:
    def get(self, client: Client, path: str, language: str) -> str:
        response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        return response.content.decode()

    def test_arabic_reads_right_to_left(self, analyst_amal: User,
                                        staff_client: Callable[[User], Client]) -> None:
        body = self.get(staff_client(analyst_amal), "/portal/reports/", "ar,en;q=0.5")

        assert '<html lang="ar" dir="rtl">' in body
        assert "بلاغاتي" in body and "بلاغ جديد" in body  # "My reports", "New report"
        assert "My reports" not in body

    def test_countries_are_named_in_the_readers_language(self, analyst_amal: User,
                                                         staff_client: Callable[[User], Client]) -> None:
        """From pycountry's own ISO 3166 catalogues: a partner picks "السّودان", not "Sudan"."""
        client = staff_client(analyst_amal)

        assert '<option value="SD">السّودان</option>' in self.get(client, "/portal/reports/new/", "ar")
        assert '<option value="SD">Soudan</option>' in self.get(client, "/portal/reports/new/", "fr")
        assert '<option value="SD">Sudan</option>' in self.get(client, "/portal/reports/new/", "en")

    def test_french_and_spanish_report_forms(self, analyst_amal: User,
                                             staff_client: Callable[[User], Client]) -> None:
        client = staff_client(analyst_amal)

        french = self.get(client, "/portal/reports/new/", "fr-FR,fr;q=0.9")
        assert '<html lang="fr" dir="ltr">' in french
        assert "Envoyer le signalement" in french and "Danger imminent" in french

        spanish = self.get(client, "/portal/reports/new/", "es-VE,es;q=0.9")
        assert "Enviar el reporte" in spanish and "Daño inminente" in spanish

    def test_other_languages_get_english(self, analyst_amal: User,
                                         staff_client: Callable[[User], Client]) -> None:
        body = self.get(staff_client(analyst_amal), "/portal/reports/", "ur,sw;q=0.8")

        assert '<html lang="en" dir="ltr">' in body and "My reports" in body
