"""Properties of routing (hypothesis): the claim query agrees with the rule, pools only widen, clearances hold.

The rule is written twice, as SQL (``eligible_q`` and the candidate branches
the claim query uses) and as Python (``pool_for``). These tests generate
queues of cases with random languages, places, categories, priorities,
waiting times, holders and emergencies, and reviewers with random skills, and
check that:

* the claimed case is exactly the first case in queue order that the Python
  rule allows (so the SQL never offers a case to an unqualified reviewer and
  never skips a better one), and the pool recorded is the Python rule's; the
  ORM's claim query and the compiled one claim-next runs (prepared on
  PostgreSQL, or not) agree on it, and neither offers a case on the
  emergency board;
* a restricted category is never handed to a reviewer without its clearance;
* waiting only widens: whoever may take a case at one moment may take it at
  any later moment (in SQL and in Python).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.core import clock
from trustline.oncall.choices import ACTIVE_STATES, EmergencySource
from trustline.oncall.models import Emergency
from trustline.routing.conf import routing_settings
from trustline.routing.eligibility import Skills, claim_queryset, claimable_q, eligible_q, pool_for, routing_values
from trustline.routing.language import CaseLanguage
from trustline.routing.reviewers import reviewer_skills_set
from trustline.routing.selectors import reviewer_profile_for, skills_of
from trustline.routing.services import case_claim_next
from trustline.routing.tests.conftest import T0, queued_case
from trustline.taxonomy.models import Category

LANGUAGES = ["", "ar", "ar-SD", "ar-EG", "ur", "es", "es-VE", "en"]
COUNTRIES = ["SD", "EG", "PK", "IN", "VE", "CO", "GB", ""]
CATEGORIES = ["incitement_violence", "misinformation", "hateful_conduct", "child_sexual_exploitation"]
REGIONS = ["MENA", "East Africa", "South Asia", "Latin America", "Europe"]
AREAS = ["Violence and incitement", "Misinformation", "Hateful conduct", "Child safety"]
STATES = ["queued", "queued", "queued", "held_live", "held_expired", "on_hold"]
EMERGENCIES = [None, None, None, "open", "acknowledged", "resolved", "downgraded"]  # mostly none

case_specs = st.fixed_dictionaries({
    "language": st.sampled_from(LANGUAGES),
    "country": st.sampled_from(COUNTRIES),
    "category": st.sampled_from(CATEGORIES),
    "priority": st.integers(0, 1500),
    "waited": st.integers(0, 200),  # minutes between triage and the claim
    "due_in": st.integers(0, 48 * 60),
    "imminent": st.booleans(),
    "state": st.sampled_from(STATES),
    "emergency": st.sampled_from(EMERGENCIES),
})
skill_specs = st.fixed_dictionaries({
    "languages": st.lists(st.sampled_from([t for t in LANGUAGES if t]), max_size=3, unique=True),
    "countries": st.lists(st.sampled_from([c for c in COUNTRIES if c]), max_size=2, unique=True),
    "regions": st.lists(st.sampled_from(REGIONS), max_size=2, unique=True),
    "policy_areas": st.one_of(st.just([]), st.lists(st.sampled_from(AREAS), min_size=1, max_size=2, unique=True)),
    "clearances": st.sampled_from([[], ["child_safety"]]),
})

NOW = T0 + dt.timedelta(hours=4)
HYPOTHESIS = settings(max_examples=60, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@contextmanager
def rolled_back() -> Iterator[None]:
    """Each generated example writes inside a savepoint that is rolled back, so examples never see each other."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def make_queue(specs: list[dict[str, Any]], holder: User) -> tuple[list[Case], set[Any]]:
    """The cases, and the ids of those on the emergency board (an open or acknowledged emergency).

    Emergencies are written as rows, like the cases (``queued_case``): the
    rule reads only their state; opening and closing them through the
    on-call services is what ``test_emergency_board`` does.
    """
    cases = []
    board: set[Any] = set()
    for spec in specs:
        triaged_at = NOW - dt.timedelta(minutes=spec["waited"])
        extra: dict[str, Any] = {}
        if spec["state"].startswith("held"):
            lease_end = NOW + dt.timedelta(minutes=5) if spec["state"] == "held_live" else NOW - dt.timedelta(minutes=1)
            extra = {"status": CaseStatus.IN_REVIEW, "assigned_to": holder, "lease_expires_at": lease_end,
                     "claimed_at": triaged_at}
        elif spec["state"] == "on_hold":
            extra = {"status": CaseStatus.ON_HOLD}
        cases.append(queued_case(
            language=spec["language"], country=spec["country"], category=spec["category"],
            priority=spec["priority"], triaged_at=triaged_at, imminent=spec["imminent"],
            decide_due_at=triaged_at + dt.timedelta(minutes=spec["due_in"]), **extra,
        ))
        if spec["emergency"]:
            Emergency.objects.create(case=cases[-1], state=spec["emergency"], source=EmergencySource.PARTNER,
                                     opened_at=triaged_at)
            if spec["emergency"] in ACTIVE_STATES:
                board.add(cases[-1].pk)
    return cases, board


