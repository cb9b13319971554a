"""The statistics of spike detection: pure functions, no database (see docs/trends.md).

A *series* is the daily number of reports for one (country, category,
language). For the day under test ``D`` we have its count ``x`` and the
series' counts on the ``7N`` days before it (``N`` weeks, default 6). A day
is a spike when **both** of these one-sided tests find ``x`` too large:

1. **Same weekday.** The counts on the same weekday of the previous ``N``
   weeks, ``s_1..s_N`` (sum ``S_w``), come from the same Poisson rate as
   ``x`` under the null hypothesis. The exact conditional test for equal
   Poisson rates: given ``x + S_w``, ``x`` is Binomial(``x + S_w``,
   ``1/(N+1)``), so ``p_w = P(Bin >= x)``. It follows the series' own
   weekly pattern and, being conditional, carries the uncertainty of a
   baseline estimated from few days (a plug-in Poisson test would not).
2. **Overall level.** All ``7N`` baseline days (sum ``S``), weighted by the
   weekday profile pooled over every series (``w_d``: how busy a weekday is
   relative to the average day; pooled because a single low-count series
   cannot estimate its own profile). Under the null, ``x`` given ``x + S``
   is Binomial(``x + S``, ``w_D / (w_D + sum w_d)``): ``p_l``. When the
   baseline days are over-dispersed (the index of dispersion ``D`` of the
   weekday-adjusted counts is significantly above 1: chi-square test at
   ``OVERDISPERSION_ALPHA`` = 0.001), ``p_l`` is the larger of that and a
   negative-binomial tail with the same mean and variance ``D`` times it.

The day's p-value is ``p_l``. Across all series tested for the same day,
the Benjamini-Hochberg procedure at level ``q`` (default 0.01) chooses the
candidates; under the global null (no real spike anywhere) ``q`` bounds the
probability of *any* false alarm that day, so at most about one quiet day in
a hundred raises one false alarm. A candidate must also pass the
same-weekday test at ``SAME_WEEKDAY_ALPHA`` (0.05) without correction: an
intersection-union test (both must reject), so it can only lower the false
alarm rate, and it stops alarms on a series whose own weekly pattern differs
from the pooled one (a series that is always busy on Mondays). The
same-weekday test alone would be too weak to lead: six Mondays are few.
Finally, guards against alarms nobody should act on: at least ``min_count``
reports (default 5; "0 to 2" is never a spike) and at least ``min_ratio``
times the expected count (default 1.5).

``expected`` (shown to people) is the mean of the two baselines:
``(S_w / N + S * w_D / sum w_d) / 2``.

Days that were themselves spikes of the series are left out of its baseline
(``excluded``), as Farrington's method down-weights past outbreaks: without
that, the first day of a week-long crisis inflates the baseline (and its
dispersion) so much that the following days look ordinary.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

DEFAULT_WEEKS = 6
DEFAULT_FDR = 0.01
DEFAULT_MIN_COUNT = 5
DEFAULT_MIN_RATIO = 1.5
SAME_WEEKDAY_ALPHA = 0.05
OVERDISPERSION_ALPHA = 0.001
WEEKDAY_PRIOR_REPORTS = 10.0  # pseudo-reports per weekday at the average rate: a sparse programme stays flat


@dataclasses.dataclass(frozen=True)
class SpikeTest:
    """The evidence for one series on one day."""

    observed: int
    expected: float
    same_weekday_counts: tuple[int, ...]  # oldest first
    baseline_total: int  # all 7N days before the day
    baseline_days: int
    excluded_days: tuple[dt.date, ...]
    weekday_factor: float
    dispersion: float
    p_same_weekday: float
    p_level: float
    p_value: float

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected > 0 else math.inf


def _sps() -> Any:
    """``scipy.stats``, imported on first use: it costs every web process ~0.6 s at start-up otherwise,
    and only the detection job needs it."""
    from scipy import stats

    return stats


def binomial_upper_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    return float(_sps().binom.sf(k - 1, n, p))


def negbin_upper_tail(k: int, mean: float, dispersion: float) -> float:
    """P(X >= k) for a negative binomial with ``mean`` and variance ``dispersion * mean`` (dispersion > 1)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if dispersion <= 1.0:
        return float(_sps().poisson.sf(k - 1, mean))
    size = mean / (dispersion - 1.0)
    return float(_sps().nbinom.sf(k - 1, size, 1.0 / dispersion))


