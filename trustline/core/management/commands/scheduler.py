"""``trustline scheduler``: enqueue due periodic jobs, forever (or ``--once``).

1. Sync the ``@periodic`` registry into the ``PeriodicJob`` table.
2. Every ``--interval`` seconds, claim each due job with a conditional UPDATE
   and enqueue its task (see ``trustline.core.periodic``). Run it beside
   ``trustline db_worker``, which executes what this enqueues; several
   schedulers may run at once (each job is still enqueued once per period).
3. A database error in one tick is logged and the next tick tries again, so a
   database restart does not stop the scheduler. SIGTERM/SIGINT stop it after
   the current tick.
"""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections

from trustline.core import clock
from trustline.core.periodic import periodic_jobs, periodic_sync, periodic_tick

logger = logging.getLogger("trustline.scheduler")


class Command(BaseCommand):
    help = "Enqueue due periodic jobs for the background worker (run beside `trustline db_worker`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="sync and run one tick, then exit")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between ticks (default %(default)s)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        once: bool = options["once"]
        interval: float = options["interval"]
        if interval <= 0:
            interval = 1.0
        self.stopping = False
        if not once:
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
            names = ", ".join(sorted(periodic_jobs())) or "none"
            self.stdout.write(f"scheduler: every {interval:g} s; jobs: {names}")
        synced = False
        while not self.stopping:
            try:
                if not synced:
                    periodic_sync(now=clock.now())
                    synced = True
                for name in periodic_tick(now=clock.now()):
                    if once or options["verbosity"] > 1:
                        self.stdout.write(f"enqueued {name}")
            except DatabaseError:
                if once:
                    raise
                logger.exception("scheduler tick failed; retrying in %s s", interval)
            if once:
                break
            time.sleep(interval)
            close_old_connections()  # drop a connection that broke or outlived CONN_MAX_AGE

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
