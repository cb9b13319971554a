"""Who may use each review endpoint (anonymous 401, other organisation 404, wrong role 403, allowed 2xx),
and the internal note never reaching a partner."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.choices import Role
from trustline.accounts.models import Organisation, User
from trustline.cases.models import Case
from trustline.conftest import ApiClient, assert_error, make_person
from trustline.notifications.models import OutboxMessage
from trustline.review.models import InformationRequest
from trustline.review.tests.conftest import INTERNAL_NOTE, VIOLATING, Decide, Submit, case_of, hold

pytestmark = pytest.mark.django_db

SessionApi = Callable[[User], ApiClient]
STAFF_ROLES = [Role.REVIEWER, Role.ESCALATION_LEAD, Role.LAW_ENFORCEMENT_LIAISON, Role.PROGRAMME_MANAGER,
               Role.POLICY_ANALYST, Role.AUDITOR, Role.ADMINISTRATOR]


@pytest.fixture
def pending_decision(analyst_amal: User, reviewer_rita: User, submit: Submit, decide: Decide,
                     at_t0: dt.datetime) -> dict[str, Any]:
    """A decision by Rita waiting for second review (the report names a journalist)."""
    case = hold(case_of(submit(analyst_amal, targets=["journalist"])), reviewer_rita)
    body: dict[str, Any] = decide(reviewer_rita, case).json()
    assert body["status"] == "pending_second_review"
    return body


@pytest.fixture
def question(held_case: Case, reviewer_rita: User, decide: Decide) -> InformationRequest:
    response = decide(reviewer_rita, held_case, outcome="needs_more_information", question="Which shelter?",
                      internal_note=INTERNAL_NOTE)
    assert response.status_code == 201, response.content
    return InformationRequest.objects.get(case=held_case)


def test_recording_a_decision(held_case: Case, api: ApiClient, sudan_api: ApiClient, session_api: SessionApi,
                              auditor_aziz: User, reviewer_rita: User, analyst_amal: User, demo_platform: None):
    url = f"/review/cases/{held_case.pk}/decisions"

    assert_error(api.post(url, VIOLATING), 401, "unauthenticated")
    assert_error(sudan_api.post(url, VIOLATING), 404, "not_found")
    assert_error(session_api(analyst_amal).post(url, VIOLATING), 404, "not_found")
    assert_error(session_api(auditor_aziz).post(url, VIOLATING), 403, "forbidden")
    assert session_api(reviewer_rita).post(url, VIOLATING).status_code == 201


def test_recording_decisions_in_bulk(held_case: Case, api: ApiClient, sudan_api: ApiClient,
                                     session_api: SessionApi, auditor_aziz: User, reviewer_rita: User,
                                     demo_platform: None):
    body = {**VIOLATING, "case_ids": [str(held_case.pk)]}

    assert_error(api.post("/review/decisions/bulk", body), 401, "unauthenticated")
    assert_error(sudan_api.post("/review/decisions/bulk", body), 404, "not_found")
    assert_error(session_api(auditor_aziz).post("/review/decisions/bulk", body), 403, "forbidden")
    assert session_api(reviewer_rita).post("/review/decisions/bulk", body).status_code == 201


def test_reading_decisions_is_for_every_staff_role(
    pending_decision: dict[str, Any], api: ApiClient, sudan_api: ApiClient, session_api: SessionApi,
    kite: Organisation,
):
    """Reads have no wrong staff role: every platform role may read decisions (auditors included)."""
    urls = [f"/review/decisions/{pending_decision['id']}", f"/review/cases/{pending_decision['case_id']}/decisions"]
    for url in urls:
        assert_error(api.get(url), 401, "unauthenticated")
        assert_error(sudan_api.get(url), 404, "not_found")
        for index, role in enumerate(STAFF_ROLES):
            person = make_person(kite, f"staff{index}{url.count('/')}", f"Staff {role}", role)
            assert session_api(person).get(url).status_code == 200, (url, role)


def test_the_second_review_queue_and_its_decisions(
    pending_decision: dict[str, Any], api: ApiClient, sudan_api: ApiClient, session_api: SessionApi,
    auditor_aziz: User, reviewer_rafael: User, lead_lena: User,
):
    confirm = f"/review/decisions/{pending_decision['id']}/confirm"
    reject = f"/review/decisions/{pending_decision['id']}/reject"
    for client in (api,):
        assert_error(client.get("/review/second-review"), 401, "unauthenticated")
        assert_error(client.post(confirm, {}), 401, "unauthenticated")
        assert_error(client.post(reject, {"reason": "r"}), 401, "unauthenticated")
    assert_error(sudan_api.get("/review/second-review"), 404, "not_found")
    assert_error(sudan_api.post(confirm, {}), 404, "not_found")
    assert_error(sudan_api.post(reject, {"reason": "r"}), 404, "not_found")
    assert_error(session_api(auditor_aziz).get("/review/second-review"), 403, "forbidden")
    assert_error(session_api(auditor_aziz).post(confirm, {}), 403, "forbidden")
    assert_error(session_api(auditor_aziz).post(reject, {"reason": "r"}), 403, "forbidden")
    assert session_api(reviewer_rafael).get("/review/second-review").status_code == 200
    assert_error(session_api(lead_lena).post(reject, {"reason": ""}), 422, "invalid", "reason")
    assert session_api(reviewer_rafael).post(confirm, {}).status_code == 200


def test_rejecting_is_allowed_to_a_second_reviewer(
    pending_decision: dict[str, Any], session_api: SessionApi, lead_lena: User,
):
    response = session_api(lead_lena).post(f"/review/decisions/{pending_decision['id']}/reject",
                                           {"reason": "The quote is reporting, not endorsement."})
    assert response.status_code == 200, response.content


def test_templates_and_their_preview(
    held_case: Case, api: ApiClient, sudan_api: ApiClient, session_api: SessionApi, auditor_aziz: User,
    reviewer_rita: User,
):
    preview = {"case_id": str(held_case.pk), "outcome": "not_violating"}

    assert_error(api.get("/review/templates"), 401, "unauthenticated")
    assert_error(sudan_api.get("/review/templates"), 404, "not_found")
    assert session_api(auditor_aziz).get("/review/templates").status_code == 200
    assert_error(api.post("/review/templates/preview", preview), 401, "unauthenticated")
    assert_error(sudan_api.post("/review/templates/preview", preview), 404, "not_found")
    assert_error(session_api(auditor_aziz).post("/review/templates/preview", preview), 403, "forbidden")
    assert session_api(reviewer_rita).post("/review/templates/preview", preview).status_code == 200


def test_information_requests(
    question: InformationRequest, api: ApiClient, sudan_api: ApiClient, pakistan_api: ApiClient,
    session_api: SessionApi, reviewer_rita: User, auditor_aziz: User,
):
    one = f"/review/information-requests/{question.pk}"

    assert_error(api.get("/review/information-requests"), 401, "unauthenticated")
    assert_error(api.get(one), 401, "unauthenticated")
    assert pakistan_api.get("/review/information-requests").json()["count"] == 0  # sees only its own
    assert_error(pakistan_api.get(one), 404, "not_found")
    assert sudan_api.get("/review/information-requests").json()["count"] == 1
    assert sudan_api.get(one).status_code == 200
    assert session_api(auditor_aziz).get(one).status_code == 200
    assert_error(session_api(reviewer_rita).post(f"{one}/answer", {"answer": "x"}), 403, "forbidden")
    assert sudan_api.post(f"{one}/answer", {"answer": "Abu Shouk."}).status_code == 200


def test_partner_precision(
    sudan_partner: Organisation, api: ApiClient, sudan_api: ApiClient, session_api: SessionApi,
    reviewer_rita: User, pm_pablo: User, lead_lena: User,
):
    url = f"/review/partners/{sudan_partner.slug}/precision"

    assert_error(api.get(url), 401, "unauthenticated")
    assert_error(sudan_api.get(url), 404, "not_found")  # not even its own
    assert_error(session_api(reviewer_rita).get(url), 403, "forbidden")
    assert_error(session_api(pm_pablo).get("/review/partners/no-such-partner/precision"), 404, "not_found")
    assert session_api(pm_pablo).get(url).status_code == 200
    assert session_api(lead_lena).get(url).status_code == 200


def test_referrals(api: ApiClient, sudan_api: ApiClient, session_api: SessionApi, auditor_aziz: User):
    assert_error(api.get("/review/referrals"), 401, "unauthenticated")
    assert_error(sudan_api.get("/review/referrals"), 404, "not_found")
    assert session_api(auditor_aziz).get("/review/referrals").status_code == 200


def test_the_review_api_is_in_the_openapi_document(api: ApiClient):
    paths = api.get("/openapi.json").json()["paths"]

    for path in ["/api/v1/review/cases/{case_id}/decisions", "/api/v1/review/decisions/bulk",
                 "/api/v1/review/second-review", "/api/v1/review/decisions/{decision_id}/confirm",
                 "/api/v1/review/information-requests/{request_id}/answer",
                 "/api/v1/review/partners/{slug}/precision", "/api/v1/review/templates/preview"]:
        assert path in paths, path


# --------------------------------------------------------------------------------------------
# The internal note stays inside
# --------------------------------------------------------------------------------------------


def test_the_internal_note_never_reaches_a_partner(
    held_case: Case, reviewer_rita: User, lead_lena: User, decide: Decide, analyst_amal: User,
    sudan_api: ApiClient, session_api: SessionApi, sudan_partner: Organisation, demo_platform: None,
):
    # A question (with a note), the partner's answer, then a violating decision (with a note).
    asked = decide(reviewer_rita, held_case, outcome="needs_more_information", question="Which shelter?",
                   internal_note=INTERNAL_NOTE)
    assert asked.status_code == 201
    request = InformationRequest.objects.get(case=held_case)
    answered = sudan_api.post(f"/review/information-requests/{request.pk}/answer", {"answer": "Abu Shouk."})
    decided = decide(lead_lena, held_case, **VIOLATING)
    assert decided.status_code == 201, decided.content
    assert INTERNAL_NOTE in json.dumps(session_api(lead_lena).get(f"/review/decisions/{decided.json()['id']}").json())

    report_id = held_case.items.get().report_id
    partner_responses = [
        answered,
        sudan_api.get(f"/reports/{report_id}"),
        session_api(analyst_amal).get(f"/reports/{report_id}"),
        sudan_api.get("/reports"),
        sudan_api.get("/reports/export.csv"),
        sudan_api.get("/review/information-requests"),
        sudan_api.get(f"/review/information-requests/{request.pk}"),
    ]
    for response in partner_responses:
        assert response.status_code == 200, response.content
        assert INTERNAL_NOTE not in response.content.decode(), response.request["PATH_INFO"]
    # Nor what is sent to the partner by e-mail or webhook.
    for message in OutboxMessage.objects.filter(organisation=sudan_partner):
        assert INTERNAL_NOTE not in message.body + message.subject + json.dumps(message.payload)
    assert OutboxMessage.objects.filter(organisation=sudan_partner, event_type="report.decided").exists()
