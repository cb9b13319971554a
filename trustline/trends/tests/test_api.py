"""The trends API: every endpoint with anonymous, outsider, partner, wrong-role and allowed callers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.conftest import ApiClient, assert_error, kite_url
from trustline.trends.clustering import incidents_cluster_new
from trustline.trends.detection import spikes_detect
from trustline.trends.models import Incident, Spike
from trustline.trends.tests.conftest import T0, Submit, item
from trustline.trends.tests.test_clustering import NEAR_DUPLICATES

SessionApi = Callable[[User], ApiClient]
UNKNOWN = "018f0000-0000-7000-8000-000000000000"

VIOLATING: dict[str, Any] = {
    "outcome": "violating",
    "policy": "incitement_violence",
    "actions": ["remove"],
    "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
    "incompatible_content_ground": "Community Guidelines §4 (violence and incitement)",
    "incompatible_content_explanation": "The posts call for burning the houses of named neighbours.",
}


@pytest.fixture
def spike(submit: Submit, analyst_amal: User) -> Spike:
    """Six reports in a series that was silent for six weeks: a spike (the only series tested)."""
    for n in range(6):
        submit(analyst_amal, at=T0 + dt.timedelta(minutes=n))
    spikes_detect(day_from=T0.date(), day_to=T0.date())
    return Spike.objects.get()


@pytest.fixture
def incident(submit: Submit, analyst_amal: User, analyst_bilal: User) -> Incident:
    first, second = NEAR_DUPLICATES["ar"]
    submit(analyst_amal, items=[item(kite_url(), first)])
    submit(analyst_bilal, items=[item(kite_url(), second)], country="PK", category="hateful_conduct")
    incidents_cluster_new()
    return Incident.objects.get()


# --- Spikes ------------------------------------------------------------------------------------


def test_spike_list_and_detail_access(
    spike: Spike, api: ApiClient, sudan_api: ApiClient, session_api: SessionApi, outsider_charlie: User,
    reviewer_rita: User, pm_pablo: User, auditor_aziz: User, lead_lena: User,
) -> None:
    detail = f"/trends/spikes/{spike.pk}"
    for path in ("/trends/spikes", detail):
        assert_error(api.get(path), 401, "unauthenticated")
        assert_error(session_api(outsider_charlie).get(path), 401, "unauthenticated")
        assert_error(sudan_api.get(path), 403, "forbidden")
        assert_error(session_api(reviewer_rita).get(path), 403, "forbidden")
    listed = session_api(pm_pablo).get("/trends/spikes", {"country": "SD"})
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()["items"]] == [str(spike.pk)]
    assert session_api(pm_pablo).get("/trends/spikes", {"country": "PK"}).json()["count"] == 0
    for user in (auditor_aziz, lead_lena):
        body = session_api(user).get(detail).json()
        assert body["observed"] == 6 and body["status"] == "open"
        assert len(body["evidence"]["same_weekday"]) == 6
    assert_error(session_api(pm_pablo).get(f"/trends/spikes/{UNKNOWN}"), 404, "not_found")
    assert_error(session_api(pm_pablo).get("/trends/spikes/not-an-id"), 404, "not_found")


def test_spike_list_pins_its_query_count(
    spike: Spike, session_api: SessionApi, pm_pablo: User, django_assert_max_num_queries: Any,
) -> None:
    client = session_api(pm_pablo)
    with django_assert_max_num_queries(8):
        assert client.get("/trends/spikes").json()["count"] == 1


def test_dismissing_a_spike_records_the_reason(
    spike: Spike, api: ApiClient, sudan_api: ApiClient, session_api: SessionApi, auditor_aziz: User,
    lead_lena: User, policy_polly: User, pm_pablo: User,
) -> None:
    path = f"/trends/spikes/{spike.pk}/dismiss"
    body = {"reason": "One partner re-sent last week's backlog in a single afternoon."}
    assert_error(api.post(path, body), 401, "unauthenticated")
    assert_error(sudan_api.post(path, body), 403, "forbidden")
    assert_error(session_api(auditor_aziz).post(path, body), 403, "forbidden")
    assert_error(session_api(lead_lena).post(path, body), 403, "forbidden")
    assert_error(session_api(policy_polly).post(path, {"reason": " "}), 422, "invalid", "reason")
    assert_error(session_api(policy_polly).post(path, {**body, "extra": 1}), 422, "invalid")
    done = session_api(policy_polly).post(path, body)
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "dismissed" and done.json()["dismissed_by"] == "polly"
    assert_error(session_api(pm_pablo).post(path, body), 409, "already_dismissed")
    entry = AuditEntry.objects.get(action="spike.dismissed")
    assert entry.target_id == str(spike.pk) and entry.data["reason"] == body["reason"]
    assert session_api(pm_pablo).get("/trends/spikes", {"status": "open"}).json()["count"] == 0


# --- Incidents ---------------------------------------------------------------------------------


def test_incident_reads_access(
    incident: Incident, api: ApiClient, sudan_api: ApiClient, session_api: SessionApi, outsider_charlie: User,
    analyst_amal: User, reviewer_rita: User, policy_polly: User,
) -> None:
    member_case = str(incident.members.first().case_id)  # type: ignore[union-attr]
    paths = ["/trends/incidents", f"/trends/incidents/{incident.pk}", f"/trends/incidents/{incident.pk}/members",
             f"/trends/cases/{member_case}/incident"]
    for path in paths:
        assert_error(api.get(path), 401, "unauthenticated")
        assert_error(session_api(outsider_charlie).get(path), 401, "unauthenticated")
        assert_error(sudan_api.get(path), 403, "forbidden")
        assert_error(session_api(analyst_amal).get(path), 403, "forbidden")
        assert session_api(reviewer_rita).get(path).status_code == 200
    detail = session_api(policy_polly).get(f"/trends/incidents/{incident.pk}").json()
    assert detail["member_count"] == 2 and detail["countries"] == ["PK", "SD"] and detail["languages"] == ["ar"]
    assert len(detail["decidable_case_ids"]) == 2 and len(detail["sample_texts"]) == 2
    members = session_api(reviewer_rita).get(f"/trends/incidents/{incident.pk}/members").json()["items"]
    assert {m["signal"] for m in members} == {"first", "near_duplicate"}
    assert_error(session_api(reviewer_rita).get(f"/trends/incidents/{UNKNOWN}"), 404, "not_found")
    assert_error(session_api(reviewer_rita).get(f"/trends/cases/{UNKNOWN}/incident"), 404, "not_found")


def test_incident_list_pins_its_query_count(
    incident: Incident, session_api: SessionApi, reviewer_rita: User, django_assert_max_num_queries: Any,
) -> None:
    client = session_api(reviewer_rita)
    with django_assert_max_num_queries(8):
        assert client.get("/trends/incidents").json()["count"] == 1


def test_deciding_an_incident_decides_every_open_member(
    incident: Incident, sudan_api: ApiClient, session_api: SessionApi, policy_polly: User, lead_lena: User,
    api: ApiClient,
) -> None:
    path = f"/trends/incidents/{incident.pk}/decide"
    assert_error(api.post(path, VIOLATING), 401, "unauthenticated")
    assert_error(sudan_api.post(path, VIOLATING), 403, "forbidden")
    assert_error(session_api(policy_polly).post(path, VIOLATING), 403, "forbidden")
    decided = session_api(lead_lena).post(path, VIOLATING)
    assert decided.status_code == 201, decided.content
    assert {d["case_id"] for d in decided.json()} == {str(m.case_id) for m in incident.members.all()}
    assert_error(session_api(lead_lena).post(path, VIOLATING), 409, "nothing_to_decide")


# --- Insight report ----------------------------------------------------------------------------


def test_insight_report_access(
    incident: Incident, api: ApiClient, sudan_api: ApiClient, pakistan_api: ApiClient, session_api: SessionApi,
    outsider_charlie: User, analyst_amal: User, reviewer_rita: User, pm_pablo: User, auditor_aziz: User,
) -> None:
    query = {"from": "2026-03-01", "to": "2026-03-07"}
    path = "/trends/insight-report"
    assert_error(api.get(path, query), 401, "unauthenticated")
    assert_error(session_api(outsider_charlie).get(path, query), 401, "unauthenticated")
    assert_error(session_api(reviewer_rita).get(path, query), 403, "forbidden")
    assert_error(session_api(auditor_aziz).get(path, query), 403, "forbidden")
    own = sudan_api.get(path, query)
    assert own.status_code == 200 and own["Content-Type"].startswith("text/html")
    html = own.content.decode()
    assert "Sudan Digital Rights Monitor" in html and "Sudan (SD)" in html and "Pakistan" not in html
    assert_error(pakistan_api.get(path, {**query, "partner": "sudan-digital-rights-monitor"}), 404, "not_found")
    assert session_api(analyst_amal).get(path, query).status_code == 200
    pdf = session_api(pm_pablo).get(path, {**query, "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf["Content-Disposition"]
    staff_html = session_api(pm_pablo).get(path, query).content.decode()
    assert "Pakistan (PK)" in staff_html and "Sudan (SD)" in staff_html
    assert_error(session_api(pm_pablo).get(path, {"from": "2026-03-07", "to": "2026-03-01"}), 422,
                 "invalid", "to")
    assert_error(session_api(pm_pablo).get(path, {**query, "partner": "nobody"}), 404, "not_found")
