"""The figures against values computed by hand from the story in conftest.py.

Week of Mon 2 March 2026 (UTC): items A, B, C, D; the week before: E.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from trustline.accounts.models import Organisation, User
from trustline.conftest import actor_of
from trustline.core import clock
from trustline.metrics.facts import facts_refresh
from trustline.metrics.models import ItemFact
from trustline.metrics.periods import period_for
from trustline.metrics.selectors import MetricsFilter, MetricsTable, metrics_table
from trustline.metrics.sql import nearest_rank
from trustline.metrics.tests.conftest import NOW, Programme, utc

pytestmark = pytest.mark.django_db

WEEK = dt.date(2026, 3, 2)


def week_table(user: User, **kwargs: Any) -> MetricsTable:
    period = period_for(kind="week", date=WEEK)
    return metrics_table(actor=actor_of(user), period=period, **kwargs)


def test_it_counts_the_week_and_its_targets(programme: Programme, pm_pablo: User) -> None:
    total = week_table(pm_pablo).rows[0]
    now = total.current
    assert (now.items_received, now.cases_received) == (4, 4)
    # Acknowledged (first human action) within 24 h: A 10 h, B 1 h, D 0.5 h; C never (due 03-04 09:00).
    assert (now.ack_on_time, now.ack_measured, now.ack_within_target_pct) == (3, 4, 75.0)
    # Decided by the (pause-extended) decide-by time: A, D yes; B 2 h late; C never.
    assert (now.decided_on_time, now.decided_measured, now.decided_within_target_pct) == (2, 4, 50.0)
    # Resolved within 5 days excluding paused time: A 10 h, B 74 h (122 h elapsed - 48 h paused), D 0.5 h;
    # C undecided after more than 5 days counts as a miss.
    assert (now.resolved_5d, now.resolved_measured, now.resolved_within_5d_pct) == (3, 4, 75.0)
    # Turnarounds [0.5, 10, 74] h: nearest rank p50 = 2nd = 10 h, p90 = 3rd = 74 h.
    assert (now.turnaround_p50_hours, now.turnaround_p90_hours) == (10.0, 74.0)
    # First human action [0.5, 1, 10] h.
    assert (now.first_action_p50_hours, now.first_action_p90_hours) == (1.0, 10.0)
    # Backlog at the end of the week (Mon 03-09 00:00): C, received 135 h before.
    assert (now.backlog_items, now.backlog_cases) == (1, 1)
    assert (now.backlog_mean_age_hours, now.backlog_oldest_age_hours) == (135.0, 135.0)
    # Outcomes as they stand: A violating; B not violating; D reversed to not violating.
    assert now.outcomes == {"violating": 1, "not_violating": 2}
    assert now.actions.get("remove") == 1
    assert now.reversed_on_contest == 1
    assert now.contests_received == 1
    assert now.contest_outcomes == {"reversed": 1}


def test_it_compares_with_the_previous_week(programme: Programme, pm_pablo: User) -> None:
    total = week_table(pm_pablo).rows[0]
    before = total.previous
    # E: received 02-25 09:00, decided 130 h later: late on every target.
    assert (before.items_received, before.resolved_5d, before.resolved_measured) == (1, 0, 1)
    assert before.resolved_within_5d_pct == 0.0
    assert (before.ack_within_target_pct, before.decided_within_target_pct) == (0.0, 0.0)
    assert (before.turnaround_p50_hours, before.turnaround_p90_hours) == (130.0, 130.0)
    # Backlog at Mon 03-02 00:00: E, 111 h old (February 2026 has 28 days).
    assert (before.backlog_items, before.backlog_oldest_age_hours) == (1, 111.0)
    assert total.change["resolved_within_5d_pct"] == 75.0  # "+75 pp resolved within 5 days"
    assert total.change["items_received"] == 3
    assert total.change["turnaround_p50_hours"] == -120.0


def test_it_excludes_paused_time_only_while_the_clock_was_paused(programme: Programme) -> None:
    fact = ItemFact.objects.get(case_id=programme.cases["B"].pk)
    assert fact.paused_seconds == 48 * 3600
    assert fact.turnaround_seconds == 74 * 3600
    assert fact.decided_at == utc(3, 7, 12)
    assert fact.decide_due_at == utc(3, 7, 10)
    assert fact.first_outcome == "not_violating"


def test_it_keeps_the_first_response_time_of_a_reopened_case(programme: Programme) -> None:
    fact = ItemFact.objects.get(case_id=programme.cases["D"].pk)
    assert fact.decided_at == utc(3, 5, 9, 30)
    assert fact.turnaround_seconds == 1800
    assert (fact.first_outcome, fact.outcome, fact.reversed_on_contest) == ("violating", "not_violating", True)


def test_it_slices_by_partner(programme: Programme, pm_pablo: User, sudan_partner: Organisation,
                              pakistan_partner: Organisation) -> None:
    rows = {row.key: row for row in week_table(pm_pablo, group_by="partner").rows}
    sudan, pakistan = rows[sudan_partner.pk], rows[pakistan_partner.pk]
    assert sudan.label == sudan_partner.name
    assert (sudan.current.items_received, sudan.current.resolved_within_5d_pct) == (3, 100.0)
    assert (pakistan.current.items_received, pakistan.current.resolved_within_5d_pct) == (1, 0.0)
    assert pakistan.current.backlog_items == 1 and sudan.current.backlog_items == 0
    assert sudan.current.contests_received == 1 and pakistan.current.contests_received == 0
    # The previous week had only E (Sudan).
    assert (sudan.previous.items_received, pakistan.previous.items_received) == (1, 0)
    assert sudan.change["resolved_within_5d_pct"] == 100.0


def test_it_filters_a_slice(programme: Programme, pm_pablo: User) -> None:
    table = week_table(pm_pablo, filters=MetricsFilter(country="PK"))
    assert table.rows[0].current.items_received == 1
    table = week_table(pm_pablo, filters=MetricsFilter(tier=2, crisis=False, imminent_harm=False))
    assert table.rows[0].current.items_received == 4
    table = week_table(pm_pablo, filters=MetricsFilter(crisis=True))
    assert table.rows[0].current.items_received == 0
    by_language = {row.key: row.current.items_received for row in week_table(pm_pablo, group_by="language").rows}
    assert by_language == {None: 4, "ar": 3, "ur": 1}


def test_period_boundaries_follow_the_time_zone(programme: Programme, pm_pablo: User) -> None:
    def items(kind: str, day: dt.date, tz: str) -> int:
        table = metrics_table(actor=actor_of(pm_pablo), period=period_for(kind=kind, date=day, tz=tz))
        return table.rows[0].current.items_received

    # F (03-31 23:30 UTC) is in March in UTC but on 1 April in Khartoum (UTC+2).
    assert items("month", dt.date(2026, 3, 1), "UTC") == 5
    assert items("month", dt.date(2026, 3, 1), "Africa/Khartoum") == 4
    assert items("month", dt.date(2026, 4, 1), "Africa/Khartoum") == 1
    # Honolulu (UTC-10): E (02-25 09:00 UTC) is 02-24 23:00 local, still February; A (03-02 09:00 UTC)
    # is Sun 03-01 23:00 local, so the local week of Mon 03-02 holds B, C, D only.
    assert items("week", WEEK, "Pacific/Honolulu") == 3
    assert items("month", dt.date(2026, 3, 1), "Pacific/Honolulu") == 5


def test_the_month_backlog_ages_at_the_period_end(programme: Programme, pm_pablo: User) -> None:
    table = metrics_table(actor=actor_of(pm_pablo), period=period_for(kind="month", date=dt.date(2026, 3, 1)))
    now = table.rows[0].current
    # At 04-01 00:00: C (687 h old) and F (0.5 h old).
    assert (now.backlog_items, now.backlog_oldest_age_hours, now.backlog_mean_age_hours) == (2, 687.0, 343.75)


def test_the_refresh_catches_up_with_later_changes(programme: Programme, lead_lena: User, pm_pablo: User) -> None:
    from trustline.metrics.tests.conftest import REMOVE
    from trustline.review.services import decision_record

    later = NOW + dt.timedelta(hours=1)
    with clock.frozen_at(later):
        decision_record(actor=actor_of(lead_lena), case_id=programme.cases["C"].pk, data=REMOVE)
    with clock.frozen_at(later + dt.timedelta(minutes=1)):
        result = facts_refresh()
        assert not result.full and result.cases >= 1
        fact = ItemFact.objects.get(case_id=programme.cases["C"].pk)
        assert fact.decided_at == later
        assert fact.turnaround_seconds == (later - utc(3, 3, 9)).total_seconds()
        total = week_table(pm_pablo).rows[0].current
        assert total.backlog_items == 1  # still in the backlog at the end of that week
        assert total.outcomes == {"violating": 2, "not_violating": 2}


def test_nearest_rank_matches_the_documented_definition() -> None:
    assert nearest_rank([0.5, 10, 74], 0.5) == 10
    assert nearest_rank([0.5, 10, 74], 0.9) == 74
    assert nearest_rank([1, 2, 3, 4], 0.5) == 2
    assert nearest_rank([], 0.5) is None


def test_an_incremental_refresh_gives_the_same_rows_as_a_full_rebuild(programme: Programme) -> None:
    from trustline.metrics.models import FactsState

    fields = [f.name for f in ItemFact._meta.fields if f.name != "refreshed_at"]
    full = sorted(ItemFact.objects.values_list(*fields))
    assert len(full) == 6
    ItemFact.objects.all().delete()
    FactsState.objects.update(refreshed_through=utc(1, 1, 0))  # every case counts as changed
    with clock.frozen_at(NOW):
        result = facts_refresh()
    assert not result.full and result.cases == 6
    assert sorted(ItemFact.objects.values_list(*fields)) == full


def test_the_command_rebuilds_the_roll_up(programme: Programme) -> None:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    with clock.frozen_at(NOW):
        call_command("metrics_refresh", "--full", stdout=out)
    assert "rebuilt: 6 cases" in out.getvalue()
    assert ItemFact.objects.count() == 6
