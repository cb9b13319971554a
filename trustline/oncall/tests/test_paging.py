"""The escalation engine: opening on imminent harm, each step in turn, repeats, the snapshot, the outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of
from trustline.core import clock
from trustline.intake.models import TimelineEvent
from trustline.notifications.models import OutboxMessage
from trustline.notifications.services import outbox_deliver_due
from trustline.oncall.choices import EmergencyState
from trustline.oncall.fastlane import emergency_fast_lane
from trustline.oncall.models import Emergency, EscalationChain, PageStep
from trustline.oncall.paging import paging_sweep
from trustline.oncall.rota import ChainData, StepData, chain_save
from trustline.oncall.services import emergency_acknowledge
from trustline.oncall.tests.conftest import T0

pytestmark = pytest.mark.usefixtures("chain")


def _pages_to(emergency: Emergency) -> list[str]:
    return sorted(m.recipient for m in OutboxMessage.objects.filter(event_type="emergency.page",
                                                                    payload__emergency_id=str(emergency.pk)))


def _fired(emergency: Emergency) -> list[tuple[int, list[int]]]:
    steps = PageStep.objects.filter(emergency=emergency, fired_at__isnull=False)
    return [(s.sequence, s.paged_user_ids) for s in steps]


def test_an_imminent_report_opens_an_emergency_and_pages_the_primary_at_once(
    open_imminent: Callable[..., Case], reviewer_rita: User,
) -> None:
    case = open_imminent()
    emergency = Emergency.objects.get(case=case)
    assert emergency.state == EmergencyState.OPEN
    assert emergency.source == "partner"
    assert emergency.reason == "Named shelter to be attacked tonight"
    assert case.sla_policy_snapshot["applies_to"] == "imminent"
    assert case.ack_due_at == T0 + dt.timedelta(minutes=15)
    first = PageStep.objects.get(emergency=emergency, sequence=0)
    assert first.fired_at == T0  # in the triage transaction, not at the next sweep
    assert first.paged_user_ids == [reviewer_rita.pk]
    assert _pages_to(emergency) == ["rita@example.org"]
    # The partner sees that on-call staff were paged.
    assert TimelineEvent.objects.filter(report__items__case=case, kind="emergency_opened").exists()
    assert AuditEntry.objects.filter(action="emergency.opened", target_id=str(emergency.pk)).exists()


def test_a_full_chain_with_no_acknowledgement_fires_each_step_in_turn_and_repeats(
    open_imminent: Callable[..., Case], reviewer_rita: User, reviewer_ravi: User, reviewer_sara: User,
    lead_lena: User,
) -> None:
    emergency = Emergency.objects.get(case=open_imminent())
    team = sorted([reviewer_rita.pk, reviewer_ravi.pk, reviewer_sara.pk, lead_lena.pk])
    expected = [
        (4, 1, [reviewer_ravi.pk]),  # minute 5: the secondary
        (9, 2, [lead_lena.pk]),  # minute 10: the escalation leads
        (14, 3, team),  # minute 15: everyone on the chain
        (24, 4, [reviewer_rita.pk]),  # minute 25: the second round starts with the primary again
        (29, 5, [reviewer_ravi.pk]),
        (34, 6, [lead_lena.pk]),
        (39, 7, team),
    ]
    for minute, sequence, people in expected:
        with clock.frozen_at(T0 + dt.timedelta(minutes=minute, seconds=59)):
            assert paging_sweep(now=clock.now()).fired == 0  # nothing before its time
        with clock.frozen_at(T0 + dt.timedelta(minutes=minute + 1)):
            assert paging_sweep(now=clock.now()).fired == 1
        step = PageStep.objects.get(emergency=emergency, sequence=sequence)
        assert sorted(step.paged_user_ids) == people
    with clock.frozen_at(T0 + dt.timedelta(hours=5)):
        assert paging_sweep(now=clock.now()).fired == 0  # the chain is exhausted: 2 rounds of 4 steps
    assert PageStep.objects.filter(emergency=emergency, fired_at__isnull=False).count() == 8
    assert AuditEntry.objects.filter(action="emergency.paged", target_id=str(emergency.pk)).count() == 8


def test_acknowledging_stops_the_remaining_steps(open_imminent: Callable[..., Case], reviewer_rita: User) -> None:
    emergency = Emergency.objects.get(case=open_imminent())
    with clock.frozen_at(T0 + dt.timedelta(minutes=2)):
        emergency_acknowledge(actor=actor_of(reviewer_rita), emergency_id=emergency.pk)
    with clock.frozen_at(T0 + dt.timedelta(hours=2)):
        assert paging_sweep(now=clock.now()).fired == 0
    assert PageStep.objects.filter(emergency=emergency, cancelled_at__isnull=False).count() == 7
    assert Case.objects.get(emergency=emergency).acknowledged_at == T0 + dt.timedelta(minutes=2)


def test_a_running_escalation_keeps_its_copy_of_the_chain(
    open_imminent: Callable[..., Case], chain: EscalationChain, lead_lena: User, reviewer_sara: User,
) -> None:
    emergency = Emergency.objects.get(case=open_imminent())
    chain_save(actor=actor_of(lead_lena), chain_id=chain.pk, data=ChainData(
        name="Imminent harm", is_default=True, repeat_count=0,
        steps=[StepData(target="user", username="sara", delay_minutes=1)],
    ))
    with clock.frozen_at(T0 + dt.timedelta(minutes=5)):
        paging_sweep(now=clock.now())
    second = PageStep.objects.get(emergency=emergency, sequence=1)
    assert second.target["target"] == "schedule_secondary"
    assert reviewer_sara.pk not in second.paged_user_ids
    assert emergency.chain_snapshot["steps"][1]["target"] == "schedule_secondary"
    # A new emergency uses the edited chain.
    newer = Emergency.objects.get(case=open_imminent(at=T0 + dt.timedelta(minutes=6)))
    assert [s["target"] for s in newer.chain_snapshot["steps"]] == ["user"]


def test_two_sweepers_never_fire_a_step_twice(open_imminent: Callable[..., Case]) -> None:
    emergency = Emergency.objects.get(case=open_imminent())
    with clock.frozen_at(T0 + dt.timedelta(minutes=6)):
        first = paging_sweep(now=clock.now())
        second = paging_sweep(now=clock.now())
    assert (first.fired, second.fired) == (1, 0)
    assert len(_fired(emergency)) == 2


def test_a_page_is_never_lost_when_the_worker_dies_it_is_delivered_after_restart(
    open_imminent: Callable[..., Case],
) -> None:
    # The emergency commits with its page in the outbox; no worker runs the immediate delivery task
    # (as if it were killed right after commit). Nothing is sent yet.
    emergency = Emergency.objects.get(case=open_imminent())
    page = OutboxMessage.objects.get(event_type="emergency.page", payload__emergency_id=str(emergency.pk))
    assert page.status == "pending"
    assert mail.outbox == []
    # A worker killed mid-send leaves the row "sending" with a lease; after restart the sweep takes it over.
    OutboxMessage.objects.filter(pk=page.pk).update(status="sending", attempts=1,
                                                    lease_expires_at=T0 + dt.timedelta(minutes=2),
                                                    next_attempt_at=T0 + dt.timedelta(minutes=2))
    with clock.frozen_at(T0 + dt.timedelta(minutes=1)):
        assert outbox_deliver_due(now=clock.now()).sent == 0  # the lease still holds
    with clock.frozen_at(T0 + dt.timedelta(minutes=3)):
        assert outbox_deliver_due(now=clock.now()).sent == 1  # the restarted worker delivers it
    page.refresh_from_db()
    assert page.status == "sent"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rita@example.org"]
    assert "/emergency/ack/" in mail.outbox[0].body


def test_nobody_on_call_falls_back_to_the_escalation_leads(
    open_imminent: Callable[..., Case], lead_lena: User, chain: EscalationChain,
) -> None:
    chain_save(actor=SYSTEM, chain_id=chain.pk, data=ChainData(
        name="Imminent harm", is_default=True, repeat_count=0,
        steps=[StepData(target="user", username="lena", delay_minutes=0)],
    ))
    lead_lena.is_active = False
    lead_lena.save(update_fields=["is_active"])
    emergency = Emergency.objects.get(case=open_imminent())
    step = PageStep.objects.get(emergency=emergency, sequence=0)
    assert step.paged_user_ids == []  # lena is inactive and the only lead: nobody to page, recorded
    entry = AuditEntry.objects.get(action="emergency.paged", target_id=str(emergency.pk))
    assert entry.data["fallback_to_leads"] is True


def test_the_fast_lane_triages_flagged_cases_at_once_and_delivers_their_first_page(
    sudan_api: ApiClient, report_payload: Callable[..., dict[str, Any]], settings: Any,
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with clock.frozen_at(T0):
        response = sudan_api.submit(report_payload(imminent_harm=True, imminent_harm_reason="Raid at dawn"))
        assert response.status_code == 201
        case = Case.objects.get(items__report_id=response.json()["id"])
        assert case.triaged_at is None  # triage has not run yet
        result = emergency_fast_lane()
    assert result == {"triaged": 1, "pages_sent": 1}
    emergency = Emergency.objects.get(case=case)
    assert emergency.source == "partner" and emergency.reason == "Raid at dawn"
    assert [m.to for m in mail.outbox] == [["rita@example.org"]]


def test_a_step_due_after_the_case_was_decided_or_closed_is_cancelled_not_fired(
    open_imminent: Callable[..., Case],
) -> None:
    case = open_imminent()
    emergency = Emergency.objects.get(case=case)
    Case.objects.filter(pk=case.pk).update(status="closed", is_open=False)  # as review would, by other means
    with clock.frozen_at(T0 + dt.timedelta(minutes=6)):
        assert paging_sweep(now=clock.now()).fired == 0
    step = PageStep.objects.get(emergency=emergency, sequence=1)
    assert step.fired_at is None and step.cancelled_at is not None


def test_batch_triage_leaves_fresh_flagged_cases_to_a_live_fast_lane_and_takes_them_when_it_is_down(
    sudan_api: ApiClient, report_payload: Callable[..., dict[str, Any]],
) -> None:
    from trustline.core.models import PeriodicJob
    from trustline.triage.services import triage_pending

    with clock.frozen_at(T0):
        response = sudan_api.submit(report_payload(imminent_harm=True, imminent_harm_reason="Raid at dawn"))
    case = Case.objects.get(items__report_id=response.json()["id"])
    job = PeriodicJob.objects.create(name="trustline.oncall.tasks.emergency_fast_lane", every_seconds=1,
                                     max_runtime_seconds=300, next_run_at=T0, last_finished_at=T0)
    with clock.frozen_at(T0 + dt.timedelta(seconds=5)):
        assert triage_pending().triaged == 0  # the lane is alive: it takes this one
    PeriodicJob.objects.filter(pk=job.pk).update(last_finished_at=T0 - dt.timedelta(minutes=5))
    with clock.frozen_at(T0 + dt.timedelta(seconds=6)):
        assert triage_pending().triaged == 1  # the lane is down: batch triage does not wait
    assert Emergency.objects.filter(case=case).exists()
