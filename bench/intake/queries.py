"""One-off: the SQL queries and the Python time of one single-item report, without HTTP.

Usage::

    .venv/bin/python bench/intake/queries.py [--db sqlite|postgres] [--n 200] [--profile] [--show-sql]

Creates a fresh database (as run.py does), a partner and a key, posts one
warm-up report through Django's test client, then prints every query of the
next report (``CaptureQueriesContext``), the mean wall time per report over
``--n`` reports, and with ``--profile`` a pyinstrument profile of those
reports. Everything runs in this one process, so the figures are the request
path's own cost, apart from gunicorn, wrk and the sharing of the cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))  # this checkout's trustline, not another install

from stack import PostgresDatabase, SqliteDatabase


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--show-sql", action="store_true")
    parser.add_argument("--bulk", type=int, default=0, metavar="ROWS",
                        help="instead: one CSV upload of ROWS single-item rows; count its queries by kind")
    parser.add_argument("--breakdown", action="store_true",
                        help="CPU and wall time per step of the request path (wraps the service functions)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="trustline-queries-"))
    db = SqliteDatabase(workdir) if args.db == "sqlite" else PostgresDatabase(args.pg_url)
    db.create()
    os.environ.update(DEBUG="0", SECRET_KEY="queries-" + "x" * 50, ALLOWED_HOSTS="testserver",
                      DATABASE_URL=db.url, TRUSTLINE_DATA_DIR=str(workdir / "data"), LOG_LEVEL="WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustline.settings")
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        db.drop()
        shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from trustline.accounts.models import Organisation
    from trustline.accounts.permissions import SYSTEM
    from trustline.accounts.services import apikey_create
    from trustline.partners.services import partner_create

    call_command("migrate", verbosity=0, interactive=False)
    partner = partner_create(actor=SYSTEM, name="Query Partner", countries=["FR"], languages=["fr"],
                             contact_email="")
    key = apikey_create(actor=SYSTEM, organisation=Organisation.objects.get(pk=partner.pk), name="q").raw
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    def body(n: int) -> str:
        return (
            '{"items":[{"url":"https://social.example/q/posts/' + str(n) + '","kind":"post"}],'
            '"category":"hateful_conduct","explanation":"Dehumanising post.","country":"FR","language":"fr",'
            '"targets":["religious_or_ethnic_minority"],"bona_fide":true}'
        )

    def post(n: int) -> None:
        response = client.post("/api/v1/reports", body(n), content_type="application/json")
        if response.status_code != 201:
            raise SystemExit(f"HTTP {response.status_code}: {response.content[:300]!r}")

    post(0)
    if args.bulk:
        bulk(args, client, install_timers() if args.breakdown else None)
        return
    with CaptureQueriesContext(connection) as ctx:
        post(1)
    print(f"{len(ctx.captured_queries)} queries for one single-item report ({connection.vendor}):")
    for q in ctx.captured_queries:
        sql = q["sql"] if args.show_sql else q["sql"][:150]
        print(f"  {float(q['time']) * 1000:6.2f} ms  {sql}")

    timers = install_timers() if args.breakdown else None
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    started = time.perf_counter()
    cpu_started = time.process_time()
    for n in range(2, args.n + 2):
        post(n)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    print(f"{args.n} reports: {1000 * elapsed / args.n:.2f} ms each ({1000 * cpu / args.n:.2f} ms CPU), "
          f"{args.n / elapsed:.0f}/s in one process")
    if timers is not None:
        print("\nper report, inclusive (nested steps are also counted in their parents):")
        print(f"  {'step':<48} {'wall ms':>8} {'CPU ms':>8}")
        print(f"  {'whole request (test client)':<48} {1000 * elapsed / args.n:8.2f} {1000 * cpu / args.n:8.2f}")
        for name, (wall, cpu_time, calls) in timers.items():
            print(f"  {name:<48} {1000 * wall / args.n:8.2f} {1000 * cpu_time / args.n:8.2f}  ({calls / args.n:.1f}x)")


def bulk(args: argparse.Namespace, client: Any, timers: dict[str, list[float]] | None) -> None:
    """One CSV upload of ``args.bulk`` rows: time, CPU and the queries grouped by their first words."""
    from collections import Counter

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rows = "".join(f"https://social.example/q/bulk/{n},post,impersonation,Fake account,KE,sw,true\n"
                   for n in range(args.bulk))
    data = ("url,kind,category,explanation,country,language,bona_fide\n" + rows).encode()
    upload = SimpleUploadedFile("bulk.csv", data, content_type="text/csv")
    started, cpu_started = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/api/v1/reports/bulk", {"file": upload})
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    body = response.json()
    print(f"HTTP {response.status_code}: {body.get('accepted_rows')} rows accepted in {elapsed:.2f}s "
          f"({cpu:.2f}s CPU) = {args.bulk / elapsed:.0f} items/s")
    kinds = Counter(" ".join(q["sql"].split()[:3])[:60] for q in ctx.captured_queries)
    seconds: dict[str, float] = {}
    for q in ctx.captured_queries:
        kind = " ".join(q["sql"].split()[:3])[:60]
        seconds[kind] = seconds.get(kind, 0.0) + float(q["time"])
    print(f"{len(ctx.captured_queries)} queries:")
    for kind, n in kinds.most_common(15):
        print(f"  {n:6d} x  {seconds[kind]:6.2f}s  {kind}")
    if timers is not None:
        print(f"\n  {'step':<48} {'wall s':>8} {'CPU s':>8}")
        for name, (wall, cpu_time, calls) in timers.items():
            if calls:
                print(f"  {name:<48} {wall:8.2f} {cpu_time:8.2f}  ({calls}x)")


def install_timers() -> dict[str, list[float]]:
    """Wrap the steps of the intake path with wall/CPU accumulators, where they are looked up."""
    import functools

    from django.db.backends.base.base import BaseDatabaseWrapper

    from trustline.accounts import auth
    from trustline.intake import api, services

    timers: dict[str, list[float]] = {}

    def wrap(owner: object, attr: str, label: str) -> None:
        original = getattr(owner, attr)
        slot = timers.setdefault(label, [0.0, 0.0, 0])

        @functools.wraps(original)
        def timed(*a: object, **kw: object) -> object:
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return original(*a, **kw)
            finally:
                slot[0] += time.perf_counter() - wall
                slot[1] += time.process_time() - cpu
                slot[2] += 1

        setattr(owner, attr, timed)

    wrap(auth, "actor_for_api_key", "auth: actor_for_api_key")
    wrap(api, "report_submit", "service: report_submit")
    wrap(services, "check_can_submit", "  check_can_submit")
    wrap(services, "categories_by_code", "  categories_by_code")
    wrap(services, "report_prepare", "  report_prepare (validate, canonicalise)")
    wrap(services, "_report_write_alone", "  _report_write_alone (one item: one statement)")
    wrap(services, "reports_write", "  reports_write (several items, or a race: a transaction)")
    wrap(services, "insert_rows_unless_conflict", "    insert_rows_unless_conflict (new content)")
    wrap(services, "_open_case", "    _open_case (content with an open case)")
    wrap(services, "insert_rows_if_updated", "    insert_rows_if_updated (joining it)")
    wrap(services, "cases_open_or_join", "    cases_open_or_join")
    wrap(services, "cases_add_reports", "    cases_add_reports")
    wrap(services, "audit_rows", "    audit_rows")
    wrap(BaseDatabaseWrapper, "commit", "  COMMIT")
    wrap(api, "ack_out", "ack_out (response dict)")
    from trustline.intake import bulk as bulk_module

    wrap(api, "bulk_submit", "bulk_submit")
    wrap(bulk_module, "_read_rows", "  _read_rows (decode, sniff)")
    wrap(bulk_module, "_parse_item", "  _parse_item (ItemIn per row)")
    wrap(bulk_module, "_prepare_group", "  _prepare_group (ReportIn + report_prepare)")
    wrap(bulk_module, "reports_write", "  reports_write")
    wrap(bulk_module, "audit_record", "  audit_record (bulk.uploaded)")
    return timers


if __name__ == "__main__":
    main()
