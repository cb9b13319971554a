"""Shared test fixtures: the people and organisations of a small partner programme.

Every persona is created through the services a real deployment uses
(``organisation_create``, ``user_create``, ``membership_add``,
``partner_create``, ``apikey_create``), so the fixtures also exercise those
services and the audit entries they write.

The cast:

* **Kite Trust & Safety** (the platform team): ``reviewer_rita``,
  ``lead_lena`` (escalation lead), ``auditor_aziz``, ``admin_ada``
  (administrator), ``pm_pablo`` (programme manager).
* **Sudan partner**: ``analyst_amal`` (partner analyst), ``admin_omar``
  (partner admin) and ``sudan_key`` (a raw API key).
* **Pakistan partner**: ``analyst_bilal`` and ``pakistan_key``: the "other
  organisation" in every access test.
* ``outsider_charlie``: signed in, but a member of nothing.

Helpers: ``api`` (a JSON client that sends ``Authorization: Bearer``),
``staff_client`` (session clients via ``force_login``) and
``report_payload`` (a valid report body with overridable fields).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from trustline.accounts.choices import OrganisationKind, Role
from trustline.accounts.models import Organisation, User
from trustline.accounts.permissions import SYSTEM, Actor
from trustline.accounts.selectors import actor_for_user
from trustline.accounts.services import apikey_create, membership_add, organisation_create, user_create
from trustline.partners.services import partner_create

API = "/api/v1"
PASSWORD = "correct horse battery staple"  # noqa: S105 - test persona password


# --------------------------------------------------------------------------------------------
# Isolation
# --------------------------------------------------------------------------------------------


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every transactional test restores the migrated data (taxonomy, content types) afterwards.

    A ``transaction=True`` test ends with a flush that empties every table,
    including what migrations seeded. With ``serialized_rollback`` the data is
    put back and Django skips re-running ``post_migrate`` (which would re-create
    content types under new ids and make the next serialized restore collide).
    Mixing transactional tests with and without it breaks whichever runs next,
    so the suite applies it to all of them.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is not None and marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
            serialized = pytest.mark.django_db(*marker.args, **{**marker.kwargs, "serialized_rollback": True})
            item.add_marker(serialized, append=False)  # first, so it is the closest marker


@pytest.fixture(autouse=True)
def _evidence_in_tmp(settings: Any, tmp_path: Path) -> None:
    """Uploaded evidence goes to a per-test directory, never to ``var/media``."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_taxonomy_cache() -> None:
    """Each test starts from its own database's categories, not a copy cached by an earlier test."""
    from trustline.taxonomy.selectors import active_categories_forget

    active_categories_forget()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language.

    Django's LocaleMiddleware activates the request's language in the thread
    and leaves it there after the response; a test that asked for a page in
    Arabic would otherwise make a later test's services (run in the same
    worker, without a request) speak Arabic.
    """
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Personas have passwords; the production hasher's 10⁶ rounds would make each one cost ~0.3 s.

    New passwords are hashed with MD5 (tests only); the real hashers stay listed after it so
    hashes made elsewhere (e.g. the demo programme's) still verify.
    """
    from django.conf import global_settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *global_settings.PASSWORD_HASHERS]


# --------------------------------------------------------------------------------------------
# Organisations and people
# --------------------------------------------------------------------------------------------


def make_person(organisation: Organisation | None, username: str, full_name: str, role: Role | None) -> User:
    user = user_create(
        actor=SYSTEM, username=username, email=f"{username}@example.org", full_name=full_name, password=PASSWORD
    )
    if organisation is not None and role is not None:
        membership_add(actor=SYSTEM, user=user, organisation=organisation, role=role)
    return user


def actor_of(user: User) -> Actor:
    """The actor a signed-in person acts as (raises if they belong nowhere)."""
    actor = actor_for_user(user)
    assert actor is not None, f"{user} has no membership"
    return actor


