"""Benchmark: the DSA statement-of-reasons export, streaming, on PostgreSQL.

Target (issue 6): at least 5,000 statements/s with flat memory.

    .venv/bin/python bench/metrics/statements.py                 # seed 200k, measure 20k and 200k
    .venv/bin/python bench/metrics/statements.py --total 200000 --sizes 20000 200000 --reseed

How:

1. A dedicated database (``tl_transparency_bench`` on the local server, or
   ``--db-url``) is migrated once, then seeded with bulk SQL: one platform,
   one trusted partner, and ``--total`` decided cases, each with a report, an
   item and an effective violating decision (a mix of removals,
   geo-restrictions in EU and non-EU countries, account suspensions, labels,
   both grounds, automated flags), 1,000 restrictions per day from
   2026-01-01. Every NOT NULL column the models leave to Django defaults is
   filled by type, so the seeding follows schema changes of other apps.
2. Each size runs in its own process (so peak RSS is per size): the export
   exactly as the API and the command stream it
   (``jsonl(only_statements(statements_iter(...)))``) into a byte counter,
   timed; then the same again under ``tracemalloc`` for the Python peak.
3. Flat memory means the peak at 200k is about the peak at 20k.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/tl_transparency_bench"
START_DAY = "2026-01-01"
PER_DAY = 1000


def setup(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustline.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_database(db_url: str) -> None:
    import psycopg

    base, _, name = db_url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def _fill(table: str, given: dict[str, str]) -> tuple[str, str]:
    """Column and expression lists for ``INSERT INTO table (...) SELECT ...``: given ones, then defaults by type."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_name = %s ORDER BY ordinal_position", [table])
        columns = cursor.fetchall()
    names, exprs = [], []
    for name, data_type, nullable, default in columns:
        if name in given:
            names.append(name)
            exprs.append(given[name])
        elif nullable == "NO" and default is None:
            fill = {"boolean": "false", "jsonb": "'{}'::jsonb", "uuid": "gen_random_uuid()",
                    "timestamp with time zone": "now()", "date": "now()::date"}.get(
                data_type, "0" if data_type in ("integer", "bigint", "smallint", "double precision") else "''")
            names.append(name)
            exprs.append(fill)
    return ", ".join(f'"{n}"' for n in names), ", ".join(exprs)


