"""The hourly counts (metrics.cube) give exactly the figures the item facts give, and stay in step with them.

Every comparison reads the same question twice: through the counts (the
normal path) and through the facts alone (``cube_scope`` patched to answer
``None``), on the story of conftest.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trustline.accounts.models import User
from trustline.conftest import actor_of
from trustline.core import clock
from trustline.metrics import selectors, series
from trustline.metrics.cube import COUNT_COLUMNS, MAIN_COLUMNS, cube_rebuild
from trustline.metrics.facts import facts_refresh
from trustline.metrics.models import BacklogDue, DayHistogram, HourCount
from trustline.metrics.periods import period_for
from trustline.metrics.selectors import DIMENSIONS, MetricsFilter, metrics_table
from trustline.metrics.series import BACKLOG_DIMENSIONS, backlog_breakdown, sla_series
from trustline.metrics.tests.conftest import NOW, REMOVE, Programme, utc
from trustline.platforms.choices import ActionType
from trustline.review.choices import Outcome
from trustline.review.services import decision_record

pytestmark = pytest.mark.django_db

MARCH = dt.date(2026, 3, 1)


def _without_counts(monkeypatch: pytest.MonkeyPatch, read: Any) -> Any:
    with monkeypatch.context() as patched:
        patched.setattr(selectors, "cube_scope", lambda **_: None)
        patched.setattr(series, "cube_scope", lambda **_: None)
        return read()


def _reads_counts(read: Any) -> tuple[Any, bool]:
    with CaptureQueriesContext(connection) as queries:
        result = read()
    return result, any("metrics_hourcount" in q["sql"] for q in queries.captured_queries)


def _rows(table: selectors.MetricsTable) -> list[Any]:
    return [(row.key, dataclasses.asdict(row.current), dataclasses.asdict(row.previous), row.change)
            for row in table.rows]


def test_every_outcome_and_action_has_a_column() -> None:
    columns = {f.name for f in HourCount._meta.fields}
    assert {f"outcome_{o.value}" for o in Outcome} <= columns
    assert {f"action_{a.value}" for a in ActionType} <= columns
    assert set(COUNT_COLUMNS) <= columns


@pytest.mark.parametrize("group_by", [None, *DIMENSIONS])
@pytest.mark.parametrize(("kind", "tz"), [("week", "UTC"), ("month", "UTC"), ("month", "Africa/Khartoum"),
                                          ("week", "America/Bogota")])
def test_the_table_from_the_counts_equals_the_table_from_the_facts(
    programme: Programme, pm_pablo: User, monkeypatch: pytest.MonkeyPatch, group_by: str | None, kind: str,
    tz: str,
) -> None:
    """Khartoum's and Bogota's periods start and end inside UTC days: the percentiles add edge hours' facts."""
    period = period_for(kind=kind, date=dt.date(2026, 3, 2), tz=tz)

    def read() -> selectors.MetricsTable:
        return metrics_table(actor=actor_of(pm_pablo), period=period, group_by=group_by)

    with clock.frozen_at(NOW):
        counted, used = _reads_counts(read)
        direct = _without_counts(monkeypatch, read)
    assert used
    assert counted.rows[0].current.items_received > 0
    assert _rows(counted) == _rows(direct)


@pytest.mark.parametrize("filters", [MetricsFilter(country="PK"), MetricsFilter(tier=2),
                                     MetricsFilter(crisis=False), MetricsFilter(imminent_harm=False)])
def test_one_slice_is_read_from_the_counts(
    programme: Programme, pm_pablo: User, monkeypatch: pytest.MonkeyPatch, filters: MetricsFilter,
) -> None:
    period = period_for(kind="month", date=MARCH)

    def read() -> selectors.MetricsTable:
        return metrics_table(actor=actor_of(pm_pablo), period=period, filters=filters)

    with clock.frozen_at(NOW):
        counted, used = _reads_counts(read)
        direct = _without_counts(monkeypatch, read)
    assert used
    assert _rows(counted) == _rows(direct)


def test_a_partner_reads_its_own_counts_and_combined_slices_agree(
    programme: Programme, analyst_amal: User, pm_pablo: User, monkeypatch: pytest.MonkeyPatch,
) -> None:
    period = period_for(kind="month", date=MARCH)
    with clock.frozen_at(NOW):
        own, used = _reads_counts(lambda: metrics_table(actor=actor_of(analyst_amal), period=period))
        assert used
        assert _rows(own) == _rows(_without_counts(
            monkeypatch, lambda: metrics_table(actor=actor_of(analyst_amal), period=period)))
        # Amal's organisation reported A, B, D, E; C and F were Bilal's.
        assert own.rows[0].current.items_received == 3  # A, B, D in March

        def combined() -> selectors.MetricsTable:
            return metrics_table(actor=actor_of(pm_pablo), period=period, group_by="tier",
                                 filters=MetricsFilter(country="PK"))

        table = combined()  # the total from the counts of PK, the rows by tier from the facts
        assert _rows(table) == _rows(_without_counts(monkeypatch, combined))
        assert table.rows[0].current.items_received == 2  # C and F
        assert sum(row.current.items_received for row in table.rows[1:]) == 2


