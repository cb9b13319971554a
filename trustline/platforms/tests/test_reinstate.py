"""Reinstatement: undoing an earlier action when a contest reverses the decision that asked for it.

The connector contract (every connector answers a ``reinstate`` like any
action) is in ``test_connectors``; here: validation, the demo platform
really putting content back (and only what is undone), the manual
connector's instruction, and the webhook connector's signed payload.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.core import clock
from trustline.core.exceptions import ValidationFailed
from trustline.intake.models import ReportItem
from trustline.notifications.services import outbox_deliver_due
from trustline.platforms.choices import ActionStatus, OutcomeStatus
from trustline.platforms.connectors import ContentRef, EnforcementAction, ManualConnector, get_connector
from trustline.platforms.services import action_request
from trustline.platforms.tests.conftest import (
    DEMO_BACKEND,
    HALFAYA_POST,
    MANUAL_BACKEND,
    WEBHOOK_BACKEND,
    FakePlatform,
    action_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(use_connector: Callable[..., None]) -> None:
    use_connector(DEMO_BACKEND)


def reinstate(case: Case, undone: str, undone_type: str = "remove", **fields: Any) -> EnforcementAction:
    return action_for(case, key=f"reinstate:{undone}", action_type="reinstate", reverses_key=undone,
                      reverses_type=undone_type, **fields)


def online() -> bool | None:
    return get_connector().describe(ContentRef(url=HALFAYA_POST, kind="post")).online


def restrictions() -> tuple[str, ...]:
    return get_connector().describe(ContentRef(url=HALFAYA_POST, kind="post")).restrictions


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"reverses_key": "", "reverses_type": "remove"}, "reverses_key"),
        ({"reverses_key": "decision:1:remove", "reverses_type": "no_action"}, "reverses_type"),
        ({"reverses_key": "decision:1:remove", "reverses_type": "reinstate"}, "reverses_type"),
    ],
)
def test_a_reinstatement_names_the_action_it_undoes(fields: dict[str, str], field: str):
    action = EnforcementAction(action_type="reinstate", target=ContentRef(url=HALFAYA_POST),  # type: ignore[arg-type]
                               case_id="c", idempotency_key="reinstate:x", reverses_key=fields["reverses_key"],
                               reverses_type=fields["reverses_type"])

    with pytest.raises(ValidationFailed) as refused:
        action.validate()

    assert field in refused.value.fields


def test_only_a_reinstatement_undoes_another_action():
    action = EnforcementAction(action_type="remove", target=ContentRef(url=HALFAYA_POST),  # type: ignore[arg-type]
                               case_id="c", idempotency_key="k", reverses_key="decision:1:remove")

    with pytest.raises(ValidationFailed) as refused:
        action.validate()

    assert "reverses_key" in refused.value.fields


def test_kite_puts_a_removed_post_back_and_keeps_what_still_stands(
    demo: None, case: Case, item: ReportItem, reviewer_rita: User,
):
    rita = actor_of(reviewer_rita)
    action_request(actor=rita, case=case, action=action_for(case, key="decision:1:remove"))
    action_request(actor=rita, case=case, action=action_for(case, key="decision:1:label", action_type="label",
                                                             label="Disputed"))
    assert online() is False

    record = action_request(actor=rita, case=case, action=reinstate(case, "decision:1:remove"))

    assert record.status == ActionStatus.DONE
    assert (record.reverses_key, record.reverses_type) == ("decision:1:remove", "remove")
    assert record.result_message == "Reinstated on Kite: 'Remove' undone."
    assert online() is True
    assert restrictions() == ("labelled: Disputed",)
    # Asking again (same key) changes nothing; a new key for the same undo finds nothing left to undo.
    again = action_request(actor=rita, case=case, action=reinstate(case, "decision:1:remove"))
    assert again.pk == record.pk
    renamed = dataclasses.replace(reinstate(case, "decision:1:remove"), idempotency_key="reinstate:again")
    twice = action_request(actor=rita, case=case, action=renamed)
    assert twice.result_message.startswith("Already reinstated on Kite")
    assert online() is True


def test_kite_reinstates_a_suspended_account(demo: None, case: Case, item: ReportItem, reviewer_rita: User):
    rita = actor_of(reviewer_rita)
    action_request(actor=rita, case=case, action=action_for(case, key="decision:1:suspend",
                                                             action_type="suspend_account"))
    assert "account suspended" in restrictions()

    action_request(actor=rita, case=case, action=reinstate(case, "decision:1:suspend", "suspend_account"))

    assert "account suspended" not in restrictions() and online() is True


def test_the_manual_connector_asks_a_person_to_undo_it():
    outcome = ManualConnector().apply(EnforcementAction(
        action_type="reinstate", target=ContentRef(url=HALFAYA_POST),  # type: ignore[arg-type]
        case_id="c", idempotency_key="reinstate:decision:1:remove", reverses_key="decision:1:remove",
        reverses_type="remove",
    ))

    assert outcome.status == OutcomeStatus.PENDING_CONFIRMATION
    assert "undo 'Remove'" in outcome.message and "decision:1:remove" in outcome.message


def test_the_webhook_connector_sends_the_platform_which_action_to_undo(
    use_connector: Callable[..., None], fake_platform: FakePlatform, case: Case, item: ReportItem,
    reviewer_rita: User,
):
    use_connector(WEBHOOK_BACKEND, **fake_platform.options())

    record = action_request(actor=actor_of(reviewer_rita), case=case, action=reinstate(case, "decision:1:remove"))
    assert record.status == ActionStatus.QUEUED
    outbox_deliver_due(now=clock.now())

    [received] = [r for r in fake_platform.received if r.path == "/enforcement"]
    assert received.headers["webhook-id"] == "reinstate:decision:1:remove"
    data = received.payload["data"]
    assert data["action_type"] == "reinstate"
    assert data["reverses"] == {"idempotency_key": "decision:1:remove", "action_type": "remove"}


def test_manual_reinstatement_waits_for_confirmation(
    settings: Any, case: Case, item: ReportItem, reviewer_rita: User,
):
    settings.PLATFORM_CONNECTOR = {"BACKEND": MANUAL_BACKEND, "OPTIONS": {}}
    with transaction.atomic():
        record = action_request(actor=actor_of(reviewer_rita), case=case, action=reinstate(case, "decision:1:remove"))

    assert record.status == ActionStatus.PENDING_CONFIRMATION
