"""Spike detection on reports submitted through intake: counting, storing, notifying, idempotence."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.audit.models import AuditEntry
from trustline.conftest import actor_of
from trustline.core.exceptions import PermissionDenied
from trustline.notifications.models import OutboxMessage
from trustline.trends.detection import daily_counts, spikes_detect
from trustline.trends.models import Spike
from trustline.trends.tests.conftest import T0, Submit

DAY = T0.date()  # Monday 2 March 2026


def _history(submit: Submit, user: User, *, weeks: int = 6, **overrides: object) -> None:
    """One report per weekday (none at weekends) over the ``weeks`` weeks before ``DAY``."""
    for back in range(7 * weeks, 0, -1):
        day = T0 - dt.timedelta(days=back)
        if day.weekday() < 5:
            submit(user, at=day, **overrides)


@pytest.fixture
def quiet_history(submit: Submit, analyst_amal: User, analyst_bilal: User) -> None:
    """Two series with six weeks of ordinary weekday traffic."""
    _history(submit, analyst_amal)  # SD / incitement_violence / ar
    _history(submit, analyst_bilal, country="PK", language="ur", category="hateful_conduct")


def test_it_counts_reports_per_series_and_day_in_the_database(submit: Submit, analyst_amal: User) -> None:
    submit(analyst_amal, at=T0, language="ar-SD")
    submit(analyst_amal, at=T0 + dt.timedelta(hours=3), language="ar")
    submit(analyst_amal, at=T0, language="")
    with CaptureQueriesContext(connection) as queries:
        counts = daily_counts(start=DAY, end=DAY)
    assert len(queries) == 1
    assert counts[("SD", "incitement_violence", "ar")] == {DAY: 2}
    assert counts[("SD", "incitement_violence", "und")] == {DAY: 1}


def test_it_finds_a_spike_stores_its_evidence_and_tells_programme_managers(
    quiet_history: None, submit: Submit, analyst_amal: User, pm_pablo: User,
) -> None:
    for n in range(8):
        submit(analyst_amal, at=T0 + dt.timedelta(minutes=n))
    result = spikes_detect(day_from=DAY, day_to=DAY)
    assert result.spikes_new == 1
    spike = Spike.objects.get()
    series = (spike.country, spike.category_code, spike.language, spike.observed)
    assert series == ("SD", "incitement_violence", "ar", 8)
    assert 0.5 < spike.expected < 1.6
    assert spike.p_value < 0.001 and spike.series_tested == 2
    assert [d["count"] for d in spike.baseline["same_weekday"]] == [1] * 6
    assert spike.baseline["same_weekday"][0]["day"] == (DAY - dt.timedelta(weeks=6)).isoformat()
    assert spike.baseline["baseline_total"] == 30
    assert AuditEntry.objects.filter(action="spike.detected", target_id=str(spike.pk)).count() == 1
    mail = OutboxMessage.objects.get(event_type="spike.detected")
    assert mail.recipient == pm_pablo.email
    assert "8 reports" in mail.subject and str(spike.pk) in mail.body


def test_running_again_refreshes_the_evidence_and_notifies_once(
    quiet_history: None, submit: Submit, analyst_amal: User, pm_pablo: User,
) -> None:
    for n in range(8):
        submit(analyst_amal, at=T0 + dt.timedelta(minutes=n))
    spikes_detect(day_from=DAY, day_to=DAY)
    again = spikes_detect(day_from=DAY, day_to=DAY)
    assert again.spikes_new == 0 and again.spikes_refreshed == 0
    submit(analyst_amal, at=T0 + dt.timedelta(hours=2))
    later = spikes_detect(day_from=DAY, day_to=DAY)
    assert later.spikes_refreshed == 1
    assert Spike.objects.get().observed == 9
    assert OutboxMessage.objects.filter(event_type="spike.detected").count() == 1
    assert AuditEntry.objects.filter(action="spike.detected").count() == 1


def test_an_ordinary_day_raises_nothing(quiet_history: None, submit: Submit, analyst_amal: User) -> None:
    submit(analyst_amal, at=T0)
    submit(analyst_amal, at=T0 + dt.timedelta(hours=1))
    assert spikes_detect(day_from=DAY - dt.timedelta(days=6), day_to=DAY).spikes_new == 0
    assert not Spike.objects.exists()


def test_a_few_reports_in_a_silent_series_are_not_a_spike(
    quiet_history: None, submit: Submit, analyst_bilal: User,
) -> None:
    """0 -> 2 (and 0 -> 4): significant for a silent series, but below the minimum count."""
    for n in range(4):
        submit(analyst_bilal, at=T0 + dt.timedelta(minutes=n), country="PK", language="ur",
               category="blasphemy_allegation")
    assert spikes_detect(day_from=DAY, day_to=DAY).spikes_new == 0


def test_only_the_system_runs_detection(pm_pablo: User) -> None:
    with pytest.raises(PermissionDenied):
        spikes_detect(actor=actor_of(pm_pablo), day_from=DAY, day_to=DAY)
    assert spikes_detect(actor=SYSTEM, day_from=DAY, day_to=DAY).days == 1


def test_a_crisis_spread_over_categories_shows_in_the_country_total_every_day(
    submit: Submit, analyst_amal: User,
) -> None:
    """Two reports a day in each of three categories: no category alarms, the country's total does, three days
    running (each day's spike is left out of the next day's baseline, or the first would hide the others)."""
    for day in range(3):
        for category in ("incitement_violence", "threat_to_life", "hateful_conduct"):
            for n in range(2):
                submit(analyst_amal, at=T0 + dt.timedelta(days=day, minutes=n), category=category)
    result = spikes_detect(day_from=DAY, day_to=DAY + dt.timedelta(days=2))
    assert result.spikes_new == 3
    spikes = list(Spike.objects.order_by("day"))
    assert {(s.country, s.category_code, s.language, s.observed) for s in spikes} == {("SD", "*", "*", 6)}
    assert spikes[2].baseline["excluded_days"] == [DAY.isoformat(), (DAY + dt.timedelta(days=1)).isoformat()]


def test_a_dismissed_spike_counts_as_an_ordinary_day_again(
    submit: Submit, analyst_amal: User, policy_polly: User,
) -> None:
    from trustline.trends.services import spike_dismiss

    for day in range(2):
        for n in range(6):
            submit(analyst_amal, at=T0 + dt.timedelta(days=day, minutes=n))
    spikes_detect(day_from=DAY, day_to=DAY)
    spike_dismiss(actor=actor_of(policy_polly), spike_id=Spike.objects.get().pk, reason="a partner's backlog")
    spikes_detect(day_from=DAY + dt.timedelta(days=1), day_to=DAY + dt.timedelta(days=1))
    second = Spike.objects.get(day=DAY + dt.timedelta(days=1))
    assert second.baseline["excluded_days"] == []  # the false alarm is part of the baseline
    assert second.baseline["baseline_total"] == 6
