"""GET/POST /api/v1/keys and POST /api/v1/keys/{id}/revoke.

Partner admins manage their own organisation's keys, programme managers any
partner's; analysts, reviewers and outsiders cannot. A key is shown once and
only its hash is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.models import ApiKey, Organisation, User
from trustline.accounts.selectors import hash_api_key
from trustline.conftest import ApiClient, assert_error

pytestmark = pytest.mark.django_db

SessionApi = Callable[[User], ApiClient]


def key_row(raw: str) -> ApiKey:
    return ApiKey.objects.get(hashed_key=hash_api_key(raw))


# --------------------------------------------------------------------------------------------
# Creating
# --------------------------------------------------------------------------------------------


def test_a_partner_admin_creates_a_key_for_their_organisation_shown_once(
    session_api: SessionApi, admin_omar: User, sudan_partner: Organisation, report_payload: Callable[..., Any]
):
    omar = session_api(admin_omar)

    response = omar.post("/keys", {"name": "Monitoring pipeline"})

    assert response.status_code == 201, response.content
    body = response.json()
    raw = body["key"]
    assert raw.startswith("tl_") and len(raw) > 40
    assert body["organisation"] == sudan_partner.slug
    assert body["prefix"] == raw[:9]
    stored = ApiKey.objects.get(pk=body["id"])
    assert stored.hashed_key == hash_api_key(raw)
    assert raw not in {getattr(stored, f.attname) for f in ApiKey._meta.concrete_fields}
    assert stored.created_by == admin_omar
    listed = omar.get("/keys").json()
    assert [k["id"] for k in listed] == [body["id"]]
    assert "key" not in listed[0]
    assert ApiClient(key=raw).submit(report_payload()).status_code == 201


def test_a_partner_admin_cannot_create_a_key_for_another_organisation(
    session_api: SessionApi, admin_omar: User, pakistan_partner: Organisation
):
    response = session_api(admin_omar).post("/keys", {"name": "sneaky", "organisation": pakistan_partner.slug})

    assert_error(response, 404, "not_found")
    assert not ApiKey.objects.filter(organisation=pakistan_partner).exists()


def test_a_programme_manager_creates_a_key_for_any_partner(
    session_api: SessionApi, pm_pablo: User, pakistan_partner: Organisation
):
    response = session_api(pm_pablo).post("/keys", {"name": "Onboarding", "organisation": pakistan_partner.slug})

    assert response.status_code == 201, response.content
    assert key_row(response.json()["key"]).organisation == pakistan_partner


def test_a_programme_manager_must_name_a_partner(session_api: SessionApi, pm_pablo: User):
    response = session_api(pm_pablo).post("/keys", {"name": "Onboarding"})

    assert_error(response, 422, "invalid", "organisation")


def test_creating_a_key_for_an_unknown_organisation_is_not_found(session_api: SessionApi, pm_pablo: User):
    assert_error(session_api(pm_pablo).post("/keys", {"name": "x", "organisation": "nobody"}), 404, "not_found")


def test_a_nul_character_anywhere_in_a_json_body_is_refused_by_field(session_api: SessionApi, admin_omar: User):
    """Every API's JSON parser refuses U+0000 (PostgreSQL cannot store it as text), naming each place."""
    response = session_api(admin_omar).post("/keys", {"name": "pipe\x00line", "organisation": "a\x00"})

    body = assert_error(response, 422, "invalid", "name")
    assert set(body["fields"]) == {"name", "organisation"}
    assert "NUL" in body["fields"]["name"][0]
    assert not ApiKey.objects.exists()


def test_the_create_body_rejects_unknown_fields(session_api: SessionApi, admin_omar: User):
    response = session_api(admin_omar).post("/keys", {"name": "k", "role": "administrator"})

    assert_error(response, 422, "invalid", "role")


@pytest.mark.parametrize("persona", ["analyst_amal", "reviewer_rita", "auditor_aziz"])
def test_other_roles_cannot_create_keys(
    request: pytest.FixtureRequest, session_api: SessionApi, sudan_partner: Organisation, persona: str
):
    response = session_api(request.getfixturevalue(persona)).post(
        "/keys", {"name": "k", "organisation": sudan_partner.slug}
    )

    assert_error(response, 403, "forbidden")
    assert not ApiKey.objects.exists()


