"""The claim benchmark: 1,000,000 open cases on PostgreSQL, 50 reviewers with mixed skills claiming at once.

Usage::

    .venv/bin/python bench/claim/run.py [--cases 1000000] [--duration 30] [--think-ms 100]
                                        [--phases solo,paced,saturation] [--keep]

1. Create a fresh database ``trustline_bench_claim_<random>`` (dropped at the
   end unless ``--keep``), migrate it, and generate the open, triaged cases
   inside PostgreSQL (``data.py`` describes the mix), then ``VACUUM ANALYZE``.
2. Create the platform team and 50 reviewers with mixed skills through the
   real services (``data.REVIEWERS``).
3. ``EXPLAIN (ANALYZE, BUFFERS)`` the claim query for three reviewers (a
   common profile, a rare language, a cleared specialist).
4. Phases, each with its own processes (the machine has 2 cores: processes,
   not threads, so the GIL does not serialise the clients), every process one
   reviewer calling the real ``case_claim_next`` in a loop, then, after a
   think time (exponential, mean ``--think-ms``), releasing the case (70 %)
   or closing it like a decision (30 %):

   * ``solo``: one reviewer, no think time: the cost of a claim on its own;
   * ``paced``: 50 reviewers with think time: a very busy review floor;
   * ``saturation``: 50 reviewers, no think time: the ceiling; latency there
     is mostly waiting for the 2 cores.

5. Check, not assume, that no case was held by two reviewers at once, three
   ways: the intervals the clients held cases (a later claim of a case must
   come after the previous holder let go), the assignment records (no two
   ``[claimed_at, ended_at)`` ranges of a case overlap, every case in review
   has exactly one open assignment), and the audit log (one ``case.claimed``
   entry per claim; ``trustline audit_verify`` accepts the chain).

Prints a table and writes ``bench/results/claim-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import io
import json
import multiprocessing
import os
import platform
import random
import secrets
import statistics
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from data import REVIEWERS, insert_sql  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TARGET_P99_MS = 20.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=100_000, help="cases per INSERT statement")
    parser.add_argument("--duration", type=int, default=30, help="seconds per phase (default %(default)s)")
    parser.add_argument("--think-ms", type=float, default=100, help="mean think time in the paced phase")
    parser.add_argument("--processes", type=int, default=5,
                        help="processes the reviewers share, each one a sync web worker (default %(default)s, "
                             "what `trustline serve` runs on 2 cores; 50 gives every reviewer its own)")
    parser.add_argument("--close-share", type=float, default=0.3, help="share of claims closed, not released")
    parser.add_argument("--phases", default="solo,paced:5000,paced,saturation",
                        help="solo, paced[:think ms], saturation; comma-separated (default %(default)s)")
    parser.add_argument("--reuse-db", default="", help="measure on a database a --keep run left (no generation)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
                        help="a database to connect to for CREATE/DROP DATABASE (default %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--wait-idle", type=float, default=120,
                        help="before each measurement wait up to this many seconds for the machine to be 85%% idle "
                             "(other jobs on a shared machine skew the figures); 0 disables (default %(default)s)")
    return parser.parse_args()


# --------------------------------------------------------------------------------------------
# Database and Django
# --------------------------------------------------------------------------------------------


class BenchDatabase:
    """``trustline_bench_claim_<random>`` on the server of ``admin_url``."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"trustline_bench_claim_{secrets.token_hex(4)}"
        self.url = f"{admin_url.rpartition('/')[0]}/{self.name}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)  # our own identifier

    def create(self) -> None:
        self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def database_url(settings_dict: dict[str, Any]) -> str:
    host, port = settings_dict.get("HOST") or "127.0.0.1", settings_dict.get("PORT") or 5432
    user = settings_dict.get("USER") or "postgres"
    return f"postgres://{user}@{host}:{port}/{settings_dict['NAME']}"


def setup_django(url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="trustline.settings",
        DATABASE_URL=url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        TRUSTLINE_DATA_DIR=str(ROOT / "var"),
    )
    import django

    django.setup()


def generate_cases(total: int, chunk: int) -> float:
    from django.db import connection

    from trustline.taxonomy.models import Category

    categories = list(Category.objects.values("code", "severity_tier", "policy_area", "restricted"))
    started = time.perf_counter()
    for first in range(1, total + 1, chunk):
        last = min(total, first + chunk - 1)
        with connection.cursor() as cursor:
            cursor.execute(insert_sql(categories, first, last))
        print(f"  cases {last:>9,} / {total:,}  ({time.perf_counter() - started:6.1f} s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_case")
    return time.perf_counter() - started


