"""The policy queue: partner feedback and referred cases, each tracked to a recorded conclusion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.choices import Role
from trustline.accounts.models import Organisation, User
from trustline.audit.choices import AuditAction
from trustline.audit.models import AuditEntry
from trustline.conftest import ApiClient, actor_of, assert_error, make_person
from trustline.core.clock import frozen_at
from trustline.intake.choices import Channel, TimelineKind
from trustline.intake.models import Report, ReportItem
from trustline.intake.schemas import ReportIn
from trustline.intake.services import report_submit
from trustline.notifications.models import OutboxMessage
from trustline.policy.models import PolicyItem
from trustline.policy.services import policy_item_open_for_referral
from trustline.policy.tasks import pick_up_policy_referrals
from trustline.review.choices import ReferralStatus
from trustline.review.models import Referral
from trustline.review.services import decision_record
from trustline.review.validation import DecisionInput
from trustline.triage.services import triage_pending

pytestmark = pytest.mark.django_db

SessionApi = Callable[[User], ApiClient]
T0 = dt.datetime(2026, 4, 6, 10, 0, tzinfo=dt.UTC)
FEEDBACK = {
    "topic": "Coded slurs against displaced people are not covered",
    "body": "Reviewers miss the word 'locusts' used for Masalit refugees in Darfur; see the attached list.",
    "category": "hateful_conduct",
    "country": "sd",
}


@pytest.fixture
def policy_paula(kite: Organisation) -> User:
    return make_person(kite, "paula", "Paula Policy-Analyst", Role.POLICY_ANALYST)


@pytest.fixture
def policy_pedro(kite: Organisation) -> User:
    return make_person(kite, "pedro", "Pedro Policy-Analyst", Role.POLICY_ANALYST)


@pytest.fixture
def feedback(sudan_api: ApiClient) -> dict[str, Any]:
    response = sudan_api.post("/policy/feedback", FEEDBACK)
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def referral(analyst_amal: User, lead_lena: User, report_payload: Callable[..., dict[str, Any]]) -> Referral:
    """A case the Sudan partner reported, which Lena referred to policy review."""
    with frozen_at(T0):
        result = report_submit(actor=actor_of(analyst_amal), data=ReportIn(**report_payload()), channel=Channel.API)
        triage_pending()
        decision = decision_record(actor=actor_of(lead_lena), case_id=result.items[0].case_id,
                                   data=DecisionInput(outcome="referred_to_policy_review",
                                                      internal_note="Is 'locusts' a slur under our policy?"))
    return Referral.objects.get(decision=decision)


def test_partner_feedback_is_tracked_to_a_conclusion(
    sudan_api: ApiClient, feedback: dict[str, Any], session_api: SessionApi, policy_paula: User,
    sudan_partner: Organisation,
):
    assert feedback["status"] == "open" and feedback["country"] == "SD" and feedback["staff"] is None
    assert OutboxMessage.objects.filter(event_type="policy_feedback.received").count() == 1
    paula = session_api(policy_paula)
    queue = paula.get("/policy/items", {"status": "open"}).json()["items"]
    assert [i["id"] for i in queue] == [feedback["id"]]
    assert queue[0]["staff"]["organisation"] == "sudan-digital-rights-monitor"

    assert paula.post(f"/policy/items/{feedback['id']}/claim").json()["status"] == "in_review"
    comment = paula.post(f"/policy/items/{feedback['id']}/comments", {"body": "Check with the Arabic desk."})
    assert comment.status_code == 201
    concluded = paula.post(f"/policy/items/{feedback['id']}/conclude", {
        "conclusion": "guidance_clarified",
        "text": "We added the term to the reviewer guidance for hateful conduct.",
        "internal_note": "Desk confirmed usage since 2023.",
    })

    assert concluded.status_code == 200, concluded.content
    assert concluded.json()["staff"]["comments"][0]["body"] == "Check with the Arabic desk."
    seen = sudan_api.get(f"/policy/items/{feedback['id']}").json()
    assert seen["status"] == "concluded" and seen["conclusion"] == "guidance_clarified"
    assert seen["conclusion_text"].startswith("We added the term") and seen["staff"] is None
    assert "Arabic desk" not in str(seen) and "since 2023" not in str(seen)
    told = OutboxMessage.objects.get(event_type="policy_review.concluded")
    assert told.organisation_id == sudan_partner.pk and "Arabic desk" not in told.body
    actions = list(AuditEntry.objects.filter(target_id=feedback["id"]).order_by("id").values_list("action",
                                                                                                      flat=True))
    assert actions == [AuditAction.POLICY_FEEDBACK_SUBMITTED, AuditAction.POLICY_ITEM_CLAIMED,
                       AuditAction.POLICY_ITEM_COMMENTED, AuditAction.POLICY_ITEM_CONCLUDED]
    assert_error(paula.post(f"/policy/items/{feedback['id']}/conclude", {"conclusion": "no_change", "text": "x"}),
                 409, "concluded")


def test_a_partner_sees_only_its_own_feedback(
    sudan_api: ApiClient, pakistan_api: ApiClient, feedback: dict[str, Any], api: ApiClient
):
    assert [i["id"] for i in sudan_api.get("/policy/feedback").json()["items"]] == [feedback["id"]]
    assert pakistan_api.get("/policy/feedback").json()["items"] == []
    assert_error(pakistan_api.get(f"/policy/items/{feedback['id']}"), 404, "not_found")
    assert_error(sudan_api.get("/policy/items"), 403, "forbidden")
    assert_error(api.get("/policy/feedback"), 401, "unauthenticated")
    assert_error(api.post("/policy/feedback", FEEDBACK), 401, "unauthenticated")


def test_only_policy_analysts_take_and_conclude(
    feedback: dict[str, Any], session_api: SessionApi, reviewer_rita: User, sudan_api: ApiClient,
    policy_paula: User, policy_pedro: User,
):
    item = f"/policy/items/{feedback['id']}"
    assert_error(session_api(reviewer_rita).post(f"{item}/claim"), 403, "forbidden")
    assert_error(sudan_api.post(f"{item}/claim"), 403, "forbidden")
    assert_error(session_api(reviewer_rita).post(f"{item}/comments", {"body": "hm"}), 403, "forbidden")
    assert_error(session_api(reviewer_rita).post("/policy/feedback", FEEDBACK), 403, "forbidden")
    paula, pedro = session_api(policy_paula), session_api(policy_pedro)

    assert paula.post(f"{item}/claim").status_code == 200
    assert_error(pedro.post(f"{item}/claim"), 409, "already_taken")
    assert_error(pedro.post(f"{item}/conclude", {"conclusion": "no_change", "text": "x"}), 403,
                 "policy_item_not_held")
    assert paula.post(f"{item}/assign", {"analyst": "pedro"}).json()["staff"]["assigned_to"] == "pedro"
    assert_error(paula.post(f"{item}/assign", {"analyst": "rita"}), 422, "invalid", "analyst")
    assert pedro.post(f"{item}/conclude", {"conclusion": "no_change", "text": "Covered already."}).status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [({"category": "no_such_category"}, "category"), ({"country": "XX"}, "country"), ({"topic": ""}, "topic")],
)
def test_feedback_is_checked(sudan_api: ApiClient, change: dict[str, str], field: str):
    assert_error(sudan_api.post("/policy/feedback", {**FEEDBACK, **change}), 422, "invalid", field)
    assert not PolicyItem.objects.exists()


def test_a_referred_case_joins_the_queue_and_its_conclusion_reaches_the_reporting_partner(
    referral: Referral, session_api: SessionApi, policy_paula: User, sudan_api: ApiClient
):
    assert pick_up_policy_referrals.call() == {"opened": 1}
    assert pick_up_policy_referrals.call() == {"opened": 0}  # once per referral
    item = PolicyItem.objects.get(referral=referral)
    assert item.kind == "case_referral" and item.case_id == referral.case_id
    assert "locusts" in item.body  # the referring reviewer's note travels with it (staff only)
    assert policy_item_open_for_referral(referral=referral).pk == item.pk
    paula = session_api(policy_paula)
    paula.post(f"/policy/items/{item.pk}/claim")

    response = paula.post(f"/policy/items/{item.pk}/conclude", {
        "conclusion": "policy_changed", "text": "Dehumanising terms for displaced people now count as hate speech.",
    })

    assert response.status_code == 200, response.content
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CONCLUDED and referral.conclusion.startswith("Dehumanising")
    report_id = ReportItem.objects.get(case_id=referral.case_id).report_id
    timeline = sudan_api.get(f"/reports/{report_id}").json()["timeline"]
    [event] = [e for e in timeline if e["kind"] == TimelineKind.POLICY_REVIEWED]
    assert event["data"]["conclusion"] == "policy_changed" and "locusts" not in str(event)
    told = OutboxMessage.objects.get(event_type="policy_review.concluded")
    assert told.organisation == Report.objects.get(pk=report_id).organisation
    assert AuditEntry.objects.filter(action=AuditAction.POLICY_ITEM_OPENED, target_id=str(item.pk)).count() == 1
