"""``trustline serve``: the production web server (gunicorn) for ``trustline.wsgi``.

One command for ``make run`` (through ``trustline up``), the benchmark and
production, so what is measured is what runs.

1. Work out the gunicorn arguments from our options, with defaults measured on
   the 2-core reference machine (see docs/performance.md): ``2 × cores + 1``
   sync workers. Intake requests spend much of their time waiting on the
   database (commit, fsync), so a few more processes than cores keep the CPUs
   busy; threads (``gthread``) measured no better and share one GIL.
2. ``exec`` gunicorn in place of this process: same PID, so SIGTERM (graceful
   stop: finish in-flight requests within ``--graceful-timeout``), SIGINT,
   SIGHUP (reload) and SIGTTIN/SIGTTOU reach its master directly.

Workers are recycled after ``--max-requests`` (with jitter, so they do not all
restart at once). The access log is off by default: it costs a write per
request; ``--access-log`` turns it on (to stdout). Anything else gunicorn can
do is reachable through ``GUNICORN_CMD_ARGS``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

APP = "trustline.wsgi:application"
SHM = "/dev/shm"  # noqa: S108 - gunicorn's documented place for worker heartbeat files


def cpu_count() -> int:
    """CPUs this process may run on (respects taskset/cgroup affinity where Linux reports it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def default_workers() -> int:
    for name in ("TRUSTLINE_WEB_WORKERS", "WEB_CONCURRENCY"):
        raw = os.environ.get(name, "").strip()
        if raw:
            try:
                return max(1, int(raw))
            except ValueError as exc:
                raise CommandError(f"{name} must be an integer, got {raw!r}") from exc
    return 2 * cpu_count() + 1


def gunicorn_argv(
    *,
    bind: str,
    workers: int,
    threads: int,
    worker_class: str,
    access_log: bool,
    timeout: int,
    graceful_timeout: int,
    keep_alive: int,
    max_requests: int,
    preload: bool,
) -> list[str]:
    """The gunicorn command line (without the interpreter); separate so it can be tested and printed."""
    if threads > 1 and worker_class == "sync":
        worker_class = "gthread"  # gunicorn does this too; say it explicitly
    argv = [
        "gunicorn", APP,
        "--bind", bind,
        "--workers", str(workers),
        "--worker-class", worker_class,
        "--threads", str(threads),
        "--timeout", str(timeout),
        "--graceful-timeout", str(graceful_timeout),
        "--keep-alive", str(keep_alive),
        "--error-logfile", "-",
        # Several servers may run on one host (make run, the benchmark, tests):
        # gunicorn's control socket has one fixed default path, so leave it off.
        "--no-control-socket",
    ]
    if max_requests > 0:
        argv += ["--max-requests", str(max_requests), "--max-requests-jitter", str(max(1, max_requests // 10))]
    if access_log:
        argv += ["--access-logfile", "-"]
    if preload:
        argv.append("--preload")
    if os.path.isdir(SHM):  # noqa: PTH112 - heartbeat files on tmpfs, never a slow disk
        argv += ["--worker-tmp-dir", SHM]
    return argv


class Command(BaseCommand):
    help = "Run the production web server (gunicorn) for Trustline."

    # The server loads settings itself, in every worker; no system checks here.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="host:port or unix:PATH (default %(default)s)")
        parser.add_argument(
            "--workers", type=int, default=None,
            help="worker processes (default: $TRUSTLINE_WEB_WORKERS, $WEB_CONCURRENCY, or 2 x CPUs + 1 = "
                 f"{2 * cpu_count() + 1} here)",
        )
        parser.add_argument("--threads", type=int, default=1,
                            help="threads per worker; more than 1 selects the gthread worker (default 1)")
        parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"],
                            help="gunicorn worker class (default %(default)s)")
        parser.add_argument("--access-log", action="store_true", help="log every request to stdout")
        parser.add_argument("--timeout", type=int, default=60,
                            help="seconds before a silent worker is killed and replaced (default %(default)s)")
        parser.add_argument("--graceful-timeout", type=int, default=30,
                            help="seconds in-flight requests get to finish on SIGTERM (default %(default)s)")
        parser.add_argument("--keep-alive", type=int, default=5,
                            help="seconds to keep an idle HTTP/1.1 connection (default %(default)s)")
        parser.add_argument("--max-requests", type=int, default=10_000,
                            help="recycle a worker after this many requests, plus up to 10%% jitter; "
                                 "0 never recycles (default %(default)s)")
        parser.add_argument("--preload", action="store_true",
                            help="import the app once in the master before forking (less memory; SIGHUP then "
                                 "no longer reloads code)")
        parser.add_argument("--print", action="store_true", dest="print_only",
                            help="print the gunicorn command instead of running it")

    def handle(self, *args: Any, **options: Any) -> None:
        workers = options["workers"] if options["workers"] is not None else default_workers()
        if workers < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads must be at least 1")
        bind: str = options["bind"]
        if not bind.startswith("unix:") and ":" not in bind:
            raise CommandError("--bind must be host:port or unix:PATH, e.g. 127.0.0.1:8000")
        argv = gunicorn_argv(
            bind=bind,
            workers=workers,
            threads=options["threads"],
            worker_class=options["worker_class"],
            access_log=options["access_log"],
            timeout=options["timeout"],
            graceful_timeout=options["graceful_timeout"],
            keep_alive=options["keep_alive"],
            max_requests=options["max_requests"],
            preload=options["preload"],
        )
        if not settings.DEBUG and not settings.ALLOWED_HOSTS:
            self.stderr.write("Warning: ALLOWED_HOSTS is empty, so every request will be refused (HTTP 400); "
                              "set ALLOWED_HOSTS to the host names this server answers to.")
        if options["print_only"]:
            self.stdout.write(" ".join(argv))
            return
        if not _gunicorn_importable():
            raise CommandError("gunicorn is not installed in this environment (pip install gunicorn)")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustline.settings")
        sys.stdout.flush()
        sys.stderr.flush()
        # Replace this process: gunicorn's master gets our PID and every signal sent to it.
        os.execv(sys.executable, [sys.executable, "-m", "gunicorn", *argv[1:]])  # noqa: S606 - our interpreter


def _gunicorn_importable() -> bool:
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True