def make_reviewers() -> list[int]:
    from trustline.accounts.choices import OrganisationKind, Role
    from trustline.accounts.permissions import SYSTEM
    from trustline.accounts.services import membership_add, organisation_create, user_create
    from trustline.routing.reviewers import reviewer_skills_set

    kite = organisation_create(actor=SYSTEM, name="Kite Trust & Safety", kind=OrganisationKind.PLATFORM)
    ids: list[int] = []
    for count, languages, countries, regions, areas, clearances in REVIEWERS:
        for _ in range(count):
            n = len(ids) + 1
            user = user_create(actor=SYSTEM, username=f"reviewer{n:02d}", email=f"reviewer{n:02d}@kite.example")
            membership_add(actor=SYSTEM, user=user, organisation=kite, role=Role.REVIEWER)
            reviewer_skills_set(actor=SYSTEM, user_id=user.pk, languages=languages, countries=countries,
                                regions=regions, policy_areas=areas, clearances=clearances)
            ids.append(user.pk)
    return ids


def open_cases() -> int:
    from trustline.cases.models import Case

    return Case.objects.filter(is_open=True).count()


def reuse(close_share: float) -> list[int]:
    """A kept database: release what earlier runs left held, top the queue back up to where it started."""
    from django.db import connection

    from trustline.accounts.models import User

    with connection.cursor() as cursor:
        cursor.execute("UPDATE routing_assignment SET ended_at = now(), end_reason = 'released' "
                       "WHERE ended_at IS NULL")
        cursor.execute("UPDATE cases_case SET status = 'triaged', assigned_to_id = NULL, lease_expires_at = NULL "
                       "WHERE status = 'in_review'")
        cursor.execute("UPDATE cases_case SET status = 'triaged', is_open = true, closed_at = NULL "
                       "WHERE status = 'decided' AND closed_at IS NOT NULL")
        cursor.execute("VACUUM ANALYZE cases_case")
    return list(User.objects.filter(username__startswith="reviewer").order_by("pk").values_list("pk", flat=True))


def explain(user_ids: list[int]) -> dict[str, Any]:
    """The claim query's plan for three kinds of reviewer, executed (``ANALYZE``) and rolled back."""
    from django.db import transaction

    from trustline.core import clock
    from trustline.routing.conf import routing_settings
    from trustline.routing.eligibility import claim_queryset
    from trustline.routing.models import ReviewerProfile
    from trustline.routing.selectors import skills_of

    profiles = {p.user_id: p for p in ReviewerProfile.objects.filter(user_id__in=user_ids)}
    picks = {
        "common (ar-SD, en; SD; East Africa)": user_ids[0],
        "rare language (sw, en; KE, TZ)": next(u for u in user_ids if "sw" in profiles[u].languages),
        "cleared generalist (en, ar; child_safety)": user_ids[-1],
    }
    plans: dict[str, Any] = {}
    for label, user_id in picks.items():
        skills = skills_of(profiles[user_id], user_id)
        qs = claim_queryset(skills, clock.now(), routing_settings().candidates_per_key).select_for_update(
            skip_locked=True
        )[:1]
        with transaction.atomic():
            started = time.perf_counter()
            plan = qs.explain(analyze=True, buffers=True)
            elapsed = (time.perf_counter() - started) * 1000
            transaction.set_rollback(True)
        plans[label] = {"plan": plan, "wall_ms": round(elapsed, 2)}
    return plans


# --------------------------------------------------------------------------------------------
# Load
# --------------------------------------------------------------------------------------------


def close_case(actor: Any, user_id: int, case_id: Any) -> None:
    """What a decision does to the queue: the case leaves it, the assignment ends, an audit entry says so."""
    from django.db import transaction

    from trustline.audit.choices import AuditAction
    from trustline.audit.services import audit_record
    from trustline.cases.choices import CaseStatus
    from trustline.cases.models import Case
    from trustline.core import clock
    from trustline.routing.services import case_assignment_end

    with transaction.atomic():
        now = clock.now()
        closed = Case.objects.filter(pk=case_id, assigned_to_id=user_id, status=CaseStatus.IN_REVIEW).update(
            status=CaseStatus.DECIDED, is_open=False, closed_at=now
        )
        if closed:
            case_assignment_end(case_id=case_id, now=now)
            audit_record(actor=actor, action=AuditAction.CASE_CLOSED, target=("cases.case", str(case_id)),
                         data={"bench": True})


