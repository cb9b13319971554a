"""The protection API: every endpoint's authorisation matrix, partners' view, and the staff registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.models import User
from trustline.conftest import ApiClient, assert_error
from trustline.protection.models import Nomination
from trustline.protection.tests.conftest import AMNA, Decide, Nominate

pytestmark = pytest.mark.django_db

SessionApi = Callable[[User], ApiClient]
BODY = {"platform": "kite", "account_url": "https://kite.example/@witness.w", "category": "witness",
        "justification": "Filmed the Zamzam camp attack; doxxed since."}


@pytest.fixture
def approved(analyst_amal: User, pm_pablo: User, nominate: Nominate, decide: Decide, at_t0: dt.datetime
             ) -> Nomination:
    return decide(pm_pablo, nominate(analyst_amal), reason="Verified with the Khartoum desk.")


def test_partners_nominate_and_follow_their_own(
    sudan_api: ApiClient, session_api: SessionApi, analyst_bilal: User, analyst_amal: User, at_t0: dt.datetime,
):
    created = sudan_api.post("/protection/nominations", BODY)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["organisation"], body["decided_by"], body["protected_account"]) == (
        "pending", "sudan-digital-rights-monitor", None, None)
    assert body["account_url"] == "https://kite.example/@witness.w" and body["handle"] == "witness.w"

    amal = session_api(analyst_amal)
    assert [n["id"] for n in amal.get("/protection/nominations").json()["items"]] == [body["id"]]
    assert amal.get(f"/protection/nominations/{body['id']}").status_code == 200
    bilal = session_api(analyst_bilal)
    assert bilal.get("/protection/nominations").json()["count"] == 0  # the other organisation sees nothing
    assert_error(bilal.get(f"/protection/nominations/{body['id']}"), 404, "not_found")

    assert_error(sudan_api.post("/protection/nominations", dict(BODY, surprise=True)), 422, "invalid")
    assert_error(sudan_api.post("/protection/nominations", dict(BODY, account_url="javascript:alert(1)")),
                 422, "invalid", "account_url")
    assert_error(sudan_api.post("/protection/nominations", BODY), 409, "nomination_pending")


def test_nominations_matrix(
    approved: Nomination, api: ApiClient, session_api: SessionApi, analyst_amal: User, analyst_bilal: User,
    reviewer_rita: User, auditor_aziz: User, pm_pablo: User, lead_lena: User,
):
    one = f"/protection/nominations/{approved.pk}"
    renew = f"{one}/renew"
    for path in ("/protection/nominations", one):
        assert_error(api.get(path), 401, "unauthenticated")
    assert_error(api.post("/protection/nominations", BODY), 401, "unauthenticated")
    assert_error(api.post(renew, {"justification": "x"}), 401, "unauthenticated")
    for stranger in (reviewer_rita, auditor_aziz):  # staff without the registry role: nothing exists
        client = session_api(stranger)
        assert_error(client.get("/protection/nominations"), 404, "not_found")
        assert_error(client.get(one), 404, "not_found")
        assert_error(client.post("/protection/nominations", BODY), 404, "not_found")
        assert_error(client.post(renew, {"justification": "x"}), 404, "not_found")
    bilal = session_api(analyst_bilal)  # the other organisation
    assert_error(bilal.get(one), 404, "not_found")
    assert_error(bilal.post(renew, {"justification": "x"}), 404, "not_found")
    pablo = session_api(pm_pablo)  # registry staff read every nomination, but do not nominate
    assert pablo.get(one).json()["decided_by"] == "pablo"
    assert pablo.get("/protection/nominations").json()["count"] == 1
    assert_error(pablo.post("/protection/nominations", BODY), 403, "forbidden")
    assert_error(pablo.post(renew, {"justification": "x"}), 403, "forbidden")
    assert session_api(lead_lena).get(one).status_code == 200
    amal = session_api(analyst_amal)
    partner_view = amal.get(one).json()
    assert (partner_view["decided_by"], partner_view["protected_account"]) == (None, None)
    assert partner_view["reason"] == "Verified with the Khartoum desk."
    renewal = amal.post(renew, {"justification": "Threats continue."})
    assert renewal.status_code == 201, renewal.content
    assert (renewal.json()["kind"], renewal.json()["renews"]) == ("renewal", str(approved.pk))


def test_decide_matrix(
    analyst_amal: User, nominate: Nominate, api: ApiClient, session_api: SessionApi, analyst_bilal: User,
    reviewer_rita: User, auditor_aziz: User, pm_pablo: User, lead_lena: User, at_t0: dt.datetime,
):
    first = nominate(analyst_amal)
    second = nominate(analyst_amal, account_url="https://kite.example/@candidate.c", category="election_candidate")
    body = {"approve": True, "reason": "Checked."}
    path = f"/protection/nominations/{first.pk}/decide"
    assert_error(api.post(path, body), 401, "unauthenticated")
    for person in (analyst_amal, analyst_bilal, reviewer_rita, auditor_aziz):
        assert_error(session_api(person).post(path, body), 404, "not_found")
    assert_error(session_api(pm_pablo).post(path, {"approve": True, "reason": ""}), 422, "invalid", "reason")
    approved = session_api(pm_pablo).post(path, dict(body, days=30))
    assert approved.status_code == 200, approved.content
    assert approved.json()["protected_until"].startswith("2026-06-03")
    assert_error(session_api(pm_pablo).post(path, body), 409, "already_decided")
    rejected = session_api(lead_lena).post(f"/protection/nominations/{second.pk}/decide",
                                           {"approve": False, "reason": "Not a candidate."})
    assert rejected.json()["status"] == "rejected"


def test_registry_matrix(
    approved: Nomination, api: ApiClient, sudan_api: ApiClient, session_api: SessionApi, analyst_amal: User,
    analyst_bilal: User, reviewer_rita: User, auditor_aziz: User, pm_pablo: User, lead_lena: User,
    admin_ada: User,
):
    entry = approved.protected_account_id
    paths = ["/protection/registry", f"/protection/registry/{entry}"]
    for path in paths:
        assert_error(api.get(path), 401, "unauthenticated")
        assert_error(sudan_api.get(path), 404, "not_found")  # even the nominating partner
        for person in (analyst_amal, analyst_bilal, reviewer_rita, auditor_aziz):
            assert_error(session_api(person).get(path), 404, "not_found")
        for person in (pm_pablo, lead_lena, admin_ada):
            assert session_api(person).get(path).status_code == 200
    listed = session_api(pm_pablo).get("/protection/registry", {"q": "amna"}).json()
    assert [(a["account_url"], a["status"], a["category"]) for a in listed["items"]] == [
        (AMNA.replace("www.", ""), "active", "journalist")]
    assert session_api(pm_pablo).get("/protection/registry", {"status": "expired"}).json()["count"] == 0
    assert_error(session_api(pm_pablo).get("/protection/registry/nope"), 404, "not_found")


def test_list_queries_do_not_grow_with_rows(
    analyst_amal: User, pm_pablo: User, nominate: Nominate, decide: Decide, session_api: SessionApi,
    django_assert_max_num_queries: Any, at_t0: dt.datetime,
):
    for n in range(5):
        decide(pm_pablo, nominate(analyst_amal, account_url=f"https://kite.example/@hrd.{n}"))
    client = session_api(pm_pablo)
    with django_assert_max_num_queries(8):
        assert client.get("/protection/nominations").json()["count"] == 5
    with django_assert_max_num_queries(8):
        assert client.get("/protection/registry").json()["count"] == 5
