"""A crisis boosts the cases it covers, tightens their SLA, labels and queues them; ending it takes that back."""

from __future__ import annotations

import datetime as dt

import pytest

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.core import clock
from trustline.crisis.models import Crisis
from trustline.crisis.rescore import crisis_rescore, crisis_sweep
from trustline.crisis.selectors import crisis_case_q
from trustline.crisis.services import CrisisInput, crisis_change, crisis_end
from trustline.crisis.tests.conftest import DAY, HOUR, Designate, Submit, case_of
from trustline.routing.models import CaseTag, SavedQueue
from trustline.triage.priority import CRISIS_MAX

pytestmark = pytest.mark.django_db


def crisis_points(case: Case) -> int:
    case.refresh_from_db()
    return int(case.priority_components.get("crisis", 0))


def test_a_case_in_the_crisis_country_gets_the_level_boost_and_others_do_not(
    analyst_amal: User, analyst_bilal: User, submit: Submit, designate: Designate, at_t0: dt.datetime,
):
    designate(level=2)

    sudan = case_of(submit(analyst_amal))
    pakistan = case_of(submit(analyst_bilal, country="PK", language="ur"))

    assert crisis_points(sudan) == 200
    assert crisis_points(pakistan) == 0
    assert sudan.priority == sum(sudan.priority_components.values())


def test_designating_rescores_open_cases_already_triaged(
    analyst_amal: User, submit: Submit, designate: Designate, at_t0: dt.datetime,
):
    before = case_of(submit(analyst_amal))
    assert crisis_points(before) == 0
    old_priority, old_decide = before.priority, before.decide_due_at

    crisis = designate(level=3)

    assert crisis_points(before) == min(300, CRISIS_MAX)
    assert before.priority == old_priority + 300
    assert before.decide_due_at is not None and old_decide is not None
    assert before.decide_due_at < old_decide  # tightened by the level 3 variant
    assert CaseTag.objects.filter(case_id=before.pk, label=f"crisis:{crisis.slug}").exists()
    assert AuditEntry.objects.filter(action="case.reprioritised", target_id=str(before.pk)).exists()
    assert AuditEntry.objects.filter(action="crisis.rescored", target_id=str(crisis.pk)).exists()


def test_ending_the_crisis_removes_the_boost_but_never_moves_a_deadline_later(
    analyst_amal: User, pm_pablo: User, submit: Submit, designate: Designate, at_t0: dt.datetime,
):
    crisis = designate(level=2)
    case = case_of(submit(analyst_amal))
    assert crisis_points(case) == 200
    tightened = case.decide_due_at

    with clock.frozen_at(at_t0 + HOUR):
        crisis_end(actor=actor_of(pm_pablo), crisis_id=crisis.pk, reason="Ceasefire holds")
        crisis_rescore(crisis_id=crisis.pk)

    assert crisis_points(case) == 0
    assert case.decide_due_at == tightened
    assert AuditEntry.objects.filter(action="crisis.ended", target_id=str(crisis.pk)).exists()
    # The crisis stays listed, ended.
    crisis.refresh_from_db()
    assert crisis.ends_at is not None


def test_changing_the_level_changes_the_boost(
    analyst_amal: User, pm_pablo: User, submit: Submit, designate: Designate, at_t0: dt.datetime,
):
    crisis = designate(level=1)
    case = case_of(submit(analyst_amal))
    assert crisis_points(case) == 100

    crisis_change(actor=actor_of(pm_pablo), crisis_id=crisis.pk, data=CrisisInput(level=3))
    crisis_rescore(crisis_id=crisis.pk)

    assert crisis_points(case) == 300
    entry = AuditEntry.objects.get(action="crisis.changed", target_id=str(crisis.pk))
    assert entry.data["changes"] == {"level": {"from": 1, "to": 3}}


def test_the_sla_variant_is_tighter_by_level(
    analyst_amal: User, submit: Submit, designate: Designate, at_t0: dt.datetime,
):
    ordinary = case_of(submit(analyst_amal))
    designate(level=2)
    crisis_case = case_of(submit(analyst_amal))

    assert ordinary.decide_due_at is not None and crisis_case.decide_due_at is not None
    ordinary_window = ordinary.decide_due_at - ordinary.opened_at
    crisis_window = crisis_case.decide_due_at - crisis_case.opened_at
    assert crisis_window == ordinary_window / 2
    assert "crisis sudan-el-fasher-siege, level 2" in crisis_case.sla_policy_snapshot["name"]


@pytest.mark.parametrize(
    ("fields", "matches"),
    [
        ({"languages": ["ar"]}, True),  # a bare language covers ar-SD too
        ({"languages": ["ur"]}, False),
        ({"categories": ["incitement_violence"]}, True),
        ({"categories": ["threat_to_life"]}, False),
        ({"countries": [], "regions": ["East Africa"]}, True),
        ({"countries": ["PK"]}, False),
    ],
)
def test_matching_by_language_category_and_region(
    analyst_amal: User, submit: Submit, designate: Designate, at_t0: dt.datetime, fields: dict[str, object],
    matches: bool,
):
    crisis = designate(**fields)
    case = case_of(submit(analyst_amal, language="ar-SD"))

    assert (crisis_points(case) > 0) is matches
    # The database filter (re-score, crisis view) agrees with the per-case rule (triage).
    assert Case.objects.filter(crisis_case_q(crisis), pk=case.pk).exists() is matches


def test_matching_by_partner(
    analyst_amal: User, analyst_bilal: User, sudan_partner: object, pakistan_partner: object, submit: Submit,
    designate: Designate, at_t0: dt.datetime,
):
    designate(partners=[pakistan_partner.pk])  # type: ignore[attr-defined]
    by_sudan = case_of(submit(analyst_amal))
    by_pakistan = case_of(submit(analyst_bilal, country="SD"))

    assert crisis_points(by_sudan) == 0
    assert crisis_points(by_pakistan) == 200


def test_a_scheduled_crisis_starts_and_ends_on_its_own(
    analyst_amal: User, submit: Submit, designate: Designate, at_t0: dt.datetime,
):
    crisis = designate(starts_at=at_t0 + HOUR, ends_at=at_t0 + DAY)
    case = case_of(submit(analyst_amal))
    assert crisis_points(case) == 0

    with clock.frozen_at(at_t0 + 2 * HOUR):
        result = crisis_sweep()
    assert result.rescored_crises == 1
    assert crisis_points(case) == 200
    assert CaseTag.objects.filter(case_id=case.pk, label=f"crisis:{crisis.slug}").exists()

    with clock.frozen_at(at_t0 + 2 * DAY):
        crisis_sweep()
        assert crisis_sweep().rescored_crises == 0  # nothing left to do
    assert crisis_points(case) == 0
    assert Crisis.objects.get(pk=crisis.pk).applied_state == "ended"


def test_a_second_rescore_run_finds_nothing_to_claim(
    analyst_amal: User, submit: Submit, designate: Designate, at_t0: dt.datetime,
):
    crisis = designate()
    case_of(submit(analyst_amal))

    assert crisis_rescore(crisis_id=crisis.pk).considered == 0


def test_designation_creates_a_shared_crisis_queue_for_the_designator(
    pm_pablo: User, designate: Designate, at_t0: dt.datetime,
):
    crisis = designate()

    assert crisis.saved_queue_id is not None
    queue = SavedQueue.objects.get(pk=crisis.saved_queue_id)
    assert queue.shared and queue.owner_id == pm_pablo.pk
    assert queue.filters == {"crisis": True, "tag": [f"crisis:{crisis.slug}"]}
