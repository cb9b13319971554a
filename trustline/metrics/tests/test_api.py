"""The metrics API: who may read what (every endpoint), the figures through HTTP, CSV, and bad input."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest

from trustline.accounts.models import Organisation, User
from trustline.conftest import ApiClient, assert_error
from trustline.metrics.tests.conftest import Programme

pytestmark = pytest.mark.django_db

WEEK = {"period": "week", "date": "2026-03-02"}
STAFF_ENDPOINTS = ["/metrics/table", "/metrics/table.csv", "/metrics/series", "/metrics/backlog"]
PM_ENDPOINTS = ["/metrics/scorecards", "/metrics/scorecards/sudan-relief"]
ALL_ENDPOINTS = [*STAFF_ENDPOINTS, *PM_ENDPOINTS, "/metrics/own-scorecard"]

SessionApi = Callable[[User], ApiClient]


@pytest.fixture
def sudan_slug(sudan_partner: Organisation) -> str:
    return sudan_partner.slug


def _url(path: str, slug: str) -> str:
    return path.replace("sudan-relief", slug)


# --- Authorisation matrix --------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_ENDPOINTS)
def test_anonymous_is_refused_everywhere(api: ApiClient, path: str, sudan_slug: str) -> None:
    assert_error(api.get(_url(path, sudan_slug), WEEK), 401, "unauthenticated", None)


@pytest.mark.parametrize("path", [*STAFF_ENDPOINTS, *PM_ENDPOINTS])
def test_partners_never_read_programme_figures(sudan_api: ApiClient, pakistan_api: ApiClient,
                                               path: str, sudan_slug: str) -> None:
    assert_error(sudan_api.get(_url(path, sudan_slug), WEEK), 403, "forbidden", None)
    assert_error(pakistan_api.get(_url(path, sudan_slug), WEEK), 403, "forbidden", None)


@pytest.mark.parametrize("path", ALL_ENDPOINTS)
def test_a_reviewer_has_no_metrics_role(session_api: SessionApi, reviewer_rita: User,
                                        path: str, sudan_slug: str) -> None:
    assert_error(session_api(reviewer_rita).get(_url(path, sudan_slug), WEEK), 403, "forbidden", None)


@pytest.mark.parametrize("persona", ["pm_pablo", "lead_lena", "auditor_aziz", "policy_paula", "admin_ada"])
@pytest.mark.parametrize("path", STAFF_ENDPOINTS)
def test_staff_with_metrics_view_read_the_figures(session_api: SessionApi, request: pytest.FixtureRequest,
                                                  persona: str, path: str) -> None:
    response = session_api(request.getfixturevalue(persona)).get(path, WEEK)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("persona", ["lead_lena", "auditor_aziz", "policy_paula"])
@pytest.mark.parametrize("path", PM_ENDPOINTS)
def test_only_programme_managers_read_partner_scorecards(session_api: SessionApi, request: pytest.FixtureRequest,
                                                         persona: str, path: str, sudan_slug: str) -> None:
    assert_error(session_api(request.getfixturevalue(persona)).get(_url(path, sudan_slug), WEEK), 403,
                 "forbidden", None)


@pytest.mark.parametrize("path", PM_ENDPOINTS)
def test_programme_managers_read_partner_scorecards(session_api: SessionApi, pm_pablo: User, path: str,
                                                    sudan_slug: str) -> None:
    assert session_api(pm_pablo).get(_url(path, sudan_slug), WEEK).status_code == 200


def test_staff_have_no_own_scorecard(session_api: SessionApi, pm_pablo: User) -> None:
    assert_error(session_api(pm_pablo).get("/metrics/own-scorecard", WEEK), 403, "forbidden", None)


def test_an_unknown_partner_scorecard_is_404(session_api: SessionApi, pm_pablo: User) -> None:
    assert_error(session_api(pm_pablo).get("/metrics/scorecards/nobody", WEEK), 404, "not_found", None)


# --- Figures through the API ------------------------------------------------------------------


def test_the_table_by_partner(programme: Programme, session_api: SessionApi, pm_pablo: User,
                              sudan_partner: Organisation) -> None:
    body = session_api(pm_pablo).get("/metrics/table", {**WEEK, "group_by": "partner"}).json()
    assert body["period"]["label"] == "2026-W10"
    assert body["previous_period"]["label"] == "2026-W09"
    assert body["facts_as_of"] is not None
    total, *rows = body["rows"]
    assert total["key"] is None and total["current"]["resolved_within_5d_pct"] == 75.0
    assert total["change"]["resolved_within_5d_pct"] == 75.0
    sudan = next(r for r in rows if r["key"] == sudan_partner.slug)
    assert sudan["current"]["items_received"] == 3


def test_the_table_as_csv(programme: Programme, session_api: SessionApi, pm_pablo: User) -> None:
    response = session_api(pm_pablo).get("/metrics/table.csv", {**WEEK, "group_by": "country"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["key"], r["items_received"]) for r in rows] == [("", "4"), ("PK", "1"), ("SD", "3")]
    assert rows[0]["resolved_within_5d_pct"] == "75.0"
    assert rows[0]["change_resolved_within_5d_pct"] == "75.0"
    assert rows[0]["outcome_not_violating"] == "2"


def test_the_partner_sees_only_its_own_scorecard(programme: Programme, sudan_api: ApiClient,
                                                 pakistan_api: ApiClient) -> None:
    sudan = sudan_api.get("/metrics/own-scorecard", WEEK).json()
    assert sudan["summary"]["current"]["items_received"] == 3
    assert sudan["summary"]["current"]["contests_received"] == 1
    # Asking for another partner's slice changes nothing: the scorecard is always one's own.
    again = sudan_api.get("/metrics/own-scorecard", {**WEEK, "partner": "pakistan"}).json()
    assert again["summary"]["current"]["items_received"] == 3
    pakistan = pakistan_api.get("/metrics/own-scorecard", WEEK).json()
    assert pakistan["summary"]["current"]["items_received"] == 1
    assert pakistan["summary"]["current"]["contests_received"] == 0
    categories = {c["category"]: c for c in sudan["by_category"]}
    # A violating (first decision), B not violating, D violating at first: 2 of 3 settled items violating.
    assert categories["incitement_violence"]["decided"] == 3
    assert categories["incitement_violence"]["precision_pct"] == 66.7


def test_the_programme_manager_scorecard(programme: Programme, session_api: SessionApi, pm_pablo: User,
                                         sudan_partner: Organisation, pakistan_partner: Organisation) -> None:
    body = session_api(pm_pablo).get(f"/metrics/scorecards/{sudan_partner.slug}", WEEK).json()
    assert body["organisation_name"] == sudan_partner.name
    assert body["summary"]["current"]["turnaround_p50_hours"] == 10.0
    assert body["summary"]["previous"]["items_received"] == 1
    listing = session_api(pm_pablo).get("/metrics/scorecards", WEEK).json()
    assert {r["key"] for r in listing["rows"][1:]} == {sudan_partner.slug, pakistan_partner.slug}


def test_the_series_and_backlog(programme: Programme, session_api: SessionApi, lead_lena: User) -> None:
    client = session_api(lead_lena)
    points = client.get("/metrics/series", {**WEEK, "bucket": "day"}).json()["points"]
    assert [(p["start"], p["items_received"]) for p in points] == [
        ("2026-03-02", 2), ("2026-03-03", 1), ("2026-03-05", 1)]
    assert points[0]["resolved_within_5d_pct"] == 100.0 and points[1]["resolved_within_5d_pct"] == 0.0
    backlog = client.get("/metrics/backlog", {"dimension": "country"}).json()["rows"]
    # Now (04-02 12:00) C and F are undecided, both reported in Pakistan.
    assert [(r["key"], r["items"], r["overdue_items"]) for r in backlog] == [("PK", 2, 1)]
    by_crisis = client.get("/metrics/backlog", {"dimension": "crisis"}).json()["rows"]
    assert [(r["key"], r["items"]) for r in by_crisis] == [("false", 2)]


# --- Bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "field"), [
    ({"period": "fortnight"}, "period"),
    ({"period": "month", "tz": "Mars/Olympus"}, "tz"),
    ({"period": "custom", "to": "2026-03-01"}, "from"),
    ({"period": "custom", "from": "2026-03-05", "to": "2026-03-01"}, "to"),
    ({"period": "month", "group_by": "colour"}, "group_by"),
    ({"period": "month", "partner": "nobody"}, "partner"),
])
def test_bad_parameters_name_the_field(session_api: SessionApi, pm_pablo: User,
                                       params: dict[str, str], field: str) -> None:
    assert_error(session_api(pm_pablo).get("/metrics/table", params), 422, "invalid", field)


def test_a_custom_period_compares_with_the_same_number_of_days_before(
    programme: Programme, session_api: SessionApi, pm_pablo: User,
) -> None:
    body = session_api(pm_pablo).get("/metrics/table", {"period": "custom", "from": "2026-03-02",
                                                         "to": "2026-03-04"}).json()
    assert body["previous_period"]["first_day"] == "2026-02-27"
    assert body["previous_period"]["last_day"] == "2026-03-01"
    assert body["rows"][0]["current"]["items_received"] == 3  # A, B, C
    assert body["rows"][0]["previous"]["items_received"] == 0