@pytest.fixture
def kite(db: None) -> Organisation:
    return organisation_create(actor=SYSTEM, name="Kite Trust & Safety", kind=OrganisationKind.PLATFORM)


@pytest.fixture
def reviewer_rita(kite: Organisation) -> User:
    return make_person(kite, "rita", "Rita Reviewer", Role.REVIEWER)


@pytest.fixture
def lead_lena(kite: Organisation) -> User:
    return make_person(kite, "lena", "Lena Lead", Role.ESCALATION_LEAD)


@pytest.fixture
def auditor_aziz(kite: Organisation) -> User:
    return make_person(kite, "aziz", "Aziz Auditor", Role.AUDITOR)


@pytest.fixture
def admin_ada(kite: Organisation) -> User:
    return make_person(kite, "ada", "Ada Administrator", Role.ADMINISTRATOR)


@pytest.fixture
def pm_pablo(kite: Organisation) -> User:
    return make_person(kite, "pablo", "Pablo Programme-Manager", Role.PROGRAMME_MANAGER)


@pytest.fixture
def sudan_partner(db: None) -> Organisation:
    return partner_create(
        actor=SYSTEM,
        name="Sudan Digital Rights Monitor",
        countries=["SD"],
        languages=["ar", "en"],
        expertise=["threat_to_life", "incitement_violence"],
        contact_email="desk@sudan-monitor.example.org",
    )


@pytest.fixture
def analyst_amal(sudan_partner: Organisation) -> User:
    return make_person(sudan_partner, "amal", "Amal Analyst", Role.PARTNER_ANALYST)


@pytest.fixture
def admin_omar(sudan_partner: Organisation) -> User:
    return make_person(sudan_partner, "omar", "Omar Partner-Admin", Role.PARTNER_ADMIN)


@pytest.fixture
def sudan_key(sudan_partner: Organisation) -> str:
    """A raw API key of the Sudan partner (only its hash is stored)."""
    return apikey_create(actor=SYSTEM, organisation=sudan_partner, name="Sudan monitoring pipeline").raw


@pytest.fixture
def pakistan_partner(db: None) -> Organisation:
    return partner_create(
        actor=SYSTEM,
        name="Pakistan Media Watch",
        countries=["PK"],
        languages=["ur", "en"],
        expertise=["blasphemy_allegation", "hateful_conduct"],
    )


@pytest.fixture
def analyst_bilal(pakistan_partner: Organisation) -> User:
    return make_person(pakistan_partner, "bilal", "Bilal Analyst", Role.PARTNER_ANALYST)


@pytest.fixture
def pakistan_key(pakistan_partner: Organisation) -> str:
    return apikey_create(actor=SYSTEM, organisation=pakistan_partner, name="Pakistan intake script").raw


@pytest.fixture
def outsider_charlie(db: None) -> User:
    """Has an account but no membership: should have no access to anything."""
    return make_person(None, "charlie", "Charlie Outsider", None)


# --------------------------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------------------------


