"""CPU per intake request, measured in one process: robust to a busy, shared machine.

Usage::

    .venv/bin/python bench/intake/cpu.py                       # both databases, print a table
    .venv/bin/python bench/intake/cpu.py --db postgres --save bench/results/cpu-before.json
    .venv/bin/python bench/intake/cpu.py --compare bench/results/cpu-before.json
    .venv/bin/python bench/intake/cpu.py --db sqlite --profile reports   # cProfile of the report path

Wall-clock throughput (``run.py``, wrk) needs a quiet machine. CPU time does
not, or much less: this script counts the CPU seconds (``time.process_time``)
the Trustline process spends per request, and on PostgreSQL also the CPU of
its backend (``/proc/<backend pid>/stat``), while other jobs run beside it.

For each database, in a fresh child process (Django's settings are global):

1. Create a throwaway database: a SQLite file in a temporary directory, or
   ``tl_intake_prof`` on PostgreSQL (dropped first and afterwards).
2. Migrate, create a partner and an API key through the services.
3. Post single-item reports with unique URLs through Django's test
   ``Client``: the whole stack (middleware, Ninja, key authentication,
   validation, services, the report's statements), with the connection
   health check the server makes at every request. Ping
   (``GET /api/v1/ping``) is the reference. CSV uploads of ``--bulk-rows``
   rows give the cost per bulk item.
4. Report the median CPU ms per request over ``--rounds`` rounds (the
   median drops the rounds where another process evicted our caches), and
   the SQL statements of one report.

``--profile reports|bulk|ping`` prints a cProfile of that phase instead
(cProfile inflates small calls; read it for where, not how much).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
# This checkout's trustline, not another install; --tree points a child at another copy (e.g. the code before).
_TREE = sys.argv[sys.argv.index("--tree") + 1] if "--tree" in sys.argv else str(Path(__file__).resolve().parents[2])
sys.path.insert(1, _TREE)

from stack import SqliteDatabase  # noqa: E402 - after the sys.path set-up above

PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_NAME = "tl_intake_prof"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ProfPostgres:
    """``tl_intake_prof``: a fixed name, so a crashed run leaves one database to drop, not many."""

    kind = "postgres"

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        base, _, _ = admin_url.rpartition("/")
        self.url = f"{base}/{PG_NAME}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)  # our own identifier, not user input

    def create(self) -> None:
        self.drop()
        self._admin(f'CREATE DATABASE "{PG_NAME}"')

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--reports", type=int, default=400, help="single-item reports per round")
    parser.add_argument("--pings", type=int, default=2000, help="pings per round")
    parser.add_argument("--bulk-rows", type=int, default=10_000, help="rows per CSV upload")
    parser.add_argument("--bulk-files", type=int, default=2, help="CSV uploads (one per round)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", choices=["reports", "bulk", "ping"], help="cProfile one phase instead")
    parser.add_argument("--save", type=Path, help="write the figures as JSON")
    parser.add_argument("--compare", type=Path, help="a JSON file saved earlier: print it beside this run")
    parser.add_argument("--baseline", type=Path,
                        help="a copy of older code (git archive <commit> | tar -x -C DIR): measure it and this "
                             "checkout in alternating child processes, --pairs times, and print both (medians)")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--tree", help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    results: dict[str, Any] = {}
    baseline: dict[str, Any] = {}
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        if not args.baseline:
            results[db] = run_child(args, db, None)
            continue
        runs: dict[str, list[dict[str, Any]]] = {"before": [], "now": []}
        for _ in range(args.pairs):
            runs["before"].append(run_child(args, db, args.baseline))
            runs["now"].append(run_child(args, db, None))
        baseline[db], results[db] = _medians(runs["before"]), _medians(runs["now"])
    meta = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "git": _git_head(), "load": os.getloadavg()[0]}
    results["_meta"] = meta
    if args.profile:
        return
    before = json.loads(args.compare.read_text()) if args.compare else None
    if args.baseline:
        before = {**baseline, "_meta": {**meta, "git": f"{args.baseline} (interleaved)"}}
    print_table(results, before)
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(json.dumps(results, indent=2))


def run_child(args: argparse.Namespace, db: str, tree: Path | None) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--child", "--db", db, "--reports", str(args.reports),
            "--pings", str(args.pings), "--bulk-rows", str(args.bulk_rows),
            "--bulk-files", str(args.bulk_files), "--rounds", str(args.rounds)]
    if args.profile:
        argv += ["--profile", args.profile]
    if tree is not None:
        argv += ["--tree", str(tree.resolve())]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{db} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    *text, last = done.stdout.rstrip("\n").split("\n")
    if text:
        print("\n".join(text))
    return dict(json.loads(last))


def _medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in runs[0]:
        values = [r[key] for r in runs if r.get(key) is not None]
        out[key] = (statistics.median(values) if values else None) if not isinstance(runs[0][key], int) \
            else int(statistics.median(values))
    return out


def _git_head() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parents[2])
    return done.stdout.strip()


ROWS = [
    ("report_ms", "CPU ms per single-item report (Python)"),
    ("report_db_ms", "  + PostgreSQL backend CPU ms"),
    ("report_queries", "  SQL statements per report"),
    ("bulk_item_ms", "CPU ms per bulk item (Python)"),
    ("bulk_item_db_ms", "  + PostgreSQL backend CPU ms"),
    ("bulk_queries", "  SQL statements per upload"),
    ("ping_ms", "CPU ms per ping (Python)"),
    ("report_over_ping", "report / ping (Python CPU)"),
]


def print_table(now: dict[str, Any], before: dict[str, Any] | None) -> None:
    dbs = [d for d in ("sqlite", "postgres") if d in now]
    head = ["figure"]
    for db in dbs:
        head += [f"{db} before", f"{db} now"] if before and db in before else [db]
    print(f"\nload average {now['_meta']['load']:.1f}, commit {now['_meta']['git']}"
          + (f"; before: commit {before['_meta']['git']}, load {before['_meta']['load']:.1f}" if before else ""))
    print(" | ".join(head))
    for key, label in ROWS:
        cells = [label]
        for db in dbs:
            if before and db in before:
                cells.append(_fmt(before[db].get(key)))
            cells.append(_fmt(now[db].get(key)))
        if any(c != "-" for c in cells[1:]):
            print(" | ".join(cells))


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


# --- the child: one database, one Django process --------------------------------------------------------------


def child(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="trustline-cpu-"))
    db: Any = SqliteDatabase(workdir) if args.db == "sqlite" else ProfPostgres(PG_ADMIN_URL)
    db.create()
    os.environ.update(DEBUG="0", SECRET_KEY="cpu-" + "x" * 50, ALLOWED_HOSTS="testserver",
                      DATABASE_URL=db.url, TRUSTLINE_DATA_DIR=str(workdir / "data"), LOG_LEVEL="WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustline.settings")
    try:
        return measure(args)
    finally:
        from django.db import connections

        connections.close_all()
        db.drop()
        shutil.rmtree(workdir, ignore_errors=True)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    import django

    import trustline

    # The code measured: this checkout, or the --tree copy.
    assert str(Path(trustline.__file__).resolve()).startswith(str(Path(_TREE).resolve())), trustline.__file__
    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from trustline.accounts.models import Organisation
    from trustline.accounts.permissions import SYSTEM
    from trustline.accounts.services import apikey_create
    from trustline.partners.services import partner_create

    call_command("migrate", verbosity=0, interactive=False)
    partner = partner_create(actor=SYSTEM, name="CPU Partner", countries=["FR"], languages=["fr"], contact_email="")
    key = apikey_create(actor=SYSTEM, organisation=Organisation.objects.get(pk=partner.pk), name="cpu").raw
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    # Django's test client skips close_old_connections; the server runs it at every request, and with
    # CONN_HEALTH_CHECKS the first statement of the request is preceded by a health check. Measure that too.
    from django.core.signals import request_started
    from django.db import connections

    def like_a_server(**_: Any) -> None:
        for conn in connections.all(initialized_only=True):
            conn.close_if_unusable_or_obsolete()

    request_started.connect(like_a_server, weak=False)
    counter = iter(range(10**9))

    def post_report() -> None:
        body = (
            '{"items":[{"url":"https://social.example/cpu/posts/' + str(next(counter)) + '","kind":"post"}],'
            '"category":"hateful_conduct","explanation":"Dehumanising post.","country":"FR","language":"fr",'
            '"targets":["religious_or_ethnic_minority"],"bona_fide":true}'
        )
        response = client.post("/api/v1/reports", body, content_type="application/json")
        if response.status_code != 201:
            raise SystemExit(f"report: HTTP {response.status_code}: {response.content[:300]!r}")

    def ping() -> None:
        response = client.get("/api/v1/ping")
        if response.status_code != 200:
            raise SystemExit(f"ping: HTTP {response.status_code}")

    def upload() -> None:
        start = next(counter) * 100_000
        rows = "".join(f"https://social.example/cpu/bulk/{start + n},post,impersonation,Fake account,KE,sw,true\n"
                       for n in range(args.bulk_rows))
        data = ("url,kind,category,explanation,country,language,bona_fide\n" + rows).encode()
        response = client.post("/api/v1/reports/bulk", {"file": SimpleUploadedFile("b.csv", data, "text/csv")})
        if response.status_code != 200 or response.json()["accepted_rows"] != args.bulk_rows:
            raise SystemExit(f"bulk: HTTP {response.status_code}: {response.content[:300]!r}")

    for _ in range(20):  # warm-up: imports, caches, the connection, the key's last_used_at
        post_report()
        ping()

    backend = _Backend(connection) if connection.vendor == "postgresql" else None
    if args.profile:
        return _profile(args, post_report, upload, ping)

    with CaptureQueriesContext(connection) as ctx:
        post_report()
    report_queries = len(ctx.captured_queries)

    def rounds(fn: Any, per_round: int, n_rounds: int) -> tuple[float, float | None]:
        python, database = [], []
        for _ in range(n_rounds):
            db_before = backend.cpu() if backend else 0.0
            started = time.process_time()
            for _ in range(per_round):
                fn()
            python.append((time.process_time() - started) / per_round)
            if backend:
                database.append((backend.cpu() - db_before) / per_round)
        return statistics.median(python) * 1000, (statistics.median(database) * 1000 if backend else None)

    ping_ms, _ = rounds(ping, args.pings, args.rounds)
    report_ms, report_db_ms = rounds(post_report, args.reports, args.rounds)
    result: dict[str, Any] = {
        "report_ms": report_ms, "report_db_ms": report_db_ms, "report_queries": report_queries,
        "ping_ms": ping_ms, "report_over_ping": report_ms / ping_ms,
    }
    if args.bulk_files:
        with CaptureQueriesContext(connection) as ctx:
            bulk_ms, bulk_db_ms = rounds(upload, 1, args.bulk_files)
        result.update(bulk_item_ms=bulk_ms / args.bulk_rows,
                      bulk_item_db_ms=bulk_db_ms / args.bulk_rows if bulk_db_ms is not None else None,
                      bulk_queries=len(ctx.captured_queries) // args.bulk_files)
    return result


class _Backend:
    """The CPU seconds of this connection's PostgreSQL backend, from /proc (same machine)."""

    def __init__(self, connection: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.pid = cursor.fetchone()[0]
        self.path = Path(f"/proc/{self.pid}/stat")
        self.cpu()  # fail now if /proc is not readable

    def cpu(self) -> float:
        fields = self.path.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def _profile(args: argparse.Namespace, post_report: Any, upload: Any, ping: Any) -> dict[str, Any]:
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile(time.process_time)  # CPU, not wall: waiting on the database is not ours
    profiler.enable()
    if args.profile == "reports":
        for _ in range(args.reports):
            post_report()
    elif args.profile == "bulk":
        upload()
    else:
        for _ in range(args.pings):
            ping()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(70)
    stats.sort_stats("tottime").print_stats(40)
    print(out.getvalue())
    return {}


if __name__ == "__main__":
    main()
