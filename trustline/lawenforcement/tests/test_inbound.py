"""Inbound requests: verification gating, legal review, disclosure log, deadlines and the overdue sweeper."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from django.db import DatabaseError, transaction

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.conftest import actor_of
from trustline.core.clock import frozen_at
from trustline.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from trustline.lawenforcement.inbound import (
    RequestData,
    disclosure_record,
    request_receive,
    request_record_callback,
    request_review,
    request_verify,
    requests_sweep_overdue,
)
from trustline.lawenforcement.models import Agency, Disclosure, InboundRequest
from trustline.lawenforcement.selectors import is_on_hold
from trustline.lawenforcement.tests.conftest import T0
from trustline.notifications.models import OutboxMessage
from trustline.oncall.models import Emergency

SHA = "a" * 64


def request_data(agency: Agency | None, **overrides: Any) -> RequestData:
    data = RequestData(
        request_type="subpoena", agency_name="Khartoum State Police", country="SD", officer_name="Lt. Amna Osman",
        officer_email="a.osman@police.gov.sd", officer_phone="+1 555 0100", legal_basis="Subpoena 2026/17",
        identifiers=[{"kind": "account", "value": "kite-user-4711"}], data_types=["basic_subscriber", "ip_logs"],
        agency_id=str(agency.pk) if agency else None,
        date_ranges=[{"from": dt.date(2026, 1, 1), "to": dt.date(2026, 2, 1)}],
    )
    return dataclasses.replace(data, **overrides)


def verified(request: InboundRequest, agency: Agency, liaison: User) -> InboundRequest:
    duty = agency.contacts.get(name="Duty desk")
    request_record_callback(actor=actor_of(liaison), request_id=request.pk, contact_id=duty.pk, confirmed=True)
    return request_verify(actor=actor_of(liaison), request_id=request.pk)


@pytest.fixture
def received(liaison_lucas: User, sudan_police: Agency) -> InboundRequest:
    with frozen_at(T0):
        return request_receive(actor=actor_of(liaison_lucas), data=request_data(sudan_police))


def test_an_unverified_request_cannot_be_answered_with_data(
    received: InboundRequest, liaison_lucas: User, legal_leila: User
) -> None:
    request_review(actor=actor_of(legal_leila), request_id=received.pk, decision="comply", reasons=["valid"])
    with pytest.raises(Conflict) as err:
        disclosure_record(actor=actor_of(liaison_lucas), request_id=received.pk, data_types=["basic_subscriber"],
                          fields=["name"], files=[], recipient="a.osman@police.gov.sd", channel="email")
    assert err.value.code == "request_unverified"
    assert not Disclosure.objects.exists()


def test_verification_needs_the_agency_the_domain_and_a_directory_callback(
    liaison_lucas: User, sudan_police: Agency
) -> None:
    actor = actor_of(liaison_lucas)
    spoofed = request_receive(actor=actor, data=request_data(sudan_police, officer_email="osman@gmail.com"))
    assert spoofed.email_domain_ok is False
    with pytest.raises(ValidationFailed) as err:
        request_verify(actor=actor, request_id=spoofed.pk)
    assert set(err.value.fields) == {"officer_email", "callback"}
    unknown = request_receive(actor=actor, data=request_data(None))
    with pytest.raises(ValidationFailed) as err:
        request_verify(actor=actor, request_id=unknown.pk)
    assert "agency" in err.value.fields


def test_the_callback_number_comes_from_the_directory_not_the_request(
    received: InboundRequest, sudan_police: Agency, liaison_lucas: User
) -> None:
    request = verified(received, sudan_police, liaison_lucas)
    assert request.verified
    assert request.callback_number == "+249 100 000 001"
    assert request.callback_number != request.officer_phone
    assert request.callback_by == liaison_lucas


def test_an_unconfirmed_callback_does_not_verify(received: InboundRequest, sudan_police: Agency,
                                                 liaison_lucas: User) -> None:
    duty = sudan_police.contacts.get(name="Duty desk")
    request_record_callback(actor=actor_of(liaison_lucas), request_id=received.pk, contact_id=duty.pk,
                            confirmed=False, notes="nobody at the unit knows this officer")
    with pytest.raises(ValidationFailed):
        request_verify(actor=actor_of(liaison_lucas), request_id=received.pk)


def test_a_verified_and_approved_request_is_disclosed_and_logged(
    received: InboundRequest, sudan_police: Agency, liaison_lucas: User, legal_leila: User
) -> None:
    verified(received, sudan_police, liaison_lucas)
    request_review(actor=actor_of(legal_leila), request_id=received.pk, decision="comply_in_part",
                   reasons=["overbroad"], approved_data_types=["basic_subscriber"])
    with pytest.raises(ValidationFailed) as err:
        disclosure_record(actor=actor_of(liaison_lucas), request_id=received.pk, data_types=["ip_logs"],
                          fields=[], files=[], recipient="x", channel="email")
    assert "data_types.0" in err.value.fields
    with frozen_at(T0 + dt.timedelta(days=3)):
        disclosure = disclosure_record(
            actor=actor_of(liaison_lucas), request_id=received.pk, data_types=["basic_subscriber"],
            fields=["name", "email"], files=[{"name": "bsi.csv", "sha256": SHA, "size": 120}],
            recipient="a.osman@police.gov.sd", channel="email")
    assert disclosure.approved_by == legal_leila and disclosure.sent_by == liaison_lucas
    received.refresh_from_db()
    assert (received.status, received.outcome) == ("answered", "complied_in_part")
    assert received.responded_at == T0 + dt.timedelta(days=3)
    assert AuditEntry.objects.filter(action="le_disclosure.recorded", target_id=str(disclosure.pk)).exists()


def test_the_disclosure_log_is_append_only(received: InboundRequest, sudan_police: Agency, liaison_lucas: User,
                                           legal_leila: User) -> None:
    verified(received, sudan_police, liaison_lucas)
    request_review(actor=actor_of(legal_leila), request_id=received.pk, decision="comply", reasons=["valid"])
    disclosure = disclosure_record(actor=actor_of(liaison_lucas), request_id=received.pk,
                                   data_types=["basic_subscriber"], fields=["name"], files=[],
                                   recipient="a.osman@police.gov.sd", channel="portal")
    with pytest.raises(DatabaseError), transaction.atomic():
        Disclosure.objects.filter(pk=disclosure.pk).update(recipient="someone else")


def test_a_rejection_closes_the_request_with_its_reasons(received: InboundRequest, legal_leila: User) -> None:
    with frozen_at(T0 + dt.timedelta(hours=5)):
        review = request_review(actor=actor_of(legal_leila), request_id=received.pk, decision="reject",
                                reasons=["overbroad", "human_rights"])
    received.refresh_from_db()
    assert (received.status, received.outcome, review.reasons) == ("closed", "rejected", ["overbroad", "human_rights"])
    assert received.responded_at == T0 + dt.timedelta(hours=5)


def test_comply_in_part_must_approve_a_strict_subset(received: InboundRequest, legal_leila: User) -> None:
    with pytest.raises(ValidationFailed):
        request_review(actor=actor_of(legal_leila), request_id=received.pk, decision="comply_in_part",
                       reasons=["overbroad"], approved_data_types=["basic_subscriber", "ip_logs"])


def test_only_legal_reviewers_review_and_liaisons_handle(received: InboundRequest, liaison_lucas: User,
                                                          legal_leila: User, sudan_police: Agency) -> None:
    with pytest.raises(PermissionDenied):
        request_review(actor=actor_of(liaison_lucas), request_id=received.pk, decision="comply", reasons=["valid"])
    with pytest.raises(PermissionDenied):
        request_receive(actor=actor_of(legal_leila), data=request_data(sudan_police))


def test_an_emergency_request_has_an_hour_deadline_and_pages(
    liaison_lucas: User, lead_lena: User, sudan_police: Agency
) -> None:
    with frozen_at(T0):
        request = request_receive(actor=actor_of(liaison_lucas), data=request_data(
            sudan_police, request_type="emergency_disclosure", deadline_hours=3,
            emergency_reason="A kidnapped journalist; the captors post from this account."))
    assert request.emergency and request.due_at == T0 + dt.timedelta(hours=3)
    # Paged through the emergency lane; with no escalation chain here, its fallback pages the leads and liaisons.
    emergency = Emergency.objects.get(le_request=request)
    pages = OutboxMessage.objects.filter(event_type="emergency.page", payload__emergency_id=str(emergency.pk))
    assert {m.recipient for m in pages} == {lead_lena.email, liaison_lucas.email}
    assert all(m.idempotency_key.startswith(f"page:{emergency.pk}:") for m in pages)
    with pytest.raises(ValidationFailed) as err:
        request_receive(actor=actor_of(liaison_lucas), data=request_data(
            sudan_police, request_type="emergency_disclosure", deadline_hours=200, emergency_reason="x"))
    assert "deadline_hours" in err.value.fields


def test_the_sweeper_alerts_once_when_a_request_is_overdue(received: InboundRequest, liaison_lucas: User) -> None:
    assert received.due_at == T0 + dt.timedelta(days=14)
    assert requests_sweep_overdue(now=T0 + dt.timedelta(days=13)) == 0
    with frozen_at(T0 + dt.timedelta(days=15)):
        assert requests_sweep_overdue(now=T0 + dt.timedelta(days=15)) == 1
        assert requests_sweep_overdue(now=T0 + dt.timedelta(days=15, minutes=1)) == 0
    assert OutboxMessage.objects.filter(idempotency_key__startswith=f"le-request-overdue:{received.pk}").count() == 1


def test_a_preservation_request_holds_the_identified_records_for_90_days(
    liaison_lucas: User, sudan_police: Agency
) -> None:
    with frozen_at(T0):
        request = request_receive(actor=actor_of(liaison_lucas), data=request_data(
            sudan_police, request_type="preservation", data_types=["preservation_only"],
            identifiers=[{"kind": "account", "value": "kite-user-4711"}, {"kind": "url", "value": "https://x"}]))
    assert request.outcome == "preserved"
    hold = request.holds.get()
    assert (hold.subject_kind, hold.subject_value) == ("account", "kite-user-4711")
    assert hold.expires_at == T0 + dt.timedelta(days=90)
    assert is_on_hold(subject_kind="account", subject_value="kite-user-4711", at=T0 + dt.timedelta(days=89))
    assert not is_on_hold(subject_kind="account", subject_value="kite-user-4711", at=T0 + dt.timedelta(days=91))


def test_every_step_of_a_request_is_audited(received: InboundRequest, sudan_police: Agency, liaison_lucas: User,
                                            legal_leila: User) -> None:
    verified(received, sudan_police, liaison_lucas)
    request_review(actor=actor_of(legal_leila), request_id=received.pk, decision="comply", reasons=["valid"])
    disclosure_record(actor=actor_of(liaison_lucas), request_id=received.pk, data_types=["basic_subscriber"],
                      fields=["name"], files=[], recipient="a.osman@police.gov.sd", channel="email")
    actions = list(AuditEntry.objects.filter(target_id=str(received.pk)).order_by("id").values_list("action",
                                                                                                     flat=True))
    assert actions == ["le_request.received", "le_request.callback_recorded", "le_request.verified",
                       "le_request.reviewed"]
    assert AuditEntry.objects.filter(action="le_disclosure.recorded").count() == 1
