"""The case page lists preserved snapshots; "Preserve now" keeps what the platform shows; who sees what."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.console.tests.conftest import case_of
from trustline.platforms.choices import OutcomeStatus
from trustline.platforms.connectors import ActionOutcome, DemoPlatformConnector, EnforcementAction
from trustline.platforms.models import ContentSnapshot
from trustline.platforms.services import action_request
from trustline.platforms.snapshots import snapshot_sweep, snapshot_take
from trustline.platforms.tests.conftest import DEMO_BACKEND, MANUAL_BACKEND, action_for
from trustline.platforms.verification import verification_sweep
from trustline.triage.services import triage_pending

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(analyst_amal: User, submit: Callable[..., Any], settings: Any) -> Case:
    settings.PLATFORM_CONNECTOR = {"BACKEND": DEMO_BACKEND, "OPTIONS": {}}
    case = case_of(submit(analyst_amal, explanation="Threatens a volunteer", language="ar"))
    triage_pending()
    return case


def test_a_reviewer_reads_what_was_preserved_and_preserves_again(
    case: Case, reviewer_rita: User, signed_in: Callable[[User], Client]
):
    snapshot_sweep()
    [first] = ContentSnapshot.objects.filter(case=case)
    client = signed_in(reviewer_rita)

    page = client.get(f"/console/cases/{case.pk}/").content.decode()

    assert "Preserved snapshot (1)" in page and first.sha256[:12] in page
    assert "What it said then" in page and "Preserve now" in page
    response = client.post(f"/console/cases/{case.pk}/snapshots/")
    assert response.status_code == 302 and response["Location"].endswith(f"/console/cases/{case.pk}/#h-content")
    assert ContentSnapshot.objects.filter(case=case, trigger="reviewer").count() == 1
    assert "Preserved snapshots (2)" in client.get(f"/console/cases/{case.pk}/").content.decode()


def test_an_auditor_sees_when_and_how_far_but_not_what_it_said_and_cannot_preserve(
    case: Case, auditor_aziz: User, signed_in: Callable[[User], Client], reviewer_rita: User
):
    snapshot_take(actor=actor_of(reviewer_rita), case_id=case.pk)
    client = signed_in(auditor_aziz)

    page = client.get(f"/console/cases/{case.pk}/").content.decode()

    assert "Preserved snapshot (1)" in page
    assert "What it said then" not in page and "Preserve now" not in page
    client.post(f"/console/cases/{case.pk}/snapshots/")
    assert ContentSnapshot.objects.filter(case=case).count() == 1


def test_without_a_platform_connection_there_is_no_button(
    case: Case, reviewer_rita: User, signed_in: Callable[[User], Client], settings: Any
):
    settings.PLATFORM_CONNECTOR = {"BACKEND": MANUAL_BACKEND, "OPTIONS": {}}

    page = signed_in(reviewer_rita).get(f"/console/cases/{case.pk}/").content.decode()

    assert "Nothing preserved yet" in page and "Preserve now" not in page


def test_an_action_found_still_online_says_so_on_the_case_page(
    case: Case, reviewer_rita: User, signed_in: Callable[[User], Client], monkeypatch: pytest.MonkeyPatch
):
    def says_done(self: DemoPlatformConnector, action: EnforcementAction) -> ActionOutcome:
        return ActionOutcome(status=OutcomeStatus.DONE, reference="KITE-ENF-LOST", message="Removed.")

    monkeypatch.setattr(DemoPlatformConnector, "apply", says_done)
    item_url = case.canonical_url or ""
    record = action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case, url=item_url))
    client = signed_in(reviewer_rita)
    assert "to be checked" in client.get(f"/console/cases/{case.pk}/").content.decode()

    verification_sweep(now=record.verify_due_at)

    page = client.get(f"/console/cases/{case.pk}/").content.decode()
    assert "Checked: still online" in page and "warning-text" in page and "Ask the platform again" in page
    response = client.post(f"/console/cases/{case.pk}/actions/{record.pk}/again/")
    assert response.status_code == 302
    assert case.enforcement_actions.filter(idempotency_key=f"{record.idempotency_key}:again").exists()


def test_a_reinstatement_found_still_offline_says_so_and_can_be_asked_for_again(
    case: Case, reviewer_rita: User, signed_in: Callable[[User], Client]
):
    """A contest reversed the removal, but the author's suspension still holds the post down."""
    url = case.canonical_url or ""
    actor = actor_of(reviewer_rita)
    action_request(actor=actor, case=case, action=action_for(case, url=url))
    action_request(actor=actor, case=case, action=action_for(case, url=url, key="decision:1:suspend",
                                                             action_type="suspend_account"))
    record = action_request(actor=actor, case=case, action=action_for(
        case, url=url, key="reinstate:decision:1:remove", action_type="reinstate",
        reverses_key="decision:1:remove", reverses_type="remove"))

    verification_sweep(now=record.verify_due_at)

    client = signed_in(reviewer_rita)
    page = client.get(f"/console/cases/{case.pk}/").content.decode()
    assert "Checked: still offline" in page and "Ask the platform again" in page
    assert client.post(f"/console/cases/{case.pk}/actions/{record.pk}/again/").status_code == 302
    assert case.enforcement_actions.filter(idempotency_key=f"{record.idempotency_key}:again").exists()
