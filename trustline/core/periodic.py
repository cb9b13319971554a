"""Periodic jobs: one registry in code, timers as rows, claims as conditional UPDATEs.

Declare a recurring job by stacking ``@periodic`` on a django-tasks ``@task``
in an app's ``tasks.py``::

    @periodic(every=timedelta(seconds=10))
    @task()
    def deliver_outbox() -> dict[str, int]:
        ...

How it runs (no in-process timers, safe with any number of processes):

1. ``trustline scheduler`` syncs the registry into :class:`PeriodicJob` rows
   (one per job, keyed by the task's dotted path).
2. Every second it reads the rows whose ``next_run_at`` has passed and, for
   each, runs ``UPDATE ... SET next_run_at = now + every WHERE name = ? AND
   next_run_at <= now``. Only the process whose UPDATE changed exactly one row
   enqueues the task, in the same transaction, so a job is enqueued once per
   period however many schedulers race, and never lost between claim and
   enqueue.
3. The worker (``trustline db_worker``) runs the task; the wrapper installed
   by ``@periodic`` records ``last_started_at``, ``last_finished_at`` and
   ``last_error`` on the row.
4. :func:`periodic_overdue` lists jobs that are behind (scheduler down, worker
   down, run stuck) for health checks and watchdog alerts.

A scheduler that was down for an hour enqueues each job once when it comes
back, not once per missed period. Two runs of the same job may still overlap
(a run slower than its period), so job bodies must claim their work
atomically, as the outbox and SLA sweepers do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import inspect
import logging
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

from django.db import transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django.utils.module_loading import autodiscover_modules
from django_tasks.base import Task

from trustline.core import clock
from trustline.core.models import PeriodicJob

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_MIN_MAX_RUNTIME = dt.timedelta(minutes=5)
MAX_ERROR_CHARS = 4000


@dataclasses.dataclass(frozen=True)
class PeriodicSpec:
    """A registered job: what to enqueue and how often."""

    name: str
    task: Task[Any, Any]
    every: dt.timedelta
    max_runtime: dt.timedelta


_registry: dict[str, PeriodicSpec] = {}
_discovered = False


def periodic(
    *, every: dt.timedelta, max_runtime: dt.timedelta | None = None
) -> Callable[[Task[P, T]], Task[P, T]]:
    """Register a ``@task`` to run every ``every`` (whole seconds, at least one).

    ``max_runtime`` (default: the larger of two periods and five minutes) is how
    long a run may take before the watchdog calls it stuck. The returned task is
    the same task with its function wrapped to record start, finish and error.
    """
    if every < dt.timedelta(seconds=1) or every.total_seconds() != int(every.total_seconds()):
        raise ValueError("periodic(every=...) must be a whole number of seconds, at least 1")
    runtime = max_runtime if max_runtime is not None else max(2 * every, DEFAULT_MIN_MAX_RUNTIME)

    def decorator(task_obj: Task[P, T]) -> Task[P, T]:
        if not isinstance(task_obj, Task):
            raise TypeError("@periodic goes on top of @task: @periodic(...) then @task() then def ...")
        original = task_obj.func
        if inspect.iscoroutinefunction(original):
            raise TypeError("periodic jobs must be plain (sync) functions")
        required = [
            p for p in inspect.signature(original).parameters.values()
            if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        if required and not (task_obj.takes_context and len(required) == 1):
            raise TypeError("periodic jobs are enqueued without arguments; give every parameter a default")
        name = task_obj.module_path

        @functools.wraps(original)
        def run(*args: P.args, **kwargs: P.kwargs) -> T:
            with periodic_run(name):
                return original(*args, **kwargs)

        # Same module path (functools.wraps copies __module__ and __qualname__), so the
        # worker's import_string(task_path) finds this wrapped task.
        wrapped = dataclasses.replace(task_obj, func=run)
        if name in _registry and _registry[name].every != every:
            raise ValueError(f"periodic job {name} registered twice with different periods")
        _registry[name] = PeriodicSpec(name=name, task=wrapped, every=every, max_runtime=runtime)
        return wrapped

    return decorator


def periodic_jobs() -> dict[str, PeriodicSpec]:
    """All registered jobs, after importing every installed app's ``tasks`` module once."""
    global _discovered
    if not _discovered:
        autodiscover_modules("tasks")
        _discovered = True
    return dict(_registry)


