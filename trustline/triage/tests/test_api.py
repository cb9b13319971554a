"""The staff triage API: GET /api/v1/triage/cases/{id} and POST /api/v1/triage/cases/{id}/retier."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.conftest import ApiClient, assert_error
from trustline.core import clock
from trustline.triage.services import triage_pending
from trustline.triage.sla import sla_sweep
from trustline.triage.tests.conftest import T0, Submit, case_of

pytestmark = pytest.mark.django_db

SessionApi = Callable[[User], ApiClient]
HOUR = dt.timedelta(hours=1)
REASON = "The post names the shelter and the time; two partners confirm armed men gathered there."


@pytest.fixture
def case(analyst_amal: User, submit: Submit, at_t0: dt.datetime) -> Case:
    """A tier 2 incitement case opened and triaged at T0."""
    result = submit(analyst_amal, category="incitement_violence")
    triage_pending()
    return case_of(result)


def retier(client: ApiClient, case: Case, **body: Any) -> Any:
    return client.post(f"/triage/cases/{case.pk}/retier", {"tier": 1, "reason": REASON, **body})


# --------------------------------------------------------------------------------------------
# GET /triage/cases/{id}
# --------------------------------------------------------------------------------------------


def test_a_reviewer_reads_the_tier_priority_components_deadlines_and_breaches(
    case: Case, reviewer_rita: User, lead_lena: User, session_api: SessionApi
):
    sla_sweep(now=T0 + 25 * HOUR)

    response = session_api(reviewer_rita).get(f"/triage/cases/{case.pk}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tier"] == 2
    assert body["status"] == "triaged"
    assert body["priority"] == sum(body["priority_components"].values())
    assert body["priority_components"]["tier"] == 300
    assert body["priority_components"]["sla_breach"] == 100
    assert body["sla_policy"]["name"] == "Tier 2"
    assert dt.datetime.fromisoformat(body["ack_due_at"]) == T0 + 24 * HOUR
    assert dt.datetime.fromisoformat(body["decide_due_at"]) == T0 + 72 * HOUR
    assert body["ack_breached"] is True
    assert [(b["kind"], b["tier"], b["policy_name"]) for b in body["breaches"]] == [("ack", 2, "Tier 2")]


def test_reading_a_case_needs_staff_access(
    case: Case, api: ApiClient, sudan_api: ApiClient, session_api: SessionApi, analyst_amal: User,
    auditor_aziz: User, outsider_charlie: User,
):
    assert_error(api.get(f"/triage/cases/{case.pk}"), 401, "unauthenticated")
    partner_key = sudan_api.get(f"/triage/cases/{case.pk}")
    partner_session = session_api(analyst_amal).get(f"/triage/cases/{case.pk}")
    missing = session_api(auditor_aziz).get(f"/triage/cases/{uuid.uuid4()}")
    assert_error(partner_key, 404, "not_found")
    assert partner_key.json() == partner_session.json() == missing.json()
    assert_error(session_api(auditor_aziz).get("/triage/cases/not-a-uuid"), 404, "not_found")
    assert session_api(auditor_aziz).get(f"/triage/cases/{case.pk}").status_code == 200
    assert_error(session_api(outsider_charlie).get(f"/triage/cases/{case.pk}"), 401, "unauthenticated")


# --------------------------------------------------------------------------------------------
# POST /triage/cases/{id}/retier
# --------------------------------------------------------------------------------------------


def test_the_retier_authorisation_matrix(
    case: Case, api: ApiClient, sudan_api: ApiClient, session_api: SessionApi,
    reviewer_rita: User, lead_lena: User, admin_ada: User, analyst_amal: User,
):
    assert_error(retier(api, case), 401, "unauthenticated")
    assert_error(retier(sudan_api, case), 404, "not_found")
    assert_error(retier(session_api(analyst_amal), case), 404, "not_found")
    assert_error(retier(session_api(reviewer_rita), case), 403, "forbidden")
    assert Case.objects.get(pk=case.pk).tier == 2
    assert retier(session_api(lead_lena), case).status_code == 200
    assert retier(session_api(admin_ada), case, tier=3).status_code == 200
    assert Case.objects.get(pk=case.pk).tier == 3


def test_a_reason_is_required(case: Case, session_api: SessionApi, lead_lena: User):
    lead = session_api(lead_lena)

    assert_error(retier(lead, case, reason="   "), 422, "invalid", field="reason")
    assert_error(lead.post(f"/triage/cases/{case.pk}/retier", {"tier": 1}), 422, "invalid", field="reason")
    assert_error(retier(lead, case, tier=4), 422, "invalid", field="tier")
    assert_error(retier(lead, case, colour="red"), 422, "invalid", field="colour")
    assert Case.objects.get(pk=case.pk).tier == 2
    assert not AuditEntry.objects.filter(action="case.retiered").exists()


def test_retiering_recomputes_priority_and_deadlines_and_is_audited(
    case: Case, session_api: SessionApi, lead_lena: User, sudan_api: ApiClient, analyst_amal: User
):
    response = retier(session_api(lead_lena), case, tier=1)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tier"] == 1
    assert body["priority_components"]["tier"] == 600
    assert body["priority"] == sum(body["priority_components"].values())
    assert body["sla_policy"]["name"] == "Tier 1"
    assert dt.datetime.fromisoformat(body["ack_due_at"]) == T0 + 4 * HOUR  # counted from the opening of the case
    assert dt.datetime.fromisoformat(body["decide_due_at"]) == T0 + 24 * HOUR
    entry = AuditEntry.objects.get(action="case.retiered", target_id=str(case.pk))
    assert entry.actor == f"user:{lead_lena.pk}"
    assert entry.data["from_tier"] == 2
    assert entry.data["tier"] == 1
    assert entry.data["reason"] == REASON
    assert entry.data["from_priority"] == 300
    assert entry.data["priority"] == body["priority"]
    report_id = case.items.get().report_id
    timeline = sudan_api.get(f"/reports/{report_id}").json()["timeline"]
    assert [e["kind"] for e in timeline] == ["received", "triaged", "triaged"]
    assert timeline[-1]["data"] == {"tier": 1, "decide_due_at": (T0 + 24 * HOUR).isoformat(), "revised": True}
    assert REASON not in str(timeline)


def test_a_case_moved_up_can_be_overdue_at_once_and_the_sweeper_says_so(
    case: Case, session_api: SessionApi, lead_lena: User
):
    with clock.frozen_at(T0 + 30 * HOUR):
        assert retier(session_api(lead_lena), case, tier=1).status_code == 200
    result = sla_sweep(now=T0 + 30 * HOUR)

    assert (result.ack, result.decide) == (1, 1)


def test_the_endpoints_are_in_the_openapi_document(api: ApiClient):
    paths = api.get("/openapi.json").json()["paths"]

    assert "get" in paths["/api/v1/triage/cases/{case_id}"]
    assert "post" in paths["/api/v1/triage/cases/{case_id}/retier"]
