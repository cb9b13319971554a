"""Leases with a frozen clock: expiry and takeover, heartbeats, release, hold, reassignment, housekeeping."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.audit.models import AuditEntry
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.core import clock
from trustline.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from trustline.routing.models import Assignment
from trustline.routing.services import (
    case_claim_next,
    case_heartbeat,
    case_hold,
    case_reassign,
    case_release,
    case_unhold,
    release_expired_leases,
)
from trustline.routing.tests.conftest import T0, queued_case

MIN = dt.timedelta(minutes=1)


@pytest.fixture
def sami(reviewer: Callable[..., User]) -> User:
    return reviewer("sami", languages=["ar-SD"], countries=["SD"])


@pytest.fixture
def hiba(reviewer: Callable[..., User]) -> User:
    return reviewer("hiba", languages=["ar-SD"])


at = clock.frozen_at


def take(user: User) -> Case:
    """Claim next, expecting a case."""
    case = case_claim_next(actor=actor_of(user))
    assert case is not None
    return case


def test_an_idle_lease_expires_and_another_reviewer_takes_the_case_over(sami: User, hiba: User):
    case = queued_case(language="ar-SD")
    with at(T0):
        case_claim_next(actor=actor_of(sami))
    with at(T0 + 19 * MIN):
        assert case_claim_next(actor=actor_of(hiba)) is None
    with at(T0 + 20 * MIN):
        taken = take(hiba)

    assert taken.pk == case.pk and taken.assigned_to_id == hiba.pk
    first, second = Assignment.objects.filter(case=case).order_by("claimed_at")
    assert (first.reviewer_id, first.end_reason, first.ended_at) == (sami.pk, "expired", T0 + 20 * MIN)
    assert (second.reviewer_id, second.ended_at) == (hiba.pk, None)
    claimed = AuditEntry.objects.filter(action="case.claimed", target_id=str(case.pk)).order_by("id").last()
    assert claimed is not None
    assert claimed.data["previous_holder"] == sami.pk and claimed.data["previous_lease_expired"] is True


def test_a_heartbeat_keeps_the_lease_and_fails_once_someone_took_the_case_over(sami: User, hiba: User):
    case = queued_case(language="ar-SD")
    with at(T0):
        case_claim_next(actor=actor_of(sami))
    with at(T0 + 15 * MIN):
        assert case_heartbeat(actor=actor_of(sami), case_id=case.pk).lease_expires_at == T0 + 35 * MIN
    with at(T0 + 34 * MIN):
        assert case_claim_next(actor=actor_of(hiba)) is None
    with at(T0 + 36 * MIN):
        assert take(hiba).pk == case.pk
        with pytest.raises(Conflict) as lost:
            case_heartbeat(actor=actor_of(sami), case_id=case.pk)
    assert lost.value.code == "not_holder"


def test_a_reviewer_may_renew_a_lapsed_lease_nobody_took_over(sami: User):
    case = queued_case(language="ar-SD")
    with at(T0):
        case_claim_next(actor=actor_of(sami))
    with at(T0 + 45 * MIN):
        assert case_heartbeat(actor=actor_of(sami), case_id=case.pk).lease_expires_at == T0 + 65 * MIN


def test_release_returns_the_case_to_the_queue_only_for_its_holder_or_a_lead(
    sami: User, hiba: User, lead_lena: User
):
    case = queued_case(language="ar-SD")
    with at(T0):
        case_claim_next(actor=actor_of(sami))
        with pytest.raises(Conflict):
            case_release(actor=actor_of(hiba), case_id=case.pk)
        released = case_release(actor=actor_of(sami), case_id=case.pk, reason="needs a Darfur specialist")
        assert (released.status, released.assigned_to_id, released.lease_expires_at) == ("triaged", None, None)
        assert take(hiba).pk == case.pk
        case_release(actor=actor_of(lead_lena), case_id=case.pk, reason="rebalancing")

    assert [a.end_reason for a in Assignment.objects.filter(case=case)] == ["released", "released"]
    reasons = list(AuditEntry.objects.filter(action="case.released").values_list("data__reason", flat=True))
    assert reasons == ["needs a Darfur specialist", "rebalancing"]


def test_a_held_case_leaves_the_queue_until_unheld(sami: User, hiba: User):
    case = queued_case(language="ar-SD")
    with at(T0):
        case_claim_next(actor=actor_of(sami))
        with pytest.raises(ValidationFailed):
            case_hold(actor=actor_of(sami), case_id=case.pk, reason=" ")
        held = case_hold(actor=actor_of(sami), case_id=case.pk, reason="asked the partner for the original video")
    assert (held.status, held.assigned_to_id, held.hold_reason) == (
        "on_hold", None, "asked the partner for the original video"
    )
    with at(T0 + dt.timedelta(days=2)):
        assert case_claim_next(actor=actor_of(hiba)) is None
        case_unhold(actor=actor_of(hiba), case_id=case.pk, reason="partner sent it")
        assert take(hiba).pk == case.pk
    assert AuditEntry.objects.get(action="case.unheld").data["held_seconds"] == 2 * 24 * 3600


def test_a_reviewer_cannot_hold_a_case_someone_else_holds(sami: User, hiba: User):
    case = queued_case(language="ar-SD")
    with at(T0):
        case_claim_next(actor=actor_of(sami))
        with pytest.raises(Conflict):
            case_hold(actor=actor_of(hiba), case_id=case.pk, reason="mine now")


def test_a_lead_reassigns_with_a_reason_and_the_reviewer_finds_it_on_their_next_claim(
    sami: User, hiba: User, lead_lena: User, reviewer: Callable[..., User]
):
    case = queued_case(language="ar-SD", priority=100)
    queued_case(language="ar-SD", priority=900)
    with at(T0):
        case_claim_next(actor=actor_of(sami))  # takes the priority 900 case
        moved = case_reassign(actor=actor_of(lead_lena), case_id=case.pk, reviewer=hiba.pk,
                              reason="Hiba knows this network")
    assert (moved.assigned_to_id, moved.routing_pool) == (hiba.pk, "manual")
    assert moved.routing_reason == "Assigned by lena: Hiba knows this network"
    assert moved.lease_expires_at == T0 + dt.timedelta(hours=4)
    with at(T0 + dt.timedelta(hours=1)):
        assert take(hiba).pk == case.pk


def test_reassignment_needs_a_lead_and_a_cleared_reviewer(sami: User, hiba: User, lead_lena: User,
                                                         reviewer: Callable[..., User], auditor_aziz: User):
    restricted = queued_case(category="child_sexual_exploitation")
    clara = reviewer("clara", languages=["en"], clearances=["child_safety"])
    with at(T0):
        with pytest.raises(PermissionDenied):
            case_reassign(actor=actor_of(sami), case_id=restricted.pk, reviewer=hiba.pk, reason="x")
        with pytest.raises(ValidationFailed) as uncleared:
            case_reassign(actor=actor_of(lead_lena), case_id=restricted.pk, reviewer=hiba.pk, reason="x")
        assert "clearance" in uncleared.value.fields["reviewer"][0]
        with pytest.raises(ValidationFailed):
            case_reassign(actor=actor_of(lead_lena), case_id=restricted.pk, reviewer=auditor_aziz.pk, reason="x")
        assert case_reassign(actor=actor_of(lead_lena), case_id=restricted.pk, reviewer=clara.pk,
                             reason="cleared").assigned_to_id == clara.pk


def test_housekeeping_returns_lapsed_cases_to_the_queue_at_the_time_the_lease_ran_out(sami: User):
    case = queued_case(language="ar-SD")
    with at(T0):
        case_claim_next(actor=actor_of(sami))
    assert release_expired_leases(now=T0 + 19 * MIN) == 0
    assert release_expired_leases(now=T0 + 30 * MIN) == 1

    case.refresh_from_db()
    assert (case.status, case.assigned_to_id) == (CaseStatus.TRIAGED, None)
    assignment = Assignment.objects.get(case=case)
    assert (assignment.end_reason, assignment.ended_at) == ("expired", T0 + 20 * MIN)
    entry = AuditEntry.objects.get(action="case.lease_expired")
    assert entry.actor == SYSTEM.audit_id and entry.data["reviewer"] == sami.pk
    assert Case.objects.filter(status=CaseStatus.IN_REVIEW).count() == 0
