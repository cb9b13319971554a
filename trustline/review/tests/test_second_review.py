"""Second review ("cross-check"): which decisions wait for another reviewer, and what confirming or rejecting does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of, assert_error
from trustline.core import clock
from trustline.core.exceptions import PermissionDenied
from trustline.intake.models import Report, TimelineEvent
from trustline.notifications.models import OutboxMessage
from trustline.platforms.models import EnforcementActionRecord
from trustline.review.models import Decision, SecondReviewRule
from trustline.review.services import decision_confirm
from trustline.review.tests.conftest import Decide, Submit, case_of, hold
from trustline.routing.eligibility import claimable_q

pytestmark = pytest.mark.django_db

SessionApi = Callable[[User], ApiClient]
PUBLIC_FIGURE_POST = "https://kite.example/@alpha.wa.kenya/posts/7399001122"


@pytest.fixture
def journalist_case(analyst_amal: User, reviewer_rita: User, submit: Submit, at_t0: dt.datetime) -> Case:
    """A case whose report names a journalist as the person targeted, held by Rita."""
    return hold(case_of(submit(analyst_amal, targets=["journalist"])), reviewer_rita)


def test_an_action_where_a_report_names_a_protected_person_waits_for_a_second_reviewer(
    journalist_case: Case, reviewer_rita: User, decide: Decide, demo_platform: None,
):
    response = decide(reviewer_rita, journalist_case)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending_second_review"
    assert body["second_review_reasons"] == [{"rule": "protected_target", "detail": "report targets: journalist"}]
    # Nothing has happened yet: no platform action, no partner timeline, no notification.
    assert not EnforcementActionRecord.objects.exists()
    assert not TimelineEvent.objects.filter(kind="decided").exists()
    assert not OutboxMessage.objects.filter(event_type="report.decided").exists()
    journalist_case.refresh_from_db()
    assert journalist_case.is_open and journalist_case.status == CaseStatus.IN_REVIEW
    # Claim-next passes it by, however long the second reviewer takes.
    later = clock.now() + dt.timedelta(days=3)
    assert not Case.objects.filter(claimable_q(later), pk=journalist_case.pk).exists()


def test_a_different_reviewer_confirms_and_the_decision_takes_effect(
    journalist_case: Case, reviewer_rita: User, reviewer_rafael: User, decide: Decide, session_api: SessionApi,
    demo_platform: None,
):
    decision_id = decide(reviewer_rita, journalist_case).json()["id"]

    queue = session_api(reviewer_rafael).get("/review/second-review")
    assert [d["id"] for d in queue.json()["items"]] == [decision_id]
    response = session_api(reviewer_rafael).post(f"/review/decisions/{decision_id}/confirm",
                                                 {"note": "Checked the journalist's own post history."})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["second_reviewer"]) == ("effective", "rafael")
    assert [(e["action_type"], e["status"]) for e in body["enforcement"]] == [("remove", "done")]
    journalist_case.refresh_from_db()
    assert journalist_case.status == CaseStatus.CLOSED
    assert OutboxMessage.objects.filter(event_type="report.decided").exists()
    assert AuditEntry.objects.filter(action="decision.confirmed", target_id=decision_id,
                                     actor=f"user:{reviewer_rafael.pk}").exists()
    assert session_api(reviewer_rafael).get("/review/second-review").json()["count"] == 0


def test_nobody_can_confirm_their_own_decision(
    journalist_case: Case, reviewer_rita: User, decide: Decide, session_api: SessionApi,
):
    decision_id = decide(reviewer_rita, journalist_case).json()["id"]

    assert session_api(reviewer_rita).get("/review/second-review").json()["count"] == 0  # not in her queue
    assert_error(session_api(reviewer_rita).post(f"/review/decisions/{decision_id}/confirm", {}), 403,
                 "own_decision")
    assert_error(session_api(reviewer_rita).post(f"/review/decisions/{decision_id}/reject", {"reason": "no"}), 403,
                 "own_decision")
    with pytest.raises(PermissionDenied):
        decision_confirm(actor=actor_of(reviewer_rita), decision_id=decision_id)
    assert Decision.objects.get(pk=decision_id).status == "pending_second_review"


def test_a_rejected_decision_sends_the_case_back_to_review(
    journalist_case: Case, reviewer_rita: User, reviewer_rafael: User, decide: Decide, session_api: SessionApi,
    sudan_api: ApiClient,
):
    decision_id = decide(reviewer_rita, journalist_case).json()["id"]

    response = session_api(reviewer_rafael).post(f"/review/decisions/{decision_id}/reject",
                                                 {"reason": "The post quotes the threat in order to report it."})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rejected_by_second_review"
    journalist_case.refresh_from_db()
    assert (journalist_case.status, journalist_case.assigned_to_id, journalist_case.lease_expires_at) == (
        CaseStatus.TRIAGED, None, None)
    report = Report.objects.get(items__case=journalist_case)
    kinds = [e["kind"] for e in sudan_api.get(f"/reports/{report.pk}").json()["timeline"]]
    assert "decided" not in kinds
    assert AuditEntry.objects.filter(action="case.returned_to_review", target_id=str(journalist_case.pk)).exists()
    # Confirming it afterwards is a conflict.
    assert_error(session_api(reviewer_rafael).post(f"/review/decisions/{decision_id}/confirm", {}), 409,
                 "not_pending")
    # The case can be decided afresh by whoever claims it next.
    hold(journalist_case, reviewer_rafael)
    assert decide(reviewer_rafael, journalist_case, outcome="not_violating").status_code == 201


def test_a_case_with_a_pending_decision_cannot_be_decided_again(
    journalist_case: Case, reviewer_rita: User, lead_lena: User, decide: Decide,
):
    assert decide(reviewer_rita, journalist_case).status_code == 201

    assert_error(decide(lead_lena, journalist_case, outcome="not_violating"), 409, "pending_second_review")


def test_an_action_against_a_public_figure_waits_for_a_second_reviewer(
    analyst_amal: User, reviewer_rita: User, submit: Submit, decide: Decide, at_t0: dt.datetime,
    demo_platform: None,
):
    case = hold(case_of(submit(analyst_amal, country="KE", items=[{"url": PUBLIC_FIGURE_POST, "kind": "post"}],
                               targets=[])), reviewer_rita)

    body = decide(reviewer_rita, case).json()

    assert body["status"] == "pending_second_review"
    assert body["second_review_reasons"] == [
        {"rule": "public_figure", "detail": "author @alpha.wa.kenya is a public figure"}]


def test_without_a_platform_answer_a_public_figure_target_triggers_the_second_review(
    analyst_amal: User, reviewer_rita: User, submit: Submit, decide: Decide, at_t0: dt.datetime,
    manual_platform: None,
):
    case = hold(case_of(submit(analyst_amal, targets=["public_figure"])), reviewer_rita)

    body = decide(reviewer_rita, case).json()

    assert body["status"] == "pending_second_review"
    assert body["second_review_reasons"] == [{"rule": "public_figure", "detail": "a report names a public figure"}]


def test_a_tier_1_case_found_not_violating_waits_for_a_second_reviewer(
    analyst_amal: User, reviewer_rita: User, submit: Submit, decide: Decide, at_t0: dt.datetime,
):
    case = hold(case_of(submit(analyst_amal, category="threat_to_life", targets=[])), reviewer_rita)
    assert case.tier == 1

    body = decide(reviewer_rita, case, outcome="not_violating").json()

    assert body["status"] == "pending_second_review"
    assert body["second_review_reasons"] == [
        {"rule": "tier_not_violating", "detail": "tier 1 case found not_violating"}]


@pytest.mark.parametrize(
    ("category", "targets", "fields"),
    [
        ("incitement_violence", ["refugee_or_migrant"], {}),  # no protected person, author not a public figure
        ("threat_to_life", [], {}),  # tier 1 found violating
        ("incitement_violence", [], {"outcome": "not_violating"}),  # tier 2 found not violating
        ("incitement_violence", ["journalist"], {"actions": ["no_action"]}),  # nothing done against anyone
    ],
)
def test_no_second_review_is_required_otherwise(
    analyst_amal: User, reviewer_rita: User, submit: Submit, decide: Decide, at_t0: dt.datetime,
    demo_platform: None, category: str, targets: list[str], fields: dict[str, str],
):
    case = hold(case_of(submit(analyst_amal, category=category, targets=targets)), reviewer_rita)

    response = decide(reviewer_rita, case, **fields)

    assert response.status_code == 201, response.content
    assert (response.json()["status"], response.json()["second_review_reasons"]) == ("effective", [])


def test_a_rule_switched_off_no_longer_applies(
    journalist_case: Case, reviewer_rita: User, decide: Decide, demo_platform: None,
):
    SecondReviewRule.objects.filter(kind="protected_target").update(is_active=False)

    assert decide(reviewer_rita, journalist_case).json()["status"] == "effective"


def test_the_protected_targets_are_configurable(
    analyst_amal: User, reviewer_rita: User, submit: Submit, decide: Decide, at_t0: dt.datetime,
    demo_platform: None,
):
    SecondReviewRule.objects.filter(kind="protected_target").update(targets=["minor"])
    case = hold(case_of(submit(analyst_amal, targets=["minor"])), reviewer_rita)

    body = decide(reviewer_rita, case).json()

    assert body["status"] == "pending_second_review"
    assert body["second_review_reasons"][0]["detail"] == "report targets: minor"
