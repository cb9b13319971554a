"""An acknowledged report survives the server being killed (``kill -9``) right after its 201.

This runs the real production stack: gunicorn with two worker processes on
its own fresh database (a temporary SQLite file, or a throw-away PostgreSQL
database when the suite runs on PostgreSQL), set up with the same commands an
operator uses (``migrate``, ``partner_create``, ``apikey_create``). Twenty
reports are posted one after another; straight after the last 201 the whole
process group (master and workers) gets SIGKILL, with no chance to flush
anything. Then the database is opened directly, without Django, and every
acknowledged report and item must be there.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection

pytestmark = pytest.mark.slow

REPORTS = 20


@dataclass(frozen=True)
class Database:
    url: str
    vendor: str
    sqlite_path: Path | None = None
    pg_conninfo: str = ""


def _pg_server_conninfo(dbname: str) -> str:
    """Connection string for ``dbname`` on the server the suite itself uses."""
    settings = connection.settings_dict
    parts = {
        "host": settings.get("HOST") or "127.0.0.1",
        "port": str(settings.get("PORT") or 5432),
        "user": settings.get("USER") or "postgres",
        "dbname": dbname,
    }
    if settings.get("PASSWORD"):
        parts["password"] = settings["PASSWORD"]
    return " ".join(f"{k}={v}" for k, v in parts.items())


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[Database]:
    if connection.vendor == "postgresql":
        name = f"trustline_durability_{uuid.uuid4().hex[:12]}"
        admin = _pg_server_conninfo("postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        settings = connection.settings_dict
        auth = settings.get("USER") or "postgres"
        if settings.get("PASSWORD"):
            auth += f":{settings['PASSWORD']}"
        host = settings.get("HOST") or "127.0.0.1"
        port = settings.get("PORT") or 5432
        try:
            yield Database(f"postgres://{auth}@{host}:{port}/{name}", "postgresql",
                           pg_conninfo=_pg_server_conninfo(name))
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path / "durability.sqlite3"
        yield Database(f"sqlite:///{path}", "sqlite", sqlite_path=path)


def _environment(database: Database, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "TRUSTLINE_", "GUNICORN"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "trustline.settings",
        "DATABASE_URL": database.url,
        "TRUSTLINE_DATA_DIR": str(data_dir),
        "MEDIA_ROOT": str(data_dir / "media"),
        "DEBUG": "1",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "trustline.manage", *args], env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"trustline {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout.strip()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _request(url: str, body: dict[str, Any] | None = None, key: str = "") -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET")  # noqa: S310
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own local server
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@contextlib.contextmanager
def _gunicorn(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "trustline.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "2"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            yield server
        finally:
            if server.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def _wait_until_up(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, f"gunicorn exited early:\n{log.read_text(errors='replace')}"
        with contextlib.suppress(OSError, ValueError):
            status, _ = _request(f"{base}/healthz")
            if status == 200:
                return
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer /healthz within 60 s:\n{log.read_text(errors='replace')}")


def _stored(database: Database, report_ids: list[str], item_ids: list[str]) -> tuple[set[str], set[str]]:
    """Read report and item ids straight from the database file or server, without Django."""
    if database.vendor == "sqlite":
        assert database.sqlite_path is not None
        conn = sqlite3.connect(database.sqlite_path)
        try:
            reports = {uuid.UUID(r).hex for r in report_ids}
            found_reports = {row[0] for row in conn.execute("SELECT id FROM intake_report")} & reports
            found_items = {row[0] for row in conn.execute("SELECT id FROM intake_reportitem")}
        finally:
            conn.close()
        return ({str(uuid.UUID(r)) for r in found_reports},
                {str(uuid.UUID(i)) for i in found_items} & set(item_ids))
    with psycopg.connect(database.pg_conninfo) as pg:
        found_reports = {str(row[0]) for row in pg.execute("SELECT id FROM intake_report")}
        found_items = {str(row[0]) for row in pg.execute("SELECT id FROM intake_reportitem")}
    return found_reports & set(report_ids), found_items & set(item_ids)


def test_acknowledged_reports_survive_kill_9_right_after_the_201(fresh_database: Database, tmp_path: Path):
    env = _environment(fresh_database, tmp_path / "data")
    _manage(env, "migrate", "--noinput", "-v", "0")
    slug = _manage(env, "partner_create", "--name", "Sudan Durability Desk", "--country", "SD", "--languages", "ar")
    key = _manage(env, "apikey_create", "--org", slug)
    assert key.startswith("tl_") and "\n" not in key
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"

    report_ids: list[str] = []
    item_ids: list[str] = []
    with _gunicorn(env, port, log) as server:
        _wait_until_up(base, server, log)
        for n in range(REPORTS):
            status, body = _request(f"{base}/api/v1/reports", {
                "items": [{"url": f"https://kite.example/posts/durable-{n}", "kind": "post"}],
                "category": "threat_to_life",
                "explanation": "Names a displaced family and says where they sleep tonight.",
                "country": "SD",
                "bona_fide": True,
            }, key=key)
            if n == REPORTS - 1 and status == 201:
                os.killpg(server.pid, signal.SIGKILL)  # master and both workers, no clean shutdown
            assert status == 201, body
            report_ids.append(body["id"])
            item_ids.append(body["items"][0]["id"])
        server.wait(timeout=10)
        assert server.returncode == -signal.SIGKILL

    found_reports, found_items = _stored(fresh_database, report_ids, item_ids)

    assert found_reports == set(report_ids)
    assert found_items == set(item_ids)
