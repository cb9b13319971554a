"""Personas and fixtures of the emergency lane: a small responder team, a rota and a chain.

For emergency law-enforcement requests: ``liaison_lars`` receives them, ``legal_leila`` reviews them, and
``police`` is the directory agency they come from (see ``le_fixtures``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.choices import Role
from trustline.accounts.models import Organisation, User
from trustline.accounts.permissions import SYSTEM
from trustline.cases.models import Case
from trustline.conftest import ApiClient, make_person
from trustline.core import clock
from trustline.lawenforcement.models import Agency
from trustline.oncall.models import EscalationChain, Schedule
from trustline.oncall.rota import ChainData, ScheduleData, StepData, chain_save, schedule_save
from trustline.oncall.tests.le_fixtures import police_agency
from trustline.triage.services import triage_case

# A Monday, well inside winter time in Berlin.
T0 = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def reviewer_ravi(kite: Organisation) -> User:
    return make_person(kite, "ravi", "Ravi Reviewer", Role.REVIEWER)


@pytest.fixture
def reviewer_sara(kite: Organisation) -> User:
    return make_person(kite, "sara", "Sara Reviewer", Role.REVIEWER)


@pytest.fixture
def rota(reviewer_rita: User, reviewer_ravi: User, reviewer_sara: User, lead_lena: User) -> Schedule:
    """Weekly, Monday 09:00 Berlin: rita, ravi, sara in turn."""
    return schedule_save(actor=SYSTEM, data=ScheduleData(
        name="Responders", time_zone="Europe/Berlin", rotation="weekly", handoff_time=dt.time(9, 0),
        start_date=dt.date(2026, 1, 5), participants=["rita", "ravi", "sara"],
    ))


@pytest.fixture
def chain(rota: Schedule) -> EscalationChain:
    """Primary now, secondary after 5 min, the leads after 5 more, everyone after 5 more; once more 10 min later."""
    return chain_save(actor=SYSTEM, data=ChainData(
        name="Imminent harm", is_default=True, repeat_count=1, repeat_delay_minutes=10,
        steps=[
            StepData(target="schedule_primary", schedule_id=rota.pk, delay_minutes=0),
            StepData(target="schedule_secondary", schedule_id=rota.pk, delay_minutes=5),
            StepData(target="escalation_leads", delay_minutes=5),
            StepData(target="everyone", delay_minutes=5),
        ],
    ))


@pytest.fixture
def open_imminent(sudan_api: ApiClient, report_payload: Callable[..., dict[str, Any]]) -> Callable[..., Case]:
    """``open_imminent(at=T0)``: a partner flags imminent harm at ``at`` and triage runs; returns the case."""

    def make(at: dt.datetime = T0, **overrides: Any) -> Case:
        payload = report_payload(imminent_harm=True, imminent_harm_reason="Named shelter to be attacked tonight",
                                 **overrides)
        with clock.frozen_at(at):
            response = sudan_api.submit(payload)
            assert response.status_code == 201, response.content
            case = Case.objects.get(items__report_id=response.json()["id"])
            triage_case(actor=SYSTEM, case_id=case.pk)  # what the fast lane does, without delivering
        return Case.objects.get(pk=case.pk)

    return make


@pytest.fixture
def liaison_lars(kite: Organisation) -> User:
    """Platform staff whose role has nothing to do with the emergency lane."""
    return make_person(kite, "lars", "Lars Liaison", Role.LAW_ENFORCEMENT_LIAISON)


@pytest.fixture
def legal_leila(kite: Organisation) -> User:
    return make_person(kite, "leila", "Leila Legal", Role.LEGAL_REVIEWER)


@pytest.fixture
def police(liaison_lars: User) -> Agency:
    """Khartoum State police in the directory, complete, entered the day before T0."""
    return police_agency(liaison_lars, at=T0 - dt.timedelta(days=1))


def pytest_configure(config: pytest.Config) -> None:
    """The console registers ``browser`` too; this app's browser test must also run on its own."""
    config.addinivalue_line(
        "markers", "browser: drives Debian's Chromium through Playwright against a live server (skipped without it)"
    )
