"""Partner-facing explanations: editable templates per outcome and language, filled safely with the case's facts."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.utils import translation
from django.utils.translation import gettext

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

    outcomes = ["violating", "not_violating", "needs_more_information", "out_of_scope", "referred_to_policy_review",
                "referred_to_law_enforcement"]
    assert sorted((t["outcome"], t["language"]) for t in body) == sorted(
        (outcome, language) for outcome in outcomes for language in ("en", "fr", "es", "ar"))
    assert all(t["is_active"] and not template_problems(t["body"]) for t in body)


def test_the_preview_fills_the_template_with_the_case_facts(
    held_case: Case, reviewer_rita: User, session_api: SessionApi,
):
    response = session_api(reviewer_rita).post("/review/templates/preview", {
        "case_id": str(held_case.pk), "outcome": "violating", "policy": "incitement_violence",
        "actions": ["label"], "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": "Community Guidelines §4", "language": "en",
    })

    assert response.status_code == 200, response.content
    body = response.json()
    assert "report of 2026-03-02" in body["explanation"]
    assert "reported as Incitement to violence or hatred" in body["explanation"]
    assert "added a label to it" in body["explanation"]
    assert "Ground: Community Guidelines §4" in body["explanation"]
    assert "category" in body["placeholders"]
    assert body["template_id"] == DecisionTemplate.objects.get(outcome="violating", language="en").pk


def test_a_template_in_the_partners_language_is_chosen(
    held_case: Case, reviewer_rita: User, decide: Decide,
):
    DecisionTemplate.objects.filter(outcome="not_violating", language="ar").update(is_active=False)
    arabic = DecisionTemplate.objects.create(
        outcome="not_violating", language="ar", name="غير مخالف", body="شكراً لبلاغكم بتاريخ {reported_on}.",
        updated_at=clock.now(),
    )

    response = decide(reviewer_rita, held_case, outcome="not_violating")  # the report is in Arabic

    assert response.json()["template_id"] == arabic.pk
    assert response.json()["language"] == "ar"
    assert response.json()["explanation"] == "شكراً لبلاغكم بتاريخ 2026-03-02."


def test_a_named_template_must_fit_the_outcome(held_case: Case, reviewer_rita: User, decide: Decide):
    violating = DecisionTemplate.objects.get(outcome="violating", language="en")

    assert_error(decide(reviewer_rita, held_case, outcome="not_violating", template_id=violating.pk), 422,
                 "invalid", "template_id")


def test_without_an_active_template_the_packaged_default_is_used(
    held_case: Case, reviewer_rita: User, decide: Decide,
):
    DecisionTemplate.objects.filter(outcome="out_of_scope").update(is_active=False)  # every language

    response = decide(reviewer_rita, held_case, outcome="out_of_scope")

    assert response.status_code == 201, response.content
    assert response.json()["template_id"] is None
    assert "falls outside" in response.json()["explanation"]


def test_an_arabic_report_is_explained_in_arabic_with_its_category_and_actions_in_arabic(
    held_case: Case, reviewer_rita: User, decide: Decide,
):
    response = decide(reviewer_rita, held_case, actions=["remove", "suspend_account"])  # the report is in Arabic

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["language"] == "ar"
    assert body["template_id"] == DecisionTemplate.objects.get(outcome="violating", language="ar").pk
    assert body["explanation"].startswith("شكرًا على بلاغك بتاريخ 2026-03-02.")
    with translation.override("ar"):
        category = gettext("Incitement to violence or hatred")
    assert category != "Incitement to violence or hatred" and f"«{category}»" in body["explanation"]
    assert "الإجراءات المتخذة: إزالة المحتوى وتعليق حساب الناشر." in body["explanation"]
    # Nothing left in English but the ground, as the reviewer cited it.
    ground = "Community Guidelines §4 (violence and incitement)"
    assert f"الأساس: {ground}." in body["explanation"]
    assert not re.search("[A-Za-z]{3,}", body["explanation"].replace(ground, ""))


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", "Mesures prises : réduction de sa visibilité, ajout d'une étiquette et restriction dans les pays "
           "suivants : DE, FR."),
    ("es-VE", "Medidas adoptadas: reducción de su visibilidad, adición de una etiqueta y restricción en DE, FR."),
    ("en", "We restricted its visibility, added a label to it and restricted it in DE, FR."),
    ("ur", "We restricted its visibility, added a label to it and restricted it in DE, FR."),  # no Urdu template
])
def test_the_actions_are_worded_for_the_template_they_fill(
    held_case: Case, reviewer_rita: User, session_api: SessionApi, language: str, expected: str,
):
    response = session_api(reviewer_rita).post("/review/templates/preview", {
        "case_id": str(held_case.pk), "outcome": "violating", "policy": "incitement_violence",
        "actions": ["restrict_visibility", "label", "geo_restrict"], "territorial_scope": ["DE", "FR"],
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT", "incompatible_content_ground": "§4",
        "language": language,
    })

    assert response.status_code == 200, response.content
    assert expected in response.json()["explanation"]
    assert response.json()["language"] == ("en" if language == "ur" else language.split("-")[0])
