"""Triage gives every case a language and routing keys: the partner's tag, or detected from the content."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of
from trustline.core import clock
from trustline.routing.language import detect_language
from trustline.routing.reviewers import reviewer_skills_set
from trustline.routing.services import case_claim_next
from trustline.triage.services import triage_case, triage_pending
from trustline.triage.tests.conftest import T0, Submit, case_of

URDU_POST = "یہ لوگ ہمارے محلے میں رہنے کے لائق نہیں، ان کے گھروں کو آگ لگا دو اور ان کو یہاں سے نکال دو"
SPANISH_EXPLANATION = "La publicación amenaza de muerte a una periodista de Caracas y publica su dirección."


def triaged(result: Any) -> Case:
    case = case_of(result)
    with clock.frozen_at(T0):
        return triage_case(actor=SYSTEM, case_id=case.pk)


def test_the_partners_tag_is_kept_with_its_dialect(analyst_amal: User, submit: Submit):
    case = triaged(submit(analyst_amal, language="ar-sd"))

    assert (case.language, case.language_source, case.language_confidence) == ("ar-SD", "partner", None)
    assert (case.routing_language_base, case.routing_region) == ("ar", "East Africa")
    assert case.routing_policy_area == "Violence and incitement"
    assert (case.route_language_at, case.route_regional_at, case.route_translation_at) == (
        T0 + dt.timedelta(minutes=30), T0 + dt.timedelta(minutes=60), T0 + dt.timedelta(minutes=90)
    )
    routed = AuditEntry.objects.get(action="case.routed", target_id=str(case.pk))
    assert routed.data["language"] == "ar-SD" and routed.data["routing_region"] == "East Africa"


def test_without_a_tag_the_language_of_the_content_wins_over_the_english_explanation(
    analyst_bilal: User, submit: Submit
):
    result = submit(
        analyst_bilal,
        language=None,
        country="PK",
        category="hateful_conduct",
        explanation="The post incites neighbours to burn the homes of an Ahmadi family and drive them out.",
        items=[{"url": "https://kite.example/posts/urdu-1", "kind": "post", "excerpt": URDU_POST}],
    )

    case = triaged(result)

    assert (case.language, case.language_source) == ("ur", "detected")
    assert case.language_confidence is not None and case.language_confidence >= 0.7


def test_without_excerpts_the_explanation_is_read(analyst_amal: User, submit: Submit):
    case = triaged(submit(analyst_amal, language=None, country="VE", explanation=SPANISH_EXPLANATION))

    assert (case.language, case.language_source) == ("es", "detected")
    assert case.routing_region == "Latin America"


def test_text_too_short_to_tell_leaves_the_language_unknown_and_routes_by_place_at_once(
    analyst_amal: User, submit: Submit
):
    case = triaged(submit(analyst_amal, language=None, explanation="ok", items=[
        {"url": "https://kite.example/posts/short-1", "kind": "post", "excerpt": "!!"}
    ]))

    assert (case.language, case.language_source, case.routing_language_base) == ("", "", "")
    assert case.route_language_at == case.route_regional_at == T0
    assert case.route_translation_at == T0 + dt.timedelta(minutes=30)


def test_detection_is_limited_to_the_programmes_languages(settings: Any):
    settings.ROUTING = {**settings.ROUTING, "DETECT_LANGUAGES": ["en", "fr"]}
    assert detect_language(SPANISH_EXPLANATION).tag in {"", "fr", "en"}
    settings.ROUTING = {**settings.ROUTING, "DETECT_LANGUAGES": ["en", "es"]}
    assert detect_language(SPANISH_EXPLANATION).tag == "es"


def test_a_restricted_category_reported_by_any_partner_needs_the_clearance(
    analyst_amal: User, analyst_bilal: User, submit: Submit
):
    url = "https://kite.example/posts/shared-1"
    submit(analyst_amal, category="harassment", items=[{"url": url, "kind": "post"}])
    second = submit(analyst_bilal, category="child_sexual_exploitation", country="SD",
                    items=[{"url": url, "kind": "post"}])

    case = triaged(second)

    assert case.category_code == "harassment"
    assert case.routing_clearance == "child_safety"


def test_the_background_triage_job_routes_too(analyst_amal: User, submit: Submit):
    result = submit(analyst_amal, language="ur")
    with clock.frozen_at(T0):
        triage_pending()

    assert case_of(result).language == "ur"


def test_the_first_claim_shows_in_review_on_the_partners_timeline(
    analyst_amal: User, submit: Submit, reviewer_rita: User, sudan_api: ApiClient
):
    result = submit(analyst_amal, language="ar-SD")
    triaged(result)
    reviewer_skills_set(actor=SYSTEM, user_id=reviewer_rita.pk, languages=["ar-SD"])

    with clock.frozen_at(T0 + dt.timedelta(minutes=3)):
        claimed = case_claim_next(actor=actor_of(reviewer_rita))

    assert claimed is not None and claimed.acknowledged_at == T0 + dt.timedelta(minutes=3)
    body = sudan_api.get(f"/reports/{result.report.pk}").json()
    assert body["status"] == "in_review"
    kinds = [event["kind"] for event in body["timeline"]]
    assert kinds.count("in_review") == 1


@pytest.mark.parametrize("text", ["", "   ", "12345"])
def test_nothing_to_read_is_unknown(text: str):
    assert detect_language(text).tag == ""