def test_a_half_hour_time_zone_reads_the_facts(programme: Programme, pm_pablo: User) -> None:
    period = period_for(kind="month", date=MARCH, tz="Asia/Kolkata")
    with clock.frozen_at(NOW):
        table, used = _reads_counts(lambda: metrics_table(actor=actor_of(pm_pablo), period=period))
        points, series_used = _reads_counts(lambda: sla_series(actor=actor_of(pm_pablo), period=period))
    assert not used and not series_used
    # F (03-31 23:30 UTC) is already 1 April in Kolkata.
    assert table.rows[0].current.items_received == 4
    assert sum(p.items_received for p in points) == 4


@pytest.mark.parametrize("bucket", ["day", "week"])
def test_the_series_from_the_counts_equals_the_series_from_the_facts(
    programme: Programme, pm_pablo: User, monkeypatch: pytest.MonkeyPatch, bucket: str,
) -> None:
    period = period_for(kind="month", date=MARCH, tz="Africa/Khartoum")

    def read() -> list[series.SeriesPoint]:
        return sla_series(actor=actor_of(pm_pablo), period=period, bucket=bucket)

    with clock.frozen_at(NOW):
        counted, used = _reads_counts(read)
        direct = _without_counts(monkeypatch, read)
    assert used
    assert sum(p.items_received for p in counted) == 4  # A-D; F (03-31 23:30 UTC) is April in Khartoum
    assert counted == direct


def _counts() -> list[tuple[Any, ...]]:
    names = ["hour", "dimension", "key", *MAIN_COLUMNS, "backlog_cases"]
    counts = sorted(row for row in HourCount.objects.values_list(*names) if any(row[3:]))
    bins = sorted(row for row in DayHistogram.objects.values_list("day", "measure", "bin", "n") if row[3])
    dues = sorted(row for row in BacklogDue.objects.values_list("hour", "dimension", "key", "items") if row[3])
    return [*counts, *bins, *dues]


def test_an_incremental_refresh_keeps_the_counts_equal_to_a_rebuild(
    programme: Programme, lead_lena: User, pm_pablo: User,
) -> None:
    before = _counts()
    later = NOW + dt.timedelta(hours=1)
    with clock.frozen_at(later):
        decision_record(actor=actor_of(lead_lena), case_id=programme.cases["C"].pk, data=REMOVE)
    with clock.frozen_at(later + dt.timedelta(minutes=1)):
        assert not facts_refresh().full
        table = metrics_table(actor=actor_of(pm_pablo), period=period_for(kind="month", date=MARCH))
    after = _counts()
    assert after != before
    assert table.rows[0].current.outcomes["violating"] == 2  # A, and C now
    cube_rebuild()
    assert _counts() == after


def test_counts_are_kept_per_hour_and_slice(programme: Programme) -> None:
    total = HourCount.objects.get(dimension="", key="", hour=utc(3, 3, 9))
    assert (total.items_received, total.cases_received) == (1, 1)  # C
    pk = HourCount.objects.get(dimension="country", key="PK", hour=utc(3, 3, 9))
    assert pk.items_received == 1
    assert not HourCount.objects.filter(dimension="country", key="PK", hour=utc(3, 2, 9)).exists()


def test_day_histograms_bin_each_duration(programme: Programme) -> None:
    from trustline.metrics.sql import binned_value

    turnarounds = sorted(DayHistogram.objects.filter(measure="turnaround").values_list("day", "bin", "n"))
    # Received 03-02: A (10 h) and B (74 h, paused time excluded); 03-05: D (0.5 h).
    assert (utc(3, 2, 0), 36000, 1) in turnarounds
    assert (utc(3, 2, 0), 74 * 3600, 1) in turnarounds
    assert (utc(3, 5, 0), 1800, 1) in turnarounds
    assert binned_value(10 * 3600 + 149) == 36000 and binned_value(10 * 3600 + 151) == 36300
    assert binned_value(50 * 3600 + 1700) == 50 * 3600 and binned_value(1799) == 1800


@pytest.mark.parametrize("dimension", BACKLOG_DIMENSIONS)
@pytest.mark.parametrize("at", [NOW, utc(3, 4, 9, 30), utc(3, 10, 0)])
def test_the_backlog_from_the_counts_equals_the_backlog_from_the_facts(
    programme: Programme, pm_pablo: User, monkeypatch: pytest.MonkeyPatch, dimension: str, at: dt.datetime,
) -> None:
    """At several moments after the refresh, so that more of the backlog falls due (overdue) as time passes."""
    def read() -> list[series.BacklogRow]:
        return backlog_breakdown(actor=actor_of(pm_pablo), dimension=dimension)

    with clock.frozen_at(max(at, NOW)):
        counted, used = _reads_counts(read)
        direct = _without_counts(monkeypatch, read)
    assert used
    assert sum(row.items for row in counted) == 2  # C and F
    assert counted == direct


def test_a_narrowed_backlog_and_a_partners_own_backlog_from_the_counts(
    programme: Programme, pm_pablo: User, analyst_bilal: User, monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads = [
        lambda: backlog_breakdown(actor=actor_of(pm_pablo), dimension="country", filters=MetricsFilter(country="PK")),
        lambda: backlog_breakdown(actor=actor_of(analyst_bilal), dimension="partner"),
        lambda: backlog_breakdown(actor=actor_of(pm_pablo), dimension="tier", filters=MetricsFilter(country="PK")),
    ]
    with clock.frozen_at(NOW):
        for read, from_counts in zip(reads, (True, True, False), strict=True):
            counted, used = _reads_counts(read)
            assert used is from_counts
            assert counted == _without_counts(monkeypatch, read)
            assert sum(row.items for row in counted) == 2  # C and F are Bilal's, in Pakistan
