"""Drafts of the partner's answer and contest forms: the server says when the browser may delete them.

``static/trustline/drafts.js`` deletes a form's draft when a page names it in
``data-draft-done``; these tests check that the pages name it exactly when
the form's content is stored, and that a retry after a lost reply stores
nothing twice. (The browser side is in ``test_browser.py``.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.template import RequestContext, Template
from django.test import Client, RequestFactory

from trustline.accounts.models import User
from trustline.appeals.models import Appeal
from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.core.drafts import draft_stored
from trustline.intake.models import Report
from trustline.review.information import information_requests_expire
from trustline.review.models import Decision, InformationRequest

pytestmark = pytest.mark.django_db

ANSWER = "Yes, the Abu Shouk shelter; the volunteers there were threatened on Friday."
REASONS = "The post is news reporting, not a call to violence."


def done(page: Any, key: str) -> bool:
    return f'data-draft-done="{key}"' in page.content.decode()


class TestAnswerDrafts:
    def test_the_open_question_keeps_a_draft_and_the_next_page_after_the_answer_deletes_it(
        self, asked: InformationRequest, analyst_amal: User, staff_client: Callable[[User], Client],
    ) -> None:
        client = staff_client(analyst_amal)
        key = f"answer:{analyst_amal.pk}:{asked.pk}"
        page = client.get(f"/console/portal/information-requests/{asked.pk}/").content.decode()
        assert f'data-draft="{key}" data-draft-restore' in page and f'data-draft-done="{key}"' not in page

        response = client.post(f"/console/portal/information-requests/{asked.pk}/", {"answer": ANSWER})
        assert response.status_code == 302
        # The next full page names the stored draft, whichever it is (the redirect may be lost), then no page does.
        assert done(client.get("/portal/reports/"), key)
        assert not done(client.get("/portal/reports/"), key)
        assert not done(client.get(f"/console/portal/information-requests/{asked.pk}/"), key)

    def test_a_colleagues_answer_leaves_this_persons_draft(
        self, asked: InformationRequest, analyst_amal: User, admin_omar: User, staff_client: Callable[[User], Client],
    ) -> None:
        """Omar answered; Amal's unsent text in her browser is hers to keep (her page shows no form to restore it)."""
        assert staff_client(admin_omar).post(f"/console/portal/information-requests/{asked.pk}/",
                                             {"answer": ANSWER}).status_code == 302
        page = staff_client(analyst_amal).get(f"/console/portal/information-requests/{asked.pk}/")

        assert "data-draft-done" not in page.content.decode() and ANSWER in page.content.decode()

    def test_the_same_answer_sent_again_is_taken_as_received(
        self, asked: InformationRequest, analyst_amal: User, staff_client: Callable[[User], Client],
    ) -> None:
        client = staff_client(analyst_amal)
        url = f"/console/portal/information-requests/{asked.pk}/"
        assert client.post(url, {"answer": ANSWER}).status_code == 302
        recorded = AuditEntry.objects.count()

        again = client.post(url, {"answer": ANSWER}, follow=True)
        assert again.redirect_chain[-1][1] == 302 and "your answer is with the reviewer" in again.content.decode()
        assert AuditEntry.objects.count() == recorded

    def test_an_answer_sent_after_the_question_expired_is_shown_back(
        self, asked: InformationRequest, analyst_amal: User, staff_client: Callable[[User], Client],
    ) -> None:
        client = staff_client(analyst_amal)
        assert information_requests_expire(now=asked.due_at + dt.timedelta(minutes=1)) == 1

        page = client.post(f"/console/portal/information-requests/{asked.pk}/", {"answer": ANSWER})
        text = page.content.decode()
        assert page.status_code == 200, text
        assert "This question was not answered in time; it can no longer be answered." in text
        assert "Your text, not sent" in text and "the Abu Shouk shelter" in text
        # Not stored: the browser keeps the draft.
        assert not done(page, f"answer:{analyst_amal.pk}:{asked.pk}")


class TestContestDrafts:
    def test_the_report_page_after_a_contest_deletes_its_draft(
        self, decided: tuple[Case, Decision], analyst_amal: User, staff_client: Callable[[User], Client],
    ) -> None:
        case, decision = decided
        client = staff_client(analyst_amal)
        key = f"contest:{analyst_amal.pk}:{decision.pk}"
        url = f"/console/portal/decisions/{decision.pk}/contest/"
        page = client.get(url)
        assert f'data-draft="{key}" data-draft-restore' in page.content.decode() and not done(page, key)

        response = client.post(url, {"reasons": REASONS})
        report = Report.objects.get(items__case=case)
        assert response["Location"] == f"/portal/reports/{report.pk}/"
        assert done(client.get(response["Location"]), key)
        # While the contest is open, its form's page says so instead of the form (a reply lost, the partner is back).
        again = client.get(url)
        assert "contest of this decision is registered" in again.content.decode()
        assert 'data-draft="' not in again.content.decode()

    def test_the_same_reasons_sent_again_are_one_contest(
        self, decided: tuple[Case, Decision], analyst_amal: User, staff_client: Callable[[User], Client],
    ) -> None:
        _case, decision = decided
        client = staff_client(analyst_amal)
        url = f"/console/portal/decisions/{decision.pk}/contest/"
        first = client.post(url, {"reasons": REASONS})
        again = client.post(url, {"reasons": REASONS})
        assert (first.status_code, again.status_code) == (302, 302)
        assert Appeal.objects.filter(decision=decision).count() == 1

        other = client.post(url, {"reasons": "Other reasons."})
        assert other.status_code == 200 and "You already have an open contest of this decision." in (
            other.content.decode())


def test_a_page_that_does_not_show_the_keys_leaves_them_for_the_next_one(rf: RequestFactory) -> None:
    """An htmx fragment renders without base.html: it must not use up the keys the next full page shows."""
    request = rf.get("/")
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    request.user = AnonymousUser()
    draft_stored(request, "answer:1:a")
    draft_stored(request, "contest:1:b")
    draft_stored(request, "answer:1:a")

    assert Template("{{ actor }}").render(RequestContext(request, {})) == "None"
    assert Template("{% for k in drafts_stored %}{{ k }} {% endfor %}").render(RequestContext(request, {})) == (
        "contest:1:b answer:1:a ")
    assert Template("{% for k in drafts_stored %}{{ k }} {% endfor %}").render(RequestContext(request, {})) == ""
