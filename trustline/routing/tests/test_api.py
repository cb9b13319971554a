"""The queue API: who may call what (401 / 404 / 403 / 2xx for every operation) and what it answers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from trustline.accounts.choices import Role
from trustline.accounts.models import Organisation, User
from trustline.accounts.permissions import SYSTEM
from trustline.cases.models import Case
from trustline.conftest import API, actor_of, assert_error, make_person
from trustline.core import clock
from trustline.intake.models import ReportItem
from trustline.routing.models import CaseComment, CaseTag, SavedQueue
from trustline.routing.reviewers import reviewer_skills_set
from trustline.routing.services import case_claim_next, case_hold
from trustline.routing.tests.conftest import T0, queued_case
from trustline.routing.workspace import saved_queue_create, tag_add
from trustline.triage.services import triage_case


def call(client: Client, method: str, path: str, body: Any = None, key: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, f"{API}{path}", data=data, content_type="application/json", headers=headers)


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def liaison_lars(kite: Organisation) -> User:
    """Platform staff whose role does not work the review queue."""
    return make_person(kite, "lars", "Lars Liaison", Role.LAW_ENFORCEMENT_LIAISON)


@pytest.fixture
def people(reviewer_rita: User, lead_lena: User, auditor_aziz: User, pm_pablo: User,
           liaison_lars: User) -> dict[str, User]:
    reviewer_skills_set(actor=SYSTEM, user_id=reviewer_rita.pk, languages=["ar-SD"], countries=["SD"])
    return {"rita": reviewer_rita, "lena": lead_lena, "aziz": auditor_aziz, "pablo": pm_pablo, "lars": liaison_lars}


@pytest.fixture
def sudan_case(analyst_amal: User, submit: Callable[..., Any]) -> Case:
    """A case the Sudan partner reported, through intake and triage."""
    result = submit(analyst_amal, language="ar-SD", explanation="The post names a shelter in El Fasher.")
    return triage_case(actor=SYSTEM, case_id=result.items[0].case_id)


@dataclasses.dataclass(frozen=True)
class Op:
    method: str
    path: str
    allowed: str
    wrong_role: str
    body: dict[str, Any] | None = None
    state: str = ""  # "claimed", "held" or "tagged": what the case must be for the allowed call
    ok: int = 200


OPERATIONS = [
    Op("GET", "/queue", "rita", "lars"),
    Op("POST", "/queue/claim-next", "rita", "aziz"),
    Op("POST", "/queue/cases/{case}/heartbeat", "rita", "aziz", state="claimed"),
    Op("POST", "/queue/cases/{case}/release", "rita", "aziz", {"reason": "not my dialect"}, state="claimed"),
    Op("POST", "/queue/cases/{case}/hold", "rita", "aziz", {"reason": "asked for the video"}, state="claimed"),
    Op("POST", "/queue/cases/{case}/unhold", "rita", "aziz", {"reason": "video received"}, state="held"),
    Op("POST", "/queue/cases/{case}/reassign", "lena", "rita", {"reviewer": "{rita}", "reason": "Darfur expert"}),
    Op("GET", "/queue/cases/{case}/comments", "rita", "lars"),
    Op("POST", "/queue/cases/{case}/comments", "rita", "aziz", {"body": "Looks coordinated."}),
    Op("GET", "/queue/cases/{case}/tags", "rita", "lars"),
    Op("POST", "/queue/cases/{case}/tags", "rita", "aziz", {"label": "election"}),
    Op("DELETE", "/queue/cases/{case}/tags/urgent", "rita", "aziz", state="tagged"),
    Op("GET", "/queue/saved", "rita", "lars"),
    Op("POST", "/queue/saved", "rita", "lars", {"name": "Sudan", "filters": {"country": ["SD"]}}, ok=201),
    Op("GET", "/queue/saved/{saved}", "rita", "lars"),
    Op("PUT", "/queue/saved/{saved}", "rita", "lars", {"name": "Sudan tier 1", "filters": {"tier": [1]}}),
    Op("DELETE", "/queue/saved/{saved}", "rita", "lars", ok=204),
    Op("GET", "/queue/reviewers", "pablo", "rita"),
    Op("GET", "/queue/reviewers/{lena}", "pablo", "rita"),
    Op("PUT", "/queue/reviewers/{rita}", "pablo", "rita", {"languages": ["ar-SD", "en"], "countries": ["SD"]}),
    Op("POST", "/queue/shift", "rita", "aziz", {"on_shift": False}),
]


def fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        for name, replacement in names.items():
            if value == "{" + name + "}":
                return int(replacement) if replacement.isdigit() else replacement
            value = value.replace("{" + name + "}", replacement)
        return value
    if isinstance(value, dict):
        return {k: fill(v, names) for k, v in value.items()}
    return value


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: f"{op.method} {op.path}")
def test_every_operation_answers_401_404_403_and_then_works(
    op: Op, people: dict[str, User], sudan_case: Case, sudan_key: str
):
    rita = people["rita"]
    saved = saved_queue_create(actor=actor_of(rita), name="Mine", filters={"country": ["SD"]})
    names = {"case": str(sudan_case.pk), "saved": str(saved.pk), "rita": str(rita.pk), "lena": str(people["lena"].pk)}
    path, body = fill(op.path, names), fill(op.body, names)
    if op.state in ("claimed", "held"):
        assert case_claim_next(actor=actor_of(rita)) is not None
    if op.state == "held":
        case_hold(actor=actor_of(rita), case_id=sudan_case.pk, reason="waiting for the partner")
    if op.state == "tagged":
        tag_add(actor=actor_of(rita), case_id=sudan_case.pk, label="urgent")

    assert_error(call(Client(), op.method, path, body), 401, "unauthenticated")
    assert_error(call(Client(), op.method, path, body, key=sudan_key), 404, "not_found")
    assert_error(call(as_user(people[op.wrong_role]), op.method, path, body), 403, "forbidden")
    response = call(as_user(people[op.allowed]), op.method, path, body)

    assert response.status_code == op.ok, response.content


def test_partner_people_signed_in_get_404_too(analyst_amal: User, sudan_case: Case):
    for path in ["/queue", f"/queue/cases/{sudan_case.pk}/comments", "/queue/saved"]:
        assert_error(call(as_user(analyst_amal), "GET", path), 404, "not_found")


def test_claim_next_answers_the_case_with_why_it_was_routed(people: dict[str, User], sudan_case: Case):
    body = call(as_user(people["rita"]), "POST", "/queue/claim-next").json()

    case = body["case"]
    assert case["id"] == str(sudan_case.pk)
    assert (case["status"], case["routing_pool"], case["language"]) == ("in_review", "exact", "ar-SD")
    assert case["assigned_to"]["username"] == "rita"
    assert case["priority"] == sum(case["priority_components"].values())
    assert call(as_user(people["lena"]), "POST", "/queue/claim-next").json() == {"case": None}


def test_the_queue_lists_cases_in_claim_order_with_filters_and_saved_queues(people: dict[str, User]):
    rita = as_user(people["rita"])
    sudan = queued_case(language="ar-SD", country="SD", priority=300)
    urgent = queued_case(language="ar-EG", country="EG", priority=900, tier=1)
    urdu = queued_case(language="ur", country="PK", priority=500)
    tag_add(actor=actor_of(people["rita"]), case_id=urdu.pk, label="Blasphemy allegation")

    everything = call(rita, "GET", "/queue").json()
    arabic = call(rita, "GET", "/queue?language=ar").json()
    egyptian = call(rita, "GET", "/queue?language=ar-EG&tier=1").json()
    tagged = call(rita, "GET", "/queue?tag=blasphemy-allegation").json()
    saved = call(rita, "POST", "/queue/saved", {"name": "Arabic", "filters": {"language": ["ar"]}}).json()
    via_saved = call(rita, "GET", f"/queue?saved={saved['id']}&country=SD").json()

    def ids(page: dict[str, Any]) -> list[str]:
        return [c["id"] for c in page["items"]]

    assert ids(everything) == [str(urgent.pk), str(urdu.pk), str(sudan.pk)] and everything["count"] == 3
    assert ids(arabic) == [str(urgent.pk), str(sudan.pk)]
    assert ids(egyptian) == [str(urgent.pk)]
    assert ids(tagged) == [str(urdu.pk)] and tagged["items"][0]["tags"] == ["blasphemy-allegation"]
    assert ids(via_saved) == [str(sudan.pk)]
    assert everything["items"][0]["routing_stage"] == "translation"  # waited since T0, long ago


def test_the_queue_page_costs_the_same_number_of_queries_for_one_case_or_twenty(
    people: dict[str, User], django_assert_max_num_queries: Any
):
    rita = as_user(people["rita"])
    for n in range(20):
        case = queued_case(priority=n)
        CaseTag.objects.create(case=case, label=f"t{n}", created_at=T0)
    call(rita, "GET", "/queue")  # warm the session

    with django_assert_max_num_queries(8):
        page = call(rita, "GET", "/queue?limit=20").json()
    assert len(page["items"]) == 20


def test_comments_and_tags_are_internal(people: dict[str, User], sudan_case: Case, sudan_api: Any,
                                        analyst_amal: User):
    rita = as_user(people["rita"])
    secret = "INTERNAL-ONLY: the partner may be part of the campaign"
    assert call(rita, "POST", f"/queue/cases/{sudan_case.pk}/comments", {"body": secret}).status_code == 200
    assert call(rita, "POST", f"/queue/cases/{sudan_case.pk}/tags", {"label": "suspect-partner"}).status_code == 200
    report_id = ReportItem.objects.filter(case=sudan_case).values_list("report_id", flat=True).get()

    partner_views = [
        sudan_api.get("/reports"),
        sudan_api.get(f"/reports/{report_id}"),
        sudan_api.get("/reports/export.csv"),
        as_user(analyst_amal).get(f"{API}/reports/{report_id}"),
    ]

    for response in partner_views:
        assert response.status_code == 200
        content = response.content.decode()
        assert "INTERNAL-ONLY" not in content and "suspect-partner" not in content
    comments = call(rita, "GET", f"/queue/cases/{sudan_case.pk}/comments").json()
    assert [(c["author"]["username"], c["body"]) for c in comments] == [("rita", secret)]
    assert not hasattr(sudan_case, "comments") and CaseComment.objects.count() == 1


def test_saved_queues_are_private_unless_shared_and_only_the_owner_changes_them(people: dict[str, User]):
    rita, lena = as_user(people["rita"]), as_user(people["lena"])
    private = call(rita, "POST", "/queue/saved", {"name": "Mine"}).json()
    shared = call(rita, "POST", "/queue/saved", {"name": "Team", "shared": True, "filters": {"crisis": True}}).json()

    assert [q["name"] for q in call(lena, "GET", "/queue/saved").json()] == ["Team"]
    assert_error(call(lena, "GET", f"/queue/saved/{private['id']}"), 404, "not_found")
    assert_error(call(lena, "PUT", f"/queue/saved/{shared['id']}", {"name": "Ours"}), 403, "not_owner")
    assert_error(call(rita, "POST", "/queue/saved", {"name": "Mine"}), 422, "invalid", field="name")
    assert_error(call(rita, "POST", "/queue/saved", {"name": "Bad", "filters": {"colour": ["red"]}}), 422,
                 "invalid")
    assert SavedQueue.objects.get(pk=shared["id"]).filters == {"crisis": True}


def test_skills_are_validated_and_each_bad_entry_is_named(people: dict[str, User]):
    pablo = as_user(people["pablo"])
    rita = people["rita"]

    bad = call(pablo, "PUT", f"/queue/reviewers/{rita.pk}", {
        "languages": ["ar-SD", "xx-!!"], "countries": ["SDN"], "regions": ["Atlantis"],
        "policy_areas": ["Cooking"], "clearances": ["top_secret"], "timezone": "Mars/Olympus_Mons",
    })
    good = call(pablo, "PUT", f"/queue/reviewers/{rita.pk}", {
        "languages": ["ar-sd", "ur"], "countries": ["sd"], "regions": ["east africa"],
        "policy_areas": ["child safety"], "clearances": ["child_safety"], "timezone": "Africa/Nairobi",
    })

    body = assert_error(bad, 422, "invalid")
    assert set(body["fields"]) == {"languages.1", "countries.0", "regions.0", "policy_areas.0", "clearances.0",
                                   "timezone"}
    assert good.json()["timezone"] == "Africa/Nairobi"
    assert good.status_code == 200, good.content
    skills = good.json()
    assert (skills["languages"], skills["countries"], skills["regions"]) == (["ar-SD", "ur"], ["SD"], ["East Africa"])
    assert (skills["policy_areas"], skills["clearances"]) == (["Child safety"], ["child_safety"])
    assert_error(call(pablo, "PUT", f"/queue/reviewers/{people['aziz'].pk}", {"languages": []}), 422, "invalid",
                 field="user")


def test_a_reviewer_can_read_their_own_skills_and_take_a_break(people: dict[str, User], sudan_case: Case):
    rita = as_user(people["rita"])
    me = call(rita, "GET", f"/queue/reviewers/{people['rita'].pk}").json()
    off = call(rita, "POST", "/queue/shift", {"on_shift": False}).json()

    assert me["languages"] == ["ar-SD"] and off["on_shift"] is False
    assert_error(call(rita, "POST", "/queue/claim-next"), 409, "off_shift")


def test_heartbeat_after_a_takeover_is_a_conflict(people: dict[str, User], sudan_case: Case, reviewer: Any):
    hiba = reviewer("hiba", languages=["ar-SD"])
    with clock.frozen_at(T0):
        Case.objects.filter(pk=sudan_case.pk).update(triaged_at=T0)
        case_claim_next(actor=actor_of(people["rita"]))
    with clock.frozen_at(T0 + dt.timedelta(minutes=25)):
        case_claim_next(actor=actor_of(hiba))
        response = call(as_user(people["rita"]), "POST", f"/queue/cases/{sudan_case.pk}/heartbeat")
    assert_error(response, 409, "not_holder")


def test_the_operations_are_in_the_openapi_document(api: Any):
    paths = api.get("/openapi.json").json()["paths"]
    for op in OPERATIONS:
        assert f"{API}{op.path.replace('{case}', '{case_id}').replace('{saved}', '{saved_id}')}".replace(
            "{rita}", "{user_id}").replace("{lena}", "{user_id}").replace("/urgent", "/{label}") in paths
