"""The metrics benchmark: the quarter's full metrics table and single dashboard queries on PostgreSQL.

Usage::

    .venv/bin/python bench/metrics/run.py [--url postgres://postgres@127.0.0.1:5432/tl_metrics_bench]
                                          [--generate ITEMS] [--repeat 3] [--explain]

1. With ``--generate N``: (re)create the database and fill it with N items
   (``generate.py``), build the roll-up, ``VACUUM ANALYZE``. Without it,
   measure the database a previous run left (it is kept, never dropped; drop
   it with ``DROP DATABASE tl_metrics_bench``).
2. With the clock frozen at the end of the generated data (1 Oct 2026), time
   each read ``--repeat`` times after one warm-up run and report the median
   and the worst: the full table for Q3 2026 (with Q2 as the previous
   period) in total and grouped by partner, country and tier; the dashboard
   selectors (SLA series per day and per week, backlog by tier, country,
   language, crisis); a partner's scorecard; the incremental refresh after a
   few changes.
3. Print the table and write ``bench/results/metrics-<timestamp>.json``.

Targets (issue 6): full table < 5 s, one dashboard query < 500 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate as gen  # noqa: E402

RESULTS = HERE.parent / "results"
TABLE_TARGET_S = 5.0
DASHBOARD_TARGET_S = 0.5


def timed(fn: Callable[[], Any], repeat: int, warm_up: bool = True) -> dict[str, float]:
    if warm_up:
        fn()  # caches, plans
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - began)
    return {"median_s": statistics.median(runs), "max_s": max(runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=gen.DEFAULT_URL)
    parser.add_argument("--generate", type=int, default=0, help="generate this many items first (fresh database)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the main aggregate")
    parser.add_argument("--only", default="", help="run only the reads whose name starts with this (e.g. table)")
    parser.add_argument("--no-warm-up", action="store_true", help="skip the untimed first run of each read")
    args = parser.parse_args()
    if args.generate:
        gen.drop_database(args.url)
    gen.setup_django(args.url)
    from django.core.management import call_command
    from django.db import connection

    if args.generate:
        call_command("migrate", verbosity=0)
        gen.generate(items=args.generate)
        gen.vacuum()
        gen.build_facts()
        gen.vacuum()

    from trustline.accounts.models import Organisation
    from trustline.accounts.permissions import SYSTEM
    from trustline.core import clock
    from trustline.metrics.facts import facts_refresh
    from trustline.metrics.models import ItemFact
    from trustline.metrics.periods import period_for
    from trustline.metrics.scorecards import partner_scorecard
    from trustline.metrics.selectors import metrics_table
    from trustline.metrics.series import backlog_breakdown, sla_series

    quarter = period_for(kind="quarter", date=dt.date(2026, 7, 1))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM intake_reportitem")
        items = cursor.fetchone()[0]
    in_quarter = ItemFact.objects.filter(received_at__gte=quarter.start, received_at__lt=quarter.end).count()
    slug = Organisation.objects.filter(slug__startswith="bench-partner-").order_by("slug").values_list(
        "slug", flat=True).first() or ""
    print(f"{items:,} items in the database, {in_quarter:,} received in {quarter.label}", flush=True)

    last: dict[str, Any] = {}

    def facts_only(read: Callable[[], Any]) -> Any:
        from unittest import mock

        from trustline.metrics import selectors, series

        with mock.patch.object(selectors, "cube_scope", lambda **_: None), \
                mock.patch.object(series, "cube_scope", lambda **_: None):
            return read()

    def quarter_total() -> Any:
        last["table"] = metrics_table(actor=SYSTEM, period=quarter)
        return last["table"]

    reads: dict[str, Callable[[], Any]] = {
        "table: quarter total (+ previous quarter)": quarter_total,
        "table: quarter by partner": lambda: metrics_table(actor=SYSTEM, period=quarter, group_by="partner"),
        "table: quarter by country": lambda: metrics_table(actor=SYSTEM, period=quarter, group_by="country"),
        "table: quarter by tier": lambda: metrics_table(actor=SYSTEM, period=quarter, group_by="tier"),
        "dashboard: SLA series per day (quarter)": lambda: sla_series(actor=SYSTEM, period=quarter, bucket="day"),
        "dashboard: SLA series per week (quarter)": lambda: sla_series(actor=SYSTEM, period=quarter, bucket="week"),
        "dashboard: backlog by tier": lambda: backlog_breakdown(actor=SYSTEM, dimension="tier"),
        "dashboard: backlog by country": lambda: backlog_breakdown(actor=SYSTEM, dimension="country"),
        "dashboard: backlog by language": lambda: backlog_breakdown(actor=SYSTEM, dimension="language"),
        "dashboard: backlog by crisis": lambda: backlog_breakdown(actor=SYSTEM, dimension="crisis"),
        "scorecard: one partner (quarter)": lambda: partner_scorecard(actor=SYSTEM, organisation_slug=slug,
                                                                      period=quarter),
        # The same reads without the hourly counts (metrics.cube), side by side in this run.
        "table: quarter total, facts only": lambda: facts_only(quarter_total),
        "dashboard: SLA series per day, facts only": lambda: facts_only(
            lambda: sla_series(actor=SYSTEM, period=quarter, bucket="day")),
    }
    results: dict[str, Any] = {"items": items, "items_in_quarter": in_quarter, "reads": {}}
    with clock.frozen_at(gen.END):
        for name, fn in reads.items():
            if args.only and not name.startswith(args.only):
                continue
            results["reads"][name] = r = timed(fn, args.repeat, warm_up=not args.no_warm_up)
            target = TABLE_TARGET_S if name.startswith("table") else DASHBOARD_TARGET_S
            verdict = "ok" if r["max_s"] < target else "OVER"
            print(f"{name:48s} median {r['median_s'] * 1000:8.0f} ms   max {r['max_s'] * 1000:8.0f} ms   "
                  f"(target {target * 1000:.0f} ms: {verdict})", flush=True)
        total = (last.get("table") or quarter_total()).rows[0]
        results["figures"] = {"current": vars(total.current), "change": total.change}
        print(f"Q3: {total.current.items_received:,} items, resolved within 5 days "
              f"{total.current.resolved_within_5d_pct} % ({total.change['resolved_within_5d_pct']:+} pp), "
              f"median turnaround {total.current.turnaround_p50_hours} h", flush=True)
    # The periodic job's incremental refresh after a quiet minute (watermark just moved).
    with clock.frozen_at(gen.END + dt.timedelta(minutes=10)):
        facts_refresh()  # brings the watermark to now
    with clock.frozen_at(gen.END + dt.timedelta(minutes=20)):
        began = time.perf_counter()
        refreshed = facts_refresh()
        results["incremental_refresh_s"] = time.perf_counter() - began
        print(f"incremental refresh (nothing new, {refreshed.cases} cases): "
              f"{results['incremental_refresh_s'] * 1000:.0f} ms", flush=True)
    if args.explain:
        from trustline.metrics.selectors import _period_aggregates, with_running_clock

        qs = with_running_clock(ItemFact.objects.filter(received_at__gte=quarter.start, received_at__lt=quarter.end),
                           gen.END)
        grouped = qs.order_by().values("organisation_id").annotate(**_period_aggregates(gen.END))
        sql, params = grouped.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print("\n".join(row[0] for row in cursor.fetchall()))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"metrics-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"written {out}")


if __name__ == "__main__":
    main()
