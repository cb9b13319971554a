"""``trustline trends_simulate [--seeds 10] [--series 200] [--days 60]``: measure the false-alarm rate.

Runs the detector's per-day procedure (``stats.spike_test``, the
Benjamini-Hochberg correction, the guards) on seeded Poisson series with a
weekly pattern (weekends at 35 % of weekdays, weekday means from 0.1 to 30
reports) and no real change anywhere, and prints how many days raised any
alarm. No database: the figure documented in docs/trends.md comes from here.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandParser

from trustline.trends import stats

WEEKLY = [1.0, 1.0, 1.0, 1.0, 1.0, 0.35, 0.35]
RATES = [0.1, 0.3, 1.0, 2.0, 5.0, 10.0, 30.0]
START = dt.date(2026, 1, 5)


class Command(BaseCommand):
    help = "Simulate pure-noise series and report the spike detector's false-alarm rate."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seeds", type=int, default=10)
        parser.add_argument("--series", type=int, default=200)
        parser.add_argument("--days", type=int, default=60)

    def handle(self, *args: Any, **options: Any) -> None:
        history = 7 * stats.DEFAULT_WEEKS
        days_tested = days_with_alarm = alarms = series_days = 0
        started = time.monotonic()
        for seed in range(1, options["seeds"] + 1):
            rng = np.random.default_rng(seed)
            total = history + options["days"]
            dates = [START + dt.timedelta(days=n) for n in range(total)]
            series = [
                {d: int(rng.poisson(float(rate) * WEEKLY[d.weekday()])) for d in dates}
                for rate in rng.choice(RATES, size=options["series"])
            ]
            for day in dates[history:]:
                totals = dict.fromkeys(range(7), 0.0)
                counted = dict.fromkeys(range(7), 0)
                for back in range(1, history + 1):
                    d = day - dt.timedelta(days=back)
                    counted[d.weekday()] += 1
                    totals[d.weekday()] += sum(s[d] for s in series)
                profile = stats.weekday_profile(totals, counted)
                tests = [stats.spike_test(day=day, observed=s[day], history=s, profile=profile) for s in series]
                rejected = stats.benjamini_hochberg([t.p_value for t in tests], stats.DEFAULT_FDR)
                found = sum(
                    stats.is_alarm(t, rejected=r, min_count=stats.DEFAULT_MIN_COUNT, min_ratio=stats.DEFAULT_MIN_RATIO)
                    for t, r in zip(tests, rejected, strict=True)
                )
                days_tested += 1
                series_days += len(series)
                alarms += found
                days_with_alarm += found > 0
        self.stdout.write(
            f"{days_tested} days x {options['series']} series of pure noise: {days_with_alarm} days with an alarm "
            f"({days_with_alarm / days_tested:.2%}; nominal at most {stats.DEFAULT_FDR:.0%}), {alarms} alarms in "
            f"{series_days} series-days ({alarms / series_days:.4%}); {time.monotonic() - started:.1f} s"
        )
