"""Partner-facing explanations: editable templates per outcome and language, filled safely with the case's facts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.conftest import ApiClient, assert_error
from trustline.core import clock
from trustline.core.exceptions import ValidationFailed
from trustline.review.models import DecisionTemplate
from trustline.review.templates_text import render_explanation, template_problems
from trustline.review.tests.conftest import Decide

pytestmark = pytest.mark.django_db

SessionApi = Callable[[User], ApiClient]


@pytest.mark.parametrize(
    "body",
    [
        "{category.__class__.__mro__}",
        "{category[0]}",
        "{category!r}",
        "{category:>999999999}",
        "{internal_note}",
        "{0}",
        "{}",
        "unbalanced {category",
        "   ",
    ],
)
def test_a_template_may_only_use_the_listed_placeholders_as_they_are(body: str):
    assert template_problems(body)
    with pytest.raises(ValidationFailed):
        render_explanation(body, {"category": "Incitement"})


def test_filling_is_one_pass_and_literal_braces_survive():
    facts = {"category": "{question}", "question": "never shown"}

    assert render_explanation("{{policy}} {category}", facts) == "{policy} {question}"


def test_the_default_templates_are_listed_for_every_outcome(session_api: SessionApi, reviewer_rita: User):
    body = session_api(reviewer_rita).get("/review/templates").json()

    assert sorted(t["outcome"] for t in body) == sorted([
        "violating", "not_violating", "needs_more_information", "out_of_scope", "referred_to_policy_review",
        "referred_to_law_enforcement"])
    assert all(t["language"] == "en" and t["is_active"] for t in body)


def test_the_preview_fills_the_template_with_the_case_facts(
    held_case: Case, reviewer_rita: User, session_api: SessionApi,
):
    response = session_api(reviewer_rita).post("/review/templates/preview", {
        "case_id": str(held_case.pk), "outcome": "violating", "policy": "incitement_violence",
        "actions": ["label"], "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": "Community Guidelines §4",
    })

    assert response.status_code == 200, response.content
    body = response.json()
    assert "report of 2026-03-02" in body["explanation"]
    assert "reported as Incitement to violence or hatred" in body["explanation"]
    assert "added a label to it" in body["explanation"]
    assert "Ground: Community Guidelines §4" in body["explanation"]
    assert "category" in body["placeholders"]
    assert body["template_id"] == DecisionTemplate.objects.get(outcome="violating").pk


def test_a_template_in_the_partners_language_is_chosen(
    held_case: Case, reviewer_rita: User, decide: Decide,
):
    arabic = DecisionTemplate.objects.create(
        outcome="not_violating", language="ar", name="غير مخالف", body="شكراً لبلاغكم بتاريخ {reported_on}.",
        updated_at=clock.now(),
    )

    response = decide(reviewer_rita, held_case, outcome="not_violating")  # the report is in Arabic

    assert response.json()["template_id"] == arabic.pk
    assert response.json()["language"] == "ar"
    assert response.json()["explanation"] == "شكراً لبلاغكم بتاريخ 2026-03-02."


def test_a_named_template_must_fit_the_outcome(held_case: Case, reviewer_rita: User, decide: Decide):
    violating = DecisionTemplate.objects.get(outcome="violating")

    assert_error(decide(reviewer_rita, held_case, outcome="not_violating", template_id=violating.pk), 422,
                 "invalid", "template_id")


def test_without_an_active_template_the_packaged_default_is_used(
    held_case: Case, reviewer_rita: User, decide: Decide,
):
    DecisionTemplate.objects.filter(outcome="out_of_scope").update(is_active=False)

    response = decide(reviewer_rita, held_case, outcome="out_of_scope")

    assert response.status_code == 201, response.content
    assert response.json()["template_id"] is None
    assert "falls outside" in response.json()["explanation"]
