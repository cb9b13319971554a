"""``trustline up``: the command behind ``make run`` starts everything and stops everything."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def wait_healthy(url: str, process: subprocess.Popen[str], seconds: float) -> bool:
    """Wait until /healthz answers *and* ``up`` has announced it (it polls on its own 0.2 s tick)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - http on loopback
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def test_it_serves_with_a_worker_and_sigterm_stops_every_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["TRUSTLINE_DATA_DIR"] = str(tmp_path)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "trustline.manage", "up", "--bind", f"127.0.0.1:{port}", "--no-demo"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    lines: list[str] = []
    announced = threading.Event()

    def read_output() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "Trustline is running at" in line:
                announced.set()

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    try:
        healthy = wait_healthy(f"http://127.0.0.1:{port}/healthz", process, seconds=120)
        # up polls /healthz on its own tick and then announces the URL; wait for that, not for our poll.
        announced.wait(timeout=60)
        kids = children_of(process.pid)
        commands = [Path(f"/proc/{k}/cmdline").read_text().replace("\0", " ") for k in kids]

        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        reader.join(timeout=10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    output = "".join(lines)

    assert healthy, output
    assert any("gunicorn trustline.wsgi:application" in c for c in commands), commands
    assert any(" db_worker " in c for c in commands), commands
    assert process.returncode == 0, output
    assert "Trustline is running at" in output
    time.sleep(0.5)
    assert [k for k in kids if alive(k)] == []
    assert (tmp_path / "trustline.sqlite3").exists()
    assert (tmp_path / "static").is_dir()
