"""API keys in the web portal: partner admins manage their own, programme staff everyone's.

Personas from ``trustline/conftest.py``: ``admin_omar`` (Sudan partner admin),
``analyst_amal`` (Sudan analyst, may not manage keys), ``pakistan_key`` (the
other organisation's key) and ``pm_pablo`` (programme manager).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from trustline.accounts.models import ApiKey, Organisation, User
from trustline.accounts.selectors import hash_api_key

KEYS = reverse("accounts:apikey_list")
XSS = "<script>alert(1)</script>"


def raw_key_on(html: str) -> str | None:
    found = re.search(r'id="new-api-key"[^>]*>(tl_[A-Za-z0-9_-]+)</textarea>', html)
    return found.group(1) if found else None


@pytest.fixture
def omar(admin_omar: User, staff_client: Callable[[User], Client]) -> Client:
    return staff_client(admin_omar)


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in() -> None:
    response = Client().get(KEYS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_partner_admin_creates_a_key_and_sees_it_exactly_once(
    omar: Client, sudan_partner: Organisation
) -> None:
    response = omar.post(KEYS, {"name": "Case tracker sync"})
    html = response.content.decode()
    raw = raw_key_on(html)
    assert response.status_code == 200
    assert raw is not None
    assert "It is shown only once" in html
    assert "no-store" in response["Cache-Control"]

    key = ApiKey.objects.get(name="Case tracker sync")
    assert key.organisation == sudan_partner
    assert key.hashed_key == hash_api_key(raw) and raw not in key.hashed_key

    again = omar.get(KEYS).content.decode()
    assert raw not in again and raw_key_on(again) is None
    assert key.prefix in again and "Case tracker sync" in again

    assert Client().get("/api/v1/reports", headers={"Authorization": f"Bearer {raw}"}).status_code == 200


def test_a_partner_admin_sees_only_their_organisations_keys(omar: Client, sudan_key: str, pakistan_key: str) -> None:
    html = omar.get(KEYS).content.decode()
    assert "Sudan monitoring pipeline" in html
    assert "Pakistan intake script" not in html


def test_a_partner_analyst_gets_a_403_page(analyst_amal: User, staff_client: Callable[[User], Client]) -> None:
    amal = staff_client(analyst_amal)
    for response in (amal.get(KEYS), amal.post(KEYS, {"name": "sneaky"})):
        assert response.status_code == 403
        assert "partner admin" in response.content.decode()
    assert not ApiKey.objects.filter(name="sneaky").exists()


def test_revoking_a_key_stops_it_working(omar: Client, sudan_key: str) -> None:
    key = ApiKey.objects.get(hashed_key=hash_api_key(sudan_key))
    page = omar.get(KEYS).content.decode()
    assert f'action="{reverse("accounts:apikey_revoke", args=[key.pk])}"' in page
    assert "data-confirm=" in page

    response = omar.post(reverse("accounts:apikey_revoke", args=[key.pk]), follow=True)
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert "is revoked" in response.content.decode()
    assert Client().get("/api/v1/reports", headers={"Authorization": f"Bearer {sudan_key}"}).status_code == 401


def test_revoke_needs_a_post(omar: Client, sudan_key: str) -> None:
    key = ApiKey.objects.get(hashed_key=hash_api_key(sudan_key))
    assert omar.get(reverse("accounts:apikey_revoke", args=[key.pk])).status_code == 405
    key.refresh_from_db()
    assert key.revoked_at is None


def test_another_organisations_key_cannot_be_revoked_and_is_a_404(omar: Client, pakistan_key: str) -> None:
    key = ApiKey.objects.get(hashed_key=hash_api_key(pakistan_key))
    assert omar.post(reverse("accounts:apikey_revoke", args=[key.pk])).status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_a_programme_manager_sees_every_key_and_issues_one_to_any_partner(
    pm_pablo: User, staff_client: Callable[[User], Client], sudan_key: str, pakistan_key: str,
    pakistan_partner: Organisation,
) -> None:
    pablo = staff_client(pm_pablo)
    html = pablo.get(KEYS).content.decode()
    assert "Sudan monitoring pipeline" in html and "Pakistan intake script" in html
    assert "Pakistan Media Watch" in html  # the organisation column

    response = pablo.post(KEYS, {"name": "Onboarding", "organisation": pakistan_partner.pk})
    assert raw_key_on(response.content.decode()) is not None
    assert ApiKey.objects.get(name="Onboarding").organisation == pakistan_partner

    missing = pablo.post(KEYS, {"name": "No organisation"}).content.decode()
    assert 'id="id_organisation_error"' in missing
    assert not ApiKey.objects.filter(name="No organisation").exists()


def test_key_names_are_rendered_escaped(omar: Client) -> None:
    html = omar.post(KEYS, {"name": XSS}).content.decode()
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
