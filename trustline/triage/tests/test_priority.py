"""Properties of the priority function: monotonic in every aggravating input, bounded precision, deterministic."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustline.triage.priority import (
    COMPONENTS,
    PRECISION_BOUND,
    PrecisionRecord,
    PriorityInputs,
    compute_priority,
    precision_points,
)

records = st.builds(
    lambda decided, share: PrecisionRecord(decided=decided, violating=round(decided * share)),
    st.integers(min_value=0, max_value=100_000),
    st.floats(min_value=0, max_value=1),
)
waits = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=400))

inputs = st.builds(
    PriorityInputs,
    tier=st.integers(min_value=1, max_value=3),
    imminent=st.booleans(),
    reach=st.none() | st.integers(min_value=0, max_value=10**10),
    reporters=st.integers(min_value=1, max_value=500),
    protected_target=st.booleans(),
    crisis_boost=st.integers(min_value=-1000, max_value=1000),
    partner_records=st.lists(records, max_size=5).map(tuple),
    waited=waits,
    ack_breached=st.booleans(),
    decide_breached=st.booleans(),
)


# The function is pure and fast; a slow draw only means a busy machine (CI runners share cores), never a bug.
PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def score(i: PriorityInputs) -> int:
    return compute_priority(i).score


@PROPERTY
@given(inputs)
def test_the_components_are_named_and_sum_to_the_score(i: PriorityInputs):
    priority = compute_priority(i)

    assert tuple(priority.components) == COMPONENTS
    assert sum(priority.components.values()) == priority.score
    assert priority.score > 0


@PROPERTY
@given(inputs)
def test_it_is_deterministic(i: PriorityInputs):
    copy = dataclasses.replace(i, partner_records=tuple(i.partner_records))

    assert compute_priority(i) == compute_priority(copy)


@PROPERTY
@given(inputs, st.integers(min_value=1, max_value=3), st.integers(min_value=1, max_value=3))
def test_a_more_severe_tier_never_scores_lower(i: PriorityInputs, a: int, b: int):
    severe, mild = min(a, b), max(a, b)

    assert score(dataclasses.replace(i, tier=severe)) >= score(dataclasses.replace(i, tier=mild))


@PROPERTY
@given(inputs, st.integers(min_value=0, max_value=100))
def test_more_reporting_partners_never_score_lower(i: PriorityInputs, more: int):
    assert score(dataclasses.replace(i, reporters=i.reporters + more)) >= score(i)


@PROPERTY
@given(inputs)
def test_imminent_harm_never_scores_lower(i: PriorityInputs):
    assert score(dataclasses.replace(i, imminent=True)) > score(dataclasses.replace(i, imminent=False))


@PROPERTY
@given(inputs)
def test_a_protected_target_never_scores_lower(i: PriorityInputs):
    assert score(dataclasses.replace(i, protected_target=True)) > score(dataclasses.replace(i, protected_target=False))


@PROPERTY
@given(inputs, waits)
def test_an_older_case_never_scores_lower(i: PriorityInputs, extra: dt.timedelta):
    assert score(dataclasses.replace(i, waited=i.waited + extra)) >= score(i)


@PROPERTY
@given(inputs, st.integers(min_value=0, max_value=10**10))
def test_more_reach_never_scores_lower(i: PriorityInputs, more: int):
    assert score(dataclasses.replace(i, reach=(i.reach or 0) + more)) >= score(i)


@PROPERTY
@given(inputs, st.integers(min_value=0, max_value=1000))
def test_a_bigger_crisis_boost_never_scores_lower(i: PriorityInputs, more: int):
    assert score(dataclasses.replace(i, crisis_boost=i.crisis_boost + more)) >= score(i)


@PROPERTY
@given(inputs)
def test_a_breach_never_scores_lower(i: PriorityInputs):
    assert score(dataclasses.replace(i, ack_breached=True, decide_breached=True)) >= score(i)


@PROPERTY
@given(inputs.filter(lambda i: len(i.partner_records) > 0), records)
def test_another_reporter_with_any_record_never_lowers_the_precision_component(i: PriorityInputs, r: PrecisionRecord):
    before = compute_priority(i).components["partner_precision"]
    after = compute_priority(dataclasses.replace(i, partner_records=(*i.partner_records, r))).components

    assert after["partner_precision"] >= before


@PROPERTY
@given(inputs, st.lists(records, max_size=5), st.lists(records, max_size=5))
def test_the_precision_effect_is_bounded_both_ways(
    i: PriorityInputs, a: list[PrecisionRecord], b: list[PrecisionRecord]
):
    with_a = compute_priority(dataclasses.replace(i, partner_records=tuple(a)))
    with_b = compute_priority(dataclasses.replace(i, partner_records=tuple(b)))

    assert -PRECISION_BOUND <= with_a.components["partner_precision"] <= PRECISION_BOUND
    assert abs(with_a.score - with_b.score) <= 2 * PRECISION_BOUND


@PROPERTY
@given(st.integers(min_value=-5, max_value=10**6), st.integers(min_value=-5, max_value=10**6))
def test_a_partner_without_a_record_is_neutral_and_bad_data_is_clamped(decided: int, violating: int):
    assert precision_points(PrecisionRecord()) == 0
    assert -PRECISION_BOUND <= precision_points(PrecisionRecord(decided, violating)) <= PRECISION_BOUND


def test_a_new_partner_outranks_a_known_bad_one_but_not_a_more_severe_case():
    base = PriorityInputs(tier=2)
    new_partner = compute_priority(base)
    poor_record = compute_priority(dataclasses.replace(base, partner_records=(PrecisionRecord(400, 20),)))
    tier_3_excellent = compute_priority(PriorityInputs(tier=3, partner_records=(PrecisionRecord(400, 400),)))

    assert new_partner.components["partner_precision"] == 0
    assert poor_record.score < new_partner.score
    assert poor_record.score > tier_3_excellent.score


def test_a_long_wait_eventually_outranks_a_fresh_tier_1_case_but_not_a_fresh_imminent_threat():
    fresh_tier_1 = compute_priority(PriorityInputs(tier=1))
    fresh_imminent = compute_priority(PriorityInputs(tier=1, imminent=True))
    week_old_tier_3 = compute_priority(PriorityInputs(tier=3, waited=dt.timedelta(days=7)))
    month_old_tier_3 = compute_priority(PriorityInputs(tier=3, waited=dt.timedelta(days=35)))

    assert week_old_tier_3.components["waiting"] == 300
    assert week_old_tier_3.score < fresh_tier_1.score < month_old_tier_3.score < fresh_imminent.score


@PROPERTY
@given(inputs, st.randoms(use_true_random=False))
def test_the_order_in_which_reporters_are_listed_does_not_matter(i: PriorityInputs, rnd: Any):
    """Reports arrive in any order; the same reporters must give the same priority."""
    shuffled = list(i.partner_records)
    rnd.shuffle(shuffled)

    assert score(dataclasses.replace(i, partner_records=tuple(shuffled))) == score(i)
