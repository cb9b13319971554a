"""The seeded categories are shown in the reader's language; edited ones as written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from trustline.accounts.models import User
from trustline.taxonomy.models import Category
from trustline.taxonomy.names import SEEDED_WORDS

DATA = Path(__file__).resolve().parents[1] / "data" / "categories.json"


def test_every_seeded_name_area_and_description_is_listed_for_the_catalogues() -> None:
    categories = json.loads(DATA.read_text())["categories"]
    words = {c[field] for c in categories for field in ("name", "policy_area", "description") if c[field]}

    assert words - set(SEEDED_WORDS) == set()  # a word added to the JSON file but not to names.py


@pytest.mark.django_db
def test_a_seeded_category_reads_in_arabic_and_an_edited_one_as_written() -> None:
    seeded = Category.objects.get(code="threat_to_life")
    edited = Category.objects.get(code="doxxing")
    edited.name = "Doxxing (programme wording)"
    edited.save()

    with translation.override("ar"):
        assert seeded.shown_name not in ("", seeded.name)
        assert seeded.shown_policy_area != seeded.policy_area
        assert edited.shown_name == "Doxxing (programme wording)"
    with translation.override("en"):
        assert seeded.shown_name == seeded.name


@pytest.mark.django_db
def test_the_report_form_names_the_categories_in_the_partners_language(
    analyst_amal: User, staff_client: Callable[[User], Client],
) -> None:
    category = Category.objects.get(code="threat_to_life")
    with translation.override("fr"):
        french = category.shown_name

    page = staff_client(analyst_amal).get("/portal/reports/new/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert f'<option value="threat_to_life">{escape(french)}</option>' in page and french != category.name
