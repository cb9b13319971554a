"""Emergency law-enforcement requests in the emergency lane: opening, escalating, acknowledging, resolving, fallback."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.audit.models import AuditEntry
from trustline.conftest import actor_of
from trustline.core import clock
from trustline.core.exceptions import Conflict
from trustline.intake.models import TimelineEvent
from trustline.lawenforcement.inbound import (
    disclosure_record,
    request_close,
    request_record_callback,
    request_review,
    request_verify,
)
from trustline.lawenforcement.models import Agency, InboundRequest
from trustline.notifications.models import OutboxMessage
from trustline.notifications.services import outbox_deliver_due
from trustline.oncall.choices import EmergencyState
from trustline.oncall.law_enforcement import emergency_open_for_le_request
from trustline.oncall.models import Emergency, EscalationChain, PageStep
from trustline.oncall.paging import paging_sweep
from trustline.oncall.rota import ChainData, ScheduleData, StepData, chain_save, schedule_save
from trustline.oncall.tests.conftest import T0
from trustline.oncall.tests.le_fixtures import AGENCY, REFERENCE, SECRETS, receive


def _pages(emergency: Emergency) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(event_type="emergency.page", payload__emergency_id=str(emergency.pk))
                .order_by("created_at", "id"))


def _audit(emergency: Emergency) -> list[str]:
    return list(AuditEntry.objects.filter(target_id=str(emergency.pk)).order_by("id").values_list("action", flat=True))


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_an_emergency_request_opens_an_emergency_and_pages_the_person_on_call_at_once(
    chain: EscalationChain, liaison_lars: User, police: Agency, reviewer_rita: User,
) -> None:
    request = receive(liaison_lars, police, at=T0)
    emergency = Emergency.objects.get(le_request=request)
    assert (emergency.case_id, emergency.state, emergency.source) == (None, EmergencyState.OPEN, "law_enforcement")
    assert emergency.reason == ""  # the agency's reason stays on the request
    assert emergency.chain_snapshot["name"] == "Imminent harm"  # the default chain, as for a case
    assert PageStep.objects.filter(emergency=emergency).count() == 8
    first = PageStep.objects.get(emergency=emergency, sequence=0)
    assert first.fired_at == T0 and first.paged_user_ids == [reviewer_rita.pk]
    [page] = _pages(emergency)
    assert page.recipient == "rita@example.org"
    assert page.idempotency_key.startswith(f"page:{emergency.pk}:0:{reviewer_rita.pk}:")
    # What the page says: agency, their reference, the type, the deadline, the link to the request; nothing more.
    assert AGENCY in page.subject and REFERENCE in page.subject
    assert "Emergency disclosure request" in page.body
    assert "Answer due: 2026-01-05 14:00 UTC" in page.body
    assert f"/law-enforcement/requests/{request.pk}" in page.body
    assert "/emergency/ack/" in page.body
    assert _leaks(page.subject + page.body + json.dumps(page.payload)) == []
    assert page.payload["le_request_id"] == str(request.pk) and page.payload["case_id"] is None
    # Audited with the request, in order; no partner timeline (a request has no partner).
    assert _audit(emergency) == ["emergency.opened", "emergency.paged"]
    opened = AuditEntry.objects.get(action="emergency.opened", target_id=str(emergency.pk))
    assert opened.data["le_request_id"] == str(request.pk)
    assert (opened.data["chain_choice"], opened.data["fallback"]) == ("default", False)
    assert not TimelineEvent.objects.filter(kind__startswith="emergency_").exists()


def test_an_unacknowledged_page_escalates_to_the_next_step_when_it_is_due(
    chain: EscalationChain, liaison_lars: User, police: Agency, reviewer_ravi: User, lead_lena: User,
) -> None:
    emergency = Emergency.objects.get(le_request=receive(liaison_lars, police, at=T0))
    with clock.frozen_at(T0 + dt.timedelta(minutes=4, seconds=59)):
        assert paging_sweep(now=clock.now()).fired == 0
    with clock.frozen_at(T0 + dt.timedelta(minutes=5)):
        assert paging_sweep(now=clock.now()).fired == 1
    assert PageStep.objects.get(emergency=emergency, sequence=1).paged_user_ids == [reviewer_ravi.pk]
    with clock.frozen_at(T0 + dt.timedelta(minutes=10)):
        assert paging_sweep(now=clock.now()).fired == 1
    assert PageStep.objects.get(emergency=emergency, sequence=2).paged_user_ids == [lead_lena.pk]
    assert [p.recipient for p in _pages(emergency)] == ["rita@example.org", "ravi@example.org", "lena@example.org"]
    assert all(_leaks(p.body) == [] for p in _pages(emergency))


def test_acknowledging_the_page_by_its_link_stops_the_escalation(
    chain: EscalationChain, liaison_lars: User, police: Agency, reviewer_rita: User,
) -> None:
    request = receive(liaison_lars, police, at=T0)
    emergency = Emergency.objects.get(le_request=request)
    with clock.frozen_at(T0):
        outbox_deliver_due(now=clock.now())
    found = re.search(r"/emergency/ack/([A-Za-z0-9_-]+)", str(mail.outbox[-1].body))
    assert found is not None and mail.outbox[-1].to == ["rita@example.org"]
    client = Client()
    with clock.frozen_at(T0 + dt.timedelta(minutes=3)):
        shown = client.get(f"/emergency/ack/{found.group(1)}")
        assert shown.status_code == 200
        assert AGENCY in shown.content.decode() and _leaks(shown.content.decode()) == []
        done = client.post(f"/emergency/ack/{found.group(1)}")
    assert done.status_code == 200
    assert f"/law-enforcement/requests/{request.pk}" in done.content.decode()
    emergency.refresh_from_db()
    assert (emergency.state, emergency.owner, emergency.acknowledged_via) == ("acknowledged", reviewer_rita, "link")
    with clock.frozen_at(T0 + dt.timedelta(hours=2)):
        assert paging_sweep(now=clock.now()).fired == 0
    assert PageStep.objects.filter(emergency=emergency, cancelled_at__isnull=False).count() == 7
    acknowledged = AuditEntry.objects.get(action="emergency.acknowledged", target_id=str(emergency.pk))
    assert acknowledged.data["le_request_id"] == str(request.pk) and acknowledged.data["cancelled_steps"] == 7


def _verified_and_approved(request: InboundRequest, police: Agency, liaison: User, legal: User) -> None:
    duty = police.contacts.get(name="Duty desk")
    request_record_callback(actor=actor_of(liaison), request_id=request.pk, contact_id=duty.pk, confirmed=True)
    request_verify(actor=actor_of(liaison), request_id=request.pk)
    request_review(actor=actor_of(legal), request_id=request.pk, decision="comply", reasons=["emergency_good_faith"])


@pytest.mark.parametrize("ending", ["answered", "rejected", "closed"])
def test_answering_rejecting_or_closing_the_request_resolves_its_emergency(
    ending: str, chain: EscalationChain, liaison_lars: User, legal_leila: User, police: Agency,
) -> None:
    request = receive(liaison_lars, police, at=T0)
    emergency = Emergency.objects.get(le_request=request)
    with clock.frozen_at(T0 + dt.timedelta(minutes=3)):
        if ending == "answered":
            _verified_and_approved(request, police, liaison_lars, legal_leila)
            disclosure_record(actor=actor_of(liaison_lars), request_id=request.pk, data_types=["basic_subscriber"],
                              fields=["name"], files=[], recipient="a.osman@police.gov.sd", channel="email")
            by = liaison_lars
        elif ending == "rejected":
            request_review(actor=actor_of(legal_leila), request_id=request.pk, decision="reject",
                           reasons=["invalid"])
            by = legal_leila
        else:
            request_close(actor=actor_of(liaison_lars), request_id=request.pk, outcome="no_data",
                          note="The account does not exist.")
            by = liaison_lars
    emergency.refresh_from_db()
    assert (emergency.state, emergency.closed_by, emergency.closed_at) == ("resolved", by, T0 + dt.timedelta(minutes=3))
    assert PageStep.objects.filter(emergency=emergency, fired_at__isnull=True, cancelled_at__isnull=True).count() == 0
    with clock.frozen_at(T0 + dt.timedelta(hours=2)):
        assert paging_sweep(now=clock.now()).fired == 0
    resolved = AuditEntry.objects.get(action="emergency.resolved", target_id=str(emergency.pk))
    assert resolved.data["automatic"] is True and resolved.data["le_request_id"] == str(request.pk)
    assert resolved.actor == f"user:{by.pk}"


def test_asking_for_clarification_keeps_it_on_the_board_acknowledged_by_the_reviewer(
    chain: EscalationChain, liaison_lars: User, legal_leila: User, police: Agency,
) -> None:
    """The request stays open (not resolved), but a person is on it: the chain stops waking the next people."""
    request = receive(liaison_lars, police, at=T0)
    with clock.frozen_at(T0 + dt.timedelta(minutes=1)):
        request_review(actor=actor_of(legal_leila), request_id=request.pk, decision="clarify", reasons=["overbroad"])
    emergency = Emergency.objects.get(le_request=request)
    assert (emergency.state, emergency.acknowledged_by, emergency.acknowledged_via) == (
        EmergencyState.ACKNOWLEDGED, legal_leila, "le:review")
    with clock.frozen_at(T0 + dt.timedelta(minutes=5)):
        assert paging_sweep(now=clock.now()).fired == 0


def test_working_on_the_request_acknowledges_its_page_and_stops_the_escalation(
    chain: EscalationChain, liaison_lars: User, legal_leila: User, police: Agency,
) -> None:
    request = receive(liaison_lars, police, at=T0)
    emergency = Emergency.objects.get(le_request=request)
    duty = police.contacts.get(name="Duty desk")
    with clock.frozen_at(T0 + dt.timedelta(minutes=2)):
        request_record_callback(actor=actor_of(liaison_lars), request_id=request.pk, contact_id=duty.pk,
                                confirmed=True)
    emergency.refresh_from_db()
    assert (emergency.state, emergency.acknowledged_by, emergency.acknowledged_via, emergency.acknowledged_at) == (
        EmergencyState.ACKNOWLEDGED, liaison_lars, "le:callback", T0 + dt.timedelta(minutes=2))
    assert PageStep.objects.filter(emergency=emergency, fired_at__isnull=True, cancelled_at__isnull=True).count() == 0
    acknowledged = AuditEntry.objects.get(action="emergency.acknowledged", target_id=str(emergency.pk))
    assert acknowledged.actor == f"user:{liaison_lars.pk}" and acknowledged.data["via"] == "le:callback"
    # Later work (verification, review) leaves the acknowledgement as it was: the first person keeps it.
    with clock.frozen_at(T0 + dt.timedelta(minutes=4)):
        request_verify(actor=actor_of(liaison_lars), request_id=request.pk)
        request_review(actor=actor_of(legal_leila), request_id=request.pk, decision="comply",
                       reasons=["emergency_good_faith"])
    emergency.refresh_from_db()
    assert (emergency.acknowledged_by, emergency.acknowledged_via) == (liaison_lars, "le:callback")
    assert AuditEntry.objects.filter(action="emergency.acknowledged", target_id=str(emergency.pk)).count() == 1
    with clock.frozen_at(T0 + dt.timedelta(hours=1)):
        assert paging_sweep(now=clock.now()).fired == 0


def test_with_no_chain_the_escalation_leads_and_the_liaisons_are_paged_and_it_is_recorded(
    liaison_lars: User, lead_lena: User, police: Agency,
) -> None:
    emergency = Emergency.objects.get(le_request=receive(liaison_lars, police, at=T0))
    assert emergency.chain_snapshot["name"] == "Fallback: escalation leads and law-enforcement liaisons"
    assert sorted(p.recipient for p in _pages(emergency)) == ["lars@example.org", "lena@example.org"]
    opened = AuditEntry.objects.get(action="emergency.opened", target_id=str(emergency.pk))
    assert (opened.data["chain_choice"], opened.data["fallback"]) == ("none", True)
    # The fallback escalates like any chain until someone acknowledges.
    with clock.frozen_at(T0 + dt.timedelta(minutes=5)):
        assert paging_sweep(now=clock.now()).fired == 2
    assert len(_pages(emergency)) == 4


def test_with_nobody_on_call_the_step_pages_the_leads_and_the_liaisons(
    chain: EscalationChain, liaison_lars: User, lead_lena: User, police: Agency,
) -> None:
    empty = schedule_save(actor=SYSTEM, data=ScheduleData(name="Nobody yet", time_zone="UTC", participants=[]))
    chain_save(actor=SYSTEM, chain_id=chain.pk, data=ChainData(
        name="Imminent harm", is_default=True, repeat_count=0,
        steps=[StepData(target="schedule_primary", schedule_id=empty.pk)]))
    emergency = Emergency.objects.get(le_request=receive(liaison_lars, police, at=T0))
    assert sorted(PageStep.objects.get(emergency=emergency, sequence=0).paged_user_ids) == sorted(
        [lead_lena.pk, liaison_lars.pk])
    paged = AuditEntry.objects.get(action="emergency.paged", target_id=str(emergency.pk))
    assert paged.data["fallback_to_leads"] is True


def test_a_configured_chain_pages_law_enforcement_requests_and_cases_keep_the_default(
    chain: EscalationChain, liaison_lars: User, lead_lena: User, police: Agency, settings: Any,
) -> None:
    chain_save(actor=SYSTEM, data=ChainData(
        name="Law-enforcement desk", repeat_count=0,
        steps=[StepData(target="le_liaisons"), StepData(target="user", username="lena", delay_minutes=3)]))
    settings.ONCALL_LAW_ENFORCEMENT_CHAIN = "Law-enforcement desk"
    emergency = Emergency.objects.get(le_request=receive(liaison_lars, police, at=T0))
    assert emergency.chain_snapshot["name"] == "Law-enforcement desk"
    assert [p.recipient for p in _pages(emergency)] == ["lars@example.org"]
    with clock.frozen_at(T0 + dt.timedelta(minutes=3)):
        assert paging_sweep(now=clock.now()).fired == 1
    assert [p.recipient for p in _pages(emergency)] == ["lars@example.org", "lena@example.org"]
    opened = AuditEntry.objects.get(action="emergency.opened", target_id=str(emergency.pk))
    assert opened.data["chain_choice"] == "configured"
    # A name that matches no chain falls back to the default chain (and says so in the log).
    settings.ONCALL_LAW_ENFORCEMENT_CHAIN = "No such chain"
    other = Emergency.objects.get(le_request=receive(liaison_lars, police, at=T0))
    assert other.chain_snapshot["name"] == "Imminent harm"


def test_a_non_emergency_request_opens_no_emergency(
    chain: EscalationChain, liaison_lars: User, police: Agency,
) -> None:
    request = receive(liaison_lars, police, at=T0, request_type="subpoena", deadline_hours=None,
                      emergency_reason="", due_at=T0 + dt.timedelta(days=10))
    assert not request.emergency
    assert not Emergency.objects.exists()
    assert not OutboxMessage.objects.filter(event_type="emergency.page").exists()
    with pytest.raises(Conflict) as refused:
        emergency_open_for_le_request(actor=actor_of(liaison_lars), request_id=request.pk)
    assert refused.value.code == "not_an_emergency"


def test_a_request_is_paged_once(chain: EscalationChain, liaison_lars: User, police: Agency) -> None:
    request = receive(liaison_lars, police, at=T0)
    assert emergency_open_for_le_request(actor=actor_of(liaison_lars), request_id=request.pk) is None
    assert Emergency.objects.filter(le_request=request).count() == 1
    assert OutboxMessage.objects.filter(event_type="emergency.page").count() == 1


def test_an_emergency_is_about_a_case_or_a_request_never_neither(
    chain: EscalationChain, liaison_lars: User, police: Agency,
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Emergency.objects.create(state="open", source="partner", opened_at=T0)
    assert Emergency.objects.count() == 0
