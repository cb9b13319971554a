"""Enforcement verification: five minutes after "removed", Trustline checks the content is really gone.

Story: Rita asks Kite (the demo platform) to remove the Halfaya post that
threatens four volunteers. Kite answers "done". Five minutes later the
sweeper asks Kite what it shows: offline, as it should be. On a bad day Kite
answers "done" without acting; the check finds the post still online and
escalation lead Lena gets an e-mail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of, assert_error
from trustline.core import clock
from trustline.intake.models import ReportItem, TimelineEvent
from trustline.notifications.models import OutboxMessage
from trustline.platforms.choices import ActionType, OutcomeStatus
from trustline.platforms.connectors import (
    ActionOutcome,
    ContentDescription,
    ContentRef,
    DemoPlatformConnector,
    EnforcementAction,
)
from trustline.platforms.models import ContentSnapshot, EnforcementActionRecord
from trustline.platforms.services import action_confirm, action_request
from trustline.platforms.tasks import enforcement_verification
from trustline.platforms.tests.conftest import DEMO_BACKEND, MANUAL_BACKEND, action_for
from trustline.platforms.verification import VERIFY_AFTER, verification_sweep

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
SessionApi = Callable[[User], ApiClient]


def sweep(at: dt.datetime) -> dict[str, int]:
    with clock.frozen_at(at):
        result = verification_sweep(now=at)
    return dataclasses.asdict(result)


def removed(case: Case, reviewer: User, *, key: str = "decision:1:remove", **fields: str) -> EnforcementActionRecord:
    with clock.frozen_at(T0):
        return action_request(actor=actor_of(reviewer), case=case, action=action_for(case, key=key, **fields))


def test_a_removal_the_platform_carried_out_is_checked_offline_and_the_partner_told(
    use_connector: Callable[..., None], case: Case, reviewer_rita: User, session_api: SessionApi,
    sudan_api: ApiClient,
):
    use_connector(DEMO_BACKEND)
    record = removed(case, reviewer_rita)
    assert (record.status, record.verify_due_at) == ("done", T0 + VERIFY_AFTER)

    assert sweep(T0 + VERIFY_AFTER - dt.timedelta(seconds=1))["offline"] == 0  # not due yet
    assert sweep(T0 + VERIFY_AFTER)["offline"] == 1

    record.refresh_from_db()
    assert (record.verification, record.verified_at, record.verify_due_at) == ("offline", T0 + VERIFY_AFTER, None)
    snapshot = record.verification_snapshot
    assert snapshot is not None
    assert (snapshot.trigger, snapshot.online, snapshot.payload["restrictions"]) == ("verification", False, ["removed"])
    assert AuditEntry.objects.get(action="enforcement.verified").data["finding"] == "offline"
    body = session_api(reviewer_rita).get(f"/platforms/actions/{record.pk}").json()
    assert (body["verification"], body["verification_snapshot_id"]) == ("offline", str(snapshot.pk))
    assert not OutboxMessage.objects.filter(event_type="enforcement.still_online").exists()
    timeline = sudan_api.get(f"/reports/{case.items.get().report_id}").json()["timeline"]
    assert [e["kind"] for e in timeline].count("content_offline") == 1


def test_a_platform_that_says_done_but_leaves_the_post_up_is_caught_and_the_leads_told(
    use_connector: Callable[..., None], case: Case, reviewer_rita: User, lead_lena: User,
    monkeypatch: pytest.MonkeyPatch,
):
    use_connector(DEMO_BACKEND)

    def says_done(self: DemoPlatformConnector, action: EnforcementAction) -> ActionOutcome:
        return ActionOutcome(status=OutcomeStatus.DONE, reference="KITE-ENF-LOST", message="Removed.")

    monkeypatch.setattr(DemoPlatformConnector, "apply", says_done)
    record = removed(case, reviewer_rita)

    assert sweep(T0 + VERIFY_AFTER)["still_online"] == 1

    record.refresh_from_db()
    assert record.verification == "still_online"
    assert not TimelineEvent.objects.filter(item__case=case, kind="content_offline").exists()  # team first
    told = OutboxMessage.objects.filter(event_type="enforcement.still_online")
    assert lead_lena.email in told.values_list("recipient", flat=True)
    assert "KITE-ENF-LOST" in told.first().body  # type: ignore[union-attr]
    assert not any(sweep(T0 + 2 * VERIFY_AFTER).values())  # checked once: nobody is told twice


def test_a_platform_that_cannot_say_is_asked_again_after_30_and_120_minutes_then_unknown(
    use_connector: Callable[..., None], case: Case, reviewer_rita: User, monkeypatch: pytest.MonkeyPatch,
):
    use_connector(DEMO_BACKEND)
    record = removed(case, reviewer_rita)

    def down(self: DemoPlatformConnector, item: ContentRef) -> ContentDescription:
        return ContentDescription.unavailable(item=item, source="demo", fetched_at=clock.now(), error="503")

    monkeypatch.setattr(DemoPlatformConnector, "describe", down)
    at = T0 + VERIFY_AFTER
    assert sweep(at)["retrying"] == 1
    record.refresh_from_db()
    assert record.verify_due_at == at + dt.timedelta(minutes=30)
    assert sweep(record.verify_due_at)["retrying"] == 1
    record.refresh_from_db()
    assert record.verify_due_at == at + dt.timedelta(minutes=150)
    assert sweep(record.verify_due_at)["unknown"] == 1

    record.refresh_from_db()
    assert (record.verification, record.verify_attempts, record.verify_due_at) == ("unknown", 3, None)
    assert ContentSnapshot.objects.filter(case=case, trigger="verification", available=False).count() == 3


def test_actions_that_leave_content_online_are_not_checked(
    use_connector: Callable[..., None], case: Case, reviewer_rita: User,
):
    use_connector(DEMO_BACKEND)

    record = removed(case, reviewer_rita, key="decision:1:label", action_type=ActionType.LABEL,
                     label="Contains a threat")

    assert record.status == "done" and record.verify_due_at is None


def test_a_manual_action_is_planned_when_confirmed_and_dropped_when_nobody_can_be_asked(
    use_connector: Callable[..., None], case: Case, reviewer_rita: User,
):
    use_connector(MANUAL_BACKEND)
    record = removed(case, reviewer_rita)
    assert (record.status, record.verify_due_at) == ("pending_confirmation", None)
    with clock.frozen_at(T0 + dt.timedelta(minutes=2)):
        action_confirm(actor=actor_of(reviewer_rita), action_record_id=record.pk, reference="KITE-TICKET-77")
    record.refresh_from_db()
    assert record.verify_due_at == T0 + dt.timedelta(minutes=2) + VERIFY_AFTER

    assert sweep(T0 + dt.timedelta(hours=1))["cleared"] == 1

    record.refresh_from_db()
    assert (record.verify_due_at, record.verification) == (None, "")


def test_the_demo_platform_s_lost_removal_is_caught_by_the_check(
    use_connector: Callable[..., None], reported: Callable[..., ReportItem], reviewer_rita: User,
):
    use_connector(DEMO_BACKEND)
    url = "https://kite.example/@ghazi.boy.786/comments/7399795076"  # its catalogue entry has removal_lost
    case = reported(url=url, kind="comment").case
    with clock.frozen_at(T0):
        record = action_request(actor=actor_of(reviewer_rita), case=case,
                                action=action_for(case, url=url, kind="comment"))
    assert (record.status, record.result_message) == ("done", "Removed from Kite.")

    assert sweep(T0 + VERIFY_AFTER)["still_online"] == 1


def test_a_lead_asks_the_platform_again_and_the_new_request_is_checked_in_its_turn(
    use_connector: Callable[..., None], reported: Callable[..., ReportItem], reviewer_rita: User, lead_lena: User,
    auditor_aziz: User, api: ApiClient, sudan_api: ApiClient, session_api: SessionApi,
):
    use_connector(DEMO_BACKEND)
    url = "https://kite.example/@ghazi.boy.786/comments/7399795076"  # Kite loses the first removal of it
    case = reported(url=url, kind="comment").case
    with clock.frozen_at(T0):
        first = action_request(actor=actor_of(reviewer_rita), case=case,
                               action=action_for(case, url=url, kind="comment"))
    path = f"/platforms/actions/{first.pk}/again"
    assert_error(session_api(lead_lena).post(path), 409, "not_in_effect")  # not checked yet
    sweep(T0 + VERIFY_AFTER)

    assert api.post(path).status_code == 401
    assert_error(sudan_api.post(path), 404, "not_found")
    assert_error(session_api(auditor_aziz).post(path), 403, "forbidden")
    answer = session_api(lead_lena).post(path)
    again = session_api(lead_lena).post(path)

    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert again.json()["id"] == body["id"] != str(first.pk)  # asking twice is one new request
    assert (body["status"], body["verification"]) == ("done", "")
    new = EnforcementActionRecord.objects.get(pk=body["id"])
    assert new.verify_due_at is not None
    assert sweep(new.verify_due_at)["offline"] == 1  # Kite lost only the first removal; the new one is checked


# --------------------------------------------------------------------------------------------
# Reinstatements: a contest reversed the decision, and the content must come back


def reinstated(case: Case, reviewer: User, *, undoes: str = "decision:1:remove", undone_type: str = "remove",
               at: dt.datetime = T0 + dt.timedelta(hours=1)) -> EnforcementActionRecord:
    with clock.frozen_at(at):
        return action_request(actor=actor_of(reviewer), case=case, action=action_for(
            case, key=f"reinstate:{undoes}", action_type=ActionType.REINSTATE, reverses_key=undoes,
            reverses_type=undone_type))


def test_a_reinstated_post_is_checked_back_online_and_nobody_is_alarmed(
    use_connector: Callable[..., None], case: Case, reviewer_rita: User, sudan_api: ApiClient,
    session_api: SessionApi,
):
    use_connector(DEMO_BACKEND)
    removed(case, reviewer_rita)
    sweep(T0 + VERIFY_AFTER)
    record = reinstated(case, reviewer_rita)
    due = T0 + dt.timedelta(hours=1) + VERIFY_AFTER
    assert (record.status, record.verify_due_at) == ("done", due)

    with clock.frozen_at(due):
        assert enforcement_verification.call()["back_online"] == 1  # the every-minute job

    record.refresh_from_db()
    assert (record.verification, record.verification_snapshot.online) == ("back_online", True)  # type: ignore[union-attr]
    assert session_api(reviewer_rita).get(f"/platforms/actions/{record.pk}").json()["verification"] == "back_online"
    assert not OutboxMessage.objects.filter(event_type__startswith="enforcement.still").exists()
    timeline = sudan_api.get(f"/reports/{case.items.get().report_id}").json()["timeline"]
    assert [e["kind"] for e in timeline].count("content_offline") == 1  # from the removal only


def test_a_reinstatement_that_leaves_the_post_down_is_caught_and_may_be_asked_for_again(
    use_connector: Callable[..., None], case: Case, reviewer_rita: User, lead_lena: User,
    session_api: SessionApi,
):
    """The contest reversed the removal, but the author's suspension still stands: the post stays down."""
    use_connector(DEMO_BACKEND)
    removed(case, reviewer_rita)
    removed(case, reviewer_rita, key="decision:1:suspend", action_type=ActionType.SUSPEND_ACCOUNT)
    record = reinstated(case, reviewer_rita)

    assert sweep(T0 + dt.timedelta(hours=1) + VERIFY_AFTER)["still_offline"] == 1

    record.refresh_from_db()
    assert record.verification == "still_offline"
    [told] = OutboxMessage.objects.filter(event_type="enforcement.still_offline", recipient=lead_lena.email)
    assert told.subject.startswith("Still offline after reinstatement") and "suspension" in told.body
    answer = session_api(lead_lena).post(f"/platforms/actions/{record.pk}/again")
    assert answer.status_code == 201, answer.content
    again = EnforcementActionRecord.objects.get(pk=answer.json()["id"])
    assert (again.action_type, again.reverses_key, again.verify_due_at is not None) == (
        "reinstate", "decision:1:remove", True)
    page_path = f"/platforms/actions/{record.pk}"
    assert session_api(lead_lena).get(page_path).json()["verification"] == "still_offline"


def test_reinstating_a_label_is_not_checked(
    use_connector: Callable[..., None], case: Case, reviewer_rita: User,
):
    use_connector(DEMO_BACKEND)
    removed(case, reviewer_rita, key="decision:1:label", action_type=ActionType.LABEL, label="Contains a threat")

    record = reinstated(case, reviewer_rita, undoes="decision:1:label", undone_type="label")

    assert record.status == "done" and record.verify_due_at is None
