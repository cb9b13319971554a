"""The staff platform API: describe an item, list and confirm enforcement actions; who may do what."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of, assert_error
from trustline.intake.models import ReportItem
from trustline.platforms.models import EnforcementActionRecord
from trustline.platforms.services import action_request
from trustline.platforms.tests.conftest import DEMO_BACKEND, HALFAYA_POST, MANUAL_BACKEND, action_for

pytestmark = pytest.mark.django_db

SessionApi = Callable[[User], ApiClient]


@pytest.fixture
def pending(
    use_connector: Callable[..., None], case: Case, reviewer_rita: User
) -> Callable[[str], EnforcementActionRecord]:
    """``pending(key)``: a manual action waiting for confirmation."""
    use_connector(MANUAL_BACKEND)
    return lambda key: action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case, key=key))


# --------------------------------------------------------------------------------------------
# GET /platforms/items/{id}/describe
# --------------------------------------------------------------------------------------------


def test_a_reviewer_sees_what_the_demo_platform_knows_and_that_it_was_removed(
    use_connector: Callable[..., None], item: ReportItem, case: Case, reviewer_rita: User, session_api: SessionApi
):
    use_connector(DEMO_BACKEND)
    client = session_api(reviewer_rita)

    before = client.get(f"/platforms/items/{item.pk}/describe")
    action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case))
    after = client.get(f"/platforms/items/{item.pk}/describe")

    assert before.status_code == 200, before.content
    body = before.json()
    assert body["item"] == {"url": HALFAYA_POST, "platform_id": "", "kind": "post"}
    assert (body["available"], body["source"], body["online"], body["restrictions"]) == (True, "demo", True, [])
    assert body["author"]["handle"] == "halfaya.alaan"
    assert body["media"][0]["kind"] == "image"
    assert body["reach"]["views"] > 0
    assert (after.json()["online"], after.json()["restrictions"]) == (False, ["removed"])


def test_with_the_manual_connector_describe_says_there_is_nothing_to_fetch(
    use_connector: Callable[..., None], item: ReportItem, reviewer_rita: User, session_api: SessionApi
):
    use_connector(MANUAL_BACKEND)
    body = session_api(reviewer_rita).get(f"/platforms/items/{item.pk}/describe").json()
    assert (body["available"], body["source"], body["author"], body["online"]) == (False, "manual", None, None)
    assert "platform's own tools" in body["error"]


def test_describing_an_item_needs_staff_access(
    item: ReportItem, api: ApiClient, sudan_api: ApiClient, session_api: SessionApi, analyst_amal: User,
    auditor_aziz: User, outsider_charlie: User,
):
    path = f"/platforms/items/{item.pk}/describe"
    assert_error(api.get(path), 401, "unauthenticated")
    assert_error(session_api(outsider_charlie).get(path), 401, "unauthenticated")
    partner_key = sudan_api.get(path)  # the partner who reported it
    partner_session = session_api(analyst_amal).get(path)
    missing = session_api(auditor_aziz).get(f"/platforms/items/{uuid.uuid4()}/describe")
    assert_error(partner_key, 404, "not_found")
    assert partner_key.json() == partner_session.json() == missing.json()
    assert_error(session_api(auditor_aziz).get("/platforms/items/not-a-uuid/describe"), 404, "not_found")
    assert session_api(auditor_aziz).get(path).status_code == 200


# --------------------------------------------------------------------------------------------
# Actions: list, read, confirm
# --------------------------------------------------------------------------------------------


def test_staff_list_a_cases_actions_and_partners_cannot(
    pending: Callable[[str], EnforcementActionRecord], case: Case, reviewer_rita: User, sudan_api: ApiClient,
    session_api: SessionApi,
):
    record = pending("d:list")
    listed = session_api(reviewer_rita).get(f"/platforms/cases/{case.pk}/actions")

    assert listed.status_code == 200, listed.content
    [row] = listed.json()
    assert (row["id"], row["status"], row["connector"], row["delivery_status"]) == (
        str(record.pk), "pending_confirmation", "manual", None
    )
    assert row["target"]["url"] == HALFAYA_POST
    assert_error(sudan_api.get(f"/platforms/cases/{case.pk}/actions"), 404, "not_found")
    assert_error(sudan_api.get(f"/platforms/actions/{record.pk}"), 404, "not_found")
    assert_error(session_api(reviewer_rita).get(f"/platforms/cases/{uuid.uuid4()}/actions"), 404, "not_found")
    assert session_api(reviewer_rita).get(f"/platforms/actions/{record.pk}").json()["id"] == str(record.pk)


@pytest.mark.parametrize("persona", ["reviewer_rita", "lead_lena", "admin_ada"])
def test_reviewers_and_escalation_leads_confirm_a_manual_action(
    pending: Callable[[str], EnforcementActionRecord], persona: str, request: pytest.FixtureRequest,
    session_api: SessionApi,
):
    person: User = request.getfixturevalue(persona)
    record = pending(f"d:confirm:{persona}")

    response = session_api(person).post(f"/platforms/actions/{record.pk}/confirm", {"reference": "KITE-4411"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["reference"], body["confirmed_by"]) == ("done", "KITE-4411", f"user:{person.pk}")
    assert body["confirmed_at"]


def test_confirming_is_refused_to_everyone_else(
    pending: Callable[[str], EnforcementActionRecord], api: ApiClient, sudan_api: ApiClient, session_api: SessionApi,
    analyst_amal: User, auditor_aziz: User, pm_pablo: User, outsider_charlie: User, reviewer_rita: User,
):
    record = pending("d:refused")
    path = f"/platforms/actions/{record.pk}/confirm"
    body = {"reference": "KITE-1"}

    assert_error(api.post(path, body), 401, "unauthenticated")
    assert_error(session_api(outsider_charlie).post(path, body), 401, "unauthenticated")
    assert_error(sudan_api.post(path, body), 404, "not_found")
    assert_error(session_api(analyst_amal).post(path, body), 404, "not_found")
    assert_error(session_api(auditor_aziz).post(path, body), 403, "forbidden")
    assert_error(session_api(pm_pablo).post(path, body), 403, "forbidden")
    reviewer = session_api(reviewer_rita)
    assert_error(reviewer.post(f"/platforms/actions/{uuid.uuid4()}/confirm", body), 404, "not_found")
    assert_error(reviewer.post(path, {"reference": ""}), 422, "invalid", field="reference")
    assert_error(reviewer.post(path, {"reference": "K", "note": "x"}), 422, "invalid", field="note")
    record.refresh_from_db()
    assert record.status == "pending_confirmation"


def test_confirming_a_done_action_again_with_another_reference_is_a_conflict(
    pending: Callable[[str], EnforcementActionRecord], reviewer_rita: User, session_api: SessionApi
):
    record = pending("d:twice")
    client = session_api(reviewer_rita)
    assert client.post(f"/platforms/actions/{record.pk}/confirm", {"reference": "KITE-1"}).status_code == 200
    assert client.post(f"/platforms/actions/{record.pk}/confirm", {"reference": "KITE-1"}).status_code == 200
    again = client.post(f"/platforms/actions/{record.pk}/confirm", {"reference": "KITE-2"})
    assert_error(again, 409, "not_confirmable")


def test_the_endpoints_are_in_the_openapi_document(api: ApiClient):
    paths = api.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/platforms/items/{item_id}/describe",
        "/api/v1/platforms/cases/{case_id}/actions",
        "/api/v1/platforms/actions/{action_id}",
        "/api/v1/platforms/actions/{action_id}/confirm",
    ):
        assert path in paths
