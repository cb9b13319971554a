"""Claim-next never hands out a case on the emergency board: the escalation owner has it until resolved or downgraded.

The queue listing already left those cases out; these tests hold claim-next
(the service and the API, through the compiled claim query: prepared on
PostgreSQL, plain on SQLite, and unprepared on request) to the same rule.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.conftest import API, actor_of
from trustline.core import clock
from trustline.oncall.choices import EmergencySource, EmergencyState
from trustline.oncall.models import Emergency
from trustline.oncall.paging import emergency_open
from trustline.oncall.services import emergency_acknowledge, emergency_downgrade, emergency_resolve
from trustline.routing import services
from trustline.routing.services import case_claim_next
from trustline.routing.tests.conftest import T0, queued_case
from trustline.triage.services import triage_case

LATER = T0 + dt.timedelta(minutes=2)


@pytest.fixture(params=[True, False], ids=["prepared", "unprepared"])
def claim_query(request: Any, settings: Any) -> bool:
    """Both ways the compiled claim query runs (on SQLite both are the plain query)."""
    settings.ROUTING = {**settings.ROUTING, "PREPARE_CLAIM_QUERY": request.param, "MAX_HELD": 50}
    return bool(request.param)


@pytest.fixture
def sami(reviewer: Callable[..., User]) -> User:
    return reviewer("sami", languages=["ar"])


@pytest.fixture
def reported(analyst_amal: User, submit: Callable[..., Any]) -> Callable[..., Case]:
    """``reported(imminent=...)``: the Sudan partner reports at T0, triage runs (and opens an emergency if imminent)."""

    def make(*, imminent: bool) -> Case:
        extra = {"imminent_harm": True, "imminent_harm_reason": "Named shelter to be attacked tonight"}
        with clock.frozen_at(T0):
            result = submit(analyst_amal, **(extra if imminent else {}))
            return triage_case(actor=SYSTEM, case_id=result.items[0].case_id)

    return make


def claim(user: User) -> Case | None:
    with clock.frozen_at(LATER):
        return case_claim_next(actor=actor_of(user))


def claim_by_api(user: User) -> Any:
    client = Client()
    client.force_login(user)
    with clock.frozen_at(LATER):
        response = client.post(f"{API}/queue/claim-next", data="", content_type="application/json")
    assert response.status_code == 200, response.content
    return json.loads(response.content)["case"]


def emergency_of(case: Case) -> Emergency:
    return Emergency.objects.get(case_id=case.pk)


@pytest.mark.usefixtures("claim_query")
def test_an_open_or_acknowledged_emergency_keeps_its_case_from_claim_next_until_resolved(
    sami: User, lead_lena: User, reported: Callable[..., Case],
):
    imminent = reported(imminent=True)
    ordinary = reported(imminent=False)
    assert emergency_of(imminent).state == EmergencyState.OPEN
    assert imminent.priority > ordinary.priority  # first in the queue, were it not on the board

    first = claim(sami)
    assert first is not None and first.pk == ordinary.pk
    assert claim(sami) is None  # open: paging the on-call people

    with clock.frozen_at(LATER):
        emergency_acknowledge(actor=actor_of(lead_lena), emergency_id=emergency_of(imminent).pk)
    assert claim(sami) is None  # acknowledged: the escalation owner has it

    with clock.frozen_at(LATER):
        emergency_resolve(actor=actor_of(lead_lena), emergency_id=emergency_of(imminent).pk, note="Shelter warned.")
    after = claim(sami)
    assert after is not None and after.pk == imminent.pk
    assert (after.status, after.assigned_to_id) == (CaseStatus.IN_REVIEW, sami.pk)


@pytest.mark.usefixtures("claim_query")
def test_a_downgraded_emergency_returns_its_case_to_the_queue(
    sami: User, lead_lena: User, reported: Callable[..., Case],
):
    imminent = reported(imminent=True)
    assert claim(sami) is None

    with clock.frozen_at(LATER):
        emergency_downgrade(actor=actor_of(lead_lena), emergency_id=emergency_of(imminent).pk,
                            reason="A quote from a news report, not a threat.")

    claimed = claim(sami)
    assert claimed is not None and claimed.pk == imminent.pk


@pytest.mark.usefixtures("claim_query")
def test_claim_next_through_the_api_never_answers_a_case_on_the_board(
    reviewer_rita: User, lead_lena: User, reported: Callable[..., Case],
):
    from trustline.routing.reviewers import reviewer_skills_set

    reviewer_skills_set(actor=SYSTEM, user_id=reviewer_rita.pk, languages=["ar"], countries=["SD"])
    imminent = reported(imminent=True)

    assert claim_by_api(reviewer_rita) is None
    with clock.frozen_at(LATER):
        emergency_acknowledge(actor=actor_of(lead_lena), emergency_id=emergency_of(imminent).pk)
    assert claim_by_api(reviewer_rita) is None
    with clock.frozen_at(LATER):
        emergency_resolve(actor=actor_of(lead_lena), emergency_id=emergency_of(imminent).pk)

    answered = claim_by_api(reviewer_rita)
    assert answered is not None and answered["id"] == str(imminent.pk)
    assert answered["assigned_to"]["username"] == reviewer_rita.username


@pytest.mark.usefixtures("claim_query")
def test_cases_on_the_board_at_the_head_of_every_queue_do_not_hide_the_cases_behind_them(
    sami: User, settings: Any,
):
    """Each routing key reads only its first few queued cases: the board must be skipped before that limit."""
    settings.ROUTING = {**settings.ROUTING, "CANDIDATES_PER_KEY": 1}
    with clock.frozen_at(T0):
        for priority in (900, 800):
            emergency_open(case=queued_case(priority=priority, imminent=True), source=EmergencySource.PARTNER,
                           reason="Named shelter to be attacked tonight")
    behind = queued_case(priority=100)

    claimed = claim(sami)

    assert claimed is not None and claimed.pk == behind.pk


def test_a_case_whose_emergency_opened_after_the_claim_query_read_it_is_not_taken(
    sami: User, monkeypatch: pytest.MonkeyPatch,
):
    """The claim's conditional UPDATE checks the board again: a stale read (a rescore made the case imminent
    between the query and the update) makes the claim look again instead of taking the case."""
    on_board = queued_case(priority=900)
    ordinary = queued_case(priority=100)
    real = services._lock_candidate
    calls: list[int] = []

    def stale_first(*args: Any) -> Case | None:
        calls.append(1)
        if len(calls) == 1:
            stale = Case.objects.get(pk=on_board.pk)  # read before the emergency was opened
            with clock.frozen_at(T0):
                emergency_open(case=stale, source=EmergencySource.RULE, reason="matched triage rule")
            return stale
        return real(*args)

    monkeypatch.setattr(services, "_lock_candidate", stale_first)

    claimed = claim(sami)

    assert claimed is not None and claimed.pk == ordinary.pk
    on_board.refresh_from_db()
    assert (on_board.status, on_board.assigned_to_id) == (CaseStatus.TRIAGED, None)
    assert len(calls) == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements exist on PostgreSQL only")
def test_the_prepared_claim_query_reads_the_board_at_each_claim(sami: User, settings: Any):
    """Prepared once per connection, the statement still sees emergencies opened and closed after it was prepared."""
    settings.ROUTING = {**settings.ROUTING, "MAX_HELD": 50}
    warm = queued_case(priority=100)
    first = claim(sami)  # prepares the statement on this connection
    assert first is not None and first.pk == warm.pk
    later = queued_case(priority=900)
    with clock.frozen_at(T0):
        emergency = emergency_open(case=later, source=EmergencySource.PARTNER, reason="Named shelter")
    assert emergency is not None
    assert claim(sami) is None