def claimable(case: Case, now: dt.datetime, board: set[Any]) -> bool:
    if not case.is_open or case.pk in board:
        return False
    if case.status == CaseStatus.TRIAGED:
        return True
    return case.status == CaseStatus.IN_REVIEW and case.lease_expires_at is not None and case.lease_expires_at <= now


def queue_key(case: Case) -> tuple[Any, ...]:
    return (-case.priority, case.decide_due_at, case.opened_at, case.pk)


@pytest.fixture
def people(reviewer: Callable[..., User]) -> tuple[User, User]:
    return reviewer("prop_reviewer", languages=["en"]), reviewer("prop_holder", languages=["en"])


@pytest.fixture(params=[True, False], ids=["prepared", "unprepared"])
def claim_query(request: Any, settings: Any) -> None:
    """Claim-next's compiled query as PostgreSQL runs it by default (prepared) and as it runs unprepared."""
    settings.ROUTING = {**settings.ROUTING, "PREPARE_CLAIM_QUERY": request.param}


@pytest.mark.usefixtures("claim_query")
@HYPOTHESIS
@given(specs=st.lists(case_specs, min_size=1, max_size=10), skills=skill_specs)
def test_the_claim_is_the_first_case_in_queue_order_that_the_rule_allows(
    people: tuple[User, User], specs: list[dict[str, Any]], skills: dict[str, Any]
):
    me, holder = people
    with rolled_back():
        reviewer_skills_set(actor=SYSTEM, user_id=me.pk, **skills)
        mine = skills_of(reviewer_profile_for(me), me.pk)
        cases, board = make_queue(specs, holder)
        allowed = sorted((c for c in cases if claimable(c, NOW, board) and pool_for(c, mine, NOW)), key=queue_key)

        in_sql = set(Case.objects.filter(claimable_q(NOW), eligible_q(mine, NOW)).values_list("pk", flat=True))
        assert in_sql == {c.pk for c in allowed}
        orm_first = claim_queryset(mine, NOW, routing_settings().candidates_per_key).first()
        with clock.frozen_at(NOW):
            claimed = case_claim_next(actor=actor_of(me))

        if not allowed:
            assert claimed is None and orm_first is None
            return
        assert orm_first is not None and orm_first.pk == allowed[0].pk
        assert claimed is not None and claimed.pk == allowed[0].pk
        assert claimed.pk not in board
        assert claimed.routing_pool == pool_for(allowed[0], mine, NOW)
        assert claimed.assigned_to_id == me.pk
        if claimed.routing_clearance:
            assert "child_safety" in mine.clearances


@HYPOTHESIS
@given(specs=st.lists(case_specs, min_size=1, max_size=8), skills=skill_specs,
       later=st.integers(1, 24 * 60))
def test_waiting_only_widens_who_may_take_a_case(
    people: tuple[User, User], specs: list[dict[str, Any]], skills: dict[str, Any], later: int
):
    me, holder = people
    with rolled_back():
        reviewer_skills_set(actor=SYSTEM, user_id=me.pk, **skills)
        mine = skills_of(reviewer_profile_for(me), me.pk)
        make_queue([{**s, "state": "queued"} for s in specs], holder)
        then = NOW + dt.timedelta(minutes=later)

        now_ids = set(Case.objects.filter(eligible_q(mine, NOW)).values_list("pk", flat=True))
        later_ids = set(Case.objects.filter(eligible_q(mine, then)).values_list("pk", flat=True))

        assert now_ids <= later_ids


