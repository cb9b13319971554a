"""The intake benchmark: the real HTTP stack under concurrent partners, on SQLite and PostgreSQL.

Usage::

    .venv/bin/python bench/intake/run.py [--db sqlite|postgres|both] [--duration 20] [--clients 32]

For each database:

1. Create a fresh database (a SQLite file in a temporary directory, or
   ``trustline_bench_<random>`` on PostgreSQL, dropped afterwards), migrate,
   create a partner and an API key with the CLI (``partner_create``,
   ``apikey_create``).
2. Start ``trustline serve`` (the production server command, default worker
   settings unless told otherwise) with ``DEBUG=0`` on a free loopback port
   and wait for ``/healthz``. Warm it up.
3. Drive it with wrk (``-t2 -c32 --latency``): single-item reports with a
   unique URL each; the same with 10% of reports on 100 "hot" URLs (the
   deduplication path); then ``GET /api/v1/ping``, the ceiling of this server
   configuration. Then bulk: CSV files of 10,000 rows posted to
   ``/api/v1/reports/bulk`` one after another, and from 2 clients at once.
4. Check correctness after every run: every acknowledged report id is in the
   database, the stored count equals the 2xx count (plus at most one request
   per connection still in flight when wrk stopped), no non-2xx answer; at the
   end, no key has two open cases, the case counters add up to the stored
   items, and ``trustline audit_verify`` accepts the hash chain.

Prints a table and writes ``bench/results/intake-<timestamp>.json``. The
machine's cores are shared by wrk, the server and the database: read the
``cpu`` figures in the JSON before blaming any one of them.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pyspy_top import summarise as summarise_profile
from stack import (
    ROOT,
    CpuMeter,
    Database,
    PostgresDatabase,
    Server,
    SqliteDatabase,
    bench_env,
    postgres_answers,
    trustline,
    wait_for_quiet,
    wait_until_stable,
)

HERE = Path(__file__).resolve().parent
RESULTS = ROOT / "bench" / "results"
TARGETS = {"reports_per_s": 1000, "p99_ms": 100, "fraction_of_ceiling": 1 / 3, "bulk_items_per_s": 10_000}
WARMUP_SECONDS = 3


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run (default %(default)s)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections (default %(default)s)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default %(default)s)")
    parser.add_argument("--dup-rate", type=float, default=0.1,
                        help="share of reports on hot URLs in the dedup run (default %(default)s)")
    parser.add_argument("--hot-urls", type=int, default=100, help="distinct hot URLs (default %(default)s)")
    parser.add_argument("--bulk-rows", type=int, default=10_000, help="rows per CSV file (default %(default)s)")
    parser.add_argument("--bulk-files", type=int, default=3, help="sequential uploads (default %(default)s)")
    parser.add_argument("--bulk-clients", type=int, default=2, help="concurrent uploaders (default %(default)s)")
    parser.add_argument("--skip-bulk", action="store_true")
    parser.add_argument("--workers", type=int, help="trustline serve --workers (default: its own default)")
    parser.add_argument("--threads", type=int, help="trustline serve --threads")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], help="trustline serve --worker-class")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
                        help="a PostgreSQL database to connect to for CREATE/DROP DATABASE (default %(default)s)")
    parser.add_argument("--py-spy", action="store_true",
                        help="after the measurements, profile the workers with py-spy during one more report run")
    parser.add_argument("--phases", default="unique,dup,ping,bulk",
                        help="what to measure, comma-separated (default %(default)s)")
    parser.add_argument("--wait-idle", type=float, default=60,
                        help="before each measurement wait up to this many seconds for the machine to be "
                             "85%% idle (others' jobs skew the figures); 0 disables (default %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, CSV files)")
    return parser.parse_args()


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing the Debian package (apt-get install wrk)…", flush=True)

        def apt(*words: str) -> int:
            return subprocess.run(["apt-get", *words], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, check=False).returncode

        if apt("install", "-y", "-qq", "wrk") != 0:
            apt("update", "-qq")
            apt("install", "-y", "-qq", "wrk")
        found = shutil.which("wrk")
        if found:
            return found
    sys.exit("wrk is required: install it (Debian/Ubuntu: sudo apt-get install wrk; macOS: brew install wrk).")


def serve_args(args: argparse.Namespace) -> list[str]:
    extra: list[str] = []
    if args.workers:
        extra += ["--workers", str(args.workers)]
    if args.threads:
        extra += ["--threads", str(args.threads)]
    if args.worker_class:
        extra += ["--worker-class", args.worker_class]
    return extra


class Run:
    """One database's benchmark: the server, the key, the wrk runs and their checks."""

    def __init__(self, args: argparse.Namespace, db: Database, workdir: Path, csv_files: list[Path]) -> None:
        self.args = args
        self.db = db
        self.workdir = workdir
        self.csv_files = csv_files
        self.env = bench_env(db, workdir)
        self.server = Server(self.env, workdir / f"serve-{db.kind}.log", serve_args(args))
        self.key = ""
        self.problems: list[str] = []

    # --- set-up -------------------------------------------------------------
    def prepare(self) -> None:
        print(f"[{self.db.kind}] fresh database, migrate, partner and key…", flush=True)
        self.db.create()
        trustline(self.env, "migrate", "--noinput", "-v", "0")
        slug = trustline(self.env, "partner_create", "--name", "Bench Partner", "--country", "FR",
                         "--languages", "fr,en").strip().splitlines()[-1]
        self.key = trustline(self.env, "apikey_create", "--org", slug).strip().splitlines()[-1]
        self.server.start()
        print(f"[{self.db.kind}] serving on {self.server.url} (pid {self.server.pids()[0]}, "
              f"{len(self.server.pids()) - 1} workers)", flush=True)

    def meter(self) -> CpuMeter:
        pids = getattr(self.db, "backend_pids", None)
        return CpuMeter(self.server.pids()[0], pids)

    def quiet(self) -> float | None:
        return wait_for_quiet(self.args.wait_idle) if self.args.wait_idle > 0 else None

    # --- wrk ------------------------------------------------------------------
    def wrk(self, name: str, script: str, path: str, duration: int, extra_env: dict[str, str]) -> dict[str, Any]:
        out = self.workdir / f"{self.db.kind}-{name}.json"
        ids = self.workdir / f"{self.db.kind}-{name}.ids"
        env = {**os.environ, "BENCH_LUA_DIR": str(HERE), "BENCH_OUT": str(out), "BENCH_IDS": str(ids),
               "BENCH_KEY": self.key, "BENCH_RUN": f"{name}-{uuid.uuid4().hex[:8]}", **extra_env}
        command = ["wrk", f"-t{self.args.wrk_threads}", f"-c{self.args.clients}", f"-d{duration}s", "--latency",
                   "--timeout", "10s", "-s", str(HERE / script), f"{self.server.url}{path}"]
        done = subprocess.run(command, env=env, capture_output=True, text=True,
                              timeout=duration + 120, check=False)
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        result: dict[str, Any] = json.loads(out.read_text())
        result["acked_ids"] = [line for line in ids.read_text().split() if line] if ids.exists() else []
        return result

    def count_reports(self) -> int:
        return int(self.db.scalar("SELECT count(*) FROM intake_report"))

    def count_items(self) -> int:
        return int(self.db.scalar("SELECT count(*) FROM intake_reportitem"))

    def stored_ids(self) -> set[str]:
        return {str(v).replace("-", "").lower() for v in self.db.column("SELECT id FROM intake_report")}

    def single(self, name: str, dup_rate: float, duration: int | None = None) -> dict[str, Any]:
        """Single-item reports at ``--clients`` connections; checks what was acknowledged was stored."""
        duration = duration or self.args.duration
        idle_before = self.quiet() if not name.startswith(("warmup", "profiled")) else None
        before = self.count_reports()
        meter = self.meter()
        meter.start()
        raw = self.wrk(name, "report.lua", "/api/v1/reports", duration,
                       {"BENCH_DUP_RATE": str(dup_rate), "BENCH_HOT_URLS": str(self.args.hot_urls)})
        cpu = meter.stop()
        stored = wait_until_stable(self.count_reports) - before
        result = summarise_wrk(raw)
        acked = {i.replace("-", "").lower() for i in raw["acked_ids"]}
        missing = len(acked - self.stored_ids())
        in_flight = stored - result["ok"]
        result.update(stored=stored, acked_ids=len(acked), acked_missing=missing, in_flight_at_stop=in_flight,
                      dup_rate=dup_rate, cpu=cpu, idle_before=idle_before,
                      cpu_per_report=cpu_cost(cpu, result["ok"]))
        checks = []
        if missing:
            checks.append(f"{missing} acknowledged reports are NOT in the database")
        if len(acked) != result["ok"]:
            checks.append(f"{result['ok']} 2xx answers but {len(acked)} report ids read from them")
        if not 0 <= in_flight <= self.args.clients:
            checks.append(f"stored {stored} reports for {result['ok']} 2xx answers")
        if result["non_2xx"] or result["socket_errors"]:
            checks.append(f"{result['non_2xx']} non-2xx answers, {result['socket_errors']} socket errors")
        result["check"] = "ok" if not checks else "; ".join(checks)
        self.problems += [f"{self.db.kind} {name}: {c}" for c in checks]
        return result

    def ceiling(self) -> dict[str, Any]:
        idle_before = self.quiet()
        meter = self.meter()
        meter.start()
        result = summarise_wrk(self.wrk("ping", "ping.lua", "/api/v1/ping", self.args.duration, {}))
        result["cpu"] = meter.stop()
        result["idle_before"] = idle_before
        result["cpu_per_request"] = cpu_cost(result["cpu"], result["ok"])
        if result["non_2xx"] or result["socket_errors"]:
            self.problems.append(f"{self.db.kind} ping: {result['non_2xx']} non-2xx, "
                                 f"{result['socket_errors']} socket errors")
        return result

    # --- bulk -----------------------------------------------------------------
    def upload(self, path: Path) -> tuple[float, dict[str, Any], int]:
        boundary = uuid.uuid4().hex
        body = b"".join([
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: text/csv\r\n\r\n".encode(),
            path.read_bytes(),
            f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"all_or_nothing\"\r\n\r\nfalse\r\n"
            f"--{boundary}--\r\n".encode(),
        ])
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=600)
        started = time.perf_counter()
        conn.request("POST", "/api/v1/reports/bulk", body=body, headers={
            "Authorization": f"Bearer {self.key}", "Content-Type": f"multipart/form-data; boundary={boundary}",
        })
        response = conn.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - started
        conn.close()
        try:
            data = json.loads(payload)
        except ValueError:
            data = {"message": payload[:500].decode(errors="replace")}
        return elapsed, data, response.status

    def bulk(self, files: list[Path], clients: int) -> dict[str, Any]:
        idle_before = self.quiet()
        before = self.count_items()
        meter = self.meter()
        meter.start()
        started = time.perf_counter()
        per_client = [files[i::clients] for i in range(clients)]

        def client(paths: list[Path]) -> list[tuple[float, dict[str, Any], int]]:
            return [self.upload(p) for p in paths]

        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            outcomes = [o for chunk in pool.map(client, per_client) for o in chunk]
        wall = time.perf_counter() - started
        cpu = meter.stop()
        stored = wait_until_stable(self.count_items) - before
        accepted = sum(int(d.get("accepted_rows", 0)) for _, d, _ in outcomes)
        rows = sum(int(d.get("rows", 0)) for _, d, _ in outcomes)
        bad = [f"HTTP {s}: {d.get('message', '')}" for _, d, s in outcomes if s != 200]
        bad += [f"{len(d['errors'])} rejected rows" for _, d, s in outcomes if s == 200 and d.get("errors")]
        if stored != accepted:
            bad.append(f"{accepted} rows accepted but {stored} items stored")
        if accepted != len(files) * self.args.bulk_rows:
            bad.append(f"{accepted} of {len(files) * self.args.bulk_rows} rows accepted")
        self.problems += [f"{self.db.kind} bulk x{clients}: {b}" for b in bad]
        return {
            "clients": clients, "files": len(files), "rows": rows, "accepted": accepted, "stored_items": stored,
            "wall_s": round(wall, 3), "upload_s": [round(t, 3) for t, _, _ in outcomes],
            "items_per_s": round(accepted / wall, 1) if wall else 0.0, "cpu": cpu, "idle_before": idle_before,
            "cpu_per_item": cpu_cost(cpu, accepted),
            "check": "ok" if not bad else "; ".join(bad),
        }

    # --- end checks -----------------------------------------------------------
    def invariants(self) -> dict[str, Any]:
        dup_open = int(self.db.scalar(
            "SELECT count(*) FROM (SELECT key_hash FROM cases_case WHERE is_open "
            "GROUP BY key_hash HAVING count(*) > 1) d"))
        case_items = int(self.db.scalar("SELECT coalesce(sum(item_count), 0) FROM cases_case"))
        items = self.count_items()
        reports = self.count_reports()
        audited = int(self.db.scalar("SELECT count(*) FROM audit_auditentry WHERE action = %s",
                                     ["report.submitted"]))
        verify = subprocess.run(
            [sys.executable, "-m", "trustline.manage", "audit_verify"], env=self.env, cwd=ROOT,
            capture_output=True, text=True, timeout=600, check=False)
        result = {
            "reports": reports, "items": items, "cases": int(self.db.scalar("SELECT count(*) FROM cases_case")),
            "keys_with_two_open_cases": dup_open, "case_item_count_sum": case_items,
            "report_audit_entries": audited,
            "audit_verify": "ok" if verify.returncode == 0 else (verify.stdout + verify.stderr).strip()[-500:],
        }
        bad = []
        if dup_open:
            bad.append(f"{dup_open} keys with two open cases")
        if case_items != items:
            bad.append(f"case counters say {case_items} items, {items} stored")
        if audited != reports:
            bad.append(f"{audited} report.submitted audit entries for {reports} reports")
        if verify.returncode != 0:
            bad.append("audit_verify failed")
        self.problems += [f"{self.db.kind} end: {b}" for b in bad]
        result["check"] = "ok" if not bad else "; ".join(bad)
        return result

    def profile(self) -> dict[str, Any]:
        """One more unique-report run with py-spy attached to every worker (figures not representative)."""
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if not Path(py_spy).exists():
            return {"error": "py-spy is not installed (.venv/bin/pip install py-spy)"}
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        raw_path = RESULTS / f"pyspy-{self.db.kind}-{stamp}.txt"
        spy = subprocess.Popen(
            [py_spy, "record", "--pid", str(self.server.pids()[0]), "--subprocesses", "--rate", "200",
             "--duration", str(self.args.duration), "--format", "raw", "--output", str(raw_path), "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
        run = self.single("profiled", 0.0, duration=self.args.duration - 2)
        spy.wait(timeout=120)
        return {"raw": str(raw_path.relative_to(ROOT)), "reports_per_s_under_profiler": run["reports_per_s"],
                **summarise_profile(raw_path)}

    def execute(self) -> dict[str, Any]:
        self.prepare()
        print(f"[{self.db.kind}] warm-up ({WARMUP_SECONDS}s)…", flush=True)
        self.wrk("warmup-ping", "ping.lua", "/api/v1/ping", WARMUP_SECONDS, {})
        self.single("warmup", 0.0, duration=WARMUP_SECONDS)
        results: dict[str, Any] = {"server": self.server.serve_args, "url": self.server.url}
        phases = set(self.args.phases.split(","))
        if "unique" in phases:
            print(f"[{self.db.kind}] single-item reports, unique URLs ({self.args.duration}s)…", flush=True)
            results["single_unique"] = self.single("unique", 0.0)
        if "dup" in phases:
            print(f"[{self.db.kind}] single-item reports, {self.args.dup_rate:.0%} on hot URLs…", flush=True)
            results["single_dup"] = self.single("dup", self.args.dup_rate)
        if "ping" in phases:
            print(f"[{self.db.kind}] ceiling: GET /api/v1/ping…", flush=True)
            results["ceiling"] = self.ceiling()
        if "unique" in phases and "ping" in phases:
            results["fraction_of_ceiling"] = round(
                results["single_unique"]["reports_per_s"] / max(results["ceiling"]["reports_per_s"], 1e-9), 3)
        if "bulk" in phases and not self.args.skip_bulk:
            n = self.args.bulk_files
            print(f"[{self.db.kind}] bulk: {n} × {self.args.bulk_rows} rows, sequential…", flush=True)
            results["bulk_sequential"] = self.bulk(self.csv_files[:n], 1)
            k = self.args.bulk_clients
            print(f"[{self.db.kind}] bulk: {2 * k} files from {k} clients at once…", flush=True)
            results["bulk_concurrent"] = self.bulk(self.csv_files[n: n + 2 * k], k)
        results["end"] = self.invariants()
        if self.args.py_spy:
            print(f"[{self.db.kind}] profiling with py-spy…", flush=True)
            results["profile"] = self.profile()
        results["problems"] = [p for p in self.problems if p.startswith(self.db.kind)]
        return results


def cpu_cost(cpu: dict[str, float], done: int) -> dict[str, float]:
    """CPU milliseconds per successful request, by party, and what 2 idle cores could do at that cost.

    Robust to other jobs on the machine (they slow the clock, not our CPU
    bill), so it is the figure to compare configurations with.
    """
    if not done:
        return {}
    cost = {f"{k}_ms": round(1000 * cpu[k] / done, 3) for k in ("server", "postgres", "wrk")}
    total = sum(cost.values())
    cost["cpu_bound_per_s"] = round(1000 * (os.cpu_count() or 1) / total, 1) if total else 0.0
    return cost


def summarise_wrk(raw: dict[str, Any]) -> dict[str, Any]:
    seconds = raw["duration_us"] / 1e6
    ok = sum(n for status, n in raw["statuses"].items() if 200 <= int(status) < 300)
    errors = raw["errors"]
    lat = raw["latency_us"]
    return {
        "seconds": round(seconds, 2), "requests": raw["requests"], "ok": ok,
        "non_2xx": raw["requests"] - ok, "statuses": raw["statuses"],
        "socket_errors": errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        "reports_per_s": round(ok / seconds, 1) if seconds else 0.0,
        "p50_ms": round(lat["p50"] / 1000, 1), "p90_ms": round(lat["p90"] / 1000, 1),
        "p99_ms": round(lat["p99"] / 1000, 1), "max_ms": round(lat["max"] / 1000, 1),
    }


def write_csv_files(directory: Path, count: int, rows: int) -> list[Path]:
    """``count`` CSV files of ``rows`` rows, every URL unique; each row is a single-item report."""
    header = "url,kind,category,explanation,country,language,bona_fide\n"
    explanation = '"Impersonation of a journalist, used to spread fabricated quotes, ""verified"" badge copied"'
    files = []
    for index in range(count):
        path = directory / f"bulk-{index}.csv"
        lines = [header]
        lines += [f"https://social.example/bulk/{index}/posts/{row},post,impersonation,{explanation},KE,sw,true\n"
                  for row in range(rows)]
        path.write_text("".join(lines), encoding="utf-8")
        files.append(path)
    return files


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError, StopIteration):
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    return {"cpus": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
            "platform": platform.platform(), "memory_gb": round(os.sysconf("SC_PAGE_SIZE")
                                                                 * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}


def fmt(value: Any, spec: str = ",.0f") -> str:
    return "—" if value is None else format(value, spec)


def cost_cell(cost: dict[str, float], wrk: bool = True) -> str:
    parts = [cost["server_ms"], cost["postgres_ms"]] + ([cost["wrk_ms"]] if wrk else [])
    return "+".join(f"{p:.2f}" for p in parts)


def print_table(results: dict[str, Any]) -> None:
    dbs = list(results)
    rows: list[tuple[str, ...]] = []

    def add(label: str, fn: Any) -> None:
        cells = []
        for db in dbs:
            try:
                cells.append(fn(results[db]))
            except (KeyError, TypeError):
                cells.append("—")
        rows.append((label, *cells))

    add("single reports/s (unique URLs)", lambda r: fmt(r["single_unique"]["reports_per_s"]))
    add("  p50 / p99 latency (ms)", lambda r: f"{r['single_unique']['p50_ms']} / {r['single_unique']['p99_ms']}")
    add("  non-2xx / socket errors", lambda r: f"{r['single_unique']['non_2xx']} / "
                                              f"{r['single_unique']['socket_errors']}")
    add("  CPU ms/report: server+db+wrk", lambda r: cost_cell(r["single_unique"]["cpu_per_report"]))
    add("  2 idle cores could do (/s)", lambda r: fmt(r["single_unique"]["cpu_per_report"]["cpu_bound_per_s"]))
    rate = next((r["single_dup"]["dup_rate"] for r in results.values() if "single_dup" in r), 0.1)
    add(f"single reports/s ({rate:.0%} hot URLs)", lambda r: fmt(r["single_dup"]["reports_per_s"]))
    add("  p50 / p99 latency (ms)", lambda r: f"{r['single_dup']['p50_ms']} / {r['single_dup']['p99_ms']}")
    add("  non-2xx / socket errors", lambda r: f"{r['single_dup']['non_2xx']} / {r['single_dup']['socket_errors']}")
    add("  CPU ms/report: server+db+wrk", lambda r: cost_cell(r["single_dup"]["cpu_per_report"]))
    add("ceiling GET /api/v1/ping req/s", lambda r: fmt(r["ceiling"]["reports_per_s"]))
    add("  p50 / p99 latency (ms)", lambda r: f"{r['ceiling']['p50_ms']} / {r['ceiling']['p99_ms']}")
    add("  CPU ms/request: server+db+wrk", lambda r: cost_cell(r["ceiling"]["cpu_per_request"]))
    add("  2 idle cores could do (/s)", lambda r: fmt(r["ceiling"]["cpu_per_request"]["cpu_bound_per_s"]))
    add("reports/s as fraction of ceiling", lambda r: f"{r['fraction_of_ceiling']:.2f}")
    add("bulk items/s (1 client)", lambda r: fmt(r["bulk_sequential"]["items_per_s"]))
    add("  CPU ms/item: server+db", lambda r: cost_cell(r["bulk_sequential"]["cpu_per_item"], wrk=False))
    add("bulk items/s (2 clients)", lambda r: fmt(r["bulk_concurrent"]["items_per_s"]))
    add("others' CPU during the runs (s)", lambda r: fmt(sum(
        v["cpu"]["other"] for v in r.values() if isinstance(v, dict) and "cpu" in v), ",.1f"))
    add("  of the run time (cores)", lambda r: "{:.2f}".format(sum(
        v["cpu"]["other"] for v in r.values() if isinstance(v, dict) and "cpu" in v) / sum(
        v["cpu"]["wall"] for v in r.values() if isinstance(v, dict) and "cpu" in v)))
    add("correctness checks", lambda r: "ok" if not r["problems"] else f"{len(r['problems'])} FAILED")
    width = max(len(r[0]) for r in rows)
    print()
    print(" " * width + "".join(f"{db:>18}" for db in dbs))
    for row in rows:
        print(f"{row[0]:<{width}}" + "".join(f"{c:>18}" for c in row[1:]))
    print()


def main() -> int:
    args = parse_args()
    ensure_wrk()
    RESULTS.mkdir(parents=True, exist_ok=True)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in kinds:
        why = postgres_answers(args.pg_url)
        if why:
            print(f"PostgreSQL at {args.pg_url} does not answer ({why}); skipping it.", file=sys.stderr)
            kinds.remove("postgres")
            if not kinds:
                return 2
    started = dt.datetime.now(dt.UTC)
    workdir = Path(tempfile.mkdtemp(prefix="trustline-bench-"))
    serve_cmd = trustline({**os.environ, "DEBUG": "1"}, "serve", "--print", "--bind", "127.0.0.1:PORT",
                          *serve_args(args)).strip()
    report: dict[str, Any] = {
        "started_at": started.isoformat(), "machine": machine(), "targets": TARGETS,
        "config": {"duration_s": args.duration, "clients": args.clients, "wrk_threads": args.wrk_threads,
                   "dup_rate": args.dup_rate, "hot_urls": args.hot_urls, "bulk_rows": args.bulk_rows,
                   "serve": serve_cmd},
        "databases": {},
    }
    print(f"server: {serve_cmd}\nwrk: -t{args.wrk_threads} -c{args.clients} -d{args.duration}s --latency")
    need_bulk = "bulk" in args.phases.split(",") and not args.skip_bulk
    csv_files = [] if not need_bulk else write_csv_files(workdir, args.bulk_files + 2 * args.bulk_clients,
                                                          args.bulk_rows)
    problems: list[str] = []
    try:
        for kind in kinds:
            db: Database = SqliteDatabase(workdir) if kind == "sqlite" else PostgresDatabase(args.pg_url)
            run = Run(args, db, workdir, csv_files)
            try:
                report["databases"][kind] = run.execute()
                if kind == "postgres":
                    report["databases"][kind]["server_version"] = db.scalar("SHOW server_version")
            finally:
                run.server.stop()
                db.drop()
            problems += run.problems
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print_table(report["databases"])
    pg = report["databases"].get("postgres")
    if pg and {"single_unique", "ceiling", "bulk_sequential"} <= set(pg):
        verdicts = {
            "reports_per_s": pg["single_unique"]["reports_per_s"] >= TARGETS["reports_per_s"],
            "p99_ms": pg["single_unique"]["p99_ms"] < TARGETS["p99_ms"],
            "fraction_of_ceiling": pg["fraction_of_ceiling"] >= TARGETS["fraction_of_ceiling"],
            "bulk_items_per_s": pg.get("bulk_sequential", {}).get("items_per_s", 0) >= TARGETS["bulk_items_per_s"],
        }
        report["targets_met_postgres"] = verdicts
        print("targets (PostgreSQL): " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in verdicts.items()))
    report["problems"] = problems
    out = RESULTS / f"intake-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"results: {out.relative_to(ROOT)}")
    for problem in problems:
        print(f"CHECK FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
