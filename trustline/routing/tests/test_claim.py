"""Claim next: order, language first then wider pools as the case waits, clearances, shifts, held cases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.audit.models import AuditEntry
from trustline.cases.choices import CaseStatus
from trustline.conftest import actor_of
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound, PermissionDenied
from trustline.routing.models import Assignment
from trustline.routing.reviewers import reviewer_shift_set, reviewer_skills_set
from trustline.routing.services import case_claim_next
from trustline.routing.tests.conftest import T0, queued_case

MIN = dt.timedelta(minutes=1)


def claim(user: User, at: dt.datetime) -> Any:
    with clock.frozen_at(at):
        return case_claim_next(actor=actor_of(user))


@pytest.fixture
def many_held(settings: Any) -> None:
    """Reviewers may hold several cases, so one reviewer's claims show the queue order."""
    settings.ROUTING = {**settings.ROUTING, "MAX_HELD": 50}


@pytest.mark.usefixtures("many_held")
def test_it_hands_out_cases_by_priority_then_decide_by_time_then_age(reviewer: Callable[..., User]):
    sami = reviewer("sami", languages=["ar-SD"])
    low = queued_case(priority=100)
    high = queued_case(priority=900)
    due_later = queued_case(priority=500, decide_due_at=T0 + dt.timedelta(hours=20))
    due_sooner_newer = queued_case(priority=500, decide_due_at=T0 + dt.timedelta(hours=2),
                                   opened_at=T0 - dt.timedelta(minutes=1))
    due_sooner_older = queued_case(priority=500, decide_due_at=T0 + dt.timedelta(hours=2),
                                   opened_at=T0 - dt.timedelta(minutes=30))

    claimed = [claim(sami, T0 + MIN) for _ in range(6)]

    assert [c.pk if c else None for c in claimed] == [
        high.pk, due_sooner_older.pk, due_sooner_newer.pk, due_later.pk, low.pk, None,
    ]


def test_a_claim_is_a_lease_that_acknowledges_the_case_and_is_audited(reviewer: Callable[..., User]):
    sami = reviewer("sami", languages=["ar-SD"])
    case = queued_case(language="ar-SD")

    got = claim(sami, T0 + 5 * MIN)

    assert got.pk == case.pk
    assert got.status == CaseStatus.IN_REVIEW
    assert got.assigned_to_id == sami.pk
    assert got.claimed_at == T0 + 5 * MIN
    assert got.acknowledged_at == T0 + 5 * MIN
    assert got.lease_expires_at == T0 + 25 * MIN
    assert got.routing_pool == "exact"
    assert "Arabic (Sudan) [ar-SD]" in got.routing_reason
    assignment = Assignment.objects.get(case=case)
    assert (assignment.reviewer_id, assignment.pool, assignment.ended_at) == (sami.pk, "exact", None)
    entry = AuditEntry.objects.get(action="case.claimed", target_id=str(case.pk))
    assert entry.data["reviewer"] == sami.pk and entry.data["pool"] == "exact"


def test_claiming_again_while_holding_a_case_gives_back_that_case_with_a_fresh_lease(reviewer: Callable[..., User]):
    sami = reviewer("sami", languages=["ar"])
    first = queued_case(priority=100)

    assert claim(sami, T0 + MIN).pk == first.pk
    queued_case(priority=900, triaged_at=T0 + 10 * MIN)  # arrives later, more urgent
    again = claim(sami, T0 + 15 * MIN)

    assert again.pk == first.pk
    assert again.lease_expires_at == T0 + 35 * MIN
    assert Assignment.objects.filter(reviewer=sami).count() == 1


def test_exact_dialect_readers_get_a_case_first_then_any_reader_of_the_language(reviewer: Callable[..., User]):
    sami = reviewer("sami", languages=["ar-SD"])
    nadia = reviewer("nadia", languages=["ar-EG"])
    egyptian = queued_case(language="ar-EG", priority=900)

    assert claim(sami, T0 + 29 * MIN) is None  # waits 30 minutes for an Egyptian Arabic reader
    got = claim(sami, T0 + 30 * MIN)

    assert got.pk == egyptian.pk
    assert got.routing_pool == "language"
    assert "No reader of Arabic (Egypt) [ar-EG] took it within 30 min" in got.routing_reason
    assert claim(nadia, T0 + 31 * MIN) is None  # already held


def test_a_reader_with_a_dialect_is_an_exact_match_for_the_bare_language(reviewer: Callable[..., User]):
    sami = reviewer("sami", languages=["ar-SD"])
    case = queued_case(language="ar")

    got = claim(sami, T0)

    assert (got.pk, got.routing_pool) == (case.pk, "exact")


def test_then_reviewers_covering_the_country_or_region_then_the_translation_pool(reviewer: Callable[..., User]):
    valentina = reviewer("valentina", languages=["es-VE"], regions=["Latin America"])
    usman = reviewer("usman", languages=["en"], countries=["PK"])
    priya = reviewer("priya", languages=["en"], regions=["South Asia"])
    gus = reviewer("gus", languages=["en"])
    urdu_pk = queued_case(language="ur", country="PK")
    urdu_in = queued_case(language="ur", country="IN")

    assert claim(usman, T0 + 59 * MIN) is None
    assert claim(usman, T0 + 60 * MIN).pk == urdu_pk.pk
    by_region = claim(priya, T0 + 60 * MIN)
    assert (by_region.pk, by_region.routing_pool) == (urdu_in.pk, "regional")
    assert "routed to reviewers covering IN (South Asia)" in by_region.routing_reason
    assert claim(valentina, T0 + 89 * MIN) is None
    assert claim(gus, T0 + 89 * MIN) is None

    queued_case(language="ur", country="PK", priority=50)
    translated = claim(gus, T0 + 90 * MIN)
    assert translated.routing_pool == "translation"
    assert translated.routing_reason.startswith("Translation needed")


