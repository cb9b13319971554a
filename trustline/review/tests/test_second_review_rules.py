"""Setting the second-review rules: ``second_review_rule_set`` (permission, validation, audit in the same
transaction, create-or-update) and the Django admin, which now saves through it with the shared form."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.audit.models import AuditEntry
from trustline.conftest import actor_of
from trustline.core.exceptions import PermissionDenied, ValidationFailed
from trustline.review.models import SecondReviewRule
from trustline.review.services import second_review_rule_set

pytestmark = pytest.mark.django_db

GOOD: dict[str, Any] = {"is_active": True, "targets": ["journalist"], "tiers": [], "outcomes": []}


def rule_audits() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="second_review_rule.changed").order_by("id"))


@pytest.fixture
def superuser_sami(db: None) -> User:
    return User.objects.create_superuser(username="sami", email="sami@kite.example", password="not-used-here")


class TestService:
    def test_it_changes_the_rule_and_records_what_changed(self, pm_pablo: User) -> None:
        rule = second_review_rule_set(actor=actor_of(pm_pablo), kind="protected_target", **GOOD)
        rule.refresh_from_db()
        assert rule.targets == ["journalist"] and rule.is_active
        [entry] = rule_audits()
        assert entry.actor == f"user:{pm_pablo.pk}" and entry.target_id == str(rule.pk)
        assert entry.data == {"created": False, "changed": ["targets"], "kind": "protected_target",
                              "is_active": True, "targets": ["journalist"], "tiers": [], "outcomes": []}

    def test_the_audit_entry_is_in_the_same_transaction(self, pm_pablo: User) -> None:
        before = SecondReviewRule.objects.get(kind="protected_target").targets
        with pytest.raises(RuntimeError), transaction.atomic():
            second_review_rule_set(actor=actor_of(pm_pablo), kind="protected_target", **GOOD)
            assert len(rule_audits()) == 1
            raise RuntimeError("roll back")
        assert SecondReviewRule.objects.get(kind="protected_target").targets == before
        assert rule_audits() == []

    def test_saving_the_same_values_records_nothing(self, pm_pablo: User) -> None:
        second_review_rule_set(actor=actor_of(pm_pablo), kind="protected_target", **GOOD)
        second_review_rule_set(actor=actor_of(pm_pablo), kind="protected_target", **GOOD)
        assert len(rule_audits()) == 1

    def test_it_creates_a_kind_that_has_no_rule(self) -> None:
        SecondReviewRule.objects.filter(kind="public_figure").delete()  # as if never seeded
        rule = second_review_rule_set(actor=SYSTEM, kind="public_figure", is_active=False, targets=[], tiers=[],
                                      outcomes=[])
        assert SecondReviewRule.objects.get(kind="public_figure").pk == rule.pk and not rule.is_active
        [entry] = rule_audits()
        assert entry.data["created"] is True

    def test_staff_without_the_permission_are_refused(self, reviewer_rita: User, lead_lena: User,
                                                      auditor_aziz: User, analyst_amal: User) -> None:
        for person in (reviewer_rita, lead_lena, auditor_aziz, analyst_amal):
            with pytest.raises(PermissionDenied):
                second_review_rule_set(actor=actor_of(person), kind="protected_target", **GOOD)
        assert rule_audits() == []

    def test_it_refuses_bad_parameters_naming_every_field(self, admin_ada: User) -> None:
        before = SecondReviewRule.objects.get(kind="tier_not_violating")
        with pytest.raises(ValidationFailed) as caught:
            second_review_rule_set(actor=actor_of(admin_ada), kind="tier_not_violating", is_active=True,
                                   targets=[{"x": 1}], tiers=[0, 1], outcomes=["violating", "maybe"])
        assert caught.value.fields == {"targets": ["targets are text values"], "tiers": ["tiers are 1, 2 or 3"],
                                       "outcomes": ["unknown outcomes: maybe"]}
        with pytest.raises(ValidationFailed) as caught:
            second_review_rule_set(actor=actor_of(admin_ada), kind="tier_not_violating", is_active=True,
                                   targets="journalist", tiers=1, outcomes=None)
        assert set(caught.value.fields) == {"targets", "tiers", "outcomes"}
        with pytest.raises(ValidationFailed) as caught:
            second_review_rule_set(actor=actor_of(admin_ada), kind="nothing", **GOOD)
        assert set(caught.value.fields) == {"kind"}
        after = SecondReviewRule.objects.get(kind="tier_not_violating")
        assert (after.tiers, after.outcomes, after.updated_at) == (before.tiers, before.outcomes, before.updated_at)
        assert rule_audits() == []


class TestAdmin:
    def test_the_admin_saves_through_the_service(self, superuser_sami: User) -> None:
        admin = Client()
        admin.force_login(superuser_sami)
        rule = SecondReviewRule.objects.get(kind="tier_not_violating")
        url = f"/admin/review/secondreviewrule/{rule.pk}/change/"
        response = admin.post(url, {"kind": "tier_not_violating", "is_active": "on", "targets": "[]",
                                    "tiers": "[1, 3]", "outcomes": '["not_violating"]', "_save": "Save"})
        assert response.status_code == 302, response.content.decode()[:2000]
        rule.refresh_from_db()
        assert rule.tiers == [1, 3]
        [entry] = rule_audits()
        assert entry.actor == f"user:{superuser_sami.pk}" and entry.data["changed"] == ["tiers"]

    def test_the_admin_shows_the_same_field_errors(self, superuser_sami: User) -> None:
        admin = Client()
        admin.force_login(superuser_sami)
        rule = SecondReviewRule.objects.get(kind="tier_not_violating")
        response = admin.post(f"/admin/review/secondreviewrule/{rule.pk}/change/", {
            "kind": "tier_not_violating", "is_active": "on", "targets": "[]", "tiers": "[7]",
            "outcomes": '["maybe"]', "_save": "Save"})
        assert response.status_code == 200
        body = response.content.decode()
        assert "tiers are 1, 2 or 3" in body and "unknown outcomes: maybe" in body
        assert SecondReviewRule.objects.get(kind="tier_not_violating").tiers == rule.tiers
        assert rule_audits() == []

    def test_the_admin_adds_a_kind_that_has_no_rule(self, superuser_sami: User) -> None:
        SecondReviewRule.objects.filter(kind="public_figure").delete()
        admin = Client()
        admin.force_login(superuser_sami)
        response = admin.post("/admin/review/secondreviewrule/add/", {
            "kind": "public_figure", "is_active": "on", "targets": "[]", "tiers": "[]", "outcomes": "[]",
            "_save": "Save"})
        assert response.status_code == 302, response.content.decode()[:2000]
        rule = SecondReviewRule.objects.get(kind="public_figure")
        [entry] = rule_audits()
        assert entry.data["created"] is True and entry.target_id == str(rule.pk)
