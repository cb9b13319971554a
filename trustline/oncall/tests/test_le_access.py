"""Who sees and answers a law-enforcement request's emergency: the API matrix, the board pages, the request page.

Escalation leads (and administrators) see it on the board with the minimal
facts; the people it paged see it too; other staff with the board (auditors,
reviewers it did not page) get 404 as for something that does not exist;
staff without the board (liaisons) get 403; partners 404; anonymous 401. The
request itself stays with liaisons, legal reviewers and administrators.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.conftest import ApiClient, assert_error
from trustline.core import clock
from trustline.lawenforcement.models import Agency, InboundRequest
from trustline.oncall.models import Emergency, EscalationChain
from trustline.oncall.tests.conftest import T0
from trustline.oncall.tests.le_fixtures import AGENCY, REFERENCE, SECRETS, receive

SessionApi = Callable[[User], ApiClient]


@dataclass(frozen=True)
class Op:
    method: str
    path: str
    body: dict[str, Any] | None
    expect: dict[str, int | tuple[int, str]]  # persona -> status, or (status, error code)


ANYONE_WITHOUT_IT: dict[str, int | tuple[int, str]] = {
    "anonymous": 401, "partner": (404, "not_found"), "lars": (403, "forbidden"),
}
OPS = [
    Op("GET", "/oncall/emergencies/{id}", None,
       {**ANYONE_WITHOUT_IT, "aziz": (404, "not_found"), "ravi": (404, "not_found"), "lena": 200}),
    Op("POST", "/oncall/emergencies/{id}/acknowledge", {},
       {**ANYONE_WITHOUT_IT, "aziz": (404, "not_found"), "ravi": (404, "not_found"), "lena": 200}),
    Op("POST", "/oncall/emergencies/{id}/resolve", {"note": "the agency found her"},
       {**ANYONE_WITHOUT_IT, "aziz": (403, "forbidden"), "ravi": (404, "not_found"), "lena": 200}),
    Op("POST", "/oncall/emergencies/{id}/hand-over", {"to": "ada"},
       {**ANYONE_WITHOUT_IT, "aziz": (404, "not_found"), "ravi": (404, "not_found"), "lena": 200}),
    Op("POST", "/oncall/emergencies/{id}/downgrade", {"reason": "not imminent"},
       {**ANYONE_WITHOUT_IT, "aziz": (403, "forbidden"), "ravi": (403, "forbidden"),
        "lena": (409, "emergency_not_downgradable")}),
]


@pytest.fixture
def le_emergency(chain: EscalationChain, liaison_lars: User, police: Agency, reviewer_rita: User,
                 reviewer_ravi: User, lead_lena: User, auditor_aziz: User, admin_ada: User) -> Emergency:
    """An emergency request received at T0: its first page went to rita (primary on call), nobody else yet."""
    return Emergency.objects.get(le_request=receive(liaison_lars, police, at=T0))


@pytest.fixture
def clients(api: ApiClient, sudan_api: ApiClient, session_api: SessionApi, liaison_lars: User,
            auditor_aziz: User, reviewer_ravi: User, reviewer_rita: User, lead_lena: User,
            legal_leila: User) -> dict[str, ApiClient]:
    return {"anonymous": api, "partner": sudan_api, "lars": session_api(liaison_lars),
            "aziz": session_api(auditor_aziz), "ravi": session_api(reviewer_ravi), "rita": session_api(reviewer_rita),
            "lena": session_api(lead_lena), "leila": session_api(legal_leila)}


def _call(client: ApiClient, op: Op, emergency: Emergency) -> Any:
    path = op.path.format(id=emergency.pk)
    return client.get(path) if op.method == "GET" else client.post(path, op.body)


@pytest.mark.parametrize("op", OPS, ids=lambda op: f"{op.method} {op.path}")
def test_authorisation_matrix(op: Op, le_emergency: Emergency, clients: dict[str, ApiClient]) -> None:
    with clock.frozen_at(T0 + dt.timedelta(minutes=1)):
        for persona, expected in op.expect.items():  # the allowed persona comes last: its call changes state
            response = _call(clients[persona], op, le_emergency)
            if isinstance(expected, tuple):
                assert_error(response, *expected)
            else:
                assert response.status_code == expected, (persona, response.content)
    if op.expect["lena"] == 200:
        body = response.json()
        assert body["kind"] == "law_enforcement_request" and body["case_id"] is None
        assert not [s for s in SECRETS if s in response.content.decode()]


def test_the_board_lists_it_for_leads_with_the_minimal_facts_and_hides_it_from_other_staff(
    le_emergency: Emergency, clients: dict[str, ApiClient], open_imminent: Callable[..., Case],
) -> None:
    case_emergency = Emergency.objects.get(case=open_imminent(at=T0 + dt.timedelta(minutes=1)))
    request = InboundRequest.objects.get(oncall_emergency=le_emergency)
    board = clients["lena"].get("/oncall/emergencies")
    assert [e["id"] for e in board.json()] == [str(le_emergency.pk), str(case_emergency.pk)]
    row = board.json()[0]
    assert (row["kind"], row["case_id"], row["category"], row["country"]) == ("law_enforcement_request", None, "",
                                                                              "SD")
    brief = dict(row["le_request"])
    assert brief.pop("url").endswith(f"/law-enforcement/requests/{request.pk}")
    assert brief == {
        "id": str(request.pk), "agency": AGENCY, "reference": REFERENCE, "request_type": "emergency_disclosure",
        "request_type_label": request.get_request_type_display(), "country": "SD", "due_at": "2026-01-05T14:00:00Z",
    }
    assert not [s for s in SECRETS if s in board.content.decode()]
    # Auditors and reviewers it did not page see the case emergency only; partners and liaisons not the board.
    for persona in ("aziz", "ravi"):
        assert [e["id"] for e in clients[persona].get("/oncall/emergencies").json()] == [str(case_emergency.pk)]
    assert_error(clients["partner"].get("/oncall/emergencies"), 404, "not_found")
    assert_error(clients["lars"].get("/oncall/emergencies"), 403, "forbidden")


def test_the_board_list_costs_the_same_queries_for_one_or_many(
    le_emergency: Emergency, clients: dict[str, ApiClient], liaison_lars: User, police: Agency,
    open_imminent: Callable[..., Case], django_assert_num_queries: Any,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    open_imminent(at=T0)
    lena = clients["lena"]
    lena.get("/oncall/emergencies")  # warm the session
    with CaptureQueriesContext(connection) as two:
        assert len(lena.get("/oncall/emergencies").json()) == 2
    queries = len(two.captured_queries)  # read now: the next request resets the connection's query log
    for minute in range(1, 4):
        receive(liaison_lars, police, at=T0 + dt.timedelta(minutes=minute))
        open_imminent(at=T0 + dt.timedelta(minutes=minute))
    with django_assert_num_queries(queries):
        assert len(lena.get("/oncall/emergencies").json()) == 8


def test_the_people_it_paged_see_it_and_may_take_it(le_emergency: Emergency, clients: dict[str, ApiClient]) -> None:
    rita = clients["rita"]
    assert [e["id"] for e in rita.get("/oncall/emergencies").json()] == [str(le_emergency.pk)]
    with clock.frozen_at(T0 + dt.timedelta(minutes=2)):
        taken = rita.post(f"/oncall/emergencies/{le_emergency.pk}/acknowledge")
    assert taken.status_code == 200, taken.content
    assert taken.json()["state"] == "acknowledged" and taken.json()["owner"] == "rita"
    # Handing it to someone who may not see law-enforcement emergencies is refused.
    assert_error(rita.post(f"/oncall/emergencies/{le_emergency.pk}/hand-over", {"to": "ravi"}), 422, "invalid", "to")
    handed = rita.post(f"/oncall/emergencies/{le_emergency.pk}/hand-over", {"to": "lena"})
    assert handed.status_code == 200 and handed.json()["owner"] == "lena"


def test_the_request_itself_stays_with_liaisons_legal_reviewers_and_administrators(
    le_emergency: Emergency, clients: dict[str, ApiClient], session_api: SessionApi, admin_ada: User,
) -> None:
    path = f"/law-enforcement/requests/{le_emergency.le_request_id}"
    assert_error(clients["lena"].get(path), 403, "forbidden")  # on the board, yet not in the request
    assert_error(clients["rita"].get(path), 403, "forbidden")
    assert_error(clients["partner"].get(path), 404, "not_found")
    for persona in ("lars", "leila"):
        assert clients[persona].get(path).json()["paging"]["state"] == "open"
    with clock.frozen_at(T0 + dt.timedelta(minutes=2)):
        clients["lena"].post(f"/oncall/emergencies/{le_emergency.pk}/acknowledge")
    paging = session_api(admin_ada).get(path).json()["paging"]
    assert (paging["state"], paging["owner"], paging["chain"]) == ("acknowledged", "lena", "Imminent harm")


def test_the_pages_show_it_to_leads_and_nobody_else(
    le_emergency: Emergency, staff_client: Callable[[User], Client], lead_lena: User, auditor_aziz: User,
    analyst_amal: User, liaison_lars: User,
) -> None:
    detail = f"/emergency/{le_emergency.pk}"
    lena = staff_client(lead_lena)
    board = lena.get("/emergency/").content.decode()
    assert AGENCY in board and "Law enforcement" in board
    page = lena.get(detail)
    assert page.status_code == 200
    html = page.content.decode()
    assert REFERENCE in html and f"/law-enforcement/requests/{le_emergency.le_request_id}" in html
    assert f"{detail}/downgrade" not in html  # downgrading does not apply to a request
    assert not [s for s in SECRETS if s in html]
    aziz = staff_client(auditor_aziz)
    assert AGENCY not in aziz.get("/emergency/").content.decode()
    assert aziz.get(detail).status_code == 404
    assert staff_client(analyst_amal).get(detail).status_code == 404
    assert staff_client(liaison_lars).get(detail).status_code == 403
    anonymous = Client().get(detail)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    request_page = staff_client(liaison_lars).get(f"/law-enforcement/requests/{le_emergency.le_request_id}")
    assert "Paging the on-call people" in request_page.content.decode()
    # The board's button acknowledges it as for a case: paging stops.
    with clock.frozen_at(T0 + dt.timedelta(minutes=2)):
        assert lena.post(f"{detail}/acknowledge").status_code == 302
    le_emergency.refresh_from_db()
    assert (le_emergency.state, le_emergency.owner, le_emergency.acknowledged_via) == ("acknowledged", lead_lena, "ui")
    assert not le_emergency.steps.filter(fired_at__isnull=True, cancelled_at__isnull=True).exists()
