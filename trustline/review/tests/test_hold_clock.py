"""A case on hold waits for the partner: its decide-by clock pauses like a reviewer's question pauses it.

Through the queue API (``/queue/cases/{id}/hold`` and ``/unhold``) with the
frozen clock; the SLA sweeper is the judge of whether the time on hold
counted.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of
from trustline.core import clock
from trustline.review.information import information_request_answer
from trustline.review.models import ClockPause, SecondReviewRule
from trustline.review.selectors import case_clock_paused_at
from trustline.review.services import decision_confirm
from trustline.review.tests.conftest import HOUR, T0, Decide
from trustline.triage.sla import sla_sweep

pytestmark = pytest.mark.django_db

SessionApi = Callable[[User], ApiClient]


def case_trail(case: Case) -> list[str]:
    return list(AuditEntry.objects.filter(target_id=str(case.pk)).order_by("id").values_list("action", flat=True))


def test_a_hold_pauses_the_clock_and_unholding_pushes_the_deadline_by_the_time_held(
    held_case: Case, reviewer_rita: User, session_api: SessionApi,
):
    due = held_case.decide_due_at
    assert due == T0 + 72 * HOUR  # tier 2
    rita = session_api(reviewer_rita)

    response = rita.post(f"/queue/cases/{held_case.pk}/hold", {"reason": "asked the partner for the original video"})

    assert response.status_code == 200, response.content
    assert case_clock_paused_at(held_case) == T0
    # The deadline passes while the case waits for the partner: no breach.
    assert sla_sweep(now=due + HOUR).decide == 0
    with clock.frozen_at(T0 + 80 * HOUR):
        response = rita.post(f"/queue/cases/{held_case.pk}/unhold", {"reason": "the partner sent the video"})
    assert response.status_code == 200, response.content
    held_case.refresh_from_db()
    assert held_case.status == CaseStatus.TRIAGED
    assert held_case.decide_due_at == due + 80 * HOUR
    assert case_clock_paused_at(held_case) is None
    pause = ClockPause.objects.get(case=held_case)
    assert (pause.pause_reason, pause.paused_seconds, pause.resume_reason) == ("hold", 80 * 3600, "unheld")
    assert (pause.decide_due_before, pause.decide_due_after) == (due, due + 80 * HOUR)
    # Only the time that was not on hold counts: the breach comes 80 hours later than planned.
    assert sla_sweep(now=due + 79 * HOUR).decide == 0
    assert sla_sweep(now=due + 81 * HOUR).decide == 1
    trail = case_trail(held_case)
    assert trail[trail.index("case.held"):] == [
        "case.held", "case.clock_paused", "case.unheld", "case.clock_resumed", "sla.breached"]
    resumed = AuditEntry.objects.get(action="case.clock_resumed", target_id=str(held_case.pk))
    assert resumed.data["paused_seconds"] == 80 * 3600 and resumed.data["pause_reason"] == "hold"


def test_deciding_a_held_case_resumes_its_clock(held_case: Case, lead_lena: User, reviewer_rita: User,
                                                 session_api: SessionApi, decide: Decide):
    session_api(reviewer_rita).post(f"/queue/cases/{held_case.pk}/hold", {"reason": "waiting for the partner"})

    with clock.frozen_at(T0 + 3 * HOUR):
        response = decide(lead_lena, held_case, outcome="not_violating", explanation="No violation found.")

    assert response.status_code == 201, response.content
    pause = ClockPause.objects.get(case=held_case)
    assert (pause.paused_seconds, pause.resume_reason) == (3 * 3600, "decided")


def test_a_question_confirmed_while_the_case_is_on_hold_does_not_pause_the_clock_twice(
    held_case: Case, reviewer_rita: User, reviewer_rafael: User, lead_lena: User, session_api: SessionApi,
    decide: Decide, analyst_amal: User,
):
    """A question waiting for a second reviewer, the case held meanwhile: one pause, from the hold."""
    SecondReviewRule.objects.filter(kind="tier_not_violating").update(
        tiers=[2], outcomes=["needs_more_information"])
    due = held_case.decide_due_at
    assert due is not None
    asked = decide(reviewer_rita, held_case, outcome="needs_more_information",
                   question="Has anyone been threatened at the shelter since?")
    assert asked.json()["status"] == "pending_second_review"
    held = session_api(lead_lena).post(f"/queue/cases/{held_case.pk}/hold", {"reason": "waiting for the partner"})
    assert held.status_code == 200, held.content

    with clock.frozen_at(T0 + 2 * HOUR):
        decision_confirm(actor=actor_of(reviewer_rafael), decision_id=asked.json()["id"])

    pauses = list(ClockPause.objects.filter(case=held_case))
    assert [(p.paused_at, p.pause_reason, p.resumed_at) for p in pauses] == [(T0, "hold", None)]
    assert case_trail(held_case).count("case.clock_paused") == 1
    # The partner's answer ends the one pause; the deadline moves once, by the whole wait.
    request_id = held_case.information_requests.get().pk
    with clock.frozen_at(T0 + 10 * HOUR):
        information_request_answer(actor=actor_of(analyst_amal), request_id=request_id, answer="Yes, twice.")
    held_case.refresh_from_db()
    assert held_case.decide_due_at == due + 10 * HOUR
    assert held_case.status == CaseStatus.TRIAGED


def test_a_case_already_waiting_for_the_partners_answer_cannot_be_held_again(
    held_case: Case, reviewer_rita: User, lead_lena: User, session_api: SessionApi, decide: Decide,
):
    decide(reviewer_rita, held_case, outcome="needs_more_information", question="Which shelter?")

    response = session_api(lead_lena).post(f"/queue/cases/{held_case.pk}/hold", {"reason": "again"})

    assert response.status_code == 409
    assert ClockPause.objects.filter(case=held_case).count() == 1


def test_the_clock_of_an_unheld_case_runs_again_until_it_is_held_again(
    held_case: Case, reviewer_rita: User, lead_lena: User, session_api: SessionApi,
):
    lena = session_api(lead_lena)
    due = held_case.decide_due_at
    assert due is not None
    lena.post(f"/queue/cases/{held_case.pk}/hold", {"reason": "first wait"})
    with clock.frozen_at(T0 + 2 * HOUR):
        lena.post(f"/queue/cases/{held_case.pk}/unhold", {})
    with clock.frozen_at(T0 + 5 * HOUR):
        lena.post(f"/queue/cases/{held_case.pk}/hold", {"reason": "second wait"})
    with clock.frozen_at(T0 + 6 * HOUR):
        lena.post(f"/queue/cases/{held_case.pk}/unhold", {})

    held_case.refresh_from_db()
    assert held_case.decide_due_at == due + 3 * HOUR  # 2 h + 1 h on hold; the 3 h between counted
    assert [p.paused_seconds for p in ClockPause.objects.filter(case=held_case)] == [2 * 3600, 3600]
