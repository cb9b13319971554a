"""Crisis fixtures: reports submitted and triaged through the real services, at a fixed clock.

``submit(user, **overrides)`` submits a report as that partner person and
runs triage; ``case_of(result)`` is its first item's case. ``designate(**f)``
has Pablo (programme manager) designate a crisis through the service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.core import clock
from trustline.crisis.models import Crisis
from trustline.crisis.rescore import crisis_rescore
from trustline.crisis.services import CrisisInput, crisis_designate
from trustline.intake.choices import Channel
from trustline.intake.schemas import ReportIn
from trustline.intake.services import SubmitResult, report_submit
from trustline.triage.services import triage_pending

T0 = dt.datetime(2026, 4, 15, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

Submit = Callable[..., SubmitResult]
Designate = Callable[..., Crisis]


@pytest.fixture
def at_t0() -> Iterator[dt.datetime]:
    with clock.frozen_at(T0):
        yield T0


@pytest.fixture
def submit(report_payload: Callable[..., dict[str, Any]]) -> Submit:
    def make(user: User, **overrides: Any) -> SubmitResult:
        result = report_submit(actor=actor_of(user), data=ReportIn(**report_payload(**overrides)),
                               channel=Channel.API)
        triage_pending()
        return result

    return make


def case_of(result: SubmitResult) -> Case:
    return Case.objects.get(pk=result.items[0].case_id)


@pytest.fixture
def designate(pm_pablo: User) -> Designate:
    """``designate(**fields)``: Pablo designates a crisis (Sudan, level 2 by default), then its re-score runs."""

    def make(**fields: Any) -> Crisis:
        data = {"name": "Sudan: El Fasher siege", "countries": ["SD"], "level": 2, **fields}
        crisis = crisis_designate(actor=actor_of(pm_pablo), data=CrisisInput(**data))
        crisis_rescore(crisis_id=crisis.pk)
        return crisis

    return make


@pytest.fixture
def liaison_leo(kite: Any) -> User:
    """Platform staff whose role (law-enforcement liaison) does not cover crises: the wrong-role persona."""
    from trustline.accounts.choices import Role
    from trustline.conftest import make_person

    return make_person(kite, "leo", "Leo Liaison", Role.LAW_ENFORCEMENT_LIAISON)
