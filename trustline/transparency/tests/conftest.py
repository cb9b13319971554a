"""Transparency fixtures: reports and decisions made through the real services, at chosen times.

Extra personas: ``policy_paula`` (policy analyst: may export), ``reviewer_rami``
(a reviewer: staff, but not allowed to export), ``law_leo`` (a
law-enforcement agency's analyst: a notifier that is not a trusted partner).

``decided(decision=REMOVE, reported_at=T0, decided_at=T0 + 2h, reporter=analyst_amal, **report_overrides)``
submits a report, triages it and has Lena (escalation lead, may decide any
case) decide it through ``review.services.decision_record``.
``validate(statement)`` checks one statement against the TDB JSON Schema.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import jsonschema
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
from trustline.transparency.statements import tdb_schema
from trustline.triage.services import triage_pending

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)

REMOVE = DecisionInput(
    outcome="violating",
    policy="incitement_violence",
    actions=("remove",),
    decision_ground="DECISION_GROUND_INCOMPATIBLE_CONTENT",
    incompatible_content_ground="Community Guidelines §4 (violence and incitement)",
    incompatible_content_explanation="The post calls for attacks on a named shelter for displaced people.",
    internal_note="INTERNAL-7f3a: the author is on a watch list",
)
ILLEGAL_GEO = dataclasses.replace(
    REMOVE,
    actions=("geo_restrict",),
    territorial_scope=("DE", "FR", "SD"),
    decision_ground="DECISION_GROUND_ILLEGAL_CONTENT",
    incompatible_content_ground="",
    incompatible_content_explanation="",
    illegal_content_legal_ground="§130 StGB (Volksverhetzung); Art. 24 loi du 29 juillet 1881",
    illegal_content_explanation="Incitement to hatred against a protected group, illegal in Germany and France.",
)
SUSPEND = dataclasses.replace(REMOVE, actions=("remove", "suspend_account"))
AUTOMATED_LABEL = dataclasses.replace(
    REMOVE, actions=("label", "age_restrict", "restrict_visibility", "restrict_account"),
    label_text="Graphic violence", automated_detection=True, automated_decision="AUTOMATED_DECISION_PARTIALLY",
)
NO_ACTION = dataclasses.replace(REMOVE, actions=("no_action",))
NOT_VIOLATING = DecisionInput(outcome="not_violating", explanation="We found no violation.")


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
def policy_paula(kite: Organisation) -> User:
    return make_person(kite, "paula", "Paula Policy-Analyst", Role.POLICY_ANALYST)


@pytest.fixture
def reviewer_rami(kite: Organisation) -> User:
    return make_person(kite, "rami", "Rami Reviewer", Role.REVIEWER)


@pytest.fixture
def decided(analyst_amal: User, lead_lena: User, report_payload: Callable[..., dict[str, Any]]) -> Decide:
    def make(decision: DecisionInput | None = REMOVE, reported_at: dt.datetime = T0,
             decided_at: dt.datetime | None = None, reporter: User | None = None, **overrides: Any) -> Decided:
        with frozen_at(reported_at):
            result = report_submit(actor=actor_of(reporter or analyst_amal),
                                   data=ReportIn(**report_payload(**overrides)), channel=Channel.API)
            triage_pending()
        if decision is None:
            return Decided(report=result.report, decision=None)  # type: ignore[arg-type]  # undecided report
        with frozen_at(decided_at or reported_at + 2 * HOUR):
            recorded = decision_record(actor=actor_of(lead_lena), case_id=result.items[0].case_id, data=decision)
        return Decided(report=result.report, decision=recorded)

    return make


@pytest.fixture
def validate() -> Callable[[dict[str, Any]], None]:
    validator = jsonschema.Draft202012Validator(tdb_schema(), format_checker=jsonschema.FormatChecker())

    def check(statement: dict[str, Any]) -> None:
        errors = sorted(validator.iter_errors(statement), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]

    return check