class ApiClient:
    """A thin JSON client for ``/api/v1``: bearer key (or session), JSON in, Django response out.

    ``path`` may be given with or without the ``/api/v1`` prefix.
    """

    def __init__(self, client: Client | None = None, key: str | None = None) -> None:
        self.client = client or Client()
        self.key = key

    def with_key(self, key: str | None) -> ApiClient:
        return ApiClient(self.client, key)

    def _headers(self, headers: Mapping[str, str] | None) -> dict[str, str]:
        result = dict(headers or {})
        if self.key is not None:
            result.setdefault("Authorization", f"Bearer {self.key}")
        return result

    @staticmethod
    def _url(path: str) -> str:
        return path if path.startswith(API) else f"{API}{path}"

    def get(self, path: str, params: Mapping[str, Any] | None = None,
            headers: Mapping[str, str] | None = None) -> Any:
        return self.client.get(self._url(path), data=dict(params or {}), headers=self._headers(headers))

    def post(self, path: str, body: Any = None, *, raw: bytes | str | None = None,
             content_type: str = "application/json", headers: Mapping[str, str] | None = None) -> Any:
        """POST ``body`` as JSON, or ``raw`` bytes as they are (for malformed-input tests)."""
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(self._url(path), data=data, content_type=content_type, headers=self._headers(headers))

    def put(self, path: str, body: Any = None) -> Any:
        """PUT ``body`` as JSON."""
        return self.client.put(self._url(path), data=json.dumps(body if body is not None else {}),
                               content_type="application/json", headers=self._headers(None))

    def upload(self, path: str, files: Mapping[str, tuple[str, bytes, str]],
               data: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None) -> Any:
        """multipart/form-data: ``files`` maps field -> (file name, bytes, declared content type)."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        form: dict[str, Any] = dict(data or {})
        for field_name, (name, content, content_type) in files.items():
            form[field_name] = SimpleUploadedFile(name, content, content_type=content_type)
        return self.client.post(self._url(path), data=form, headers=self._headers(headers))

    def submit(self, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Any:
        """POST /reports, asserting nothing: tests check the status themselves."""
        return self.post("/reports", payload, headers=headers)


@pytest.fixture
def api() -> ApiClient:
    """An anonymous API client; ``api.with_key(raw_key)`` authenticates it."""
    return ApiClient()


@pytest.fixture
def sudan_api(sudan_key: str) -> ApiClient:
    return ApiClient(key=sudan_key)


@pytest.fixture
def pakistan_api(pakistan_key: str) -> ApiClient:
    return ApiClient(key=pakistan_key)


@pytest.fixture
def staff_client() -> Callable[[User], Client]:
    """``staff_client(user)`` -> a ``django.test.Client`` signed in as ``user`` (any persona)."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def session_api(staff_client: Callable[[User], Client]) -> Callable[[User], ApiClient]:
    """``session_api(user)`` -> an API client authenticated by ``user``'s session cookie."""
    return lambda user: ApiClient(staff_client(user))


# --------------------------------------------------------------------------------------------
# Assertions
# --------------------------------------------------------------------------------------------


def said_in(language: str, text: Any, **values: Any) -> str:
    """``text`` (a message id or a lazy label) as Trustline writes it in ``language``, filled with ``values``.

    For e-mails that follow the partner's language: the Sudanese partner of
    these tests covers Arabic, so its e-mails are in Arabic.
    """
    with translation.override(language):
        said = translation.gettext(text) if isinstance(text, str) else str(text)
        return said % values if values else said


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    """The error shape every client can rely on; returns the body for further checks."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"message", "code", "fields"}
    assert body["code"] == code
    assert body["message"]
    if field is not None:
        assert field in body["fields"], body
        assert body["fields"][field] and all(body["fields"][field])
    return body


# --------------------------------------------------------------------------------------------
# Payloads
# --------------------------------------------------------------------------------------------

_post_numbers = itertools.count(1000)


def kite_url(n: int | None = None) -> str:
    """A fresh URL on the platform; distinct per call unless ``n`` is given."""
    return f"https://kite.example/posts/{next(_post_numbers) if n is None else n}"


@pytest.fixture
def report_payload() -> Callable[..., dict[str, Any]]:
    """``report_payload(**overrides)`` -> a valid POST /reports body.

    Each call reports a new URL unless ``items`` is given, so tests do not
    deduplicate into each other's cases by accident.
    """

    def make(**overrides: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "items": [{"url": kite_url(), "kind": "post"}],
            "category": "incitement_violence",
            "explanation": "The post calls for attacks on displaced people in El Fasher and names a shelter.",
            "country": "SD",
            "language": "ar",
            "imminent_harm": False,
            "imminent_harm_reason": "",
            "targets": ["refugee_or_migrant"],
            "bona_fide": True,
        }
        payload.update(overrides)
        return payload

    return make


@pytest.fixture
def submitted(sudan_api: ApiClient, report_payload: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """One report the Sudan partner has submitted (the 201 body)."""
    response = sudan_api.submit(report_payload())
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body