def test_a_partner_api_key_cannot_manage_keys(sudan_api: ApiClient):
    assert_error(sudan_api.post("/keys", {"name": "k"}), 403, "forbidden")
    assert_error(sudan_api.get("/keys"), 403, "forbidden")


def test_anonymous_and_outsiders_cannot_manage_keys(
    api: ApiClient, session_api: SessionApi, outsider_charlie: User
):
    assert_error(api.get("/keys"), 401, "unauthenticated")
    assert_error(api.post("/keys", {"name": "k"}), 401, "unauthenticated")
    assert_error(session_api(outsider_charlie).post("/keys", {"name": "k"}), 401, "unauthenticated")


# --------------------------------------------------------------------------------------------
# Listing
# --------------------------------------------------------------------------------------------


def test_a_partner_admin_lists_only_their_organisations_keys(
    session_api: SessionApi, admin_omar: User, sudan_key: str, pakistan_key: str
):
    listed = session_api(admin_omar).get("/keys").json()

    assert [k["id"] for k in listed] == [key_row(sudan_key).pk]


def test_a_programme_manager_lists_every_partners_keys(
    session_api: SessionApi, pm_pablo: User, sudan_key: str, pakistan_key: str
):
    listed = session_api(pm_pablo).get("/keys").json()

    assert {k["id"] for k in listed} == {key_row(sudan_key).pk, key_row(pakistan_key).pk}


# --------------------------------------------------------------------------------------------
# Revoking
# --------------------------------------------------------------------------------------------


def test_a_partner_admin_revokes_their_key_and_it_stops_working(
    session_api: SessionApi, admin_omar: User, sudan_key: str, sudan_api: ApiClient
):
    key = key_row(sudan_key)

    response = session_api(admin_omar).post(f"/keys/{key.pk}/revoke")

    assert response.status_code == 200, response.content
    assert response.json()["revoked_at"] is not None
    key.refresh_from_db()
    assert key.revoked_by == admin_omar
    body = assert_error(sudan_api.get("/reports"), 401, "api_key_revoked")
    assert "revoked" in body["message"]


def test_revoking_twice_keeps_the_first_revocation(session_api: SessionApi, admin_omar: User, sudan_key: str):
    omar = session_api(admin_omar)
    key = key_row(sudan_key)
    first = omar.post(f"/keys/{key.pk}/revoke").json()["revoked_at"]

    assert omar.post(f"/keys/{key.pk}/revoke").json()["revoked_at"] == first


def test_another_organisations_key_cannot_be_revoked_and_looks_missing(
    session_api: SessionApi, admin_omar: User, pakistan_key: str
):
    omar = session_api(admin_omar)
    key = key_row(pakistan_key)

    other = omar.post(f"/keys/{key.pk}/revoke")
    missing = omar.post("/keys/999999/revoke")

    assert_error(other, 404, "not_found")
    assert other.json() == missing.json()
    key.refresh_from_db()
    assert key.revoked_at is None


def test_a_programme_manager_revokes_any_partners_key(session_api: SessionApi, pm_pablo: User, pakistan_key: str):
    key = key_row(pakistan_key)

    assert session_api(pm_pablo).post(f"/keys/{key.pk}/revoke").status_code == 200

    key.refresh_from_db()
    assert key.revoked_at is not None


def test_wrong_roles_cannot_revoke(
    session_api: SessionApi, analyst_amal: User, reviewer_rita: User, sudan_key: str, api: ApiClient
):
    key = key_row(sudan_key)

    assert_error(session_api(analyst_amal).post(f"/keys/{key.pk}/revoke"), 403, "forbidden")
    assert_error(session_api(reviewer_rita).post(f"/keys/{key.pk}/revoke"), 403, "forbidden")
    assert_error(api.post(f"/keys/{key.pk}/revoke"), 401, "unauthenticated")
    key.refresh_from_db()
    assert key.revoked_at is None