def seed(total: int, *, force: bool = False) -> None:
    """Step 1 (skipped when the database already holds ``total`` decisions, unless ``force``)."""
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    from trustline.review.models import Decision

    if not force and Decision.objects.count() >= total:
        print(f"seed: {Decision.objects.count()} decisions already there")
        return
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE review_decision, intake_reportitem, intake_report, cases_case CASCADE")
        cursor.execute("DELETE FROM accounts_organisation WHERE slug IN ('bench-kite', 'bench-partner')")
        cursor.execute(
            "INSERT INTO accounts_organisation (name, slug, kind, contact_email, created_at) VALUES "
            "('Bench Kite', 'bench-kite', 'platform', '', now()), "
            "('Bench Partner', 'bench-partner', 'partner', '', now()) RETURNING id")
        partner_id = cursor.fetchall()[1][0]
        cursor.execute("SELECT id FROM taxonomy_category WHERE code = 'incitement_violence'")
        category_id = cursor.fetchone()[0]
        at = (f"(timestamptz '{START_DAY} 08:00+00' + (g / {PER_DAY}) * interval '1 day'"
              f" + (g % {PER_DAY}) * interval '1 second')")
        cursor.execute("CREATE TEMP TABLE bench_ids AS SELECT g, gen_random_uuid() AS case_id, "
                       "gen_random_uuid() AS report_id, gen_random_uuid() AS item_id, gen_random_uuid() AS decision_id "
                       f"FROM generate_series(0, {total - 1}) AS g")
        cols, exprs = _fill("cases_case", {
            "id": "case_id", "key_hash": "md5(case_id::text) || md5(g::text)",
            "canonical_key": "'https://kite.example/p/' || g",
            "item_kind": "(ARRAY['post','comment','media','account'])[1 + g % 4]", "status": "'closed'",
            "is_open": "false", "opened_at": at, "last_reported_at": at, "country": "'DE'",
            "category_code": "'incitement_violence'", "language": "(ARRAY['de','ar','fr','en'])[1 + g % 4]",
            "item_count": "1", "partner_count": "1"})
        cursor.execute(f"INSERT INTO cases_case ({cols}) SELECT {exprs} FROM bench_ids")
        cols, exprs = _fill("intake_report", {
            "id": "report_id", "organisation_id": str(partner_id), "channel": "'api'", "category_id": str(category_id),
            "explanation": "'bench'", "country": "'DE'", "bona_fide": "true", "dsa_elements": "'{}'::jsonb",
            "targets": "'[]'::jsonb", "status": "'closed'", "received_at": at, "item_count": "1"})
        cursor.execute(f"INSERT INTO intake_report ({cols}) SELECT {exprs} FROM bench_ids")
        cols, exprs = _fill("intake_reportitem", {
            "id": "item_id", "report_id": "report_id", "position": "0", "kind": "'post'",
            "url": "'https://kite.example/p/' || g", "case_id": "case_id"})
        cursor.execute(f"INSERT INTO intake_reportitem ({cols}) SELECT {exprs} FROM bench_ids")
        illegal = "g % 3 = 0"
        cols, exprs = _fill("review_decision", {
            "id": "decision_id", "case_id": "case_id", "outcome": "'violating'", "policy_id": str(category_id),
            "actions": "(ARRAY['[\"remove\"]','[\"geo_restrict\"]','[\"remove\", \"suspend_account\"]',"
                       "'[\"label\", \"restrict_visibility\"]','[\"age_restrict\"]'])[1 + g % 5]::jsonb",
            "territorial_scope": "CASE WHEN g % 5 = 1 THEN (CASE WHEN g % 10 = 1 THEN '[\"SD\"]' "
                                 "ELSE '[\"DE\", \"FR\", \"PK\"]' END)::jsonb ELSE '[]'::jsonb END",
            "decision_ground": f"CASE WHEN {illegal} THEN 'DECISION_GROUND_ILLEGAL_CONTENT' "
                               "ELSE 'DECISION_GROUND_INCOMPATIBLE_CONTENT' END",
            "illegal_content_legal_ground": f"CASE WHEN {illegal} THEN '§130 StGB' ELSE '' END",
            "illegal_content_explanation": f"CASE WHEN {illegal} THEN 'Incitement to hatred.' ELSE '' END",
            "incompatible_content_ground": f"CASE WHEN {illegal} THEN '' ELSE 'Community Guidelines §4' END",
            "incompatible_content_explanation": f"CASE WHEN {illegal} THEN '' ELSE 'Calls for violence.' END",
            "automated_detection": "g % 7 = 0", "automated_decision": "'AUTOMATED_DECISION_NOT_AUTOMATED'",
            "language": "'en'", "explanation": "'bench'", "decided_by_actor": "'system'",
            "decided_at": f"{at} + interval '2 hours'", "effective_at": f"{at} + interval '2 hours'",
            "status": "'effective'"})
        cursor.execute(f"INSERT INTO review_decision ({cols}) SELECT {exprs} FROM bench_ids")
        cursor.execute("DROP TABLE bench_ids")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case; ANALYZE intake_report; ANALYZE intake_reportitem; ANALYZE review_decision")
    print(f"seed: {total} decided cases in {time.perf_counter() - started:.1f} s")


def measure(size: int) -> dict[str, Any]:
    """Step 2 for one size, in this process."""
    import datetime as dt

    from trustline.transparency.statements import Skipped, jsonl, statements_iter

    start = dt.date.fromisoformat(START_DAY)
    end = start + dt.timedelta(days=size // PER_DAY - 1)

    def run() -> tuple[int, int, int]:
        # Skips are counted, not kept, so the measured memory is the export's alone.
        count = size_bytes = skipped = 0
        items = statements_iter(start=start, end=end)

        def counted() -> Any:
            nonlocal skipped
            for item in items:
                if isinstance(item, Skipped):
                    skipped += 1
                else:
                    yield item

        for line in jsonl(counted()):
            count += 1
            size_bytes += len(line)
        return count, skipped, size_bytes

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    count, skipped, size_bytes = run()
    seconds = time.perf_counter() - began
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    run()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "load_average_1min": round(os.getloadavg()[0], 1), "cpus": os.cpu_count(),
        "size": size, "statements": count, "skipped_outside_eea": skipped, "seconds": round(seconds, 2),
        "statements_per_s": round(count / seconds), "mb_written": round(size_bytes / 1e6, 1),
        "rss_before_mb": round(rss_before / 1024, 1), "rss_peak_mb": round(rss_peak / 1024, 1),
        "tracemalloc_peak_mb": round(traced_peak / 1e6, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db-url", default=DEFAULT_DB)
    parser.add_argument("--total", type=int, default=200_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        setup(args.db_url)
        print(json.dumps(measure(args.measure)))
        return
    ensure_database(args.db_url)
    setup(args.db_url)
    seed(args.total, force=args.reseed)
    results = []
    for size in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--db-url", args.db_url, "--measure", str(size)],
                             check=True, capture_output=True, text=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]))
    print(json.dumps({"results": results}, indent=1))


if __name__ == "__main__":
    main()
