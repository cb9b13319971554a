"""The spike test on synthetic series: an injected spike is found, pure noise stays within the documented rate.

These run the same functions the detection service runs per day
(``spike_test``, ``benjamini_hochberg``, ``is_alarm``), on seeded Poisson
series with a weekly pattern (weekends at 35 % of weekdays, as in the demo).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from trustline.trends import stats

WEEKLY = [1.0, 1.0, 1.0, 1.0, 1.0, 0.35, 0.35]
START = dt.date(2026, 1, 5)  # a Monday
RATES = [0.1, 0.3, 1.0, 2.0, 5.0, 10.0, 30.0]  # weekday means: from very sparse to busy series
HISTORY = 42


def _series(rng: np.random.Generator, rate: float, days: int) -> dict[dt.date, int]:
    out = {}
    for n in range(days):
        day = START + dt.timedelta(days=n)
        out[day] = int(rng.poisson(rate * WEEKLY[day.weekday()]))
    return out


def _profile(series: list[dict[dt.date, int]], day: dt.date) -> list[float]:
    totals = dict.fromkeys(range(7), 0.0)
    days = dict.fromkeys(range(7), 0)
    for back in range(1, HISTORY + 1):
        d = day - dt.timedelta(days=back)
        days[d.weekday()] += 1
        totals[d.weekday()] += sum(s.get(d, 0) for s in series)
    return stats.weekday_profile(totals, days)


def _alarms(series: list[dict[dt.date, int]], day: dt.date) -> list[int]:
    """Indexes of the series that alarm on ``day`` (the service's per-day procedure)."""
    profile = _profile(series, day)
    tests = [stats.spike_test(day=day, observed=s.get(day, 0), history=s, profile=profile) for s in series]
    rejected = stats.benjamini_hochberg([t.p_value for t in tests], stats.DEFAULT_FDR)
    return [
        i for i, (t, r) in enumerate(zip(tests, rejected, strict=True))
        if stats.is_alarm(t, rejected=r, min_count=stats.DEFAULT_MIN_COUNT, min_ratio=stats.DEFAULT_MIN_RATIO)
    ]


@pytest.mark.parametrize("seed", [11, 12, 13])
@pytest.mark.parametrize(("rate", "factor"), [(1.0, 6.0), (2.0, 4.0), (5.0, 3.0), (30.0, 1.8)])
def test_it_finds_an_injected_spike(seed: int, rate: float, factor: float) -> None:
    rng = np.random.default_rng(seed)
    series = [_series(rng, r, HISTORY + 1) for r in RATES * 6]
    day = START + dt.timedelta(days=HISTORY)  # a Monday
    spiked = _series(rng, rate, HISTORY + 1)
    spiked[day] = math.ceil(rate * factor) + 4  # a clear spike on top of the usual Monday
    series.append(spiked)
    alarms = _alarms(series, day)
    assert len(series) - 1 in alarms
    assert len(alarms) <= 2  # the injected one, at most one chance alarm among 43 noisy series


def test_pure_noise_raises_no_more_false_alarms_than_documented() -> None:
    """The documented rate: at most q = 1 % of quiet days with any alarm (measured ~0.3 %).

    Three seeds x 200 series x 60 tested days = 36,000 series-days of pure
    Poisson noise with the weekly pattern. Bound: q plus three binomial
    standard errors for 180 days.
    """
    days_with_alarm = 0
    alarms = 0
    days_tested = 0
    series_days = 0
    for seed in (101, 102, 103):
        rng = np.random.default_rng(seed)
        rates = rng.choice(RATES, size=200)
        series = [_series(rng, float(r), HISTORY + 60) for r in rates]
        for n in range(HISTORY, HISTORY + 60):
            found = _alarms(series, START + dt.timedelta(days=n))
            days_tested += 1
            series_days += len(series)
            alarms += len(found)
            days_with_alarm += bool(found)
    q = stats.DEFAULT_FDR
    assert days_with_alarm / days_tested <= q + 3 * math.sqrt(q * (1 - q) / days_tested)
    assert alarms / series_days <= q / 10  # per series and day: far below 1 in 1,000


def test_low_counts_do_not_alarm() -> None:
    """0 -> 2 (or 0 -> 4) reports is "significant" for a silent series, but below the minimum count."""
    day = START + dt.timedelta(days=HISTORY)
    silent = {START + dt.timedelta(days=n): 0 for n in range(HISTORY)}
    profile = [1.0] * 7
    for observed in (2, 4):
        test = stats.spike_test(day=day, observed=observed, history=silent, profile=profile)
        assert test.p_value < 0.05  # the test alone would fire...
        assert not stats.is_alarm(test, rejected=True, min_count=stats.DEFAULT_MIN_COUNT,
                                  min_ratio=stats.DEFAULT_MIN_RATIO)  # ...the guard does not
    test = stats.spike_test(day=day, observed=6, history=silent, profile=profile)
    assert stats.is_alarm(test, rejected=True, min_count=stats.DEFAULT_MIN_COUNT, min_ratio=stats.DEFAULT_MIN_RATIO)


def test_a_busy_weekday_is_not_a_spike_against_the_weekend() -> None:
    """Monday after a quiet weekend: the same-weekday baseline knows Mondays are busy."""
    rng = np.random.default_rng(7)
    series = [_series(rng, 5.0, HISTORY + 1) for _ in range(30)]
    monday = START + dt.timedelta(days=HISTORY)
    for s in series:
        s[monday] = 7  # a normal Monday at rate 5, well above the weekend's ~2
    assert _alarms(series, monday) == []


def test_overdispersed_history_widens_the_level_test() -> None:
    day = START + dt.timedelta(days=HISTORY)
    bursty = {START + dt.timedelta(days=n): (12 if n % 9 == 0 else 0) for n in range(HISTORY)}
    calm = {START + dt.timedelta(days=n): (1 if n % 3 else 2) for n in range(HISTORY)}
    profile = [1.0] * 7
    wide = stats.spike_test(day=day, observed=8, history=bursty, profile=profile)
    narrow = stats.spike_test(day=day, observed=8, history=calm, profile=profile)
    assert stats.overdispersed(wide.dispersion, wide.baseline_days)
    assert not stats.overdispersed(narrow.dispersion, narrow.baseline_days)
    assert wide.p_level > narrow.p_level


def test_benjamini_hochberg_matches_the_textbook_example() -> None:
    p = [0.01, 0.04, 0.03, 0.005, 0.2]
    assert stats.benjamini_hochberg(p, 0.05) == [True, True, True, True, False]
    assert stats.benjamini_hochberg(p, 0.03) == [True, False, False, True, False]
    assert stats.benjamini_hochberg(p, 0.01) == [False] * 5