# Set by run_phase before forking, so every process shares them: warm-ups done, and when to start.
_warmed: Any = None
_go: Any = None
_start_at: Any = None


def reviewer_loop(duration: float, think_ms: float, close_share: float, user_id: int, worker: threading.Lock,
                  ) -> dict[str, Any]:
    """One reviewer: claim, think, release or close, until the phase ends.

    ``worker`` stands for a sync web worker: the reviewers of one process
    take turns for it, as requests queue for one of ``trustline serve``'s
    workers. A claim's latency runs from wanting a case (before waiting for
    the worker) to having it.
    """
    from django.db import connections

    from trustline.accounts.models import User
    from trustline.accounts.selectors import actor_for_user
    from trustline.routing.services import case_claim_next, case_release

    rng = random.Random(user_id)
    with worker:
        actor = actor_for_user(User.objects.get(pk=user_id))
        assert actor is not None
        # Warm-up, not measured: the first claim compiles and prepares this reviewer's query (once per process
        # and connection in a deployment too) and opens the connection.
        warm = case_claim_next(actor=actor)
        if warm is not None:
            case_release(actor=actor, case_id=warm.pk)
    warmups = int(warm is not None)
    with _warmed.get_lock():
        _warmed.value += 1
    _go.wait()
    start_at = _start_at.value
    latencies: list[float] = []
    holds: list[tuple[str, float, float]] = []
    empty = closes = 0
    errors: list[str] = []
    # Arrive spread over one think time, as a floor of reviewers already at work would, not all at once.
    time.sleep(max(0.0, start_at - time.monotonic()) + rng.random() * think_ms / 1000)
    end = start_at + duration
    while time.monotonic() < end:
        try:
            before = time.perf_counter()
            with worker:
                case = case_claim_next(actor=actor)
            latencies.append(time.perf_counter() - before)
            if case is None:
                empty += 1
                time.sleep(0.05)
                continue
            got = time.monotonic()
            if think_ms > 0:
                time.sleep(rng.expovariate(1000.0 / think_ms))
            letting_go = time.monotonic()
            with worker:
                if rng.random() < close_share:
                    close_case(actor, user_id, case.pk)
                    closes += 1
                else:
                    case_release(actor=actor, case_id=case.pk)
            holds.append((str(case.pk), got, letting_go))
        except Exception:  # recorded and reported: a benchmark that hides errors proves nothing
            errors.append(traceback.format_exc(limit=3))
    connections.close_all()
    return {"user": user_id, "latencies": latencies, "holds": holds, "empty": empty, "closes": closes,
            "errors": errors, "warmups": warmups}


def process_main(job: tuple[list[int], float, float, float]) -> list[dict[str, Any]]:
    """One process (one web worker): its reviewers as threads taking turns for it."""
    user_ids, duration, think_ms, close_share = job
    worker = threading.Lock()
    with ThreadPoolExecutor(max_workers=len(user_ids)) as pool:
        futures = [pool.submit(reviewer_loop, duration, think_ms, close_share, u, worker) for u in user_ids]
        return [f.result() for f in futures]


def client_overlaps(holds: list[tuple[int, str, float, float]]) -> int:
    """Pairs of holds of one case where the later claim came before the earlier holder let go."""
    by_case: dict[str, list[tuple[float, float, int]]] = collections.defaultdict(list)
    for user, case_id, got, letting_go in holds:
        by_case[case_id].append((got, letting_go, user))
    overlaps = 0
    for intervals in by_case.values():
        intervals.sort()
        held_until = float("-inf")
        for start, end, _ in intervals:
            if start < held_until:  # claimed before an earlier holder let go
                overlaps += 1
            held_until = max(held_until, end)
    return overlaps


