"""Review fixtures: reports submitted and triaged through the real services, reviewers holding cases.

Extra personas: ``reviewer_rafael`` (a second reviewer for cross-checks)
and ``policy_paula`` (a policy analyst: staff who may read but not decide).
``decide(user, case, **fields)`` posts a decision through the API as that
person; ``hold(case, user)`` gives the person the routing lease on the case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from trustline.accounts.choices import Role
from trustline.accounts.models import Organisation, User
from trustline.accounts.permissions import SYSTEM
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of, make_person
from trustline.core import clock
from trustline.intake.choices import Channel
from trustline.intake.schemas import ReportIn
from trustline.intake.services import SubmitResult, report_submit
from trustline.routing.services import case_reassign
from trustline.triage.services import triage_pending

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
INTERNAL_NOTE = "INTERNAL-NOTE-7f3a: the author is on the watch list of the Khartoum desk"

VIOLATING: dict[str, Any] = {
    "outcome": "violating",
    "policy": "incitement_violence",
    "actions": ["remove"],
    "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
    "incompatible_content_ground": "Community Guidelines §4 (violence and incitement)",
    "incompatible_content_explanation": "The post calls for attacks on a named shelter for displaced people.",
    "internal_note": INTERNAL_NOTE,
}

Submit = Callable[..., SubmitResult]
Decide = Callable[..., Any]


@pytest.fixture
def at_t0() -> Iterator[dt.datetime]:
    """Freeze the clock at ``T0`` (a Monday, 09:00 UTC)."""
    with clock.frozen_at(T0):
        yield T0


@pytest.fixture
def demo_platform(settings: Any) -> None:
    """Enforcement goes to the demo platform Kite, which acts at once."""
    settings.PLATFORM_CONNECTOR = {"BACKEND": "trustline.platforms.connectors.DemoPlatformConnector", "OPTIONS": {}}


@pytest.fixture
def manual_platform(settings: Any) -> None:
    """Enforcement is done by hand in the platform's tools, then confirmed."""
    settings.PLATFORM_CONNECTOR = {"BACKEND": "trustline.platforms.connectors.ManualConnector", "OPTIONS": {}}


@pytest.fixture
def reviewer_rafael(kite: Organisation) -> User:
    return make_person(kite, "rafael", "Rafael Second-Reviewer", Role.REVIEWER)


@pytest.fixture
def policy_paula(kite: Organisation) -> User:
    return make_person(kite, "paula", "Paula Policy-Analyst", Role.POLICY_ANALYST)


@pytest.fixture
def submit(report_payload: Callable[..., dict[str, Any]]) -> Submit:
    """``submit(user, **overrides)``: a report through the intake service, then triage runs."""

    def make(user: User, **overrides: Any) -> SubmitResult:
        result = report_submit(actor=actor_of(user), data=ReportIn(**report_payload(**overrides)),
                               channel=Channel.API)
        triage_pending()
        return result

    return make


def case_of(result: SubmitResult, position: int = 0) -> Case:
    return Case.objects.get(pk=result.items[position].case_id)


def hold(case: Case, user: User, *, minutes: int | None = None) -> Case:
    """Give ``user`` the routing lease on ``case`` (routing's ``case_reassign``, as a lead would).

    ``minutes`` sets the lease to end that many minutes from now (negative: already expired).
    """
    case_reassign(actor=SYSTEM, case_id=case.pk, reviewer=user.pk, reason="Assigned for the review tests.")
    if minutes is not None:
        Case.objects.filter(pk=case.pk).update(lease_expires_at=clock.now() + dt.timedelta(minutes=minutes))
    case.refresh_from_db()
    return case


@pytest.fixture
def decide(session_api: Callable[[User], ApiClient]) -> Decide:
    """``decide(user, case, **fields)``: POST /review/cases/{id}/decisions as ``user``.

    Without an ``outcome`` the body is ``VIOLATING`` (a removal) with ``fields`` on top.
    """

    def make(user: User, case: Case, **fields: Any) -> Any:
        body = dict(VIOLATING) if "outcome" not in fields else {}
        body.update(fields)
        return session_api(user).post(f"/review/cases/{case.pk}/decisions", body)

    return make


@pytest.fixture
def sudan_case(analyst_amal: User, submit: Submit, at_t0: dt.datetime) -> Case:
    """A tier 2 incitement case reported by the Sudan partner, triaged at T0 (no protected target)."""
    return case_of(submit(analyst_amal, targets=["refugee_or_migrant"]))


@pytest.fixture
def held_case(sudan_case: Case, reviewer_rita: User) -> Case:
    """``sudan_case`` held by Rita."""
    return hold(sudan_case, reviewer_rita)
