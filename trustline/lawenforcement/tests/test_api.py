"""The API: the authorisation matrix of every endpoint, and the request workflow end to end."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of, assert_error
from trustline.lawenforcement.api import router
from trustline.lawenforcement.holds import hold_create
from trustline.lawenforcement.inbound import request_receive
from trustline.lawenforcement.models import Agency
from trustline.lawenforcement.referrals import referral_create
from trustline.lawenforcement.tests.test_inbound import request_data

LE = "/law-enforcement"
SessionApi = Callable[[User], ApiClient]


def call(client: ApiClient, method: str, path: str, body: Any = None) -> Any:
    if method == "GET":
        return client.get(path)
    if method == "PUT":
        return client.client.put(f"/api/v1{path}", data=json.dumps(body or {}), content_type="application/json",
                                  headers=client._headers(None))
    return client.post(path, body or {})


@pytest.fixture
def world(liaison_lucas: User, sudan_police: Agency, threat_case: Case) -> dict[str, str]:
    actor = actor_of(liaison_lucas)
    request = request_receive(actor=actor, data=request_data(sudan_police))
    hold = hold_create(actor=actor, subject_kind="case", subject_value=str(threat_case.pk), note="counsel")
    referral = referral_create(actor=actor, case_id=threat_case.pk, agency_id=sudan_police.pk, facts="facts",
                               fields=[{"name": "category", "justification": "kind of harm"}])
    return {"agency": str(sudan_police.pk), "contact": str(sudan_police.contacts.first().pk),  # type: ignore[union-attr]
            "request": str(request.pk), "hold": str(hold.pk), "referral": str(referral.pk),
            "case": str(threat_case.pk), "ncmec": "00000000-0000-0000-0000-000000000000"}


# (method, path, body, who may: "liaison" or "legal")
MATRIX: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("GET", "/agencies", None, "legal"),
    ("POST", "/agencies", {"name": "Paris Brigade", "country": "FR", "topics": ["general"]}, "liaison"),
    ("GET", "/agencies/{agency}", None, "legal"),
    ("PUT", "/agencies/{agency}", {"name": "KSP", "country": "SD", "topics": ["general"]}, "liaison"),
    ("POST", "/agencies/{agency}/status", {"status": "complete"}, "liaison"),
    ("POST", "/agencies/{agency}/contacts", {"name": "Desk", "phone": "+249 3"}, "liaison"),
    ("PUT", "/contacts/{contact}", {"name": "Duty desk", "phone": "+249 100 000 001"}, "liaison"),
    ("POST", "/contacts/{contact}/verify", {}, "liaison"),
    ("GET", "/contacts/stale", None, "legal"),
    ("GET", "/suggestions?case_id={case}", None, "legal"),
    ("GET", "/requests", None, "legal"),
    ("POST", "/requests", {"request_type": "subpoena", "agency_name": "KSP", "country": "SD", "officer_name": "A",
                           "officer_email": "a@police.gov.sd", "legal_basis": "x",
                           "identifiers": [{"kind": "account", "value": "u1"}], "data_types": ["basic_subscriber"]},
     "liaison"),
    ("GET", "/requests/{request}", None, "legal"),
    ("POST", "/requests/{request}/agency", {"agency_id": "{agency}"}, "liaison"),
    ("POST", "/requests/{request}/callback", {"contact_id": "{contact}", "confirmed": True}, "liaison"),
    ("POST", "/requests/{request}/verify", {}, "liaison"),
    ("POST", "/requests/{request}/review", {"decision": "clarify", "reasons": ["insufficient_detail"]}, "legal"),
    ("POST", "/requests/{request}/disclosures", {"data_types": ["basic_subscriber"], "recipient": "x",
                                                 "channel": "email"}, "liaison"),
    ("POST", "/requests/{request}/close", {"outcome": "no_data", "note": "nothing found"}, "legal"),
    ("GET", "/disclosures", None, "legal"),
    ("GET", "/holds", None, "legal"),
    ("POST", "/holds", {"subject_kind": "account", "subject_value": "u1", "note": "counsel"}, "legal"),
    ("POST", "/holds/{hold}/extend", {}, "legal"),
    ("POST", "/holds/{hold}/release", {"reason": "withdrawn"}, "legal"),
    ("GET", "/referrals/fields", None, "legal"),
    ("GET", "/referrals", None, "legal"),
    ("POST", "/referrals", {"case_id": "{case}", "agency_id": "{agency}", "facts": "f",
                            "fields": [{"name": "country", "justification": "j"}]}, "liaison"),
    ("GET", "/referrals/{referral}", None, "legal"),
    ("POST", "/referrals/{referral}/approve", {}, "legal"),
    ("POST", "/referrals/{referral}/send", {"channel": "phone", "sent_to": "+249 1"}, "liaison"),
    ("POST", "/referrals/{referral}/acknowledge", {"acknowledgement": "ok"}, "liaison"),
    ("POST", "/referrals/{referral}/cancel", {"reason": "mistake"}, "liaison"),
    ("GET", "/ncmec-reports", None, "liaison"),
    ("POST", "/ncmec-reports", {"case_id": "{case}"}, "liaison"),
    ("GET", "/ncmec-reports/{ncmec}", None, "liaison"),
    ("GET", "/ncmec-reports/{ncmec}/xml", None, "liaison"),
    ("POST", "/ncmec-reports/{ncmec}/submit", {}, "liaison"),
    ("POST", "/ncmec-reports/{ncmec}/retract", {}, "liaison"),
    ("GET", "/figures?date_from=2026-01-01&date_to=2026-12-31", None, "legal"),
]


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def test_the_matrix_lists_every_endpoint() -> None:
    routes = {(m, "/" + p.lstrip("/")) for p, ops in router.path_operations.items() for op in ops.operations
              for m in op.methods}
    listed = {(m, p.split("?")[0].replace("{agency}", "{agency_id}").replace("{contact}", "{contact_id}")
               .replace("{request}", "{request_id}").replace("{hold}", "{hold_id}")
               .replace("{referral}", "{referral_id}").replace("{ncmec}", "{report_id}")) for m, p, _, _ in MATRIX}
    assert routes - {("GET", "/public/directory")} == listed


@pytest.mark.parametrize(("method", "path", "body", "who"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_authorisation_matrix(
    method: str, path: str, body: dict[str, Any] | None, who: str, world: dict[str, str], api: ApiClient,
    sudan_api: ApiClient, analyst_amal: User, reviewer_rita: User, auditor_aziz: User, legal_leila: User,
    liaison_lina: User, session_api: SessionApi,
) -> None:
    url, payload = LE + _fill(path, world), _fill(body, world)
    assert_error(call(api, method, url, payload), 401, "unauthenticated")
    assert_error(call(sudan_api, method, url, payload), 404, "not_found")
    assert_error(call(session_api(analyst_amal), method, url, payload), 404, "not_found")
    assert_error(call(session_api(reviewer_rita), method, url, payload), 403, "forbidden")
    assert_error(call(session_api(auditor_aziz), method, url, payload), 403, "forbidden")
    if who == "liaison":
        # legal reviewers read but do not handle: the liaison-only writes refuse them
        if method != "GET" or "ncmec" in path:
            assert_error(call(session_api(legal_leila), method, url, payload), 403, "forbidden")
        allowed = session_api(liaison_lina)
    else:
        allowed = session_api(legal_leila)
    response = call(allowed, method, url, payload)
    # Past the gate: the operation ran (a 404 here can only be the sample NCMEC id that does not exist).
    assert response.status_code not in (401, 403, 500), response.content
    if response.status_code == 404:
        assert "{ncmec}" in path


def test_the_public_directory_needs_no_sign_in_and_shows_only_public_fields(
    api: ApiClient, sudan_police: Agency
) -> None:
    response = api.get(LE + "/public/directory", {"country": "SD"})
    assert response.status_code == 200
    body = response.json()
    assert body[0]["agencies"][0]["contacts"] == [{"role": "24/7 operations", "phone": "+249 100 000 001",
                                                   "emergency_line": True}]
    assert "Hassan" not in response.content.decode()


def test_the_request_workflow_through_the_api(
    sudan_police: Agency, liaison_lucas: User, legal_leila: User, session_api: SessionApi
) -> None:
    lucas, leila = session_api(liaison_lucas), session_api(legal_leila)
    created = lucas.post(LE + "/requests", {
        "request_type": "emergency_disclosure", "agency_id": str(sudan_police.pk), "agency_name": "KSP",
        "country": "SD", "officer_name": "Lt. Osman", "officer_email": "osman@police.gov.sd",
        "legal_basis": "18 U.S.C. §2702(b)(8)", "identifiers": [{"kind": "account", "value": "kite-user-4711"}],
        "data_types": ["basic_subscriber", "location"], "emergency_reason": "a hostage", "deadline_hours": 2,
        "date_ranges": [{"from": "2026-01-01", "to": "2026-01-31"}],
    })
    assert created.status_code == 201, created.content
    request = created.json()
    assert request["emergency"] and set(request["verification_missing"]) == {"callback"}
    rid = request["id"]
    leila.post(f"{LE}/requests/{rid}/review", {"decision": "comply", "reasons": ["emergency_good_faith"]})
    refused = lucas.post(f"{LE}/requests/{rid}/disclosures", {"data_types": ["basic_subscriber"],
                                                             "recipient": "osman@police.gov.sd", "channel": "email"})
    assert_error(refused, 409, "request_unverified")
    duty = sudan_police.contacts.get(name="Duty desk")
    lucas.post(f"{LE}/requests/{rid}/callback", {"contact_id": str(duty.pk), "confirmed": True})
    verified = lucas.post(f"{LE}/requests/{rid}/verify", {})
    assert verified.status_code == 200 and verified.json()["verified_at"]
    sent = lucas.post(f"{LE}/requests/{rid}/disclosures", {
        "data_types": ["basic_subscriber"], "fields": ["name"], "recipient": "osman@police.gov.sd",
        "channel": "email", "files": [{"name": "bsi.csv", "sha256": "b" * 64, "size": 10}]})
    assert sent.status_code == 201, sent.content
    assert sent.json()["approved_by"] == "leila"
    log = lucas.get(LE + "/disclosures").json()
    assert log["count"] == 1 and log["items"][0]["files"][0]["sha256"] == "b" * 64


def test_unknown_fields_are_refused(liaison_lucas: User, session_api: SessionApi) -> None:
    response = session_api(liaison_lucas).post(LE + "/agencies", {"name": "X", "country": "SD", "topics": ["general"],
                                                                  "secret": 1})
    assert_error(response, 422, "invalid", "secret")


def test_the_request_list_costs_the_same_queries_for_one_or_many(
    sudan_police: Agency, liaison_lucas: User, legal_leila: User, session_api: SessionApi,
    django_assert_num_queries: Any,
) -> None:
    from trustline.lawenforcement.inbound import request_review

    client = session_api(liaison_lucas)
    first = request_receive(actor=actor_of(liaison_lucas), data=request_data(sudan_police))
    request_review(actor=actor_of(legal_leila), request_id=first.pk, decision="clarify", reasons=["other"])
    client.get(LE + "/requests")  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(LE + "/requests").json()["count"] == 1
    for _ in range(4):
        created = request_receive(actor=actor_of(liaison_lucas), data=request_data(sudan_police))
        request_review(actor=actor_of(legal_leila), request_id=created.pk, decision="clarify", reasons=["other"])
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(LE + "/requests").json()["count"] == 5


def test_unanswered_requests_come_first_then_by_deadline(
    sudan_police: Agency, liaison_lucas: User, legal_leila: User, session_api: SessionApi
) -> None:
    import dataclasses
    import datetime as dt

    from trustline.core.clock import now
    from trustline.lawenforcement.inbound import request_review

    actor = actor_of(liaison_lucas)
    answered = request_receive(actor=actor, data=dataclasses.replace(
        request_data(sudan_police), due_at=now() + dt.timedelta(days=1)))
    request_review(actor=actor_of(legal_leila), request_id=answered.pk, decision="reject", reasons=["invalid"])
    later = request_receive(actor=actor, data=dataclasses.replace(
        request_data(sudan_police), due_at=now() + dt.timedelta(days=9)))
    sooner = request_receive(actor=actor, data=dataclasses.replace(
        request_data(sudan_police), due_at=now() + dt.timedelta(days=3)))
    ids = [r["id"] for r in session_api(liaison_lucas).get(LE + "/requests").json()["items"]]
    assert ids == [str(sooner.pk), str(later.pk), str(answered.pk)]
