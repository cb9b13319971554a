"""The case page shows a failed enforcement action, and "Retry now" asks the platform again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.console.tests.conftest import case_of
from trustline.intake.models import ReportItem
from trustline.platforms.connectors import DemoPlatformConnector
from trustline.platforms.services import action_request
from trustline.platforms.tests.conftest import DEMO_BACKEND, action_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_case(analyst_amal: User, submit: Callable[..., Any], reviewer_rita: User, settings: Any,
                monkeypatch: pytest.MonkeyPatch) -> Case:
    settings.PLATFORM_CONNECTOR = {"BACKEND": DEMO_BACKEND, "OPTIONS": {}}
    case = case_of(submit(analyst_amal, explanation="Threatens a volunteer", language="ar"))
    item = ReportItem.objects.filter(case=case).first()
    assert item is not None

    def down(self: Any, action: Any) -> None:
        raise ConnectionError("kite.example: connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(DemoPlatformConnector, "apply", down)
        record = action_request(actor=actor_of(reviewer_rita), case=case,
                                action=action_for(case, key="d:console", url=item.canonical_url or ""))
    assert record.status == "failed"
    return case


def test_a_reviewer_sees_the_failure_and_retries_it_now(
    failed_case: Case, reviewer_rita: User, signed_in: Callable[[User], Client]
):
    client = signed_in(reviewer_rita)
    page = client.get(f"/console/cases/{failed_case.pk}/").content.decode()
    assert "connection refused" in page and "Retry now" in page
    action = failed_case.enforcement_actions.get()

    response = client.post(f"/console/cases/{failed_case.pk}/actions/{action.pk}/retry/")

    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.attempts, action.next_attempt_at) == ("done", 2, None)
    assert "Retry now" not in client.get(f"/console/cases/{failed_case.pk}/").content.decode()


def test_people_who_may_not_enforce_get_no_button_and_cannot_retry(
    failed_case: Case, pm_pablo: User, signed_in: Callable[[User], Client]
):
    client = signed_in(pm_pablo)
    page = client.get(f"/console/cases/{failed_case.pk}/")
    action = failed_case.enforcement_actions.get()
    if page.status_code == 200:
        assert "Retry now" not in page.content.decode()
    client.post(f"/console/cases/{failed_case.pk}/actions/{action.pk}/retry/")
    action.refresh_from_db()
    assert (action.status, action.attempts) == ("failed", 1)