def weekday_profile(totals_by_weekday: Mapping[int, float], days_by_weekday: Mapping[int, int]) -> list[float]:
    """Relative busyness of each weekday (Monday = 0), mean 1, from pooled counts.

    ``totals_by_weekday[d]`` is the number of reports on weekday ``d`` over
    ``days_by_weekday[d]`` days. A flat prior of ``WEEKDAY_PRIOR_REPORTS``
    reports at the average daily rate is added to each weekday, so that a
    programme with few reports gets a flat profile instead of one shaped by
    chance, while a busy one keeps its own.
    """
    total = sum(totals_by_weekday.values())
    days = sum(days_by_weekday.values())
    if total <= 0 or days <= 0:
        return [1.0] * 7
    average = total / days
    prior_days = WEEKDAY_PRIOR_REPORTS / average
    rates = [
        (totals_by_weekday.get(d, 0) + WEEKDAY_PRIOR_REPORTS) / (days_by_weekday.get(d, 0) + prior_days)
        for d in range(7)
    ]
    mean = sum(rates) / 7
    return [r / mean for r in rates]


def spike_test(
    *, day: dt.date, observed: int, history: Mapping[dt.date, int], profile: Sequence[float],
    weeks: int = DEFAULT_WEEKS, excluded: frozenset[dt.date] = frozenset(),
) -> SpikeTest:
    """Steps 1-2 of the module docstring for one series on ``day``.

    ``history`` maps dates to counts (missing dates count 0); only the ``7 *
    weeks`` days before ``day`` are used, minus the ``excluded`` ones.
    """
    window = [day - dt.timedelta(days=i) for i in range(7 * weeks, 0, -1)]
    baseline = [d for d in window if d not in excluded]
    counts = [int(history.get(d, 0)) for d in baseline]
    same_days = [day - dt.timedelta(days=7 * w) for w in range(weeks, 0, -1)]
    same = tuple(int(history.get(d, 0)) for d in same_days if d not in excluded)
    s_week = sum(same)
    s_all = sum(counts)
    w_day = profile[day.weekday()]
    w_sum = sum(profile[d.weekday()] for d in baseline) or 1.0
    # 1. Same weekday: exact conditional test of equal Poisson rates.
    p_same = binomial_upper_tail(observed, observed + s_week, 1.0 / (len(same) + 1))
    # 2. Overall level with the pooled weekly profile, widened when the baseline is over-dispersed.
    p_level = binomial_upper_tail(observed, observed + s_all, w_day / (w_day + w_sum))
    level_expected = s_all * w_day / w_sum
    dispersion = _dispersion(counts, [s_all * profile[d.weekday()] / w_sum for d in baseline])
    if level_expected > 0 and overdispersed(dispersion, len(baseline)):
        p_level = max(p_level, negbin_upper_tail(observed, level_expected, dispersion))
    expected = (s_week / max(len(same), 1) + level_expected) / 2
    return SpikeTest(
        observed=observed, expected=expected, same_weekday_counts=same, baseline_total=s_all,
        baseline_days=len(baseline), excluded_days=tuple(d for d in window if d in excluded),
        weekday_factor=w_day, dispersion=dispersion,
        p_same_weekday=p_same, p_level=p_level, p_value=p_level,
    )


def _dispersion(counts: Sequence[int], means: Sequence[float]) -> float:
    """Pearson index of dispersion of counts around their weekday-adjusted means (1 for Poisson)."""
    terms = [(c - m) ** 2 / m for c, m in zip(counts, means, strict=True) if m > 0]
    if len(terms) < 2:
        return 1.0
    return sum(terms) / (len(terms) - 1)


def overdispersed(dispersion: float, days: int) -> bool:
    """Is an index of dispersion over ``days`` counts significantly above Poisson's 1?"""
    return dispersion > 1.0 and float(_sps().chi2.sf(dispersion * (days - 1), days - 1)) < OVERDISPERSION_ALPHA


def benjamini_hochberg(p_values: Sequence[float], q: float) -> list[bool]:
    """Which hypotheses the Benjamini-Hochberg step-up procedure rejects at false-discovery rate ``q``."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    cutoff = -1
    for rank, index in enumerate(order, start=1):
        if p_values[index] <= q * rank / m:
            cutoff = rank
    rejected = [False] * m
    for rank, index in enumerate(order, start=1):
        if rank <= cutoff:
            rejected[index] = True
    return rejected


def is_alarm(test: SpikeTest, *, rejected: bool, min_count: int, min_ratio: float) -> bool:
    """Significant after the correction, unusual for its weekday too, and big enough to act on."""
    return (
        rejected and test.p_same_weekday <= SAME_WEEKDAY_ALPHA
        and test.observed >= min_count and test.observed >= min_ratio * test.expected
    )
