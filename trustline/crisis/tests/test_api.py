"""The crisis API: every endpoint's authorisation matrix, validation, and the crisis view's figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.models import User
from trustline.conftest import ApiClient, assert_error
from trustline.core import clock
from trustline.crisis.models import Crisis
from trustline.crisis.tests.conftest import DAY, HOUR, T0, Designate, Submit
from trustline.triage.sla import sla_sweep

pytestmark = pytest.mark.django_db

SessionApi = Callable[[User], ApiClient]
BODY = {"name": "Sudan: El Fasher siege", "countries": ["sd"], "languages": ["ar"], "level": 2,
        "categories": ["incitement_violence"], "notes": "RSF offensive on El Fasher."}


@pytest.fixture
def crisis(designate: Designate, at_t0: dt.datetime) -> Crisis:
    return designate()


def endpoints(crisis_id: str) -> list[tuple[str, str, dict[str, Any] | None, bool]]:
    """(method, path, body, writes) of every crisis endpoint."""
    return [
        ("GET", "/crises", None, False),
        ("POST", "/crises", dict(BODY, name="Another"), True),
        ("GET", f"/crises/{crisis_id}", None, False),
        ("PATCH", f"/crises/{crisis_id}", {"level": 3}, True),
        ("POST", f"/crises/{crisis_id}/end", {"reason": "over"}, True),
        ("GET", f"/crises/{crisis_id}/figures", None, False),
    ]


def call(client: ApiClient, method: str, path: str, body: dict[str, Any] | None) -> Any:
    if method == "GET":
        return client.get(path)
    if method == "PATCH":
        return client.client.patch(f"/api/v1{path}", data=body, content_type="application/json",
                                   headers=client._headers(None))
    return client.post(path, body)


def test_authorisation_matrix(
    crisis: Crisis, api: ApiClient, sudan_api: ApiClient, session_api: SessionApi, analyst_amal: User,
    analyst_bilal: User, liaison_leo: User, reviewer_rita: User, auditor_aziz: User, outsider_charlie: User,
):
    for method, path, body, writes in endpoints(str(crisis.pk)):
        assert_error(call(api, method, path, body), 401, "unauthenticated")
        # Partners (by key or session, either organisation) learn nothing: 404.
        for client in (sudan_api, session_api(analyst_amal), session_api(analyst_bilal)):
            assert_error(call(client, method, path, body), 404, "not_found")
        # Staff whose role does not cover crises: 403.
        assert_error(call(session_api(liaison_leo), method, path, body), 403, "forbidden")
        if writes:  # readers may not write
            for reader in (reviewer_rita, auditor_aziz):
                assert_error(call(session_api(reader), method, path, body), 403, "forbidden")
        else:
            assert call(session_api(reviewer_rita), method, path, body).status_code == 200
    response = call(session_api(outsider_charlie), "GET", "/crises", None)
    assert response.status_code in (401, 403, 404)


def test_a_programme_manager_designates_changes_and_ends(
    pm_pablo: User, session_api: SessionApi, pakistan_partner: Any, at_t0: dt.datetime,
):
    pablo = session_api(pm_pablo)
    created = pablo.post("/crises", dict(BODY, partners=[pakistan_partner.pk]))
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["countries"], body["state"], body["boost"], body["sla_factor"]) == (["SD"], "active", 200, 0.5)
    assert body["tag"] == "crisis:sudan-el-fasher-siege"
    assert body["partners"] == [{"id": pakistan_partner.pk, "slug": pakistan_partner.slug,
                                 "name": pakistan_partner.name}]
    assert body["saved_queue"] is not None and body["designated_by"] == "pablo"

    changed = pablo.client.patch(f"/api/v1/crises/{body['id']}", data={"level": 3, "regions": ["East Africa"]},
                                 content_type="application/json")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["level"], changed.json()["regions"]) == (3, ["East Africa"])

    with clock.frozen_at(at_t0 + DAY):
        ended = pablo.post(f"/crises/{body['id']}/end", {"reason": "Truce"})
        assert ended.status_code == 200
        assert (ended.json()["state"], ended.json()["ended_by"]) == ("ended", "pablo")
        assert_error(pablo.post(f"/crises/{body['id']}/end", {}), 409, "crisis_ended")
        again = pablo.client.patch(f"/api/v1/crises/{body['id']}", data={"level": 1},
                                   content_type="application/json")
        assert_error(again, 409, "crisis_ended")
        listed = pablo.get("/crises", {"state": "ended"}).json()
        assert [c["id"] for c in listed["items"]] == [body["id"]]  # past crises stay listed
        assert pablo.get("/crises", {"state": "active"}).json()["count"] == 0


def test_designation_names_every_bad_field(pm_pablo: User, session_api: SessionApi):
    response = session_api(pm_pablo).post("/crises", {
        "name": "", "countries": ["XX"], "languages": ["not a tag!"], "categories": ["nope"], "partners": [999999],
        "level": 5, "regions": ["Atlantis"],
    })
    body = assert_error(response, 422, "invalid")
    assert {"name", "countries.0", "languages.0", "categories.0", "partners.0", "level", "regions.0"} <= set(
        body["fields"])
    assert_error(session_api(pm_pablo).post("/crises", dict(BODY, surprise=1)), 422, "invalid")
    assert_error(session_api(pm_pablo).post("/crises", dict(BODY, starts_at="2026-05-01T00:00:00Z",
                                                            ends_at="2026-04-01T00:00:00Z")), 422, "invalid", "ends_at")
    assert_error(session_api(pm_pablo).get("/crises/not-a-uuid"), 404, "not_found")


def test_the_crisis_queue_filter_returns_exactly_the_boosted_cases(
    analyst_amal: User, analyst_bilal: User, reviewer_rita: User, submit: Submit, designate: Designate,
    session_api: SessionApi, at_t0: dt.datetime,
):
    from trustline.crisis.tests.conftest import case_of

    designate()
    boosted = {str(case_of(submit(analyst_amal)).pk) for _ in range(3)}
    others = {str(case_of(submit(analyst_bilal, country="PK", language="ur")).pk) for _ in range(2)}

    rita = session_api(reviewer_rita)
    in_crisis = rita.get("/queue", {"crisis": "true"}).json()
    not_in_crisis = rita.get("/queue", {"crisis": "false"}).json()

    assert {c["id"] for c in in_crisis["items"]} == boosted
    assert {c["id"] for c in not_in_crisis["items"]} == others
    assert all(c["priority_components"]["crisis"] > 0 for c in in_crisis["items"])


def test_the_crisis_saved_queue_lists_its_cases(
    analyst_amal: User, pm_pablo: User, reviewer_rita: User, submit: Submit, designate: Designate,
    session_api: SessionApi, at_t0: dt.datetime,
):
    from trustline.crisis.rescore import crisis_sweep
    from trustline.crisis.tests.conftest import case_of

    crisis = designate()
    case = case_of(submit(analyst_amal))  # triaged after the designation: labelled by the sweeper
    crisis_sweep()

    listed = session_api(reviewer_rita).get("/queue", {"saved": crisis.saved_queue_id}).json()
    assert [c["id"] for c in listed["items"]] == [str(case.pk)]
    assert listed["items"][0]["tags"] == [f"crisis:{crisis.slug}"]


def test_the_crisis_view_figures_on_a_small_fixture(
    analyst_amal: User, analyst_bilal: User, reviewer_rita: User, submit: Submit, designate: Designate,
    session_api: SessionApi,
):
    # Baseline week: two Sudanese reports three days before the crisis.
    with clock.frozen_at(T0 - 3 * DAY):
        submit(analyst_amal)
        submit(analyst_amal)
    with clock.frozen_at(T0):
        crisis = designate(level=2)
    with clock.frozen_at(T0 + HOUR):
        submit(analyst_amal)
        submit(analyst_bilal, country="PK", language="ur")  # not covered
    with clock.frozen_at(T0 + 2 * HOUR):
        submit(analyst_amal, category="threat_to_life")
    with clock.frozen_at(T0 + 60 * HOUR):
        submit(analyst_amal)
    # The sweeper runs once, 20 h in: the tier 1 case (decide within 24 h x 0.5) and every acknowledge target
    # due by then are missed; the first incitement case's decide target (72 h x 0.5) is not yet.
    sla_sweep(now=T0 + 20 * HOUR)

    with clock.frozen_at(T0 + 72 * HOUR):
        response = session_api(reviewer_rita).get(f"/crises/{crisis.pk}/figures")
        hourly = session_api(reviewer_rita).get(f"/crises/{crisis.pk}/figures", {"bucket": "hour"}).json()

    assert response.status_code == 200, response.content
    figures = response.json()
    assert figures["weeks_compared"] == 1
    assert figures["period"]["days"] == 3.0 and figures["baseline"]["days"] == 7.0
    volume = figures["volume"]
    assert (volume["crisis_total"], volume["baseline_total"]) == (3, 2)
    assert (volume["crisis_per_day"], volume["baseline_per_day"]) == (1.0, 0.29)
    assert [(p["at"][:10], p["items"]) for p in volume["series"]] == [("2026-04-15", 2), ("2026-04-17", 1)]
    assert [(p["at"][11:16], p["items"]) for p in hourly["volume"]["series"]] == [
        ("10:00", 1), ("11:00", 1), ("21:00", 1)]
    assert figures["backlog_by_tier"] == {"1": 1, "2": 4}
    assert figures["top_categories"]["crisis"] == [{"code": "incitement_violence", "cases": 2},
                                                  {"code": "threat_to_life", "cases": 1}]
    assert figures["top_categories"]["baseline"] == [{"code": "incitement_violence", "cases": 2}]
    assert [(p["slug"], p["items"]) for p in figures["top_partners"]["crisis"]] == [
        (analyst_amal.memberships.get().organisation.slug, 3)]
    sla = figures["sla"]
    assert sla["crisis"] == {"decide_due": 2, "decide_met": 1, "decide_rate": 0.5,
                             "ack_due": 3, "ack_met": 1, "ack_rate": 0.3333}
    assert sla["baseline"] == {"decide_due": 2, "decide_met": 0, "decide_rate": 0.0,
                               "ack_due": 2, "ack_met": 0, "ack_rate": 0.0}


def test_hourly_figures_are_limited_to_a_month(crisis: Crisis, reviewer_rita: User, session_api: SessionApi):
    with clock.frozen_at(T0 + 40 * DAY):
        response = session_api(reviewer_rita).get(f"/crises/{crisis.pk}/figures", {"bucket": "hour"})
    assert_error(response, 422, "invalid", "bucket")


def test_administrators_manage_crises_too(admin_ada: User, session_api: SessionApi, at_t0: dt.datetime):
    ada = session_api(admin_ada)
    created = ada.post("/crises", BODY)
    assert created.status_code == 201, created.content
    assert ada.post(f"/crises/{created.json()['id']}/end", {}).status_code == 200


def test_the_list_query_count_does_not_grow_with_crises(
    designate: Designate, sudan_partner: Any, reviewer_rita: User, session_api: SessionApi,
    django_assert_max_num_queries: Any, at_t0: dt.datetime,
):
    for n in range(6):
        designate(name=f"Crisis {n}", partners=[sudan_partner.pk])
    client = session_api(reviewer_rita)
    with django_assert_max_num_queries(9):
        body = client.get("/crises").json()
    assert body["count"] == 6 and all(c["partners"] for c in body["items"])


def test_an_extra_oncall_schedule_can_be_attached_and_detached(
    pm_pablo: User, session_api: SessionApi, at_t0: dt.datetime,
):
    from trustline.accounts.permissions import SYSTEM
    from trustline.oncall.rota import ScheduleData, schedule_save

    schedule = schedule_save(actor=SYSTEM, data=ScheduleData(name="Sudan crisis desk", time_zone="Africa/Khartoum"))
    pablo = session_api(pm_pablo)
    assert_error(pablo.post("/crises", dict(BODY, oncall_schedule=987654)), 422, "invalid", "oncall_schedule")
    created = pablo.post("/crises", dict(BODY, oncall_schedule=schedule.pk)).json()
    assert created["oncall_schedule"] == schedule.pk

    detached = pablo.client.patch(f"/api/v1/crises/{created['id']}", data={"oncall_schedule": 0},
                                  content_type="application/json")
    assert detached.json()["oncall_schedule"] is None
