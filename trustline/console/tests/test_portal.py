"""Partner portal pages: answering a question, contesting a decision, notifications and webhooks, own figures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from trustline.accounts.models import User
from trustline.appeals.models import Appeal
from trustline.cases.models import Case
from trustline.intake.models import Report
from trustline.notifications.models import NotificationSetting, WebhookEndpoint
from trustline.review.models import Decision, InformationRequest

pytestmark = pytest.mark.django_db


class TestInformationRequests:
    def test_the_partner_sees_and_answers_the_question(self, asked: InformationRequest, analyst_amal: User,
                                                       staff_client: Callable[[User], Client]) -> None:
        client = staff_client(analyst_amal)
        listing = client.get("/console/portal/information-requests/")
        assert listing.status_code == 200 and b"&lt;b&gt;named&lt;/b&gt;" in listing.content
        page = client.get(f"/console/portal/information-requests/{asked.pk}/")
        assert b"Send the answer" in page.content
        response = client.post(f"/console/portal/information-requests/{asked.pk}/",
                               {"answer": "Yes, the Abu Shouk shelter."})
        assert response.status_code == 302
        asked.refresh_from_db()
        assert asked.status == "answered" and asked.answer == "Yes, the Abu Shouk shelter."

    def test_an_empty_answer_is_refused_on_the_form(self, asked: InformationRequest, analyst_amal: User,
                                                    staff_client: Callable[[User], Client]) -> None:
        response = staff_client(analyst_amal).post(f"/console/portal/information-requests/{asked.pk}/",
                                                   {"answer": "   "})
        assert response.status_code == 200 and b"field-error" in response.content

    def test_another_partner_gets_not_found(self, asked: InformationRequest, analyst_bilal: User,
                                            staff_client: Callable[[User], Client]) -> None:
        client = staff_client(analyst_bilal)
        assert client.get(f"/console/portal/information-requests/{asked.pk}/").status_code == 404
        assert client.post(f"/console/portal/information-requests/{asked.pk}/", {"answer": "x"}).status_code == 404

    def test_anonymous_is_sent_to_sign_in(self, asked: InformationRequest) -> None:
        assert Client().get(f"/console/portal/information-requests/{asked.pk}/").status_code == 302


class TestContest:
    def test_the_partner_sees_the_outcome_and_contests(self, decided: tuple[Case, Decision], analyst_amal: User,
                                                       staff_client: Callable[[User], Client]) -> None:
        case, decision = decided
        client = staff_client(analyst_amal)
        report = Report.objects.get(items__case=case)
        detail = client.get(f"/portal/reports/{report.pk}/").content.decode()
        assert "Violating" in detail and f"/console/portal/decisions/{decision.pk}/contest/" in detail
        response = client.post(f"/console/portal/decisions/{decision.pk}/contest/",
                               {"reasons": "The post is news reporting, not a call to violence."})
        assert response.status_code == 302, response.content.decode()[:2000]
        appeal = Appeal.objects.get(decision=decision)
        assert appeal.organisation_id == report.organisation_id

    def test_another_partner_and_staff_get_not_found(self, decided: tuple[Case, Decision], analyst_bilal: User,
                                                     lead_lena: User, staff_client: Callable[[User], Client]) -> None:
        _case, decision = decided
        assert staff_client(analyst_bilal).get(f"/console/portal/decisions/{decision.pk}/contest/").status_code == 404
        assert staff_client(lead_lena).get(f"/console/portal/decisions/{decision.pk}/contest/").status_code == 404

    def test_empty_reasons_are_refused(self, decided: tuple[Case, Decision], analyst_amal: User,
                                       staff_client: Callable[[User], Client]) -> None:
        _case, decision = decided
        response = staff_client(analyst_amal).post(f"/console/portal/decisions/{decision.pk}/contest/",
                                                   {"reasons": ""})
        assert response.status_code == 200 and not Appeal.objects.exists()


class TestNotifications:
    def test_a_partner_admin_changes_settings_and_adds_a_webhook(self, admin_omar: User,
                                                                 staff_client: Callable[[User], Client]) -> None:
        client = staff_client(admin_omar)
        assert client.get("/console/portal/notifications/").status_code == 200
        response = client.post("/console/portal/notifications/", {
            "form": "settings", "email_enabled": "on", "daily_digest_enabled": "on",
            "email_recipients": "desk@sudan-monitor.example\nlead@sudan-monitor.example",
        })
        assert response.status_code == 302
        setting = NotificationSetting.objects.get(organisation__memberships__user=admin_omar)
        assert setting.daily_digest_enabled and not setting.webhook_enabled
        assert setting.email_recipients == ["desk@sudan-monitor.example", "lead@sudan-monitor.example"]
        page = client.post("/console/portal/notifications/", {"form": "webhook",
                                                              "url": "https://hooks.sudan-monitor.example/tl"})
        assert page.status_code == 200 and b"whsec_" in page.content
        assert WebhookEndpoint.objects.filter(url="https://hooks.sudan-monitor.example/tl").exists()

    def test_a_partner_admin_chooses_the_language_of_e_mails(self, admin_omar: User,
                                                             staff_client: Callable[[User], Client]) -> None:
        client = staff_client(admin_omar)
        page = client.get("/console/portal/notifications/").content.decode()
        # The default is named: the Sudanese partner covers Arabic.
        assert '<option value="" selected>Automatic: العربية</option>' in page
        response = client.post("/console/portal/notifications/", {
            "form": "settings", "email_enabled": "on", "email_recipients": "", "email_language": "fr"})
        assert response.status_code == 302
        assert NotificationSetting.objects.get(organisation__memberships__user=admin_omar).email_language == "fr"
        assert '<option value="fr" selected>Français</option>' in client.get("/console/portal/notifications/") \
            .content.decode()
        refused = client.post("/console/portal/notifications/", {
            "form": "settings", "email_enabled": "on", "email_recipients": "", "email_language": "ur"}).content
        assert b"field-error" in refused  # not a language Trustline writes in
        assert NotificationSetting.objects.get(organisation__memberships__user=admin_omar).email_language == "fr"

    def test_an_analyst_is_refused(self, analyst_amal: User, staff_client: Callable[[User], Client]) -> None:
        assert staff_client(analyst_amal).get("/console/portal/notifications/").status_code == 403

    def test_a_bad_webhook_url_is_shown_on_the_form(self, admin_omar: User,
                                                    staff_client: Callable[[User], Client]) -> None:
        page = staff_client(admin_omar).post("/console/portal/notifications/", {"form": "webhook",
                                                                               "url": "not a web address"})
        assert page.status_code == 200 and b"field-error" in page.content
        assert not WebhookEndpoint.objects.exists()


class TestFigures:
    def test_a_partner_sees_only_its_own_figures(self, analyst_amal: User, analyst_bilal: User,
                                                 submit: Callable[..., Any],
                                                 staff_client: Callable[[User], Client]) -> None:
        submit(analyst_amal)
        submit(analyst_amal)
        submit(analyst_bilal, country="PK", language="ur")
        page = staff_client(analyst_amal).get("/console/portal/figures/")
        assert page.status_code == 200
        assert page.context["figures"].total == 2

    def test_staff_get_not_found(self, lead_lena: User, staff_client: Callable[[User], Client]) -> None:
        assert staff_client(lead_lena).get("/console/portal/figures/").status_code == 404
