"""Handling a contest: a different reviewer takes it and upholds, reverses or partially reverses."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from trustline.accounts.models import User
from trustline.appeals.choices import AppealOutcome
from trustline.appeals.models import Appeal
from trustline.appeals.services import appeal_assign, appeal_claim_next, appeal_submit
from trustline.appeals.tests.conftest import LABEL, NOT_VIOLATING, T0, Decide, Decided
from trustline.audit.choices import AuditAction
from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of, assert_error, said_in
from trustline.core.clock import frozen_at
from trustline.core.exceptions import PermissionDenied
from trustline.intake.choices import TimelineKind
from trustline.notifications.models import OutboxMessage
from trustline.platforms.models import EnforcementActionRecord
from trustline.review.choices import DecisionStatus, Outcome
from trustline.review.models import Decision
from trustline.review.services import decision_confirm

pytestmark = pytest.mark.django_db

LATER = T0 + dt.timedelta(days=3)
SessionApi = Callable[[User], ApiClient]

NOT_VIOLATING_BODY = {"outcome": "not_violating", "explanation": "On a second look the post reports on an attack."}
REMOVE_BODY = {
    "outcome": "violating", "policy": "incitement_violence", "actions": ["remove"],
    "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
    "incompatible_content_ground": "Community Guidelines §4 (violence and incitement)",
    "incompatible_content_explanation": "The post calls for attacks on a named shelter.",
}


def contested(decided: Decided, partner: User) -> Appeal:
    with frozen_at(LATER):
        return appeal_submit(actor=actor_of(partner), reasons="Please look again.", decision_id=decided.decision.pk)


def decide(client: ApiClient, appeal: Appeal, body: dict[str, Any]) -> Any:
    with frozen_at(LATER + dt.timedelta(hours=2)):
        return client.post(f"/appeals/{appeal.pk}/decide", body)


def claim(client: ApiClient) -> Any:
    with frozen_at(LATER + dt.timedelta(hours=1)):
        return client.post("/appeals/claim-next")


# --------------------------------------------------------------------------------------------
# A different reviewer
# --------------------------------------------------------------------------------------------


def test_the_reviewer_who_decided_never_gets_the_contest(
    decided: Decide, analyst_amal: User, lead_lena: User, reviewer_rita: User, session_api: SessionApi
):
    appeal = contested(decided(), analyst_amal)  # Lena decided it

    assert claim(session_api(lead_lena)).status_code == 204  # nothing she may take
    with pytest.raises(PermissionDenied, match="neither made nor cross-checked"):
        appeal_assign(actor=actor_of(lead_lena), appeal_id=appeal.pk, username="lena")
    response = claim(session_api(reviewer_rita))
    assert response.status_code == 200
    assert response.json()["staff"]["assigned_to"] == "rita"


def test_the_second_reviewer_never_gets_the_contest_either(
    decided: Decide, analyst_amal: User, lead_lena: User, reviewer_rita: User, reviewer_rami: User,
    session_api: SessionApi,
):
    # A journalist named in the report makes the removal wait for a second reviewer; Rita confirms it.
    pending = decided(targets=["journalist"])
    assert pending.decision.status == DecisionStatus.PENDING_SECOND_REVIEW
    with frozen_at(T0 + dt.timedelta(minutes=30)):
        decision_confirm(actor=actor_of(reviewer_rita), decision_id=pending.decision.pk)
    appeal = contested(pending, analyst_amal)

    assert claim(session_api(reviewer_rita)).status_code == 204
    assert_error(session_api(lead_lena).post(f"/appeals/{appeal.pk}/assign", {"reviewer": "rita"}),
                 403, "own_decision")
    assert claim(session_api(reviewer_rami)).json()["id"] == str(appeal.pk)


def test_even_a_forced_assignment_cannot_let_the_decider_decide(
    decided: Decide, analyst_amal: User, lead_lena: User, reviewer_rita: User, session_api: SessionApi
):
    appeal = contested(decided(), analyst_amal)
    # Simulate a row changed behind the services' back: the decide step checks again.
    Appeal.objects.filter(pk=appeal.pk).update(status="in_review", assigned_to=lead_lena)

    response = decide(session_api(lead_lena), appeal, {"outcome": "upheld", "explanation": "It stands."})

    assert_error(response, 403, "own_decision")
    assert Appeal.objects.get(pk=appeal.pk).status == "in_review"


def test_a_lead_assigns_a_contest_and_its_holder_releases_it(
    decided: Decide, analyst_amal: User, lead_lena: User, reviewer_rita: User, reviewer_rami: User,
    session_api: SessionApi,
):
    appeal = contested(decided(), analyst_amal)
    lena = session_api(lead_lena)

    assert lena.post(f"/appeals/{appeal.pk}/assign", {"reviewer": "rami"}).json()["staff"]["assigned_to"] == "rami"
    assert_error(lena.post(f"/appeals/{appeal.pk}/assign", {"reviewer": "amal"}), 422, "invalid", "reviewer")
    assert_error(session_api(reviewer_rita).post(f"/appeals/{appeal.pk}/release"), 403, "forbidden")
    assert_error(decide(session_api(reviewer_rita), appeal, {"outcome": "upheld", "explanation": "x"}),
                 403, "appeal_not_held")
    released = session_api(reviewer_rami).post(f"/appeals/{appeal.pk}/release").json()
    assert released["status"] == "open" and released["staff"]["assigned_to"] is None
    actions = list(AuditEntry.objects.filter(target_id=str(appeal.pk)).order_by("id").values_list("action",
                                                                                                      flat=True))
    assert actions == [AuditAction.APPEAL_SUBMITTED, AuditAction.APPEAL_ASSIGNED, AuditAction.APPEAL_RELEASED]


# --------------------------------------------------------------------------------------------
# Outcomes
# --------------------------------------------------------------------------------------------


def test_upholding_keeps_the_decision_and_tells_the_partner(
    decided: Decide, analyst_amal: User, reviewer_rita: User, session_api: SessionApi, sudan_api: ApiClient
):
    case = decided()
    appeal = contested(case, analyst_amal)
    rita = session_api(reviewer_rita)
    claim(rita)

    response = decide(rita, appeal, {"outcome": "upheld", "explanation": "The post names the shelter.",
                                     "internal_note": "clear call to violence"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "decided" and body["outcome"] == "upheld" and body["new_decision_id"] is None
    assert body["staff"]["human_reviewed"] is True and body["staff"]["decided_by"] == "rita"
    case.decision.refresh_from_db()
    assert case.decision.status == DecisionStatus.EFFECTIVE
    partner_view = sudan_api.get(f"/appeals/{appeal.pk}").json()
    assert partner_view["explanation"] == "The post names the shelter." and partner_view["staff"] is None
    told = OutboxMessage.objects.get(event_type="appeal.decided")
    assert said_in("ar", AppealOutcome.UPHELD.label) in told.subject and "clear call" not in told.body
    timeline = sudan_api.get(f"/reports/{case.report.pk}").json()["timeline"]
    assert [e["data"]["outcome"] for e in timeline if e["kind"] == TimelineKind.APPEAL_DECIDED] == ["upheld"]
    assert "clear call" not in str(timeline)
    assert AuditEntry.objects.filter(action=AuditAction.APPEAL_DECIDED, target_id=str(appeal.pk)).count() == 1


def test_reversing_a_removal_makes_a_new_effective_decision_and_tells_the_partner(
    decided: Decide, analyst_amal: User, reviewer_rita: User, session_api: SessionApi, sudan_api: ApiClient
):
    case = decided()
    appeal = contested(case, analyst_amal)
    rita = session_api(reviewer_rita)
    claim(rita)

    response = decide(rita, appeal, {"outcome": "reversed", "explanation": "The post documents an attack.",
                                     "new_decision": NOT_VIOLATING_BODY})

    assert response.status_code == 200, response.content
    new = Decision.objects.get(pk=response.json()["new_decision_id"])
    assert new.status == DecisionStatus.EFFECTIVE and new.outcome == "not_violating"
    assert new.decided_by == reviewer_rita
    case.decision.refresh_from_db()
    assert case.decision.status == DecisionStatus.SUPERSEDED and case.decision.superseded_by_id == new.pk
    timeline = sudan_api.get(f"/reports/{case.report.pk}").json()["timeline"]
    kinds = [e["kind"] for e in timeline]
    assert kinds.index("appealed") < kinds.index("appeal_decided")
    assert [e["data"]["decision_id"] for e in timeline if e["kind"] == "decided"][-1] == str(new.pk)
    assert set(OutboxMessage.objects.values_list("event_type", flat=True)) >= {
        "appeal.received", "appeal.decided", "report.decided"
    }
    decided_message = OutboxMessage.objects.get(event_type="appeal.decided")
    assert said_in("ar", AppealOutcome.REVERSED.label) in decided_message.subject
    assert said_in("ar", Outcome.NOT_VIOLATING.label) in decided_message.body
    recorded = AuditEntry.objects.get(action=AuditAction.DECISION_RECORDED, target_id=str(new.pk))
    assert recorded.data["replaces"] == str(case.decision.pk) and recorded.data["via"] == "contest"


def test_reversing_a_no_action_decision_removes_the_content(
    decided: Decide, analyst_amal: User, reviewer_rita: User, session_api: SessionApi,
    django_capture_on_commit_callbacks: Any,
):
    case = decided(decision=NOT_VIOLATING)
    appeal = contested(case, analyst_amal)
    assert appeal.about_no_action is True
    rita = session_api(reviewer_rita)
    claim(rita)

    with django_capture_on_commit_callbacks(execute=True):
        response = decide(rita, appeal, {"outcome": "reversed", "explanation": "It calls for violence.",
                                         "new_decision": REMOVE_BODY})

    assert response.status_code == 200, response.content
    new = Decision.objects.get(pk=response.json()["new_decision_id"])
    assert new.outcome == "violating" and new.status == DecisionStatus.EFFECTIVE
    record = EnforcementActionRecord.objects.get(decision_id=str(new.pk))
    assert record.action_type == "remove" and record.status == "done"
    assert Case.objects.get(pk=case.decision.case_id).is_open is False


def test_a_partial_reversal_changes_the_actions(
    decided: Decide, analyst_amal: User, reviewer_rita: User, session_api: SessionApi
):
    case = decided()
    appeal = contested(case, analyst_amal)
    rita = session_api(reviewer_rita)
    claim(rita)
    label = {**REMOVE_BODY, "actions": ["label"], "label_text": LABEL.label_text}

    response = decide(rita, appeal, {"outcome": "partially_reversed", "explanation": "A label is enough.",
                                     "new_decision": label})

    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "partially_reversed"
    new = Decision.objects.get(pk=response.json()["new_decision_id"])
    assert new.actions == ["label"] and new.status == DecisionStatus.EFFECTIVE
    assert said_in("ar", AppealOutcome.PARTIALLY_REVERSED.label) in OutboxMessage.objects.get(
        event_type="appeal.decided").subject


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "reversed", "explanation": "x"}, "new_decision"),
        ({"outcome": "upheld", "explanation": "x", "new_decision": NOT_VIOLATING_BODY}, "new_decision"),
        ({"outcome": "reversed", "explanation": "x", "new_decision": REMOVE_BODY}, "new_decision.outcome"),
        ({"outcome": "partially_reversed", "explanation": "x", "new_decision": REMOVE_BODY}, "new_decision"),
        ({"outcome": "omitted", "explanation": "x"}, "outcome"),
    ],
)
def test_the_outcome_must_match_the_new_decision(
    decided: Decide, analyst_amal: User, reviewer_rita: User, session_api: SessionApi, body: dict[str, Any],
    field: str,
):
    appeal = contested(decided(), analyst_amal)
    rita = session_api(reviewer_rita)
    claim(rita)

    assert_error(decide(rita, appeal, body), 422, "invalid", field)
    assert Appeal.objects.get(pk=appeal.pk).status == "in_review"
    assert Decision.objects.count() == 1


def test_a_decided_contest_cannot_be_decided_again(
    decided: Decide, analyst_amal: User, reviewer_rita: User, session_api: SessionApi
):
    appeal = contested(decided(), analyst_amal)
    rita = session_api(reviewer_rita)
    claim(rita)
    decide(rita, appeal, {"outcome": "upheld", "explanation": "It stands."})

    assert_error(decide(rita, appeal, {"outcome": "upheld", "explanation": "Again."}), 409, "appeal_closed")


def test_the_transparency_facts_are_kept(
    decided: Decide, analyst_amal: User, reviewer_rita: User, session_api: SessionApi
):
    appeal = contested(decided(decision=NOT_VIOLATING), analyst_amal)
    claim(session_api(reviewer_rita))
    decide(session_api(reviewer_rita), appeal, {"outcome": "upheld", "explanation": "It stands."})

    row = Appeal.objects.values("received_at", "decided_at", "outcome", "about_no_action", "human_reviewed",
                                "contested_outcome", "category_code", "country").get(pk=appeal.pk)
    assert row == {
        "received_at": LATER, "decided_at": LATER + dt.timedelta(hours=2), "outcome": "upheld",
        "about_no_action": True, "human_reviewed": True, "contested_outcome": "not_violating",
        "category_code": "incitement_violence", "country": "SD",
    }


# --------------------------------------------------------------------------------------------
# Two reviewers claiming at once
# --------------------------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="concurrency needs PostgreSQL: SQLite serialises writers, so there is no race to test")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reviewers_claiming_at_once_never_get_the_same_contest(
    decided: Decide, analyst_amal: User, reviewer_rita: User, reviewer_rami: User
):
    appeal = contested(decided(), analyst_amal)
    start = threading.Barrier(2)
    results: dict[str, Any] = {}

    def run(user: User) -> None:
        try:
            start.wait(5)
            taken = appeal_claim_next(actor=actor_of(user))
            results[user.username] = taken.pk if taken is not None else None
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(u,)) for u in (reviewer_rita, reviewer_rami)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(results.values(), key=str) == sorted([appeal.pk, None], key=str)
    assert AuditEntry.objects.filter(action=AuditAction.APPEAL_CLAIMED).count() == 1
    holder = Appeal.objects.get(pk=appeal.pk).assigned_to
    assert holder is not None and results[holder.username] == appeal.pk

