"""Contest fixtures: decisions made through the review app's own services, at a fixed time.

Extra personas: ``reviewer_rami`` (a reviewer with no part in any decision)
and ``lead_lena`` (from the shared conftest) who makes the decisions here,
as escalation leads may decide a case without holding it.

``decided(**overrides)`` submits a report as Amal (Sudan partner), triages
it and has Lena decide it through ``review.services.decision_record`` at
``T0``; it returns the report and the decision.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.choices import Role
from trustline.accounts.models import Organisation, User
from trustline.conftest import actor_of, make_person
from trustline.core.clock import frozen_at
from trustline.intake.choices import Channel
from trustline.intake.models import Report
from trustline.intake.schemas import ReportIn
from trustline.intake.services import report_submit
from trustline.review.models import Decision
from trustline.review.services import decision_record
from trustline.review.validation import DecisionInput
from trustline.triage.services import triage_pending

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

REMOVE = DecisionInput(
    outcome="violating",
    policy="incitement_violence",
    actions=("remove",),
    decision_ground="DECISION_GROUND_INCOMPATIBLE_CONTENT",
    incompatible_content_ground="Community Guidelines §4 (violence and incitement)",
    incompatible_content_explanation="The post calls for attacks on a named shelter for displaced people.",
    internal_note="first look",
)
NOT_VIOLATING = DecisionInput(outcome="not_violating", explanation="We found no violation.")
LABEL = dataclasses.replace(REMOVE, actions=("label",), label_text="Disputed: may incite violence")


@dataclasses.dataclass(frozen=True)
class Decided:
    report: Report
    decision: Decision


Decide = Callable[..., Decided]


@pytest.fixture(autouse=True)
def _demo_platform(settings: Any) -> None:
    """Enforcement goes to the demo platform Kite, which acts at once."""
    settings.PLATFORM_CONNECTOR = {"BACKEND": "trustline.platforms.connectors.DemoPlatformConnector", "OPTIONS": {}}


@pytest.fixture
def reviewer_rami(kite: Organisation) -> User:
    return make_person(kite, "rami", "Rami Reviewer", Role.REVIEWER)


@pytest.fixture
def decided(
    analyst_amal: User, lead_lena: User, report_payload: Callable[..., dict[str, Any]]
) -> Decide:
    """``decided(decision=REMOVE, at=T0, reporter=analyst_amal, **report_overrides)`` -> Decided."""

    def make(decision: DecisionInput = REMOVE, at: dt.datetime = T0, reporter: User | None = None,
             **overrides: Any) -> Decided:
        with frozen_at(at):
            result = report_submit(actor=actor_of(reporter or analyst_amal),
                                   data=ReportIn(**report_payload(**overrides)), channel=Channel.API)
            triage_pending()
            recorded = decision_record(actor=actor_of(lead_lena), case_id=result.items[0].case_id, data=decision)
        return Decided(report=result.report, decision=recorded)

    return make
