"""Which language an organisation's e-mails are written in (``notifications.language``)."""

from __future__ import annotations

import pytest

from trustline.accounts.models import Organisation
from trustline.accounts.permissions import SYSTEM
from trustline.notifications.language import email_language_of
from trustline.notifications.services import notification_settings_update
from trustline.partners.services import partner_create

pytestmark = pytest.mark.django_db


def partner(name: str, languages: list[str]) -> Organisation:
    return partner_create(actor=SYSTEM, name=name, countries=["FR"], languages=languages,
                          contact_email="desk@example.org")


def test_the_first_covered_language_trustline_writes_in_is_the_default():
    assert email_language_of(partner("Khartoum desk", ["ar-SD", "en"])) == "ar"
    assert email_language_of(partner("Caracas desk", ["es-VE"])) == "es"
    # Urdu and Bangla first: Trustline does not write them, so the next covered language that it does.
    assert email_language_of(partner("Lahore desk", ["ur", "en"])) == "en"
    assert email_language_of(partner("Dhaka desk", ["bn", "fr"])) == "fr"


def test_english_when_nothing_covered_is_written_in_trustline():
    assert email_language_of(partner("Tbilisi desk", ["ka", "ru"])) == "en"
    assert email_language_of(partner("No languages", [])) == "en"


def test_the_partners_choice_wins_over_the_default():
    khartoum = partner("Khartoum desk", ["ar", "en"])
    notification_settings_update(actor=SYSTEM, organisation=khartoum, email_language="en")

    assert email_language_of(khartoum) == "en"