def periodic_sync(*, now: dt.datetime) -> None:
    """Make the ``PeriodicJob`` table match the registry.

    New jobs are due at once; a changed period is applied and pulls
    ``next_run_at`` in if the old one lies further out; rows of jobs that no
    longer exist are deleted (nothing would ever claim them). Safe to run from
    several processes at once.
    """
    specs = periodic_jobs()
    with transaction.atomic():
        PeriodicJob.objects.bulk_create(
            [
                PeriodicJob(
                    name=spec.name,
                    every_seconds=int(spec.every.total_seconds()),
                    max_runtime_seconds=int(spec.max_runtime.total_seconds()),
                    next_run_at=now,
                )
                for spec in specs.values()
            ],
            ignore_conflicts=True,
        )
        for spec in specs.values():
            every_seconds = int(spec.every.total_seconds())
            max_runtime_seconds = int(spec.max_runtime.total_seconds())
            changed = PeriodicJob.objects.filter(name=spec.name).exclude(
                every_seconds=every_seconds, max_runtime_seconds=max_runtime_seconds
            )
            changed.update(every_seconds=every_seconds, max_runtime_seconds=max_runtime_seconds)
            PeriodicJob.objects.filter(name=spec.name, next_run_at__gt=now + spec.every).update(
                next_run_at=now + spec.every
            )
        PeriodicJob.objects.exclude(name__in=list(specs)).delete()


def periodic_tick(*, now: dt.datetime) -> list[str]:
    """Claim and enqueue every job due at ``now``; return the names this process enqueued.

    For each due row, in one transaction: a conditional UPDATE moves
    ``next_run_at`` to ``now + every``; only if it changed exactly one row is
    the task enqueued. Another scheduler that read the same row finds zero
    rows changed and moves on. If enqueueing fails, the claim rolls back with
    it and the next tick tries again.
    """
    specs = periodic_jobs()
    due = list(
        PeriodicJob.objects.filter(name__in=list(specs), next_run_at__lte=now)
        .order_by("next_run_at")
        .values_list("name", flat=True)
    )
    enqueued: list[str] = []
    for name in due:
        spec = specs[name]
        try:
            with transaction.atomic():
                claimed = PeriodicJob.objects.filter(name=name, next_run_at__lte=now).update(
                    next_run_at=now + spec.every,
                    last_enqueued_at=now,
                    waiting_since=Coalesce(F("waiting_since"), Value(now), output_field=DateTimeField()),
                )
                if claimed != 1:
                    continue  # another scheduler got there first
                spec.task.enqueue()
        except Exception:
            # One job that cannot be enqueued must not starve the others; the
            # watchdog reports it as overdue while this keeps failing.
            logger.exception("could not enqueue periodic job %s", name)
            continue
        enqueued.append(name)
        logger.debug("periodic job enqueued: %s", name)
    return enqueued


@contextlib.contextmanager
def periodic_run(name: str) -> Iterator[None]:
    """Record a run of job ``name``: start time, then finish time and error (if any).

    ``@periodic`` wraps every job in this; use it directly only for work that
    is scheduled some other way but should be watched the same way.
    """
    PeriodicJob.objects.filter(name=name).update(last_started_at=clock.now(), waiting_since=None)
    try:
        yield
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        PeriodicJob.objects.filter(name=name).update(last_finished_at=clock.now(), last_error=error)
        raise
    PeriodicJob.objects.filter(name=name).update(last_finished_at=clock.now(), last_error="")


def periodic_overdue(now: dt.datetime) -> list[PeriodicJob]:
    """Jobs that are behind at ``now`` (see :meth:`PeriodicJob.lag_reason` for why).

    There are a few dozen jobs at most, so the rule is applied in Python
    rather than as per-database interval arithmetic.
    """
    return [job for job in PeriodicJob.objects.all() if job.lag_reason(now) is not None]
