"""A protected account in a case: priority boost at triage, and second review before enforcement against it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of
from trustline.intake.choices import Channel
from trustline.intake.schemas import ReportIn
from trustline.intake.services import report_submit
from trustline.platforms.connectors import AccountInfo
from trustline.platforms.models import EnforcementActionRecord
from trustline.protection.selectors import author_protected_account, keys_for_content, protected_people_match
from trustline.protection.tests.conftest import Decide, Nominate
from trustline.review.tests.conftest import VIOLATING, hold
from trustline.triage.priority import PROTECTED_TARGET_POINTS
from trustline.triage.services import triage_pending

pytestmark = pytest.mark.django_db

AMNA_POST = "https://kite.example/@amna.journalist/posts/4417"
OTHER_POST = "https://kite.example/@someone.else/posts/4418"


@pytest.fixture
def protected(analyst_amal: User, pm_pablo: User, nominate: Nominate, decide: Decide, at_t0: dt.datetime) -> None:
    decide(pm_pablo, nominate(analyst_amal))


@pytest.fixture
def reported(analyst_bilal: User, report_payload: Callable[..., dict[str, Any]]) -> Callable[[str], Case]:
    """``reported(url)``: the Pakistan partner reports a post (no protected target named), triage runs."""

    def make(url: str) -> Case:
        payload = report_payload(items=[{"url": url, "kind": "post"}], targets=["refugee_or_migrant"])
        result = report_submit(actor=actor_of(analyst_bilal), data=ReportIn(**payload), channel=Channel.API)
        triage_pending()
        return Case.objects.get(pk=result.items[0].case_id)

    return make


def test_content_under_a_protected_account_gets_the_protected_target_boost(
    protected: None, reported: Callable[[str], Case],
):
    amna = reported(AMNA_POST)
    other = reported(OTHER_POST)

    assert amna.priority_components["protected_target"] == PROTECTED_TARGET_POINTS
    assert other.priority_components["protected_target"] == 0


def test_the_account_itself_reported_is_matched(protected: None, reported: Callable[[str], Case]):
    case = reported("https://kite.example/@amna.journalist")

    assert case.priority_components["protected_target"] == PROTECTED_TARGET_POINTS


def test_an_expired_protection_gives_no_boost(protected: None, reported: Callable[[str], Case],
                                              at_t0: dt.datetime):
    from trustline.protection.services import protection_expire_due

    protection_expire_due(now=at_t0 + dt.timedelta(days=181))

    assert reported(AMNA_POST).priority_components["protected_target"] == 0


def test_parent_paths_cover_content_but_never_the_whole_platform():
    assert keys_for_content("url:https://kite.example/@a/posts/1") == [
        "url:https://kite.example/@a/posts/1", "url:https://kite.example/@a", "url:https://kite.example/@a/posts",
    ]
    assert keys_for_content("id:post:123") == ["id:post:123"]


def test_the_author_is_matched_by_platform_id_or_handle(
    analyst_amal: User, pm_pablo: User, nominate: Nominate, decide: Decide, at_t0: dt.datetime,
    reported: Callable[[str], Case],
):
    decide(pm_pablo, nominate(analyst_amal, account_url="", account_id="7400123456", handle="@Witness_W"))
    case = reported(OTHER_POST)

    assert author_protected_account(AccountInfo(id="7400123456", handle="renamed")) is not None
    assert author_protected_account(AccountInfo(id="1", handle="witness_w")) is not None
    assert author_protected_account(AccountInfo(id="1", handle="nobody")) is None
    reason = protected_people_match(case, AccountInfo(id="7400123456", handle="x"))
    assert reason == "the author is in the protected-people registry (Journalist)"
    assert protected_people_match(case, None) == ""


def test_enforcement_against_a_protected_account_waits_for_second_review(
    protected: None, reported: Callable[[str], Case], reviewer_rita: User,
    session_api: Callable[[User], ApiClient], settings: Any,
):
    settings.PLATFORM_CONNECTOR = {"BACKEND": "trustline.platforms.connectors.DemoPlatformConnector", "OPTIONS": {}}
    case = hold(reported(AMNA_POST), reviewer_rita)

    response = session_api(reviewer_rita).post(f"/review/cases/{case.pk}/decisions", VIOLATING)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending_second_review"
    assert body["second_review_reasons"] == [
        {"rule": "protected_target",
         "detail": "the reported account is in the protected-people registry (Journalist)"},
    ]
    assert not EnforcementActionRecord.objects.exists()


def test_enforcement_against_other_accounts_takes_effect_at_once(
    protected: None, reported: Callable[[str], Case], reviewer_rita: User,
    session_api: Callable[[User], ApiClient], settings: Any,
):
    settings.PLATFORM_CONNECTOR = {"BACKEND": "trustline.platforms.connectors.DemoPlatformConnector", "OPTIONS": {}}
    case = hold(reported(OTHER_POST), reviewer_rita)

    response = session_api(reviewer_rita).post(f"/review/cases/{case.pk}/decisions", VIOLATING)

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "effective"


def test_open_cases_of_an_account_are_rescored_when_its_protection_starts_and_ends(
    analyst_amal: User, pm_pablo: User, nominate: Nominate, decide: Decide, at_t0: dt.datetime,
    reported: Callable[[str], Case], django_capture_on_commit_callbacks: Any,
):
    from trustline.protection.services import protection_expire_due, protection_rescore

    case = reported(AMNA_POST)
    unrelated = reported(OTHER_POST)
    assert case.priority_components["protected_target"] == 0

    with django_capture_on_commit_callbacks() as callbacks:
        approved = decide(pm_pablo, nominate(analyst_amal), days=30)
    assert callbacks  # the re-score is enqueued after commit
    assert approved.protected_account_id is not None
    assert protection_rescore(account_id=approved.protected_account_id) == 1

    case.refresh_from_db()
    unrelated.refresh_from_db()
    assert case.priority_components["protected_target"] == PROTECTED_TARGET_POINTS
    assert unrelated.priority_components["protected_target"] == 0

    protection_expire_due(now=at_t0 + dt.timedelta(days=30))
    protection_rescore(account_id=approved.protected_account_id)
    case.refresh_from_db()
    assert case.priority_components["protected_target"] == 0
