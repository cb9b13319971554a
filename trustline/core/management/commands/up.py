"""``trustline up``: everything a first-time user needs, in one foreground command.

1. Create the data directory, migrate, collect static files.
2. Load the demo programme if the database has no organisation yet.
3. Start the background worker (``trustline db_worker``), the web server
   (``trustline serve``) and, where it exists, the periodic-job scheduler
   (``trustline scheduler``) as child processes, each in its own process
   group so a Ctrl-C in the terminal reaches them once, through us, not twice.
4. Forward SIGINT/SIGTERM to them; when any child dies, stop the others and
   exit with the dead child's status. The children also get SIGTERM if this
   process is killed outright (Linux ``PR_SET_PDEATHSIG``), so nothing is
   left running behind a ``kill -9``.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

STOP_GRACE_SECONDS = 35  # longer than `trustline serve`'s --graceful-timeout (30 s)
READY_TIMEOUT_SECONDS = 60


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to SIGTERM the child when we die (None elsewhere)."""
    if not sys.platform.startswith("linux"):
        return None
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return None
    libc = ctypes.CDLL(libc_name, use_errno=True)
    pr_set_pdeathsig = 1

    def preexec() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)

    return preexec


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    """Signal a child's whole process group (it leads its own); quietly skip one that is gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)


def _public_url(bind: str) -> str:
    host, _, port = bind.rpartition(":")
    if host in {"", "0.0.0.0", "[::]", "::"}:  # noqa: S104 - we only print it, we do not bind here
        host = "127.0.0.1"
    return f"http://{host}:{port}"


class Command(BaseCommand):
    help = "Migrate, load the demo on first start, then run the web server and the background worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="host:port to serve on (default %(default)s)")
        parser.add_argument("--no-demo", action="store_true", help="do not load the demo programme")

    def handle(self, *args: Any, **options: Any) -> None:
        bind: str = options["bind"]
        if bind.startswith("unix:") or ":" not in bind:
            raise CommandError("--bind must be host:port, e.g. 127.0.0.1:8000")
        url = _public_url(bind)
        self.prepare(load_demo=not options["no_demo"], url=url)
        connections.close_all()  # the children open their own; do not hold SQLite's lock meanwhile
        children = self.start_children(bind)
        self.supervise(children, url)

    def prepare(self, *, load_demo: bool, url: str) -> None:
        Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)
        Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
        self.stdout.write("Migrating the database…")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        from trustline.accounts.models import Organisation

        if not load_demo:
            return
        if not Organisation.objects.exists():
            self.stdout.write("Empty database: loading the demo programme (trustline seed_demo)…")
            call_command("seed_demo", url=url)
        else:
            from trustline.demo.services import demo_reminder

            reminder = demo_reminder()
            if reminder:
                self.stdout.write(reminder)

    def start_children(self, bind: str) -> dict[str, subprocess.Popen[bytes]]:
        preexec = _die_with_parent()
        manage = [sys.executable, "-m", "trustline.manage"]
        commands = {
            "worker": [*manage, "db_worker", "--no-reload"],
            "server": [*manage, "serve", "--bind", bind, "--access-log"],
        }
        if "scheduler" in get_commands():  # enqueues periodic jobs for the worker
            commands["scheduler"] = [*manage, "scheduler"]
        children: dict[str, subprocess.Popen[bytes]] = {}
        for name, command in commands.items():
            # preexec_fn is unsafe only with threads running; this process has none.
            children[name] = subprocess.Popen(command, start_new_session=True, preexec_fn=preexec)
        return children

    def supervise(self, children: dict[str, subprocess.Popen[bytes]], url: str) -> None:
        """Wait until a signal arrives or a child dies, then stop every child's process group."""
        stopping: list[int] = []

        def forward(signum: int, frame: FrameType | None) -> None:
            if not stopping:
                self.stdout.write(f"\nStopping ({signal.Signals(signum).name}); press Ctrl-C again to force…")
            stopping.append(signum)
            for child in children.values():
                _signal_group(child, signal.SIGTERM if len(stopping) == 1 else signal.SIGKILL)

        signal.signal(signal.SIGINT, forward)
        signal.signal(signal.SIGTERM, forward)

        ready = False
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        dead: tuple[str, int] | None = None
        while dead is None:
            dead = next(((n, c.returncode) for n, c in children.items() if c.poll() is not None), None)
            if dead is None:
                if not ready and not stopping and time.monotonic() < deadline and self._healthy(url):
                    ready = True
                    self.stdout.write(self.style.SUCCESS(
                        f"\nTrustline is running at {url}/  (admin {url}/admin/, API docs {url}/api/v1/docs)\n"
                        f"Press Ctrl-C to stop it ({', '.join(children)})."
                    ))
                time.sleep(0.2)

        # The dead child may have left processes behind (gunicorn workers after a killed master):
        # signal whole process groups, give them the grace period, then kill what is left.
        for child in children.values():
            _signal_group(child, signal.SIGTERM)
        end = time.monotonic() + STOP_GRACE_SECONDS
        for child in children.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(0.1, end - time.monotonic()))
        for child in children.values():
            _signal_group(child, signal.SIGKILL)
            child.wait()
        if stopping:
            self.stdout.write("Stopped.")
            return
        name, code = dead
        raise CommandError(f"The {name} exited (status {code}); stopped the rest.", returncode=code if code > 0 else 1)

    @staticmethod
    def _healthy(url: str) -> bool:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:  # noqa: S310 - http on loopback
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False
