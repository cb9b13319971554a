"""Triage reads the active crises and the protected accounts once per batch, and scores as it did case by case.

Crisis matching and the protected-account check used to cost three or four
queries per case (the crises, their partners, the case's reports again, the
registry). Triage now reads the crises and the registry once per batch and
matches each case in memory from the facts it reads anyway; these tests pin
both halves of that: the queries do not grow with the batch, and a case
scores the same in a batch of many as on its own.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trustline.accounts.models import Organisation, User
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.core import clock
from trustline.crisis.models import Crisis
from trustline.crisis.selectors import crisis_case_q
from trustline.crisis.services import CrisisInput, crisis_designate, crisis_end
from trustline.intake.choices import Channel
from trustline.intake.schemas import ReportIn
from trustline.intake.services import report_submit
from trustline.protection.models import ProtectedAccount
from trustline.protection.services import nomination_decide, nomination_submit
from trustline.triage.priority import PROTECTED_TARGET_POINTS
from trustline.triage.services import case_score, triage_pending
from trustline.triage.tests.conftest import T0

pytestmark = pytest.mark.django_db

AMNA = "https://www.kite.example/@amna.journalist"
_posts = itertools.count(1)

# Per case, what triage reads and writes besides crises and protections: the case's reports and
# categories, the SLA policy, the partners' precision, routing's keys, the case's updates.
# Crises and protections add nothing per case.
QUERIES_PER_CASE = 10


def amna_post() -> str:
    return f"https://kite.example/@amna.journalist/posts/{next(_posts)}"


@pytest.fixture
def world(sudan_partner: Organisation, analyst_amal: User, pm_pablo: User) -> Crisis:
    """At T0: a level-2 crisis over Arabic incitement the Sudanese partner reports in Sudan; Amna is protected."""
    with clock.frozen_at(T0):
        crisis = crisis_designate(actor=actor_of(pm_pablo), data=CrisisInput(
            name="Sudan: El Fasher siege", countries=["SD"], languages=["ar"], categories=["incitement_violence"],
            partners=[sudan_partner.pk], level=2,
        ))
        nomination = nomination_submit(
            actor=actor_of(analyst_amal), platform="kite", account_url=AMNA, category="journalist",
            justification="Investigates militia abuses in Darfur; threatened after a report.",
        )
        nomination_decide(actor=actor_of(pm_pablo), nomination_id=nomination.pk, approve=True, reason="Verified.")
    return crisis


@pytest.fixture
def report(report_payload: Callable[..., dict[str, Any]]) -> Callable[..., Case]:
    """``report(user, **overrides)``: a partner reports one item at T0 (not triaged yet); returns its case."""

    def make(user: User, **overrides: Any) -> Case:
        with clock.frozen_at(T0):
            result = report_submit(actor=actor_of(user), data=ReportIn(**report_payload(**overrides)),
                                   channel=Channel.API)
        return Case.objects.get(pk=result.items[0].case_id)

    return make


def test_a_case_scores_the_same_in_a_batch_as_on_its_own(
    world: Crisis, report: Callable[..., Case], analyst_amal: User, analyst_bilal: User,
):
    # Cases the crisis and the registry cover, and cases each missing on exactly one point.
    batch = {
        "covered": report(analyst_amal),
        "covered_dialect": report(analyst_amal, language="ar-SD"),
        "other_language": report(analyst_amal, language="en"),
        "other_category": report(analyst_amal, category="misinformation"),
        "other_partner": report(analyst_bilal),
        "other_country": report(analyst_amal, country="TD"),
        "covered_and_protected": report(analyst_amal, items=[{"url": amna_post(), "kind": "post"}]),
        "protected_account_itself": report(analyst_bilal, country="PK", language="ur",
                                           items=[{"url": "https://kite.example/@amna.journalist", "kind": "post"}]),
        "protected_target_named": report(analyst_bilal, country="PK", language="ur", targets=["journalist"]),
    }
    now = T0 + dt.timedelta(minutes=5)

    with clock.frozen_at(now):
        assert triage_pending(batch_size=50).triaged == len(batch)

    for name, case in batch.items():
        case.refresh_from_db()
        alone = case_score(case=case, now=now, tier=case.tier)  # reads crises and registry for this case only
        assert (case.priority_components, case.ack_due_at, case.decide_due_at, case.sla_policy_snapshot) == (
            alone.priority.components, alone.ack_due_at, alone.decide_due_at, alone.targets.snapshot()), name
    crisis_points = {name: case.priority_components["crisis"] for name, case in batch.items()}
    assert crisis_points == {name: 200 if name.startswith("covered") else 0 for name in batch}
    protected_points = {name: case.priority_components["protected_target"] for name, case in batch.items()}
    assert protected_points == {name: PROTECTED_TARGET_POINTS if "protected" in name else 0 for name in batch}
    # The database's own matching (the re-score job's) agrees with triage's in memory.
    in_sql = set(Case.objects.filter(crisis_case_q(world), pk__in=[c.pk for c in batch.values()])
                 .values_list("pk", flat=True))
    assert in_sql == {case.pk for name, case in batch.items() if name.startswith("covered")}
    # The crisis tightened the deadlines of the cases it covers, and the snapshot says why.
    assert "crisis" in batch["covered"].sla_policy_snapshot["name"]
    assert "crisis" not in batch["other_partner"].sla_policy_snapshot["name"]
    tightened, usual = batch["covered"].decide_due_at, batch["other_partner"].decide_due_at
    assert tightened is not None and usual is not None and tightened < usual


def crisis_and_registry_queries(queries: list[dict[str, Any]]) -> list[str]:
    tables = (Crisis._meta.db_table, ProtectedAccount._meta.db_table)
    return [q["sql"] for q in queries if any(table in q["sql"] for table in tables)]


@pytest.mark.parametrize("active", [True, False], ids=["crisis active", "no crisis"])
def test_triaging_more_cases_does_not_read_crises_or_the_registry_again(
    world: Crisis, report: Callable[..., Case], analyst_amal: User, pm_pablo: User, active: bool,
):
    if not active:
        with clock.frozen_at(T0):
            crisis_end(actor=actor_of(pm_pablo), crisis_id=world.pk, reason="Over before the cases arrive.")
    runs: dict[int, CaptureQueriesContext] = {}
    for n in (2, 8):
        for _ in range(n):
            report(analyst_amal, items=[{"url": amna_post(), "kind": "post"}])
        with clock.frozen_at(T0 + dt.timedelta(minutes=5)), CaptureQueriesContext(connection) as runs[n]:
            assert triage_pending(batch_size=50).triaged == n

    few, many = runs[2].captured_queries, runs[8].captured_queries
    # The crises (and, when one is active, their partners) and the registry: once per batch, whatever its size.
    assert len(crisis_and_registry_queries(few)) == len(crisis_and_registry_queries(many)) == (3 if active else 2)
    assert len(many) - len(few) <= 6 * QUERIES_PER_CASE
    covered = Case.objects.filter(priority_components__crisis__gt=0).count()
    assert covered == (10 if active else 0)
    assert Case.objects.filter(priority_components__protected_target=PROTECTED_TARGET_POINTS).count() == 10