def test_a_case_in_an_unknown_language_goes_by_place_at_once(reviewer: Callable[..., User]):
    usman = reviewer("usman", languages=["en"], countries=["PK"])
    gus = reviewer("gus", languages=["en"])
    case = queued_case(language="", country="PK")

    got = claim(usman, T0)

    assert (got.pk, got.routing_pool) == (case.pk, "regional")
    assert "language of the content is unknown" in got.routing_reason
    queued_case(language="", country="PK")
    assert claim(gus, T0 + 29 * MIN) is None
    assert claim(gus, T0 + 30 * MIN) is not None


def test_imminent_harm_waits_minutes_not_half_hours_for_a_language_match(reviewer: Callable[..., User]):
    sami = reviewer("sami", languages=["ar-SD"])
    gus = reviewer("gus", languages=["en"])
    queued_case(language="ar-EG", imminent=True, priority=1000)
    second = queued_case(language="ar-EG", imminent=True, priority=1000)

    assert claim(sami, T0 + MIN) is None
    assert claim(sami, T0 + 2 * MIN).routing_pool == "language"
    assert claim(gus, T0 + 5 * MIN) is None
    assert claim(gus, T0 + 6 * MIN).pk == second.pk


def test_restricted_categories_need_the_clearance_however_long_they_wait(reviewer: Callable[..., User]):
    gus = reviewer("gus", languages=["ar"])
    clara = reviewer("clara", languages=["en"], clearances=["child_safety"])
    case = queued_case(category="child_sexual_exploitation", language="ar", priority=1000)
    assert case.routing_clearance == "child_safety"

    assert claim(gus, T0 + dt.timedelta(days=30)) is None
    got = claim(clara, T0 + 90 * MIN)

    assert (got.pk, got.routing_pool) == (case.pk, "translation")


def test_reviewers_limited_to_policy_areas_get_only_those(reviewer: Callable[..., User]):
    mira = reviewer("mira", languages=["ar"], policy_areas=["Misinformation"])
    queued_case(category="incitement_violence", priority=900)
    misinformation = queued_case(category="misinformation", priority=100)

    assert claim(mira, T0).pk == misinformation.pk


def test_a_case_never_goes_back_to_its_excluded_reviewer(reviewer: Callable[..., User]):
    sami = reviewer("sami", languages=["ar"])
    queued_case(routing_excluded_user=sami)

    assert claim(sami, T0 + dt.timedelta(days=1)) is None


def test_a_person_without_a_profile_is_a_generalist_who_sees_the_translation_pool(reviewer: Callable[..., User]):
    newcomer = reviewer("newcomer")
    case = queued_case()

    assert claim(newcomer, T0 + 89 * MIN) is None
    assert claim(newcomer, T0 + 90 * MIN).pk == case.pk


def test_off_shift_and_inactive_reviewers_cannot_claim(reviewer: Callable[..., User]):
    sami = reviewer("sami", languages=["ar"])
    queued_case()
    reviewer_shift_set(actor=actor_of(sami), on_shift=False)

    with pytest.raises(Conflict) as off:
        claim(sami, T0)
    assert off.value.code == "off_shift"

    reviewer_shift_set(actor=actor_of(sami), on_shift=True)
    reviewer_skills_set(actor=SYSTEM, user_id=sami.pk, languages=["ar"], is_active=False)
    with pytest.raises(Conflict) as inactive:
        claim(sami, T0)
    assert inactive.value.code == "reviewer_inactive"


def test_only_platform_staff_whose_role_claims_may_claim(analyst_amal: User, auditor_aziz: User):
    queued_case()
    with pytest.raises(NotFound):
        case_claim_next(actor=actor_of(analyst_amal))
    with pytest.raises(PermissionDenied):
        case_claim_next(actor=actor_of(auditor_aziz))


def test_cases_on_hold_decided_or_not_yet_triaged_are_never_handed_out(reviewer: Callable[..., User]):
    sami = reviewer("sami", languages=["ar"])
    queued_case(status=CaseStatus.ON_HOLD)
    queued_case(status=CaseStatus.DECIDED)
    queued_case(status=CaseStatus.NEW)
    queued_case(is_open=False, status=CaseStatus.CLOSED)

    assert claim(sami, T0 + dt.timedelta(days=1)) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements exist on PostgreSQL only")
@pytest.mark.usefixtures("many_held")
def test_a_claim_survives_its_connection_losing_the_prepared_statement(reviewer: Callable[..., User]):
    sami = reviewer("sami", languages=["ar"])
    first, second = queued_case(priority=900), queued_case(priority=100)
    assert claim(sami, T0).pk == first.pk
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # what a session-resetting connection pooler does

    assert claim(sami, T0).pk == second.pk


@pytest.mark.usefixtures("many_held")
def test_the_claim_query_works_unprepared_too(reviewer: Callable[..., User], settings: Any):
    settings.ROUTING = {**settings.ROUTING, "PREPARE_CLAIM_QUERY": False}
    sami = reviewer("sami", languages=["ar"])
    first, second = queued_case(priority=900), queued_case(priority=100)

    assert [claim(sami, T0).pk, claim(sami, T0).pk] == [first.pk, second.pk]
