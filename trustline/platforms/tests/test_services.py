"""Requesting enforcement actions and confirming manual ones: idempotent, checked, audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.audit.services import audit_seal_all
from trustline.audit.verify import verify_chain
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from trustline.intake.models import ReportItem
from trustline.platforms.choices import ActionStatus
from trustline.platforms.connectors import ContentRef, DemoPlatformConnector, get_connector
from trustline.platforms.models import DemoContentState, EnforcementActionRecord
from trustline.platforms.services import action_confirm, action_request
from trustline.platforms.tests.conftest import DEMO_BACKEND, HALFAYA_POST, MANUAL_BACKEND, action_for

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def audit_trail(record: EnforcementActionRecord) -> list[str]:
    return list(
        AuditEntry.objects.filter(target_type="platforms.enforcementactionrecord", target_id=str(record.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


@pytest.fixture
def demo(use_connector: Callable[..., None]) -> None:
    use_connector(DEMO_BACKEND)


@pytest.fixture
def manual(use_connector: Callable[..., None]) -> None:
    use_connector(MANUAL_BACKEND)


# --------------------------------------------------------------------------------------------
# action_request
# --------------------------------------------------------------------------------------------


def test_a_demo_action_is_carried_out_recorded_and_audited(demo: None, case: Case, item: ReportItem,
                                                           reviewer_rita: User):
    with clock.frozen_at(T0):
        record = action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case))

    assert record.status == ActionStatus.DONE
    assert (record.connector, record.item_id, record.action_type) == ("demo", item.pk, "remove")
    assert record.reference.startswith("KITE-ENF-")
    assert record.result_message == "Removed from Kite."
    assert (record.requested_by, record.requested_at, record.completed_at) == (
        f"user:{reviewer_rita.pk}", T0, T0
    )
    assert audit_trail(record) == ["enforcement.requested", "enforcement.applied"]
    applied = AuditEntry.objects.get(action="enforcement.applied", target_id=str(record.pk))
    assert applied.data["status"] == "done"
    assert get_connector().describe(ContentRef(url=HALFAYA_POST, kind="post")).online is False
    audit_seal_all()
    assert verify_chain().ok


def test_the_same_key_twice_acts_once(demo: None, case: Case, reviewer_rita: User, lead_lena: User):
    first = action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case, key="d:1:remove"))
    again = action_request(actor=actor_of(lead_lena), case=case, action=action_for(case, key="d:1:remove"))

    assert again.pk == first.pk
    assert EnforcementActionRecord.objects.count() == 1
    assert len(DemoContentState.objects.get(url=HALFAYA_POST).history) == 1
    assert audit_trail(first) == ["enforcement.requested", "enforcement.applied"]


def test_a_key_reused_for_another_action_is_a_conflict(demo: None, case: Case, reviewer_rita: User):
    action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case, key="d:2"))
    with pytest.raises(Conflict) as caught:
        action_request(actor=actor_of(reviewer_rita), case=case,
                       action=action_for(case, key="d:2", action_type="age_restrict"))
    assert "idempotency_key" in caught.value.fields


def test_a_request_cut_off_before_the_platform_answered_is_finished_by_the_retry(
    demo: None, case: Case, reviewer_rita: User, monkeypatch: pytest.MonkeyPatch
):
    def die(self: Any, action: Any) -> None:
        raise KeyboardInterrupt  # the process is killed mid-call, not an error the service catches

    with monkeypatch.context() as patch:
        patch.setattr(DemoPlatformConnector, "apply", die)
        with pytest.raises(KeyboardInterrupt):
            action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case, key="d:3"))
    stuck = EnforcementActionRecord.objects.get(idempotency_key="d:3")
    assert stuck.status == ActionStatus.REQUESTED

    finished = action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case, key="d:3"))

    assert finished.pk == stuck.pk
    assert finished.status == ActionStatus.DONE
    assert audit_trail(finished) == ["enforcement.requested", "enforcement.applied"]


def test_a_connector_that_crashes_gives_a_failed_action_with_the_reason(
    demo: None, case: Case, reviewer_rita: User, monkeypatch: pytest.MonkeyPatch
):
    def broken(self: Any, action: Any) -> None:
        raise RuntimeError("platform API changed")

    monkeypatch.setattr(DemoPlatformConnector, "apply", broken)
    record = action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case, key="d:4"))

    assert record.status == ActionStatus.FAILED
    assert "platform API changed" in record.result_message
    assert audit_trail(record) == ["enforcement.requested", "enforcement.applied"]


def test_account_actions_target_the_author_not_a_reported_item(demo: None, case: Case, reviewer_rita: User):
    record = action_request(
        actor=actor_of(reviewer_rita), case=case,
        action=action_for(case, key="d:5", action_type="suspend_account",
                          url="https://kite.example/@halfaya.alaan", kind="account"),
    )
    assert record.status == ActionStatus.DONE
    assert record.item_id is None
    assert get_connector().describe(ContentRef(url=HALFAYA_POST, kind="post")).restrictions == ("account suspended",)


def test_only_people_who_may_enforce_can_request(demo: None, case: Case, auditor_aziz: User, analyst_amal: User):
    for person in (auditor_aziz, analyst_amal):
        with pytest.raises(PermissionDenied):
            action_request(actor=actor_of(person), case=case, action=action_for(case))
    assert not EnforcementActionRecord.objects.exists()


def test_an_action_must_belong_to_the_case_and_be_valid(
    demo: None, case: Case, reviewer_rita: User, reported: Callable[..., ReportItem]
):
    other_case = reported("https://kite.example/@wad.albalad_77/comments/7301").case
    with pytest.raises(ValidationFailed) as caught:
        action_request(actor=actor_of(reviewer_rita), case=other_case, action=action_for(case))
    assert "case_id" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case, action_type="geo_restrict"))
    assert "territorial_scope" in caught.value.fields
    assert not EnforcementActionRecord.objects.exists()


# --------------------------------------------------------------------------------------------
# The manual connector and action_confirm
# --------------------------------------------------------------------------------------------


def test_a_manual_action_waits_for_the_reviewer_to_confirm_it(manual: None, case: Case, reviewer_rita: User,
                                                              lead_lena: User):
    record = action_request(
        actor=actor_of(reviewer_rita), case=case,
        action=action_for(case, key="d:6", action_type="geo_restrict", territorial_scope=("SD",)),
    )
    assert record.status == ActionStatus.PENDING_CONFIRMATION
    assert "platform's own tools" in record.result_message
    assert record.territorial_scope == ["SD"]

    with clock.frozen_at(T0):
        confirmed = action_confirm(actor=actor_of(lead_lena), action_record_id=record.pk,
                                   reference="  KITE-TICKET   88121 ")

    assert confirmed.status == ActionStatus.DONE
    assert (confirmed.reference, confirmed.confirmed_at, confirmed.confirmed_by) == (
        "KITE-TICKET 88121", T0, f"user:{lead_lena.pk}"
    )
    assert audit_trail(record) == ["enforcement.requested", "enforcement.applied", "enforcement.confirmed"]
    entry = AuditEntry.objects.get(action="enforcement.confirmed")
    assert (entry.actor, entry.data["reference"], entry.data["previous_status"]) == (
        f"user:{lead_lena.pk}", "KITE-TICKET 88121", "pending_confirmation"
    )

    # A double click changes nothing; another reference is a conflict.
    again = action_confirm(actor=actor_of(lead_lena), action_record_id=record.pk, reference="KITE-TICKET 88121")
    assert again.confirmed_at == T0
    with pytest.raises(Conflict):
        action_confirm(actor=actor_of(lead_lena), action_record_id=record.pk, reference="KITE-TICKET 1")
    assert audit_trail(record).count("enforcement.confirmed") == 1


def test_a_manual_confirmation_needs_a_reference(manual: None, case: Case, reviewer_rita: User):
    record = action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case))
    with pytest.raises(ValidationFailed) as caught:
        action_confirm(actor=actor_of(reviewer_rita), action_record_id=record.pk, reference="   ")
    assert "reference" in caught.value.fields


def test_an_action_the_platform_already_did_cannot_be_confirmed(demo: None, case: Case, reviewer_rita: User):
    record = action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case))
    with pytest.raises(Conflict):
        action_confirm(actor=actor_of(reviewer_rita), action_record_id=record.pk, reference="KITE-1")


def test_confirming_needs_the_enforcement_permission_and_partners_see_nothing(
    manual: None, case: Case, reviewer_rita: User, auditor_aziz: User, analyst_amal: User
):
    record = action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case))
    with pytest.raises(PermissionDenied):
        action_confirm(actor=actor_of(auditor_aziz), action_record_id=record.pk, reference="KITE-1")
    with pytest.raises(NotFound):
        action_confirm(actor=actor_of(analyst_amal), action_record_id=record.pk, reference="KITE-1")
    with pytest.raises(NotFound):
        action_confirm(actor=actor_of(reviewer_rita), action_record_id="not-an-id", reference="KITE-1")
    record.refresh_from_db()
    assert record.status == ActionStatus.PENDING_CONFIRMATION
