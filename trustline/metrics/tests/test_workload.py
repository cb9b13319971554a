"""Reviewer workload: reviewing time from reviewers' holds, through the API, the CSV and the page.

The shift of 2 March 2026 (UTC), with Arabic-reading reviewers Rita and Rami:
- 09:00 Rita claims case A (incitement) and decides it at 09:15: 15 minutes, decided;
- 10:00 Rita claims case B (doxxing) and releases it at 10:10: 10 minutes, handed on;
- 10:30 Rami claims case B and decides it at 10:48: 18 minutes, decided;
- 12:00 Rita claims case C (incitement) and walks away: the lease (20 minutes)
  runs out at 12:20: expired, not counted as work.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.conftest import ApiClient, actor_of, assert_error
from trustline.core import clock
from trustline.core.exceptions import ValidationFailed
from trustline.intake.choices import Channel
from trustline.intake.schemas import ReportIn
from trustline.intake.services import report_submit
from trustline.metrics.tests.conftest import REMOVE, utc
from trustline.review.services import decision_record
from trustline.routing.reviewers import reviewer_skills_set
from trustline.routing.services import case_claim_next, case_release, release_expired_leases
from trustline.triage.services import triage_pending

pytestmark = pytest.mark.django_db

DAY = {"period": "custom", "from": "2026-03-02", "to": "2026-03-02"}
SessionApi = Callable[[User], ApiClient]


@pytest.fixture
def shift(analyst_amal: User, reviewer_rita: User, reviewer_rami: User, report_payload: Any) -> None:
    for person in (reviewer_rita, reviewer_rami):
        reviewer_skills_set(actor=SYSTEM, user_id=person.pk, languages=["ar"], countries=["SD"])
    rita, rami = actor_of(reviewer_rita), actor_of(reviewer_rami)

    def report(at: dt.datetime, category: str) -> None:
        with clock.frozen_at(at):
            report_submit(actor=actor_of(analyst_amal), data=ReportIn(**report_payload(category=category)),
                          channel=Channel.API)
            triage_pending()

    def claim(actor: Any, at: dt.datetime) -> Any:
        with clock.frozen_at(at):
            case = case_claim_next(actor=actor)
        assert case is not None
        return case

    report(utc(3, 2, 8), "incitement_violence")
    a = claim(rita, utc(3, 2, 9))
    with clock.frozen_at(utc(3, 2, 9, 15)):
        decision_record(actor=rita, case_id=a.pk, data=REMOVE)
    report(utc(3, 2, 9, 50), "doxxing")
    b = claim(rita, utc(3, 2, 10))
    with clock.frozen_at(utc(3, 2, 10, 10)):
        case_release(actor=rita, case_id=b.pk, reason="Needs someone who knows the Darfur dialect")
    assert claim(rami, utc(3, 2, 10, 30)).pk == b.pk
    with clock.frozen_at(utc(3, 2, 10, 48)):
        decision_record(actor=rami, case_id=b.pk, data=REMOVE)
    report(utc(3, 2, 11, 50), "incitement_violence")
    claim(rita, utc(3, 2, 12))
    assert release_expired_leases(now=utc(3, 2, 12, 30)) == 1


def test_the_day_in_total(shift: None, session_api: SessionApi, pm_pablo: User) -> None:
    body = session_api(pm_pablo).get("/metrics/workload", DAY).json()

    assert body["period"]["label"] == "2026-03-02..2026-03-02"
    [total] = body["rows"]
    assert total["key"] is None
    assert total["figures"] == {
        "holds": 4, "decided_holds": 2, "handed_on_holds": 1, "expired_holds": 1,
        "hours_held": 0.72,  # 15 + 10 + 18 minutes; the expired 20 are apart
        "hours_expired": 0.33, "reviewers": 2,
        "minutes_per_decision": 21.5,  # 43 minutes over 2 decisions, the released hold included
        "decide_p50_minutes": 15.0, "decide_p90_minutes": 18.0,
        "hours_per_week": round(43 / 60 * 7, 2),  # one day of a week
    }


def test_per_category_and_per_reviewer(shift: None, session_api: SessionApi, pm_pablo: User,
                                       reviewer_rita: User) -> None:
    client = session_api(pm_pablo)

    by_category = {r["key"]: r["figures"] for r in client.get("/metrics/workload", {**DAY, "group_by": "category"})
                   .json()["rows"][1:]}
    by_reviewer = {r["label"]: r["figures"] for r in client.get("/metrics/workload", {**DAY, "group_by": "reviewer"})
                   .json()["rows"][1:]}

    assert {k: (f["holds"], f["hours_held"], f["decided_holds"]) for k, f in by_category.items()} == {
        "doxxing": (2, 0.47, 1), "incitement_violence": (2, 0.25, 1)}
    assert {k: (f["holds"], f["minutes_per_decision"], f["expired_holds"]) for k, f in by_reviewer.items()} == {
        "Rita Reviewer": (3, 25.0, 1), "Rami Reviewer": (1, 18.0, 0)}


def test_narrowed_to_one_category_per_reviewer(shift: None, session_api: SessionApi, pm_pablo: User) -> None:
    client = session_api(pm_pablo)

    doxxing = client.get("/metrics/workload", {**DAY, "group_by": "reviewer", "category": "doxxing"}).json()["rows"]
    imminent = client.get("/metrics/workload", {**DAY, "imminent_harm": "true"}).json()["rows"]

    assert {r["label"]: r["figures"]["hours_held"] for r in doxxing[1:]} == {"Rami Reviewer": 0.3,
                                                                            "Rita Reviewer": 0.17}
    assert doxxing[0]["figures"]["holds"] == 2
    assert imminent[0]["figures"]["holds"] == 0  # nobody spent this day on imminent-harm cases


def test_people_are_not_a_filter(db: None) -> None:
    from trustline.metrics.periods import period_for
    from trustline.metrics.workload import workload_table

    day = period_for(kind="custom", tz="UTC", date=None, from_date=dt.date(2026, 3, 2), to_date=dt.date(2026, 3, 2))
    with pytest.raises(ValidationFailed) as raised:
        workload_table(actor=SYSTEM, period=day, filters={"reviewer": 7})
    assert list(raised.value.fields) == ["reviewer"]


def test_holds_ending_outside_the_period_are_not_counted(shift: None, session_api: SessionApi,
                                                        pm_pablo: User) -> None:
    body = session_api(pm_pablo).get("/metrics/workload", {"period": "custom", "from": "2026-03-03",
                                                           "to": "2026-03-03"}).json()

    assert body["rows"][0]["figures"]["holds"] == 0
    assert body["rows"][0]["figures"]["minutes_per_decision"] is None


def test_the_csv_has_one_line_per_slice(shift: None, session_api: SessionApi, pm_pablo: User) -> None:
    response = session_api(pm_pablo).get("/metrics/workload.csv", {**DAY, "group_by": "tier"})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["label"] == "All" and rows[0]["hours_held"] == "0.72"
    assert sum(int(r["holds"]) for r in rows[1:]) == 4


class TestWhoMayRead:
    @pytest.mark.parametrize("path", ["/metrics/workload", "/metrics/workload.csv"])
    def test_anonymous(self, api: ApiClient, path: str) -> None:
        assert_error(api.get(path, DAY), 401, "unauthenticated", None)

    @pytest.mark.parametrize("path", ["/metrics/workload", "/metrics/workload.csv"])
    def test_partners(self, sudan_api: ApiClient, path: str) -> None:
        assert_error(sudan_api.get(path, DAY), 403, "forbidden", None)

    def test_a_reviewer(self, session_api: SessionApi, reviewer_rita: User) -> None:
        assert_error(session_api(reviewer_rita).get("/metrics/workload", DAY), 403, "forbidden", None)

    @pytest.mark.parametrize("persona", ["auditor_aziz", "policy_paula"])
    def test_staff_with_metrics_read_it_but_not_per_person(self, session_api: SessionApi,
                                                           request: pytest.FixtureRequest, persona: str) -> None:
        client = session_api(request.getfixturevalue(persona))

        assert client.get("/metrics/workload", {**DAY, "group_by": "pool"}).status_code == 200
        assert_error(client.get("/metrics/workload", {**DAY, "group_by": "reviewer"}), 403, "forbidden", None)

    @pytest.mark.parametrize("persona", ["lead_lena", "pm_pablo"])
    def test_those_who_manage_reviewers_read_it_per_person(self, session_api: SessionApi,
                                                           request: pytest.FixtureRequest, persona: str) -> None:
        response = session_api(request.getfixturevalue(persona)).get("/metrics/workload",
                                                                     {**DAY, "group_by": "reviewer"})
        assert response.status_code == 200

    def test_an_unknown_slice_is_named(self, session_api: SessionApi, pm_pablo: User) -> None:
        assert_error(session_api(pm_pablo).get("/metrics/workload", {**DAY, "group_by": "mood"}), 422, "invalid",
                     "group_by")


class TestPage:
    def test_the_page_shows_the_table_and_offers_per_reviewer_to_managers(
        self, shift: None, staff_client: Callable[[User], Client], pm_pablo: User
    ) -> None:
        page = staff_client(pm_pablo).get("/metrics/workload/", {**DAY, "group_by": "reviewer"}).content.decode()

        assert "Reviewer workload" in page
        assert "Rita Reviewer" in page and "Rami Reviewer" in page
        assert '<option value="reviewer" selected>' in page
        assert "/api/v1/metrics/workload.csv?" in page

    def test_a_policy_analyst_is_not_offered_per_reviewer(self, staff_client: Callable[[User], Client],
                                                          policy_paula: User) -> None:
        page = staff_client(policy_paula).get("/metrics/workload/", DAY).content.decode()

        assert 'value="pool"' in page and 'value="reviewer"' not in page

    def test_a_partner_is_refused(self, staff_client: Callable[[User], Client], analyst_amal: User) -> None:
        assert staff_client(analyst_amal).get("/metrics/workload/").status_code == 403

    def test_a_bad_period_is_named_on_the_page(self, staff_client: Callable[[User], Client],
                                               pm_pablo: User) -> None:
        page = staff_client(pm_pablo).get("/metrics/workload/", {"period": "fortnight"}).content.decode()

        assert 'role="alert"' in page and "period" in page
