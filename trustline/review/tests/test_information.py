"""Needs more information: the question to the partner, the paused SLA clock, and the partner's answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.conftest import ApiClient, assert_error
from trustline.core import clock
from trustline.intake.models import Report, TimelineEvent
from trustline.notifications.models import OutboxMessage
from trustline.review.information import information_requests_expire
from trustline.review.models import ClockPause, InformationRequest
from trustline.review.selectors import case_clock_paused_at
from trustline.review.tasks import review_follow_up
from trustline.review.tests.conftest import HOUR, T0, Decide, Submit, hold
from trustline.triage.sla import sla_sweep

pytestmark = pytest.mark.django_db

SessionApi = Callable[[User], ApiClient]
QUESTION = "Which shelter does the post name, and has anyone been threatened there since?"


def ask(decide: Decide, user: User, case: Case, **fields: Any) -> dict[str, Any]:
    response = decide(user, case, outcome="needs_more_information", question=QUESTION, **fields)
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def the_request(case: Case) -> InformationRequest:
    return InformationRequest.objects.get(case=case)


def test_asking_the_partner_pauses_the_clock_and_tells_the_partner(
    held_case: Case, reviewer_rita: User, decide: Decide, sudan_api: ApiClient, sudan_partner: Any,
):
    body = ask(decide, reviewer_rita, held_case)

    assert body["status"] == "effective"
    held_case.refresh_from_db()
    assert held_case.status == CaseStatus.ON_HOLD and held_case.is_open
    assert case_clock_paused_at(held_case) == T0
    request = the_request(held_case)
    assert (request.organisation, request.question, request.due_at) == (sudan_partner, QUESTION, T0 + 7 * 24 * HOUR)
    report = Report.objects.get(items__case=held_case)
    [event] = [e for e in sudan_api.get(f"/reports/{report.pk}").json()["timeline"]
               if e["kind"] == "information_requested"]
    assert event["data"]["question"] == QUESTION
    assert event["data"]["information_request_id"] == str(request.pk)
    assert QUESTION in event["data"]["explanation"]
    message = OutboxMessage.objects.get(event_type="report.information_requested", channel="email")
    assert QUESTION in message.body and str(request.pk) in message.body
    # A link to the page that answers it, for a partner reading mail on a phone; in Arabic around it.
    assert f"/console/portal/information-requests/{request.pk}/" in message.body
    assert message.subject == "نحتاج إلى مزيد من المعلومات حول بلاغكم"
    # The partner finds the question in its list too.
    listed = sudan_api.get("/review/information-requests", {"status": "open"}).json()
    assert [r["id"] for r in listed["items"]] == [str(request.pk)]
    assert AuditEntry.objects.filter(action="case.clock_paused", target_id=str(held_case.pk)).exists()


def test_the_partners_answer_resumes_the_clock_and_pushes_the_deadline_by_the_paused_time(
    sudan_case: Case, reviewer_rita: User, decide: Decide, sudan_api: ApiClient,
):
    assert sudan_case.decide_due_at == T0 + 72 * HOUR  # tier 2
    with clock.frozen_at(T0 + 2 * HOUR):
        hold(sudan_case, reviewer_rita)
        ask(decide, reviewer_rita, sudan_case)
    request = the_request(sudan_case)
    # While paused, the original deadline passes without a breach.
    assert sla_sweep(now=T0 + 75 * HOUR).decide == 0

    with clock.frozen_at(T0 + 12 * HOUR):
        response = sudan_api.post(f"/review/information-requests/{request.pk}/answer",
                                  {"answer": "The Abu Shouk shelter; two volunteers were threatened on Friday."})

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["answered_at"][:16]) == ("answered", "2026-03-02T21:00")
    sudan_case.refresh_from_db()
    assert sudan_case.decide_due_at == T0 + 72 * HOUR + 10 * HOUR  # paused from T0+2h to T0+12h
    assert sudan_case.status == CaseStatus.TRIAGED  # back in the review queue
    assert sudan_case.assigned_to_id is None
    pause = ClockPause.objects.get(case=sudan_case)
    assert (pause.paused_seconds, pause.decide_due_before, pause.decide_due_after) == (
        10 * 3600, T0 + 72 * HOUR, T0 + 82 * HOUR)
    assert case_clock_paused_at(sudan_case) is None
    report = Report.objects.get(items__case=sudan_case)
    kinds = [e["kind"] for e in sudan_api.get(f"/reports/{report.pk}").json()["timeline"]]
    assert kinds[-2:] == ["information_requested", "information_provided"]
    assert [a for a in AuditEntry.objects.order_by("id").values_list("action", flat=True)][-3:] == [
        "information_request.answered", "case.clock_resumed", "case.returned_to_review"]
    # The new deadline holds: no breach before it, a breach after it.
    assert sla_sweep(now=T0 + 81 * HOUR).decide == 0
    assert sla_sweep(now=T0 + 83 * HOUR).decide == 1


def test_a_question_can_be_answered_once(
    held_case: Case, reviewer_rita: User, decide: Decide, sudan_api: ApiClient,
):
    ask(decide, reviewer_rita, held_case)
    url = f"/review/information-requests/{the_request(held_case).pk}/answer"

    assert sudan_api.post(url, {"answer": "Abu Shouk."}).status_code == 200
    recorded, events = AuditEntry.objects.count(), TimelineEvent.objects.count()
    assert_error(sudan_api.post(url, {"answer": "Abu Shouk, again."}), 409, "not_open")
    # The same answer again is a retry after a lost reply: the stored answer, nothing recorded twice.
    again = sudan_api.post(url, {"answer": " Abu Shouk. "})
    assert again.status_code == 200, again.content
    assert (again.json()["status"], again.json()["answer"]) == ("answered", "Abu Shouk.")
    assert AuditEntry.objects.count() == recorded
    assert TimelineEvent.objects.count() == events
    assert_error(sudan_api.post(url, {"answer": "  "}), 422, "invalid", "answer")


def test_only_the_partner_asked_may_answer(
    held_case: Case, reviewer_rita: User, decide: Decide, api: ApiClient, pakistan_api: ApiClient,
    session_api: SessionApi, analyst_amal: User,
):
    ask(decide, reviewer_rita, held_case)
    request = the_request(held_case)
    url = f"/review/information-requests/{request.pk}/answer"

    assert_error(api.post(url, {"answer": "x"}), 401, "unauthenticated")
    assert_error(pakistan_api.post(url, {"answer": "x"}), 404, "not_found")
    assert_error(pakistan_api.get(f"/review/information-requests/{request.pk}"), 404, "not_found")
    assert_error(session_api(reviewer_rita).post(url, {"answer": "x"}), 403, "forbidden")
    assert session_api(analyst_amal).post(url, {"answer": "Abu Shouk."}).status_code == 200


def test_an_unanswered_question_expires_and_the_clock_resumes(
    sudan_case: Case, reviewer_rita: User, decide: Decide,
):
    hold(sudan_case, reviewer_rita)
    ask(decide, reviewer_rita, sudan_case, answer_due_at=(T0 + 24 * HOUR).isoformat())

    assert information_requests_expire(now=T0 + 23 * HOUR) == 0
    assert information_requests_expire(now=T0 + 24 * HOUR) == 1
    assert information_requests_expire(now=T0 + 25 * HOUR) == 0  # once

    sudan_case.refresh_from_db()
    assert the_request(sudan_case).status == "expired"
    assert sudan_case.decide_due_at == T0 + 96 * HOUR
    assert sudan_case.status == CaseStatus.TRIAGED


def test_the_periodic_follow_up_expires_questions(sudan_case: Case, reviewer_rita: User, decide: Decide):
    hold(sudan_case, reviewer_rita)
    ask(decide, reviewer_rita, sudan_case, answer_due_at=(T0 + 24 * HOUR).isoformat())

    with clock.frozen_at(T0 + 25 * HOUR):
        result = review_follow_up.call()

    assert result["expired"] == 1
    assert the_request(sudan_case).status == "expired"


def test_deciding_a_case_on_hold_withdraws_the_question(
    held_case: Case, reviewer_rita: User, lead_lena: User, decide: Decide, sudan_api: ApiClient,
):
    ask(decide, reviewer_rita, held_case)
    request = the_request(held_case)

    with clock.frozen_at(T0 + 5 * HOUR):
        response = decide(lead_lena, held_case, outcome="not_violating")

    assert response.status_code == 201, response.content
    request.refresh_from_db()
    assert request.status == "withdrawn"
    assert ClockPause.objects.get(case=held_case).paused_seconds == 5 * 3600
    assert_error(sudan_api.post(f"/review/information-requests/{request.pk}/answer", {"answer": "x"}), 409,
                 "not_open")


def test_a_question_to_two_partners_goes_to_each_and_the_first_answer_resumes(
    held_case: Case, reviewer_rita: User, decide: Decide, submit: Submit, analyst_bilal: User,
    sudan_api: ApiClient, pakistan_api: ApiClient,
):
    submit(analyst_bilal, items=[{"url": held_case.canonical_url, "kind": "post"}], country="PK")
    hold(held_case, reviewer_rita)
    ask(decide, reviewer_rita, held_case)

    requests = InformationRequest.objects.filter(case=held_case)
    assert requests.count() == 2
    pakistan_request = requests.get(organisation__slug__startswith="pakistan")
    assert pakistan_api.post(f"/review/information-requests/{pakistan_request.pk}/answer",
                             {"answer": "It is the shelter near the market."}).status_code == 200
    held_case.refresh_from_db()
    assert held_case.status == CaseStatus.TRIAGED
    # The other partner may still add its answer; the clock is already running.
    sudan_request = requests.exclude(pk=pakistan_request.pk).get()
    assert sudan_api.post(f"/review/information-requests/{sudan_request.pk}/answer",
                          {"answer": "Abu Shouk."}).status_code == 200
    assert ClockPause.objects.filter(case=held_case).count() == 1
