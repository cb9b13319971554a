"""Partner precision: kept up to date by every effective decision, shown to programme managers, used in priority."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from trustline.accounts.models import Organisation, User
from trustline.cases.models import Case
from trustline.conftest import ApiClient
from trustline.review.models import PartnerPrecision
from trustline.review.precision import precision_rebuild
from trustline.review.tests.conftest import Decide, Submit, case_of, hold
from trustline.triage.priority import PrecisionRecord
from trustline.triage.selectors import partner_precision_records

pytestmark = pytest.mark.django_db

SessionApi = Callable[[User], ApiClient]


@pytest.fixture
def decided(analyst_amal: User, reviewer_rita: User, submit: Submit, decide: Decide, at_t0: dt.datetime,
            demo_platform: None) -> Callable[..., Case]:
    """``decided(outcome, category=...)``: a new Sudan report, decided by Rita with that outcome."""

    def make(outcome: str, category: str = "incitement_violence", **fields: str) -> Case:
        case = hold(case_of(submit(analyst_amal, category=category, targets=[])), reviewer_rita)
        extra = {"policy": category} if outcome == "violating" else {}
        response = decide(reviewer_rita, case, outcome=outcome, **{**_violating(outcome), **extra, **fields})
        assert response.status_code == 201, response.content
        return case

    return make


def _violating(outcome: str) -> dict[str, object]:
    if outcome != "violating":
        return {}
    return {"actions": ["remove"], "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
            "incompatible_content_ground": "Community Guidelines §4",
            "incompatible_content_explanation": "Incitement against a named group."}


def precision_of(organisation: Organisation) -> list[tuple[str, int, int]]:
    return list(PartnerPrecision.objects.filter(organisation=organisation).order_by("category__code")
                .values_list("category__code", "decided", "violating"))


def test_each_effective_decision_updates_the_partners_precision_by_category(
    decided: Callable[..., Case], sudan_partner: Organisation,
):
    decided("violating")
    decided("not_violating")
    decided("out_of_scope", category="misinformation")

    assert precision_of(sudan_partner) == [("incitement_violence", 2, 1), ("misinformation", 1, 0)]


def test_questions_and_referrals_do_not_count_until_the_matter_is_settled(
    decided: Callable[..., Case], sudan_partner: Organisation,
):
    decided("needs_more_information", question="Which shelter?")
    decided("referred_to_policy_review")
    decided("referred_to_law_enforcement")

    assert precision_of(sudan_partner) == []


def test_a_decision_waiting_for_second_review_does_not_count_until_confirmed(
    analyst_amal: User, reviewer_rita: User, reviewer_rafael: User, submit: Submit, decide: Decide,
    session_api: SessionApi, at_t0: dt.datetime, demo_platform: None, sudan_partner: Organisation,
):
    case = hold(case_of(submit(analyst_amal, targets=["journalist"])), reviewer_rita)
    decision_id = decide(reviewer_rita, case).json()["id"]
    assert precision_of(sudan_partner) == []

    session_api(reviewer_rafael).post(f"/review/decisions/{decision_id}/confirm", {})

    assert precision_of(sudan_partner) == [("incitement_violence", 1, 1)]


def test_every_partner_that_reported_the_content_is_counted_under_its_own_category(
    analyst_amal: User, analyst_bilal: User, reviewer_rita: User, submit: Submit, decide: Decide,
    at_t0: dt.datetime, demo_platform: None, sudan_partner: Organisation, pakistan_partner: Organisation,
):
    case = case_of(submit(analyst_amal, targets=[]))
    submit(analyst_bilal, items=[{"url": case.canonical_url, "kind": "post"}], country="PK", category="hateful_conduct",
           targets=[])
    hold(case, reviewer_rita)

    assert decide(reviewer_rita, case).status_code == 201

    assert precision_of(sudan_partner) == [("incitement_violence", 1, 1)]
    assert precision_of(pakistan_partner) == [("hateful_conduct", 1, 1)]


def test_programme_managers_read_a_partners_precision(
    decided: Callable[..., Case], sudan_partner: Organisation, pm_pablo: User, session_api: SessionApi,
):
    decided("violating")
    decided("violating")
    decided("not_violating")

    response = session_api(pm_pablo).get(f"/review/partners/{sudan_partner.slug}/precision")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["organisation"] == sudan_partner.slug
    assert body["overall"] == {"category": "", "name": "All categories", "decided": 3, "violating": 2,
                               "precision": 0.6667}
    assert body["categories"] == [{"category": "incitement_violence", "name": body["categories"][0]["name"],
                                   "decided": 3, "violating": 2, "precision": 0.6667}]


def test_precision_feeds_the_priority_of_new_cases_within_its_bound(
    decided: Callable[..., Case], sudan_partner: Organisation, analyst_amal: User, submit: Submit,
):
    for _ in range(4):
        decided("violating")

    assert partner_precision_records(organisation_ids=(sudan_partner.pk,), category_code="incitement_violence") == [
        PrecisionRecord(decided=4, violating=4)]
    fresh = case_of(submit(analyst_amal, targets=[]))
    # (4 + 5) / (4 + 10) = 0.643 -> round(100 * 0.143) = 14 points, within -50..+50.
    assert fresh.priority_components["partner_precision"] == 14


def test_a_category_record_speaks_once_it_holds_enough_decisions(
    decided: Callable[..., Case], sudan_partner: Organisation,
):
    for _ in range(10):
        decided("not_violating", category="misinformation")
    decided("violating")

    in_misinformation = partner_precision_records(organisation_ids=(sudan_partner.pk,), category_code="misinformation")
    in_incitement = partner_precision_records(organisation_ids=(sudan_partner.pk,),
                                              category_code="incitement_violence")

    assert in_misinformation == [PrecisionRecord(decided=10, violating=0)]  # its own category, 10 decisions
    assert in_incitement == [PrecisionRecord(decided=11, violating=1)]  # too few there: overall


def test_a_partner_without_decisions_is_neutral(pakistan_partner: Organisation):
    assert partner_precision_records(organisation_ids=(pakistan_partner.pk,), category_code="hateful_conduct") == [
        PrecisionRecord()]


def test_rebuilding_the_table_gives_the_same_numbers(decided: Callable[..., Case], sudan_partner: Organisation):
    decided("violating")
    decided("not_violating")
    decided("violating", category="hateful_conduct")
    before = precision_of(sudan_partner)

    assert precision_rebuild() == 2

    assert precision_of(sudan_partner) == before
