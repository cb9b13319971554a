"""Authentication of API calls: missing, invalid, revoked keys and suspended partners all say why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.models import ApiKey, Organisation
from trustline.accounts.permissions import SYSTEM
from trustline.accounts.selectors import hash_api_key
from trustline.accounts.services import apikey_revoke
from trustline.conftest import ApiClient, assert_error
from trustline.intake.models import Report
from trustline.partners.choices import AccreditationStatus
from trustline.partners.services import accreditation_set_status

pytestmark = pytest.mark.django_db

Payload = Callable[..., dict[str, Any]]


def test_a_request_without_a_key_is_refused(api: ApiClient, report_payload: Payload):
    body = assert_error(api.submit(report_payload()), 401, "unauthenticated")

    assert "Authorization: Bearer" in body["message"]
    assert Report.objects.count() == 0


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "tl_no_scheme", "Token abc"])
def test_an_authorization_header_of_another_scheme_is_refused(api: ApiClient, report_payload: Payload, header: str):
    assert_error(api.submit(report_payload(), headers={"Authorization": header}), 401, "unauthenticated")


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer \u00e9t\u00e9"])
def test_an_empty_or_odd_bearer_token_is_an_invalid_key(api: ApiClient, report_payload: Payload, header: str):
    assert_error(api.submit(report_payload(), headers={"Authorization": header}), 401, "api_key_invalid")


def test_an_unknown_key_is_refused(api: ApiClient, sudan_key: str, report_payload: Payload):
    response = api.with_key(sudan_key[:-2] + "xx").submit(report_payload())

    body = assert_error(response, 401, "api_key_invalid")
    assert body["message"] == "The API key is not valid."
    assert Report.objects.count() == 0


def test_a_revoked_key_is_refused_and_says_so(
    sudan_api: ApiClient, sudan_partner: Organisation, sudan_key: str, report_payload: Payload
):
    key = ApiKey.objects.get(hashed_key=hash_api_key(sudan_key))
    apikey_revoke(actor=SYSTEM, key=key)

    body = assert_error(sudan_api.submit(report_payload()), 401, "api_key_revoked")

    assert "revoked" in body["message"]
    assert_error(sudan_api.get("/reports"), 401, "api_key_revoked")
    assert Report.objects.count() == 0


@pytest.mark.parametrize("status", [AccreditationStatus.SUSPENDED, AccreditationStatus.REVOKED])
def test_a_suspended_or_revoked_partners_key_is_refused(
    sudan_api: ApiClient, sudan_partner: Organisation, report_payload: Payload, status: AccreditationStatus
):
    accreditation_set_status(
        actor=SYSTEM, organisation=sudan_partner, status=status, reason="Accreditation under review"
    )

    body = assert_error(sudan_api.submit(report_payload()), 401, "organisation_inactive")

    assert f"accreditation is {status.value}" in body["message"]
    assert Report.objects.count() == 0


def test_a_reinstated_partners_key_works_again(
    sudan_api: ApiClient, sudan_partner: Organisation, report_payload: Payload
):
    accreditation_set_status(
        actor=SYSTEM, organisation=sudan_partner, status=AccreditationStatus.SUSPENDED, reason="Audit"
    )
    accreditation_set_status(actor=SYSTEM, organisation=sudan_partner, status=AccreditationStatus.ACTIVE, reason="")

    assert sudan_api.submit(report_payload()).status_code == 201


def test_a_suspended_partners_analyst_cannot_submit_from_a_session(
    session_api: Callable[..., ApiClient], analyst_amal: Any, sudan_partner: Organisation, report_payload: Payload
):
    accreditation_set_status(
        actor=SYSTEM, organisation=sudan_partner, status=AccreditationStatus.SUSPENDED, reason="Audit"
    )

    body = assert_error(session_api(analyst_amal).submit(report_payload()), 403, "organisation_inactive")

    assert "suspended" in body["message"]


def test_using_a_key_records_when_it_was_last_used(sudan_api: ApiClient, sudan_key: str):
    key = ApiKey.objects.get(hashed_key=hash_api_key(sudan_key))
    assert key.last_used_at is None

    assert sudan_api.get("/reports").status_code == 200

    key.refresh_from_db()
    assert key.last_used_at is not None


def test_the_ping_endpoint_needs_no_key(api: ApiClient):
    response = api.get("/ping")

    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_the_openapi_document_describes_the_report_endpoints(api: ApiClient):
    response = api.get("/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/reports", "/api/v1/reports/{report_id}", "/api/v1/reports/bulk", "/api/v1/taxonomy"} <= set(
        paths
    )


def test_the_actor_of_a_key_holds_what_the_orm_would_load(sudan_key: str, sudan_partner: Organisation):
    # actor_for_api_key reads key, organisation and accreditation with its own SQL (one statement per request).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from trustline.accounts.selectors import actor_for_api_key
    from trustline.partners.models import Accreditation

    actor_for_api_key(sudan_key)  # the first use records last_used_at
    with CaptureQueriesContext(connection) as queries:
        actor = actor_for_api_key(sudan_key)
        assert actor.organisation is not None and actor.api_key is not None
        accreditation = actor.organisation.accreditation  # loaded with it: no query
    expected = ApiKey.objects.select_related("organisation").get(hashed_key=hash_api_key(sudan_key))

    def fields(obj: Any) -> dict[str, Any]:
        return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}

    assert len(queries) == 1
    assert fields(actor.api_key) == fields(expected)
    assert actor.api_key.last_used_at is not None and actor.api_key.last_used_at.tzinfo is not None
    assert fields(actor.organisation) == fields(expected.organisation)
    assert fields(accreditation) == fields(Accreditation.objects.get(organisation=sudan_partner))
    assert accreditation.organisation is actor.organisation and isinstance(accreditation.countries, list)
    assert actor.api_key.organisation is actor.organisation and not actor.api_key._state.adding


def test_a_partner_without_accreditation_is_refused(
    sudan_api: ApiClient, sudan_partner: Organisation, report_payload: Payload
):
    from trustline.partners.models import Accreditation

    Accreditation.objects.filter(organisation=sudan_partner).delete()  # data that predates accreditation

    body = assert_error(sudan_api.submit(report_payload()), 401, "organisation_inactive")

    assert "no accreditation" in body["message"]
    assert Report.objects.count() == 0
