"""Metrics fixtures: a small programme built through the real services at chosen moments.

``programme`` builds the story below (all times UTC; tier 2 SLA: acknowledge
within 24 h, decide within 72 h), refreshes the roll-up and freezes the
clock at ``NOW`` (2026-04-02 12:00). The expected figures in the tests are
computed by hand from this table, not by the code under test.

====  ========  ==================  ==================================================================
item  partner   received            what happens
====  ========  ==================  ==================================================================
E     Sudan     Wed 02-25 09:00     decided violating Mon 03-02 19:00 (130 h: late, > 5 days)
A     Sudan     Mon 03-02 09:00     decided violating (remove) at 19:00 (10 h)
B     Sudan     Mon 03-02 10:00     question at 11:00 (clock paused), answered Wed 03-04 11:00
                                    (48 h paused), decided not violating Sat 03-07 12:00:
                                    122 h elapsed, 74 h excluding the pause; decide-by moved
                                    from Thu 03-05 10:00 to Sat 03-07 10:00, so 2 h late
C     Pakistan  Tue 03-03 09:00     never decided (backlog)
D     Sudan     Thu 03-05 09:00     decided violating (remove) at 09:30; contested by Sudan Fri
                                    03-06 09:00, reversed to not violating at 12:00
F     Pakistan  Tue 03-31 23:30     never decided; 01:30 on 1 April in Khartoum (UTC+2)
====  ========  ==================  ==================================================================
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from trustline.accounts.choices import Role
from trustline.accounts.models import Organisation, User
from trustline.appeals.services import appeal_assign, appeal_decide, appeal_submit
from trustline.cases.models import Case
from trustline.conftest import actor_of, make_person
from trustline.core import clock
from trustline.intake.choices import Channel
from trustline.intake.schemas import ReportIn
from trustline.intake.services import SubmitResult, report_submit
from trustline.metrics.facts import facts_refresh
from trustline.review.information import information_request_answer
from trustline.review.models import Decision, InformationRequest
from trustline.review.services import decision_record
from trustline.review.validation import DecisionInput
from trustline.triage.services import triage_pending


def utc(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


NOW = utc(4, 2, 12)

REMOVE = DecisionInput(
    outcome="violating",
    policy="incitement_violence",
    actions=("remove",),
    decision_ground="DECISION_GROUND_INCOMPATIBLE_CONTENT",
    incompatible_content_ground="Community Guidelines §4 (violence and incitement)",
    incompatible_content_explanation="The post calls for attacks on a named shelter for displaced people.",
)
NOT_VIOLATING = DecisionInput(outcome="not_violating", explanation="We found no violation.")
QUESTION = DecisionInput(outcome="needs_more_information", question="Which shelter does the post name?")


@pytest.fixture(autouse=True)
def _demo_platform(settings: Any) -> None:
    """Enforcement goes to the demo platform Kite, which acts at once."""
    settings.PLATFORM_CONNECTOR = {"BACKEND": "trustline.platforms.connectors.DemoPlatformConnector", "OPTIONS": {}}


@pytest.fixture
def reviewer_rami(kite: Organisation) -> User:
    return make_person(kite, "rami", "Rami Reviewer", Role.REVIEWER)


@pytest.fixture
def policy_paula(kite: Organisation) -> User:
    return make_person(kite, "paula", "Paula Policy-Analyst", Role.POLICY_ANALYST)


@dataclasses.dataclass
class Programme:
    cases: dict[str, Case]
    reports: dict[str, SubmitResult]


@pytest.fixture
def programme(
    analyst_amal: User, analyst_bilal: User, lead_lena: User, reviewer_rami: User, report_payload: Any,
) -> Iterator[Programme]:
    lena = actor_of(lead_lena)
    reports: dict[str, SubmitResult] = {}

    def submit(name: str, user: User, at: dt.datetime, **overrides: Any) -> Case:
        with clock.frozen_at(at):
            reports[name] = report_submit(actor=actor_of(user), data=ReportIn(**report_payload(**overrides)),
                                          channel=Channel.API)
            triage_pending()
        return Case.objects.get(pk=reports[name].items[0].case_id)

    def decide(case: Case, at: dt.datetime, data: DecisionInput) -> Decision:
        with clock.frozen_at(at):
            return decision_record(actor=lena, case_id=case.pk, data=data)

    cases = {
        "E": submit("E", analyst_amal, utc(2, 25, 9)),
        "A": submit("A", analyst_amal, utc(3, 2, 9)),
        "B": submit("B", analyst_amal, utc(3, 2, 10)),
    }
    decide(cases["B"], utc(3, 2, 11), QUESTION)
    decide(cases["E"], utc(3, 2, 19), REMOVE)
    decide(cases["A"], utc(3, 2, 19), REMOVE)
    cases["C"] = submit("C", analyst_bilal, utc(3, 3, 9), country="PK", language="ur")
    with clock.frozen_at(utc(3, 4, 11)):
        request = InformationRequest.objects.get(case=cases["B"])
        information_request_answer(actor=actor_of(analyst_amal), request_id=request.pk,
                                   answer="The shelter in El Fasher's Abu Shouk camp.")
    cases["D"] = submit("D", analyst_amal, utc(3, 5, 9))
    contested = decide(cases["D"], utc(3, 5, 9, 30), REMOVE)
    with clock.frozen_at(utc(3, 6, 9)):
        appeal = appeal_submit(actor=actor_of(analyst_amal), reasons="The post quotes the attack to condemn it.",
                               decision_id=contested.pk)
        appeal_assign(actor=lena, appeal_id=appeal.pk, username="rami")
    with clock.frozen_at(utc(3, 6, 12)):
        appeal_decide(actor=actor_of(reviewer_rami), appeal_id=appeal.pk, outcome="reversed",
                      explanation="On a second look the post condemns the attack.", new_decision=NOT_VIOLATING)
    decide(cases["B"], utc(3, 7, 12), NOT_VIOLATING)
    cases["F"] = submit("F", analyst_bilal, utc(3, 31, 23, 30), country="PK", language="ur")
    with clock.frozen_at(NOW):
        facts_refresh()
        yield Programme(cases=cases, reports=reports)
