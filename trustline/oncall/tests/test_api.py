"""The API: an authorisation matrix for every endpoint, then what the allowed calls do."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.cases.models import Case
from trustline.conftest import ApiClient, assert_error
from trustline.core import clock
from trustline.oncall.models import Emergency, EscalationChain, ImminentRule, Schedule
from trustline.oncall.rota import (
    ChainData,
    RuleData,
    StepData,
    chain_save,
    contact_create,
    override_create,
    rule_save,
)
from trustline.oncall.tests.conftest import T0

SCHEDULE_BODY = {"name": "Weekend", "time_zone": "Africa/Khartoum", "rotation": "daily",
                 "handoff_time": "08:00:00", "start_date": "2026-01-03", "participants": ["rita", "ravi"]}
CHAIN_BODY = {"name": "Second chain", "repeat_count": 1, "repeat_delay_minutes": 5,
              "steps": [{"target": "user", "user": "lena", "delay_minutes": 0},
                        {"target": "escalation_leads", "delay_minutes": 3}]}
RULE_BODY = {"name": "Threat to kill", "keywords": ["will kill", "سنقتل"], "language": "", "category_code": ""}


@dataclass(frozen=True)
class Op:
    method: str
    path: str
    allowed: str  # username of a persona the operation is for
    wrong: str  # a platform persona whose role may not do it
    body: dict[str, Any] | None = None
    ok: int = 200


OPS = [
    Op("GET", "/oncall/emergencies", "aziz", "lars"),
    Op("GET", "/oncall/emergencies/{emergency}", "aziz", "lars"),
    Op("POST", "/oncall/emergencies/{emergency}/acknowledge", "rita", "aziz"),
    Op("POST", "/oncall/emergencies/{emergency}/resolve", "rita", "aziz", {"note": "removed"}),
    Op("POST", "/oncall/emergencies/{emergency}/hand-over", "rita", "aziz", {"to": "ravi"}),
    Op("POST", "/oncall/emergencies/{emergency}/downgrade", "lena", "rita", {"reason": "old video"}),
    Op("GET", "/oncall/now", "aziz", "lars"),
    Op("GET", "/oncall/health", "aziz", "lars"),
    Op("GET", "/oncall/schedules", "aziz", "lars"),
    Op("POST", "/oncall/schedules", "lena", "rita", SCHEDULE_BODY, ok=201),
    Op("GET", "/oncall/schedules/{schedule}", "aziz", "lars"),
    Op("PUT", "/oncall/schedules/{schedule}", "lena", "rita", {**SCHEDULE_BODY, "name": "Responders"}),
    Op("DELETE", "/oncall/schedules/{schedule}", "lena", "rita", ok=204),
    Op("GET", "/oncall/schedules/{schedule}/overrides", "aziz", "lars"),
    Op("POST", "/oncall/schedules/{schedule}/overrides", "lena", "rita",
       {"user": "sara", "start_at": "2026-01-06T00:00:00Z", "end_at": "2026-01-07T00:00:00Z"}, ok=201),
    Op("DELETE", "/oncall/schedules/{schedule}/overrides/{override}", "lena", "rita", ok=204),
    Op("GET", "/oncall/chains", "aziz", "lars"),
    Op("POST", "/oncall/chains", "lena", "rita", CHAIN_BODY, ok=201),
    Op("GET", "/oncall/chains/{chain}", "aziz", "lars"),
    Op("PUT", "/oncall/chains/{chain}", "lena", "rita", {**CHAIN_BODY, "name": "Imminent harm"}),
    Op("DELETE", "/oncall/chains/{spare_chain}", "lena", "rita", ok=204),
    Op("GET", "/oncall/contacts", "aziz", "lars"),
    Op("POST", "/oncall/contacts", "lena", "rita", {"user": "rita", "kind": "pagerduty", "address": "R0UTINGKEY"},
       ok=201),
    Op("DELETE", "/oncall/contacts/{contact}", "lena", "rita", ok=204),
    Op("GET", "/oncall/rules", "aziz", "lars"),
    Op("POST", "/oncall/rules", "lena", "rita", RULE_BODY, ok=201),
    Op("PUT", "/oncall/rules/{rule}", "lena", "rita", RULE_BODY),
]


def call(client: ApiClient, op: Op, ids: dict[str, Any]) -> Any:
    path = op.path.format(**ids)
    body = json.dumps(op.body) if op.body is not None else ("{}" if op.method in ("POST", "PUT") else "")
    return client.client.generic(op.method, f"/api/v1{path}", data=body, content_type="application/json",
                                 headers=client._headers(None))


@pytest.fixture
def world(open_imminent: Callable[..., Case], rota: Schedule, chain: EscalationChain, reviewer_rita: User,
          reviewer_ravi: User, reviewer_sara: User, lead_lena: User, auditor_aziz: User, liaison_lars: User,
          ) -> dict[str, Any]:
    with clock.frozen_at(T0):
        emergency = Emergency.objects.get(case=open_imminent())
        override = override_create(actor=SYSTEM, schedule_id=rota.pk, username="ravi", start_at=T0,
                                   end_at=T0 + dt.timedelta(hours=2))
        contact = contact_create(actor=SYSTEM, username="rita", kind="sms", address="+249900000000")
        rule = rule_save(actor=SYSTEM, data=RuleData(name="Existing", keywords=["tonight"]))
        # The default chain (which the open emergency also uses) may not be deleted: DELETE takes this one.
        spare = chain_save(actor=SYSTEM, data=ChainData(name="Spare", steps=[StepData(target="escalation_leads")]))
    people = {u.username: u for u in [reviewer_rita, reviewer_ravi, lead_lena, auditor_aziz, liaison_lars]}
    return {"ids": {"emergency": emergency.pk, "schedule": rota.pk, "override": override.pk, "chain": chain.pk,
                    "spare_chain": spare.pk, "contact": contact.pk, "rule": rule.pk}, "people": people}


@pytest.mark.parametrize("op", OPS, ids=lambda op: f"{op.method} {op.path}")
def test_authorisation_matrix(op: Op, world: dict[str, Any], api: ApiClient, sudan_api: ApiClient,
                              session_api: Callable[[User], ApiClient]) -> None:
    ids, people = world["ids"], world["people"]
    with clock.frozen_at(T0 + dt.timedelta(minutes=1)):
        assert call(api, op, ids).status_code == 401  # anonymous
        assert_error(call(sudan_api, op, ids), 404, "not_found")  # a partner: it does not exist for them
        assert_error(call(session_api(people[op.wrong]), op, ids), 403, "forbidden")  # staff, wrong role
        allowed = call(session_api(people[op.allowed]), op, ids)
    assert allowed.status_code == op.ok, allowed.content


def test_the_board_lists_active_emergencies_and_their_steps(world: dict[str, Any],
                                                            session_api: Callable[[User], ApiClient]) -> None:
    client = session_api(world["people"]["aziz"])
    board = client.get("/oncall/emergencies").json()
    assert [e["id"] for e in board] == [str(world["ids"]["emergency"])]
    assert board[0]["state"] == "open" and board[0]["source"] == "partner"
    detail = client.get(f"/oncall/emergencies/{world['ids']['emergency']}").json()
    assert detail["steps"][0]["fired_at"] is not None
    assert len(detail["steps"]) == 8
    assert detail["chain"]["name"] == "Imminent harm"
    with clock.frozen_at(T0 + dt.timedelta(minutes=30)):
        now = client.get("/oncall/now").json()
    assert now[0]["primary"]["username"] == "ravi"  # the override
    assert now[0]["secondary"]["username"] == "rita"


def test_acknowledge_then_resolve_through_the_api(world: dict[str, Any],
                                                  session_api: Callable[[User], ApiClient]) -> None:
    rita = session_api(world["people"]["rita"])
    emergency_id = world["ids"]["emergency"]
    with clock.frozen_at(T0 + dt.timedelta(minutes=1)):
        acked = rita.post(f"/oncall/emergencies/{emergency_id}/acknowledge").json()
        assert_error(rita.post(f"/oncall/emergencies/{emergency_id}/acknowledge"), 409, "emergency_not_open")
    assert acked["state"] == "acknowledged" and acked["owner"] == "rita" and acked["acknowledged_via"] == "api"
    assert sum(1 for s in acked["steps"] if s["cancelled_at"]) == 7
    done = rita.post(f"/oncall/emergencies/{emergency_id}/resolve", {"note": "platform removed the post"}).json()
    assert done["state"] == "resolved"
    assert session_api(world["people"]["aziz"]).get("/oncall/emergencies").json() == []


def test_bad_input_names_the_fields(world: dict[str, Any], session_api: Callable[[User], ApiClient]) -> None:
    lena = session_api(world["people"]["lena"])
    bad = lena.post("/oncall/schedules", {**SCHEDULE_BODY, "name": "Other", "time_zone": "Nowhere/Land",
                                          "participants": ["ghost"]})
    assert_error(bad, 422, "invalid", "time_zone")
    assert "participants.0" in bad.json()["fields"]
    assert_error(lena.post("/oncall/chains", {**CHAIN_BODY, "steps": [{"target": "schedule_primary"}]}), 422,
                 "invalid", "steps.0.schedule_id")
    assert_error(lena.post("/oncall/rules", {"name": "Empty"}), 422, "invalid", "keywords")
    assert lena.post("/oncall/schedules", {**SCHEDULE_BODY, "surprise": 1}).status_code == 422
    assert_error(lena.post(f"/oncall/emergencies/{world['ids']['emergency']}/hand-over", {"to": "aziz"}), 422,
                 "invalid", "to")
    assert ImminentRule.objects.count() == 1
