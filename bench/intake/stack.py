"""What the intake benchmark runs against: a fresh database and ``trustline serve``.

Kept apart from ``run.py`` (which drives the load and checks the results) so
each piece reads on its own:

- :class:`SqliteDatabase` / :class:`PostgresDatabase`: create a fresh
  database, answer counting queries, drop it.
- :func:`trustline` runs a management command with the benchmark environment
  (``DEBUG=0``, a random ``SECRET_KEY``, the fresh database).
- :class:`Server`: ``trustline serve`` in its own process group, readiness
  through ``/healthz``, a graceful stop (SIGTERM), and the PIDs of its workers.
- :class:`CpuMeter`: CPU seconds used by the server, the database and wrk
  during one measurement, read from ``/proc``, so the results say how the two
  shared cores were split.
"""

from __future__ import annotations

import os
import resource
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

ROOT = Path(__file__).resolve().parents[2]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Database(Protocol):
    kind: str
    url: str

    def create(self) -> None: ...
    def drop(self) -> None: ...
    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
    def column(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...


class SqliteDatabase:
    """A SQLite file in the run's temporary directory (WAL, synchronous=FULL as in production)."""

    kind = "sqlite"

    def __init__(self, workdir: Path) -> None:
        self.path = workdir / "bench.sqlite3"
        self.url = f"sqlite:///{self.path}"

    def create(self) -> None:
        self.path.unlink(missing_ok=True)

    def drop(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def _query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        sql = sql.replace("%s", "?")
        with sqlite3.connect(self.path, timeout=30) as conn:
            return list(conn.execute(sql, tuple(params)).fetchall())

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._query(sql, params)[0][0]

    def column(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return [row[0] for row in self._query(sql, params)]


class PostgresDatabase:
    """A fresh database ``trustline_bench_<random>`` on the server of ``admin_url``, dropped afterwards."""

    kind = "postgres"

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"trustline_bench_{secrets.token_hex(4)}"
        base, _, _ = admin_url.rpartition("/")
        self.url = f"{base}/{self.name}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)  # our own identifier, not user input

    def create(self) -> None:
        self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url) as conn:
            return list(conn.execute(sql, tuple(params)).fetchall())

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._query(sql, params)[0][0]

    def column(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return [row[0] for row in self._query(sql, params)]

    def backend_pids(self) -> set[int]:
        """PIDs of the server processes connected to this database (not our own query's)."""
        return {int(p) for p in self.column(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")}


def postgres_answers(admin_url: str) -> str:
    """Return "" when PostgreSQL accepts a connection at ``admin_url``, else why not."""
    try:
        import psycopg

        with psycopg.connect(admin_url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any failure means "skip PostgreSQL", with the reason
        return f"{exc.__class__.__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    return ""


def bench_env(database: Database, workdir: Path) -> dict[str, str]:
    """The environment of every Trustline process of one run: production settings, fresh data."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TRUSTLINE_", "GUNICORN_"))}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database.url,
        TRUSTLINE_DATA_DIR=str(workdir / "data"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def trustline(env: dict[str, str], *args: str) -> str:
    """Run ``trustline <args>`` (this interpreter's installation) and return its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "trustline.manage", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"trustline {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``trustline serve`` on a free loopback port, in its own process group."""

    def __init__(self, env: dict[str, str], log_path: Path, serve_args: Sequence[str]) -> None:
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.serve_args = list(serve_args)
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, ready_timeout: float = 90) -> None:
        self._log = self.log_path.open("ab")
        command = [sys.executable, "-m", "trustline.manage", "serve", "--bind", f"127.0.0.1:{self.port}",
                   *self.serve_args]
        self.proc = subprocess.Popen(
            command, env=self.env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"trustline serve exited ({self.proc.returncode}); see {self.log_path}")
            if self.healthy():
                return
            time.sleep(0.25)
        raise RuntimeError(f"trustline serve not ready after {ready_timeout:.0f}s; see {self.log_path}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def pids(self) -> list[int]:
        """The master (``serve`` execs gunicorn, so it keeps our child's PID) and its workers."""
        if self.proc is None:
            return []
        return [self.proc.pid, *children_of(self.proc.pid)]

    def stop(self) -> None:
        """SIGTERM (gunicorn's graceful stop), then SIGKILL the whole group if it lingers."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _cpu_by_process() -> dict[int, tuple[str, int, float]]:
    """pid -> (command name, process group, CPU seconds) for every process we can read."""
    result: dict[int, tuple[str, int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1: stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        # fields[0] is state (stat field 3): utime is field 14, stime 15, pgrp 5.
        cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        result[int(entry.name)] = (name, int(fields[2]), cpu)
    return result


class CpuMeter:
    """CPU seconds between start() and stop(): the server's process group, our database's backends, wrk,
    and everything else on the machine (``other``: whatever else runs, e.g. someone's test suite).

    ``db_pids`` names the PostgreSQL backends serving the benchmark database
    (persistent connections, so the same PIDs throughout); other databases on
    the same PostgreSQL count as ``other``. ``other`` is the machine's busy
    time from ``/proc/stat`` minus ours, so short-lived processes count too.
    """

    def __init__(self, server_group: int, db_pids: Callable[[], set[int]] | None = None) -> None:
        self.server_group = server_group
        self.db_pids = db_pids
        self.before: dict[int, tuple[str, int, float]] = {}
        self.children_before = 0.0
        self.machine_before = 0.0
        self.self_before = 0.0
        self.started = 0.0

    @staticmethod
    def _children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    @staticmethod
    def _machine_busy() -> float:
        total, idle = _cpu_jiffies()
        return (total - idle) / CLOCK_TICKS

    def _self_cpu(self) -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def start(self) -> None:
        self.before = _cpu_by_process()
        self.children_before = self._children_cpu()
        self.self_before = self._self_cpu()
        self.machine_before = self._machine_busy()
        self.started = time.monotonic()

    def stop(self) -> dict[str, float]:
        after = _cpu_by_process()
        machine = self._machine_busy() - self.machine_before
        wall = time.monotonic() - self.started
        db_pids = self.db_pids() if self.db_pids is not None else set()
        totals = {"server": 0.0, "postgres": 0.0}
        for pid, (_name, group, cpu) in after.items():
            used = cpu - self.before[pid][2] if pid in self.before else cpu
            if group == self.server_group:
                totals["server"] += used
            elif pid in db_pids:
                totals["postgres"] += used
        # wrk has exited by now: its CPU shows up in our children's rusage.
        totals["wrk"] = self._children_cpu() - self.children_before
        ours = sum(totals.values()) + self._self_cpu() - self.self_before
        totals["other"] = max(0.0, machine - ours)
        totals["wall"] = wall
        totals["machine_busy_pct"] = 100 * machine / (wall * (os.cpu_count() or 1)) if wall else 0.0
        return {k: round(v, 2) for k, v in totals.items()}


def wait_until_stable(count: Callable[[], int], settle: float = 0.5, limit: float = 15) -> int:
    """Poll ``count()`` until it stops changing (in-flight requests finishing after wrk stopped)."""
    deadline = time.monotonic() + limit
    last = count()
    while time.monotonic() < deadline:
        time.sleep(settle)
        now = count()
        if now == last:
            return int(now)
        last = now
    return int(last)


def _cpu_jiffies() -> tuple[int, int]:
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields[:8]), idle


def wait_for_quiet(limit: float, threshold: float = 0.85, window: float = 2.0) -> float:
    """Wait (at most ``limit`` s) until the machine is ≥ threshold idle over ``window``; return the idle share.

    The benchmark shares the machine with whatever else runs (other people's
    test suites, say); starting a measurement in a quiet moment keeps the
    figures about Trustline. What others used *during* the run is reported
    as ``cpu.other`` either way.
    """
    deadline = time.monotonic() + limit
    while True:
        total0, idle0 = _cpu_jiffies()
        time.sleep(window)
        total1, idle1 = _cpu_jiffies()
        share = (idle1 - idle0) / max(1, total1 - total0)
        if share >= threshold or time.monotonic() >= deadline:
            return round(share, 2)