POOL_WIDTH = {"exact": 0, "language": 1, "regional": 2, "translation": 3}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    language=st.sampled_from(LANGUAGES), country=st.sampled_from(COUNTRIES), imminent=st.booleans(),
    restricted=st.booleans(), skills=skill_specs, first=st.integers(0, 300), second=st.integers(0, 300),
)
def test_the_rule_widens_step_by_step_and_never_drops_the_clearance(
    language: str, country: str, imminent: bool, restricted: bool, skills: dict[str, Any], first: int, second: int
):
    """Pure rule (no database): as minutes pass, a reviewer's pool for a case never closes."""
    area = "Child safety" if restricted else "Violence and incitement"
    category = Category(code="x", policy_area=area, restricted=restricted)
    values = routing_values(language=CaseLanguage(tag=language, confidence=None, source=""), country=country,
                            categories=[category], defining=category, start=T0, imminent=imminent)
    case = Case(country=country, **values)
    assert values["route_language_at"] <= values["route_regional_at"] <= values["route_translation_at"]
    reviewer = Skills(user_id=1, languages=frozenset(skills["languages"]), countries=frozenset(skills["countries"]),
                      regions=frozenset(skills["regions"]), policy_areas=frozenset(skills["policy_areas"]),
                      clearances=frozenset(skills["clearances"]))
    early, late = sorted([first, second])

    before = pool_for(case, reviewer, T0 + dt.timedelta(minutes=early))
    after = pool_for(case, reviewer, T0 + dt.timedelta(minutes=late))

    if before is not None:
        assert after is not None
    if restricted and "child_safety" not in skills["clearances"]:
        assert before is None and after is None
    if before is not None and after is not None:
        # An exact match stays exact; otherwise the narrowest pool that holds can only stay or get narrower,
        # never require a wider wait than before.
        assert POOL_WIDTH[after] <= POOL_WIDTH[before]


def _rule_case(language: str, country: str, imminent: bool, restricted: bool) -> tuple[Case, dict[str, Any], str]:
    area = "Child safety" if restricted else "Violence and incitement"
    category = Category(code="x", policy_area=area, restricted=restricted)
    values = routing_values(language=CaseLanguage(tag=language, confidence=None, source=""), country=country,
                            categories=[category], defining=category, start=T0, imminent=imminent)
    return Case(country=country, **values), values, area


def _skills(spec: dict[str, Any]) -> Skills:
    return Skills(user_id=1, languages=frozenset(spec["languages"]), countries=frozenset(spec["countries"]),
                  regions=frozenset(spec["regions"]), policy_areas=frozenset(spec["policy_areas"]),
                  clearances=frozenset(spec["clearances"]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(language=st.sampled_from(LANGUAGES), country=st.sampled_from(COUNTRIES), imminent=st.booleans(),
       restricted=st.booleans(), skills=skill_specs, after=st.integers(0, 10 * 24 * 60))
def test_once_the_fallback_has_run_its_course_every_qualified_reviewer_may_take_the_case(
    language: str, country: str, imminent: bool, restricted: bool, skills: dict[str, Any], after: int
):
    """No case is stranded: past the translation wait, the only limits left are clearance and policy area."""
    case, values, area = _rule_case(language, country, imminent, restricted)
    moment = values["route_translation_at"] + dt.timedelta(minutes=after)
    qualified = (not restricted or "child_safety" in skills["clearances"]) and (
        not skills["policy_areas"] or area in skills["policy_areas"])

    pool = pool_for(case, _skills(skills), moment)

    assert (pool is not None) == qualified


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(language=st.sampled_from([t for t in LANGUAGES if t]), country=st.sampled_from(COUNTRIES),
       imminent=st.booleans(), skills=skill_specs)
def test_at_triage_only_a_reader_of_the_exact_language_may_take_the_case(
    language: str, country: str, imminent: bool, skills: dict[str, Any]
):
    """The fallback starts narrow: before any wait has passed, a case in a known language goes to its readers."""
    case, _, area = _rule_case(language, country, imminent, restricted=False)
    reads = language in skills["languages"] or language in {t.split("-")[0] for t in skills["languages"]}
    in_area = not skills["policy_areas"] or area in skills["policy_areas"]

    pool = pool_for(case, _skills(skills), T0)

    assert pool == ("exact" if reads and in_area else None)
