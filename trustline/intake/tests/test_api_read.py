"""Reading reports: GET /api/v1/reports/{id}, GET /api/v1/reports (filters, pagination), CSV export.

The access rule everywhere: a partner sees only its own organisation's
reports, and another organisation's report answers exactly like one that does
not exist.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trustline.conftest import ApiClient, assert_error, kite_url
from trustline.core import clock

pytestmark = pytest.mark.django_db

Payload = Callable[..., dict[str, Any]]
SessionApi = Callable[..., ApiClient]


def not_found_body(response: Any) -> dict[str, Any]:
    return assert_error(response, 404, "not_found")


# --------------------------------------------------------------------------------------------
# GET /reports/{id}
# --------------------------------------------------------------------------------------------


def test_a_partner_reads_its_report_with_status_and_timeline(sudan_api: ApiClient, submitted: dict[str, Any]):
    response = sudan_api.get(f"/reports/{submitted['id']}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == submitted["id"]
    assert body["status"] == "received"
    assert body["category"] == "incitement_violence"
    assert body["country"] == "SD"
    assert body["items"] == submitted["items"]
    assert body["evidence"] == []
    assert [event["kind"] for event in body["timeline"]] == ["received"]
    assert body["timeline"][0]["data"] == {"items": 1}


def test_another_organisations_report_is_indistinguishable_from_a_missing_one(
    pakistan_api: ApiClient, submitted: dict[str, Any]
):
    other_org = pakistan_api.get(f"/reports/{submitted['id']}")
    random_uuid = pakistan_api.get(f"/reports/{uuid.uuid4()}")
    not_a_uuid = pakistan_api.get("/reports/not-a-uuid")

    assert other_org.status_code == random_uuid.status_code == not_a_uuid.status_code == 404
    assert other_org.json() == random_uuid.json() == not_a_uuid.json()
    assert other_org.json() == {"message": "Report not found.", "code": "not_found", "fields": {}}


def test_anonymous_cannot_read_a_report(api: ApiClient, submitted: dict[str, Any]):
    body = assert_error(api.get(f"/reports/{submitted['id']}"), 401, "unauthenticated")

    assert "Bearer" in body["message"]


def test_an_outsider_cannot_read_a_report(
    session_api: SessionApi, outsider_charlie: Any, submitted: dict[str, Any]
):
    assert_error(session_api(outsider_charlie).get(f"/reports/{submitted['id']}"), 401, "unauthenticated")


def test_a_partner_analysts_session_reads_its_organisations_reports(
    session_api: SessionApi, analyst_amal: Any, analyst_bilal: Any, submitted: dict[str, Any]
):
    assert session_api(analyst_amal).get(f"/reports/{submitted['id']}").status_code == 200
    not_found_body(session_api(analyst_bilal).get(f"/reports/{submitted['id']}"))


@pytest.mark.parametrize("persona", ["reviewer_rita", "lead_lena", "auditor_aziz", "pm_pablo", "admin_ada"])
def test_staff_read_any_partners_report(
    request: pytest.FixtureRequest, session_api: SessionApi, submitted: dict[str, Any], persona: str
):
    response = session_api(request.getfixturevalue(persona)).get(f"/reports/{submitted['id']}")

    assert response.status_code == 200, response.content
    assert response.json()["id"] == submitted["id"]


# --------------------------------------------------------------------------------------------
# GET /reports
# --------------------------------------------------------------------------------------------


def test_the_list_shows_only_the_partners_own_reports(
    sudan_api: ApiClient, pakistan_api: ApiClient, report_payload: Payload
):
    sudan_ids = {sudan_api.submit(report_payload()).json()["id"] for _ in range(3)}
    pakistan_id = pakistan_api.submit(report_payload(country="PK", language="ur")).json()["id"]

    sudan_list = sudan_api.get("/reports").json()
    pakistan_list = pakistan_api.get("/reports").json()

    assert sudan_list["count"] == 3
    assert {r["id"] for r in sudan_list["items"]} == sudan_ids
    assert pakistan_list["count"] == 1
    assert [r["id"] for r in pakistan_list["items"]] == [pakistan_id]


def test_the_list_is_newest_first_and_paginated(sudan_api: ApiClient, report_payload: Payload):
    start = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)
    ids = []
    for n in range(5):
        with clock.frozen_at(start + dt.timedelta(minutes=n)):
            ids.append(sudan_api.submit(report_payload()).json()["id"])

    first = sudan_api.get("/reports", {"limit": 2}).json()
    second = sudan_api.get("/reports", {"limit": 2, "offset": 2}).json()
    last = sudan_api.get("/reports", {"limit": 2, "offset": 4}).json()

    assert first["count"] == second["count"] == last["count"] == 5
    newest_first = list(reversed(ids))
    assert [r["id"] for r in first["items"]] == newest_first[:2]
    assert [r["id"] for r in second["items"]] == newest_first[2:4]
    assert [r["id"] for r in last["items"]] == newest_first[4:]


def test_the_list_summarises_each_report(sudan_api: ApiClient, submitted: dict[str, Any]):
    (summary,) = sudan_api.get("/reports").json()["items"]

    assert summary == {
        "id": submitted["id"], "status": "received", "channel": "api", "received_at": summary["received_at"],
        "reference": "", "category": "incitement_violence", "country": "SD", "imminent_harm": False,
        "item_count": 1,
    }


def test_the_list_filters(sudan_api: ApiClient, report_payload: Payload):
    march = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    with clock.frozen_at(march):
        old = sudan_api.submit(report_payload(reference="old-one")).json()["id"]
    urgent = sudan_api.submit(report_payload(
        imminent_harm=True, imminent_harm_reason="Attack announced for tonight.", category="threat_to_life",
    )).json()["id"]
    in_chad = sudan_api.submit(report_payload(country="TD")).json()["id"]

    def ids(**params: Any) -> set[str]:
        response = sudan_api.get("/reports", params)
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["items"]}

    assert ids(imminent_harm="true") == {urgent}
    assert ids(imminent_harm="false") == {old, in_chad}
    assert ids(category="threat_to_life") == {urgent}
    assert ids(country="td") == {in_chad}
    assert ids(reference="old-one") == {old}
    assert ids(received_before="2025-03-02T00:00:00Z") == {old}
    assert ids(received_after="2025-03-02T00:00:00Z") == {urgent, in_chad}
    assert ids(status="received") == {old, urgent, in_chad}
    assert ids(status="decided") == set()


def test_the_list_rejects_a_bad_filter_value(sudan_api: ApiClient):
    assert_error(sudan_api.get("/reports", {"status": "vanished"}), 422, "invalid", "status")
    assert_error(sudan_api.get("/reports", {"received_after": "last tuesday"}), 422, "invalid", "received_after")


def test_anonymous_cannot_list(api: ApiClient):
    assert_error(api.get("/reports"), 401, "unauthenticated")


def test_staff_list_every_partners_reports(
    session_api: SessionApi, reviewer_rita: Any, sudan_api: ApiClient, pakistan_api: ApiClient,
    report_payload: Payload,
):
    sudan_api.submit(report_payload())
    pakistan_api.submit(report_payload(country="PK"))

    body = session_api(reviewer_rita).get("/reports").json()

    assert body["count"] == 2


# --------------------------------------------------------------------------------------------
# GET /reports/export.csv
# --------------------------------------------------------------------------------------------


def test_the_export_lists_own_items_only(sudan_api: ApiClient, pakistan_api: ApiClient, report_payload: Payload):
    mine = sudan_api.submit(report_payload(items=[
        {"url": kite_url(), "kind": "post"}, {"platform_id": "grp-7", "kind": "group"},
    ])).json()
    pakistan_api.submit(report_payload(country="PK"))

    response = sudan_api.get("/reports/export.csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["report_id"] for row in rows} == {mine["id"]}
    assert [row["item_id"] for row in rows] == [item["id"] for item in mine["items"]]


def test_anonymous_cannot_export(api: ApiClient):
    assert_error(api.get("/reports/export.csv"), 401, "unauthenticated")


def test_staff_export_every_partners_items(
    session_api: SessionApi, reviewer_rita: Any, sudan_api: ApiClient, pakistan_api: ApiClient,
    report_payload: Payload,
):
    ids = {sudan_api.submit(report_payload()).json()["id"], pakistan_api.submit(report_payload()).json()["id"]}

    response = session_api(reviewer_rita).get("/reports/export.csv")

    assert {row["report_id"] for row in csv.DictReader(io.StringIO(response.content.decode()))} == ids


# --------------------------------------------------------------------------------------------
# Query counts do not grow with the number of reports
# --------------------------------------------------------------------------------------------


def queries_for(client: ApiClient, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, response.content
    return len(captured)


def test_listing_and_exporting_cost_the_same_queries_for_2_or_12_reports(
    sudan_api: ApiClient, report_payload: Payload
):
    two_items = [{"url": kite_url(), "kind": "post"}, {"url": kite_url(), "kind": "post"}]
    for _ in range(2):
        sudan_api.submit(report_payload(items=[dict(i, url=kite_url()) for i in two_items]))
    few = (queries_for(sudan_api, "/reports"), queries_for(sudan_api, "/reports/export.csv"))
    for _ in range(10):
        sudan_api.submit(report_payload(items=[dict(i, url=kite_url()) for i in two_items]))

    many = (queries_for(sudan_api, "/reports"), queries_for(sudan_api, "/reports/export.csv"))

    assert many == few


def test_reading_a_report_costs_the_same_queries_for_1_or_50_items(sudan_api: ApiClient, report_payload: Payload):
    small = sudan_api.submit(report_payload()).json()["id"]
    large = sudan_api.submit(report_payload(items=[{"url": kite_url(), "kind": "post"} for _ in range(50)])).json()[
        "id"
    ]

    assert queries_for(sudan_api, f"/reports/{large}") == queries_for(sudan_api, f"/reports/{small}")