def database_checks(since: dt.datetime, claims: int) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM routing_assignment a JOIN routing_assignment b
               ON a.case_id = b.case_id AND a.id < b.id
              AND tstzrange(a.claimed_at, coalesce(a.ended_at, 'infinity')) &&
                  tstzrange(b.claimed_at, coalesce(b.ended_at, 'infinity'))"""
        )
        overlapping = cursor.fetchone()[0]
        cursor.execute(
            """SELECT count(*) FROM cases_case c WHERE c.status = 'in_review' AND
               (SELECT count(*) FROM routing_assignment a WHERE a.case_id = c.id AND a.ended_at IS NULL) <> 1"""
        )
        bad_open = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM routing_assignment WHERE claimed_at >= %s", [since])
        assignments = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM audit_auditentry WHERE action = 'case.claimed' AND at >= %s", [since])
        audited = cursor.fetchone()[0]
    return {
        "overlapping_assignments": overlapping,
        "in_review_without_exactly_one_open_assignment": bad_open,
        "assignments_created": assignments,
        "claims_audited": audited,
        "claims_match_assignments_and_audit": assignments == audited == claims,
    }


def cpu_idle(seconds: float = 1.0) -> float:
    """Share of CPU time spent idle over ``seconds`` (from /proc/stat; 1.0 where it is unavailable)."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return fields[3] + fields[4], sum(fields)

    try:
        idle1, total1 = sample()
        time.sleep(seconds)
        idle2, total2 = sample()
    except OSError:
        return 1.0
    return (idle2 - idle1) / max(1, total2 - total1)


def wait_for_quiet(limit: float) -> float:
    """Wait (up to ``limit`` seconds) until the machine is 85 % idle; return the idle share last seen."""
    deadline = time.monotonic() + limit
    idle = cpu_idle()
    while idle < 0.85 and time.monotonic() < deadline:
        print(f"  machine busy ({idle:.0%} idle), waiting…", flush=True)
        idle = cpu_idle(3.0)
    return idle


