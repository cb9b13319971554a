"""Second-review rule pages (/console/second-review/rules/): who may open them, saving through the audited
service, the shared form's field errors, creating a kind that has no rule yet."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.review.models import SecondReviewRule

pytestmark = pytest.mark.django_db

LIST = "/console/second-review/rules/"
TIER = "/console/second-review/rules/tier_not_violating/"
SignedIn = Callable[[User], Client]


def rule_audits() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="second_review_rule.changed").order_by("id"))


def form(**overrides: str) -> dict[str, str]:
    data = {"is_active": "on", "targets": "[]", "tiers": "[1, 2]", "outcomes": '["not_violating"]'}
    data.update(overrides)
    return data


class TestAccess:
    def test_anonymous_is_sent_to_sign_in(self) -> None:
        for path in (LIST, TIER):
            response = Client().get(path)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_a_partner_gets_not_found(self, analyst_amal: User, admin_omar: User,
                                      staff_client: Callable[[User], Client]) -> None:
        for person in (analyst_amal, admin_omar):
            client = staff_client(person)
            assert client.get(LIST).status_code == 404
            assert client.post(TIER, form()).status_code == 404
        assert rule_audits() == []

    def test_a_reviewer_gets_not_found_and_no_link(self, reviewer_rita: User, lead_lena: User,
                                                   signed_in: SignedIn) -> None:
        for person in (reviewer_rita, lead_lena):
            client = signed_in(person)
            assert client.get(LIST).status_code == 404
            assert client.get(TIER).status_code == 404
            assert client.post(TIER, form()).status_code == 404
            assert LIST not in client.get("/console/").content.decode()
        assert rule_audits() == []

    def test_a_programme_manager_sees_every_kind_and_the_link(self, pm_pablo: User, signed_in: SignedIn) -> None:
        client = signed_in(pm_pablo)
        page = client.get(LIST)
        assert page.status_code == 200
        body = page.content.decode()
        for kind in ("protected_target", "public_figure", "tier_not_violating"):
            assert f"/console/second-review/rules/{kind}/" in body
        assert f'href="{LIST}" aria-current="page">Review rules' in body
        assert f'href="{LIST}"' in client.get("/console/").content.decode()

    def test_an_administrator_may_open_them_too(self, admin_ada: User, signed_in: SignedIn) -> None:
        assert signed_in(admin_ada).get(TIER).status_code == 200

    def test_an_unknown_kind_is_not_found(self, pm_pablo: User, signed_in: SignedIn) -> None:
        assert signed_in(pm_pablo).get("/console/second-review/rules/nothing/").status_code == 404


class TestEdit:
    def test_it_saves_through_the_service_and_writes_an_audit_entry(self, pm_pablo: User,
                                                                     signed_in: SignedIn) -> None:
        client = signed_in(pm_pablo)
        assert client.get(TIER).status_code == 200
        response = client.post(TIER, form())
        assert response.status_code == 302 and response["Location"] == LIST
        rule = SecondReviewRule.objects.get(kind="tier_not_violating")
        assert rule.is_active and rule.tiers == [1, 2] and rule.outcomes == ["not_violating"]
        [entry] = rule_audits()
        assert entry.actor == f"user:{pm_pablo.pk}" and entry.target_id == str(rule.pk)
        assert entry.data["created"] is False and "tiers" in entry.data["changed"]
        assert entry.data["tiers"] == [1, 2]
        assert "Rule saved." in client.get(LIST).content.decode()

    def test_invalid_parameters_show_the_field_error_and_change_nothing(self, pm_pablo: User,
                                                                         signed_in: SignedIn) -> None:
        before = SecondReviewRule.objects.get(kind="tier_not_violating")
        client = signed_in(pm_pablo)
        for data, message in (
            (form(tiers="[4]"), "tiers are 1, 2 or 3"),
            (form(outcomes='["maybe"]'), "unknown outcomes: maybe"),
            (form(tiers='{"a": 1}'), "must be a list"),
            (form(targets="[1]"), "targets are text values"),
            (form(tiers="[1"), "Enter a valid JSON."),
        ):
            response = client.post(TIER, data)
            assert response.status_code == 400
            body = response.content.decode()
            assert "Nothing was saved" in body and message in body, message
        after = SecondReviewRule.objects.get(kind="tier_not_violating")
        assert (after.tiers, after.outcomes, after.targets, after.updated_at) == (
            before.tiers, before.outcomes, before.targets, before.updated_at)
        assert rule_audits() == []

    def test_the_kind_comes_from_the_page_not_the_form(self, pm_pablo: User, signed_in: SignedIn) -> None:
        public_figure = SecondReviewRule.objects.get(kind="public_figure")
        response = signed_in(pm_pablo).post(TIER, form(kind="public_figure", is_active=""))
        assert response.status_code == 302
        assert not SecondReviewRule.objects.get(kind="tier_not_violating").is_active
        public_figure.refresh_from_db()
        assert public_figure.is_active

    def test_it_creates_the_rule_of_a_kind_that_has_none(self, pm_pablo: User, signed_in: SignedIn) -> None:
        SecondReviewRule.objects.filter(kind="public_figure").delete()  # as if never seeded
        client = signed_in(pm_pablo)
        assert "Create" in client.get(LIST).content.decode()
        path = "/console/second-review/rules/public_figure/"
        assert client.get(path).status_code == 200
        assert client.post(path, form(tiers="[]", outcomes="[]")).status_code == 302
        rule = SecondReviewRule.objects.get(kind="public_figure")
        assert rule.is_active
        [entry] = rule_audits()
        assert entry.data["created"] is True and entry.target_id == str(rule.pk)
