"""Reviewer console: queue, next case, the case page, deciding, releasing, second review, the leave page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.console.tests.conftest import VIOLATING_FORM, case_of
from trustline.core import clock
from trustline.review.models import Decision
from trustline.routing.reviewers import reviewer_skills_set
from trustline.routing.services import case_hold, case_reassign

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def arabic_rita(reviewer_rita: User) -> User:
    reviewer_skills_set(actor=SYSTEM, user_id=reviewer_rita.pk, languages=["ar"], countries=["SD"])
    return reviewer_rita


@pytest.fixture
def queued(analyst_amal: User, submit: Callable[..., Any]) -> Case:
    return case_of(submit(analyst_amal, explanation=f"Calls for attacks {XSS}", language="ar"))


class TestAccess:
    def test_anonymous_people_are_sent_to_sign_in(self, db: None) -> None:
        response = Client().get("/console/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")

    def test_partners_get_not_found(self, analyst_amal: User, staff_client: Callable[[User], Client],
                                    queued: Case) -> None:
        client = staff_client(analyst_amal)
        assert client.get("/console/").status_code == 404
        assert client.get(f"/console/cases/{queued.pk}/").status_code == 404
        assert client.get("/console/dashboards/").status_code == 404

    def test_someone_without_membership_is_refused(self, outsider_charlie: User,
                                                   staff_client: Callable[[User], Client]) -> None:
        assert staff_client(outsider_charlie).get("/console/").status_code == 403

    def test_staff_see_the_queue(self, arabic_rita: User, signed_in: Callable[[User], Client],
                                 queued: Case) -> None:
        page = signed_in(arabic_rita).get("/console/")
        assert page.status_code == 200
        assert str(queued.pk)[-8:].encode() in page.content
        assert b'id="next-case"' in page.content
        assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]


    def test_a_case_on_hold_shows_its_clock_paused_not_overdue(self, arabic_rita: User, queued: Case,
                                                                  signed_in: Callable[[User], Client]) -> None:
        client = signed_in(arabic_rita)
        client.post("/console/next/")
        case_hold(actor=actor_of(arabic_rita), case_id=queued.pk, reason="Waiting for the partner's screenshots")

        body = signed_in(arabic_rita).get("/console/").content.decode()
        row = body[body.index(str(queued.pk)[-8:]):]
        row = row[:row.index("</tr>")]
        assert "clock paused" in row and "data-countdown" not in row


class TestDecideByOnTheCasePage:
    """A decided case is measured by its decision, not by how long ago its deadline passed."""

    def decide_at(self, client: Client, case: Case, moment: dt.datetime) -> None:
        with clock.frozen_at(moment):
            client.post("/console/next/")
            response = client.post(f"/console/cases/{case.pk}/decide/", {
                "outcome": "not_violating", "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
                "internal_note": "checked the context",
            })
        assert response.status_code == 302, response.content.decode()[:2000]

    def decide_by(self, client: Client, case: Case) -> str:
        body = client.get(f"/console/cases/{case.pk}/").content.decode()
        start = body.index("Decide by")
        return body[start:body.index("</dd>", start)]

    def test_decided_in_time_stays_in_time_after_the_deadline(self, arabic_rita: User, queued: Case,
                                                              signed_in: Callable[[User], Client]) -> None:
        client = signed_in(arabic_rita)
        assert queued.decide_due_at is not None
        self.decide_at(client, queued, queued.decide_due_at - dt.timedelta(hours=1))

        with clock.frozen_at(queued.decide_due_at + dt.timedelta(days=20)):
            shown = self.decide_by(client, queued)
        assert "decided in time" in shown and "overdue" not in shown

    def test_decided_late_says_by_how_much(self, arabic_rita: User, queued: Case,
                                          signed_in: Callable[[User], Client]) -> None:
        client = signed_in(arabic_rita)
        assert queued.decide_due_at is not None
        self.decide_at(client, queued, queued.decide_due_at + dt.timedelta(hours=3))

        with clock.frozen_at(queued.decide_due_at + dt.timedelta(days=20)):
            shown = self.decide_by(client, queued)
        assert "decided 3\xa0hours late" in shown and "(overdue)" not in shown

    def test_undecided_past_its_deadline_is_overdue(self, arabic_rita: User, queued: Case,
                                                   signed_in: Callable[[User], Client]) -> None:
        assert queued.decide_due_at is not None
        with clock.frozen_at(queued.decide_due_at + dt.timedelta(hours=1)):
            shown = self.decide_by(signed_in(arabic_rita), queued)
        assert "(overdue)" in shown and "decided" not in shown


class TestNextCaseAndDecide:
    def test_next_case_claims_and_opens_the_case_page(self, arabic_rita: User, signed_in: Callable[[User], Client],
                                                      queued: Case) -> None:
        client = signed_in(arabic_rita)
        response = client.post("/console/next/")
        assert response.status_code == 302 and response["Location"] == f"/console/cases/{queued.pk}/"
        queued.refresh_from_db()
        assert queued.assigned_to_id == arabic_rita.pk and queued.status == CaseStatus.IN_REVIEW
        page = client.get(response["Location"])
        assert page.status_code == 200
        body = page.content.decode()
        assert "Record the decision" in body
        assert "Sudan" in body or "SD" in body
        assert XSS not in body and "&lt;script&gt;" in body  # the partner's text, escaped
        assert 'dir="auto"' in body
        assert "/console/leave?url=https%3A%2F%2Fkite.example" in body  # external links go through the warning
        assert "Priority components" in body

    def test_next_case_with_an_empty_queue_says_so(self, arabic_rita: User,
                                                   signed_in: Callable[[User], Client]) -> None:
        client = signed_in(arabic_rita)
        response = client.post("/console/next/", follow=True)
        assert b"Nothing is waiting for you" in response.content

    def test_a_decision_is_recorded_through_review(self, arabic_rita: User, signed_in: Callable[[User], Client],
                                                   queued: Case) -> None:
        client = signed_in(arabic_rita)
        client.post("/console/next/")
        response = client.post(f"/console/cases/{queued.pk}/decide/", {
            "outcome": "not_violating", "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
            "internal_note": "checked the context",
        })
        assert response.status_code == 302, response.content.decode()[:3000]
        decision = Decision.objects.get(case=queued)
        assert decision.outcome == "not_violating" and decision.decided_by_id == arabic_rita.pk

    def test_review_errors_come_back_on_the_form(self, arabic_rita: User, signed_in: Callable[[User], Client],
                                                 queued: Case) -> None:
        client = signed_in(arabic_rita)
        client.post("/console/next/")
        response = client.post(f"/console/cases/{queued.pk}/decide/", {
            "outcome": "violating", "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED", "actions": ["remove"],
        })
        assert response.status_code == 400
        assert b"field-error" in response.content
        assert not Decision.objects.filter(case=queued).exists()

    def test_a_reviewer_not_holding_the_case_sees_no_form_and_cannot_decide(
        self, arabic_rita: User, lead_lena: User, signed_in: Callable[[User], Client], queued: Case,
        reviewer_rafael: User,
    ) -> None:
        case_reassign(actor=SYSTEM, case_id=queued.pk, reviewer=reviewer_rafael.pk, reason="test")
        client = signed_in(arabic_rita)
        assert b"Record the decision" not in client.get(f"/console/cases/{queued.pk}/").content
        response = client.post(f"/console/cases/{queued.pk}/decide/", {
            "outcome": "not_violating", "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED"})
        assert response.status_code in {400, 403}
        assert not Decision.objects.filter(case=queued).exists()

    def test_release_gives_the_case_back(self, arabic_rita: User, signed_in: Callable[[User], Client],
                                         queued: Case) -> None:
        client = signed_in(arabic_rita)
        client.post("/console/next/")
        response = client.post(f"/console/cases/{queued.pk}/release/", {"reason": "conflict of interest"})
        assert response.status_code == 302
        queued.refresh_from_db()
        assert queued.status == CaseStatus.TRIAGED and queued.assigned_to_id is None

    def test_an_unknown_case_is_not_found(self, arabic_rita: User, signed_in: Callable[[User], Client]) -> None:
        assert signed_in(arabic_rita).get("/console/cases/0190b2c4-0000-7000-8000-000000000000/").status_code == 404


class TestAReferredCase:
    """A referral leaves the content undecided: the escalation lead can still decide it from the case page."""

    REFER = {"outcome": "referred_to_policy_review", "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
             "internal_note": "new coded slur: policy to rule"}

    def test_the_lead_sees_the_form_and_decides_the_reviewer_does_not(
        self, arabic_rita: User, lead_lena: User, signed_in: Callable[[User], Client], queued: Case,
        demo_platform: None,
    ) -> None:
        rita = signed_in(arabic_rita)
        rita.post("/console/next/")
        assert rita.post(f"/console/cases/{queued.pk}/decide/", self.REFER).status_code == 302
        assert b"Record the decision" not in rita.get(f"/console/cases/{queued.pk}/").content

        lena = signed_in(lead_lena)
        page = lena.get(f"/console/cases/{queued.pk}/").content.decode()
        assert "Record the decision" in page and "the content itself is still undecided" in page
        response = lena.post(f"/console/cases/{queued.pk}/decide/", VIOLATING_FORM)

        assert response.status_code == 302, response.content.decode()[:2000]
        assert list(Decision.objects.filter(case=queued).order_by("decided_at", "pk").values_list(
            "outcome", "status")) == [("referred_to_policy_review", "superseded"), ("violating", "effective")]

    def test_a_case_decided_on_its_content_offers_the_lead_no_form(
        self, arabic_rita: User, lead_lena: User, signed_in: Callable[[User], Client], queued: Case, settings: Any,
    ) -> None:
        """The manual platform leaves the removal waiting, so the case stays open; it is decided all the same."""
        settings.PLATFORM_CONNECTOR = {"BACKEND": "trustline.platforms.connectors.ManualConnector", "OPTIONS": {}}
        rita = signed_in(arabic_rita)
        rita.post("/console/next/")
        assert rita.post(f"/console/cases/{queued.pk}/decide/", VIOLATING_FORM).status_code == 302
        queued.refresh_from_db()
        assert (queued.status, queued.is_open) == (CaseStatus.DECIDED, True)

        assert b"Record the decision" not in signed_in(lead_lena).get(f"/console/cases/{queued.pk}/").content


class TestTheExplanationsLanguage:
    """The partner's explanation is filled in the reports' language (Arabic here) unless the reviewer picks another."""

    @pytest.mark.parametrize(("language", "starts"), [("", "شكرًا على بلاغك"), ("fr", "Merci pour votre signalement"),
                                                      ("en", "Thank you for your report")])
    def test_the_reviewer_chooses_the_templates_language(
        self, arabic_rita: User, signed_in: Callable[[User], Client], queued: Case, demo_platform: None,
        language: str, starts: str,
    ) -> None:
        rita = signed_in(arabic_rita)
        rita.post("/console/next/")
        page = rita.get(f"/console/cases/{queued.pk}/").content.decode()
        assert '<option value="ar">العربيّة (ar)</option>' in page
        assert '<option value="fr">français (fr)</option>' in page

        response = rita.post(f"/console/cases/{queued.pk}/decide/", {**VIOLATING_FORM, "language": language})

        assert response.status_code == 302, response.content.decode()[:2000]
        decision = Decision.objects.get(case=queued)
        assert decision.explanation.startswith(starts) and decision.language == (language or "ar")


class TestSecondReview:
    def test_a_second_reviewer_confirms_in_the_console(
        self, arabic_rita: User, reviewer_rafael: User, signed_in: Callable[[User], Client],
        analyst_amal: User, submit: Callable[..., Any], demo_platform: None,
    ) -> None:
        case = case_of(submit(analyst_amal, targets=["journalist"], language="ar"))
        rita = signed_in(arabic_rita)
        rita.post("/console/next/")
        assert rita.post(f"/console/cases/{case.pk}/decide/", VIOLATING_FORM).status_code == 302
        decision = Decision.objects.get(case=case)
        assert decision.status == "pending_second_review"
        assert str(decision.pk).encode() not in rita.get("/console/second-review/").content  # never one's own
        rafael = signed_in(reviewer_rafael)
        page = rafael.get("/console/second-review/")
        assert str(decision.pk).encode() in page.content
        response = rafael.post(f"/console/second-review/{decision.pk}/confirm/", {"reason": "checked"})
        assert response.status_code == 302
        decision.refresh_from_db()
        assert decision.status == "effective" and decision.second_reviewer_id == reviewer_rafael.pk

    def test_partners_cannot_open_it(self, analyst_amal: User, staff_client: Callable[[User], Client]) -> None:
        assert staff_client(analyst_amal).get("/console/second-review/").status_code == 404


class TestLeave:
    def test_it_warns_and_links_only_http(self, db: None) -> None:
        page = Client().get("/console/leave", {"url": "https://kite.example/p/1?<b>"})
        assert page.status_code == 200
        assert b'rel="noopener noreferrer nofollow"' in page.content
        assert b"&lt;b&gt;" in page.content
        bad = Client().get("/console/leave", {"url": "javascript:alert(1)"})
        assert b'href="javascript:' not in bad.content
        assert b"not a web address" in bad.content