class WaitSampler(threading.Thread):
    """Every 100 ms, what the database's active sessions wait for: where a latency tail comes from."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.samples = 0
        self.waits: collections.Counter[str] = collections.Counter()
        self.stop = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.wait(0.1):
                rows = conn.execute(
                    "SELECT coalesce(wait_event_type || ':' || wait_event, 'running'), "
                    "left(regexp_replace(query, '\\s+', ' ', 'g'), 48) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'"
                ).fetchall()
                self.samples += 1
                for wait, query in rows:
                    self.waits[f"{wait} | {query}"] += 1

    def summary(self) -> dict[str, Any]:
        self.stop.set()
        self.join(timeout=5)
        total = sum(self.waits.values())
        on_audit = sum(n for key, n in self.waits.items() if key.startswith("Lock:") and "audit_auditchainhead" in key)
        return {
            "samples": self.samples,
            "active_sessions_seen": total,
            "waiting_for_audit_chain_head_share": round(on_audit / total, 2) if total else 0.0,
            "top": self.waits.most_common(8),
        }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_phase(name: str, user_ids: list[int], duration: int, think_ms: float, close_share: float,
              wait_idle: float, processes: int) -> dict[str, Any]:
    from django.db import connections

    from trustline.core import clock

    idle_before = wait_for_quiet(wait_idle) if wait_idle > 0 else cpu_idle()
    since = clock.now()
    connections.close_all()  # no connection may cross the fork
    processes = max(1, min(processes, len(user_ids)))
    shares = [user_ids[i::processes] for i in range(processes)]
    jobs = [(share, float(duration), think_ms, close_share) for share in shares]
    load_before = os.getloadavg()
    global _warmed, _go, _start_at
    context = multiprocessing.get_context("fork")
    _warmed, _go, _start_at = context.Value("i", 0), context.Event(), context.Value("d", 0.0)
    from django.db import connection

    sampler = WaitSampler(database_url(connection.settings_dict))
    with context.Pool(processes=len(jobs)) as pool:
        pending = pool.map_async(process_main, jobs)
        deadline = time.monotonic() + 120
        while _warmed.value < len(user_ids) and time.monotonic() < deadline and not pending.ready():
            time.sleep(0.05)
        time.sleep(0.5)  # let the warm-ups' commits settle
        _start_at.value = time.monotonic()
        _go.set()
        sampler.start()
        results = [r for per_process in pending.get() for r in per_process]
    waits = sampler.summary()
    latencies = [x for r in results for x in r["latencies"]]
    holds = [(r["user"], case_id, got, letting_go) for r in results for case_id, got, letting_go in r["holds"]]
    errors = [e for r in results for e in r["errors"]]
    warmups = sum(r["warmups"] for r in results)
    checks = database_checks(since, len(holds) + warmups)
    ms = [x * 1000 for x in latencies]
    summary = {
        "phase": name,
        "reviewers": len(user_ids),
        "processes": processes,
        "duration_s": duration,
        "think_ms_mean": think_ms,
        "claim_calls": len(latencies),
        "claims": len(holds),
        "warmup_claims": warmups,
        "empty_claims": sum(r["empty"] for r in results),
        "closes": sum(r["closes"] for r in results),
        "claims_per_s": round(len(holds) / duration, 1),
        "claim_calls_per_s": round(len(latencies) / duration, 1),
        "latency_ms": {
            "p50": round(percentile(ms, 0.50), 2), "p90": round(percentile(ms, 0.90), 2),
            "p99": round(percentile(ms, 0.99), 2), "max": round(max(ms, default=0), 2),
            "mean": round(statistics.fmean(ms), 2) if ms else 0,
        },
        "double_assignments_seen_by_clients": client_overlaps(holds),
        **checks,
        "errors": len(errors),
        "first_errors": errors[:3],
        "database_waits": waits,
        "cpu_idle_before": round(idle_before, 2),
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
    }
    return summary


def audit_chain_ok() -> str:
    from django.core.management import call_command

    out = io.StringIO()
    try:
        call_command("audit_verify", stdout=out)
    except SystemExit as exc:  # a failed verification exits non-zero
        return f"FAILED ({exc.code}): {out.getvalue().strip()[-300:]}"
    return out.getvalue().strip().splitlines()[-1] if out.getvalue().strip() else "ok"


def main() -> None:
    args = parse_args()
    database = BenchDatabase(args.pg_url)
    if args.reuse_db:
        database.name, database.url = args.reuse_db, f"{args.pg_url.rpartition('/')[0]}/{args.reuse_db}"
        args.keep = True
    else:
        database.create()
    print(f"database {database.name}", flush=True)
    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "args": vars(args),
    }
    try:
        setup_django(database.url)
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            results["machine"]["postgres"] = cursor.fetchone()[0]
        if args.reuse_db:
            user_ids = reuse(args.close_share)
        else:
            print(f"generating {args.cases:,} open cases…", flush=True)
            results["generate_seconds"] = round(generate_cases(args.cases, args.chunk), 1)
            user_ids = make_reviewers()
        results["open_cases"] = open_cases()
        if args.wait_idle > 0:
            wait_for_quiet(args.wait_idle)
        results["explain"] = explain(user_ids)
        for label, item in results["explain"].items():
            print(f"\nEXPLAIN ANALYZE, {label} ({item['wall_ms']} ms wall):\n{item['plan']}", flush=True)
        phases = []
        for phase in [p.strip() for p in args.phases.split(",") if p.strip()]:
            kind, _, think_given = phase.partition(":")  # e.g. paced:5000 for a 5 s mean think time
            people, think = {"solo": (user_ids[:1], 0.0), "paced": (user_ids, args.think_ms),
                             "saturation": (user_ids, 0.0)}[kind]
            think = float(think_given) if think_given else think
            print(f"\nphase {phase}: {len(people)} reviewer(s), think {think} ms, {args.duration} s…", flush=True)
            summary = run_phase(phase, people, args.duration, think, args.close_share, args.wait_idle,
                                args.processes)
            phases.append(summary)
            print(json.dumps({k: v for k, v in summary.items() if k != "first_errors"}, indent=1), flush=True)
            for error in summary["first_errors"]:
                print(error, flush=True)
        results["phases"] = phases
        results["audit_verify"] = audit_chain_ok()
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            database.drop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"claim-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str), "utf-8")
    print_table(results)
    print(f"\nwritten {path.relative_to(ROOT)}")


def print_table(results: dict[str, Any]) -> None:
    print("\n| phase | reviewers / processes | think (ms) | claims/s | p50 ms | p99 ms | max ms | double assignments "
          "| errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    for p in results.get("phases", []):
        doubles = p["double_assignments_seen_by_clients"] + p["overlapping_assignments"]
        print(f"| {p['phase']} | {p['reviewers']} / {p['processes']} | {p['think_ms_mean']:g} | {p['claims_per_s']} | "
              f"{p['latency_ms']['p50']} | {p['latency_ms']['p99']} | {p['latency_ms']['max']} | {doubles} "
              f"({'checked' if p['claims_match_assignments_and_audit'] else 'COUNTS DIFFER'}) | {p['errors']} |")
    print(f"\naudit chain: {results.get('audit_verify')}; target p99 < {TARGET_P99_MS} ms")


if __name__ == "__main__":
    main()
