"""Periodic jobs: registry, scheduler claims, run records and the watchdog.

The job under test is the real ``deliver_outbox`` (every 10 s), so these
tests also check that the notifications app registers it.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from trustline.core.clock import frozen_at
from trustline.core.models import PeriodicJob
from trustline.core.periodic import periodic, periodic_jobs, periodic_overdue, periodic_run, periodic_sync
from trustline.notifications.tasks import deliver_outbox

pytestmark = pytest.mark.django_db

JOB = "trustline.notifications.tasks.deliver_outbox"
T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def scheduler_once() -> str:
    out = StringIO()
    call_command("scheduler", "--once", stdout=out)
    return out.getvalue()


def overdue(now: dt.datetime) -> dict[str, str | None]:
    """Overdue jobs by name with their reasons (other apps' jobs may be registered too)."""
    return {job.name: job.lag_reason(now) for job in periodic_overdue(now)}


def enqueued_runs() -> int:
    return DBTaskResult.objects.filter(task_path=JOB).count()


def test_the_outbox_sweep_is_registered_every_ten_seconds() -> None:
    spec = periodic_jobs()[JOB]
    assert spec.every == dt.timedelta(seconds=10)
    assert spec.task is deliver_outbox


def test_the_scheduler_enqueues_a_due_job_once_per_period() -> None:
    with frozen_at(T0):
        assert f"enqueued {JOB}" in scheduler_once()
        assert f"enqueued {JOB}" not in scheduler_once()  # a second scheduler at the same moment
    assert enqueued_runs() == 1
    job = PeriodicJob.objects.get(name=JOB)
    assert (job.next_run_at, job.last_enqueued_at, job.waiting_since) == (T0 + dt.timedelta(seconds=10), T0, T0)

    with frozen_at(T0 + dt.timedelta(seconds=9)):
        scheduler_once()
    assert enqueued_runs() == 1
    with frozen_at(T0 + dt.timedelta(seconds=10)):
        scheduler_once()
    assert enqueued_runs() == 2


def test_a_scheduler_back_after_an_outage_enqueues_once_not_once_per_missed_period() -> None:
    with frozen_at(T0):
        scheduler_once()
    with frozen_at(T0 + dt.timedelta(hours=1)):
        scheduler_once()
    assert enqueued_runs() == 2
    assert PeriodicJob.objects.get(name=JOB).next_run_at == T0 + dt.timedelta(hours=1, seconds=10)


def test_a_run_records_its_start_and_finish() -> None:
    with frozen_at(T0):
        scheduler_once()
        result = deliver_outbox.call()

    assert result == {"claimed": 0, "sent": 0, "retrying": 0, "dead": 0, "released": 0}
    job = PeriodicJob.objects.get(name=JOB)
    assert (job.last_started_at, job.last_finished_at, job.last_error, job.waiting_since) == (T0, T0, "", None)


def test_a_failing_run_records_its_error_and_the_next_success_clears_it() -> None:
    with frozen_at(T0):
        periodic_sync(now=T0)
        with pytest.raises(RuntimeError), periodic_run(JOB):
            raise RuntimeError("SMTP server on fire")
    assert PeriodicJob.objects.get(name=JOB).last_error == "RuntimeError: SMTP server on fire"

    with frozen_at(T0 + dt.timedelta(seconds=10)), periodic_run(JOB):
        pass
    assert PeriodicJob.objects.get(name=JOB).last_error == ""


def test_the_watchdog_reports_a_job_nobody_claims() -> None:
    with frozen_at(T0):
        periodic_sync(now=T0)  # due at T0, then the scheduler dies
    assert JOB not in overdue(T0 + dt.timedelta(seconds=20))
    reason = overdue(T0 + dt.timedelta(seconds=21))[JOB]
    assert reason is not None and "is the scheduler running?" in reason


def test_the_watchdog_reports_a_job_enqueued_but_never_started() -> None:
    """The scheduler keeps up, but no worker runs what it enqueues."""
    now = T0
    while now <= T0 + dt.timedelta(seconds=60):
        with frozen_at(now):
            scheduler_once()
        assert JOB not in overdue(now)
        now += dt.timedelta(seconds=10)
    with frozen_at(now):
        scheduler_once()
    reason = overdue(now)[JOB]
    assert reason is not None and "is the worker running?" in reason


def test_the_watchdog_reports_a_run_that_hangs() -> None:
    with frozen_at(T0):
        scheduler_once()
        with periodic_run(JOB):
            # Still inside the run five minutes later; the scheduler kept enqueueing.
            for seconds in range(10, 301, 10):
                with frozen_at(T0 + dt.timedelta(seconds=seconds)):
                    scheduler_once()
                    PeriodicJob.objects.filter(name=JOB).update(waiting_since=None)  # other runs started fine
            assert JOB not in overdue(T0 + dt.timedelta(seconds=300))
            reason = overdue(T0 + dt.timedelta(seconds=301))[JOB]
            assert reason is not None and reason.startswith("running since")


def test_sync_drops_jobs_that_no_longer_exist_and_applies_a_new_period() -> None:
    PeriodicJob.objects.create(
        name="trustline.gone.tasks.old_sweep", every_seconds=60, max_runtime_seconds=300, next_run_at=T0
    )
    PeriodicJob.objects.create(
        name=JOB, every_seconds=3600, max_runtime_seconds=7200, next_run_at=T0 + dt.timedelta(hours=1)
    )
    periodic_sync(now=T0)

    assert not PeriodicJob.objects.filter(name="trustline.gone.tasks.old_sweep").exists()
    job = PeriodicJob.objects.get(name=JOB)
    assert (job.every_seconds, job.max_runtime_seconds, job.next_run_at) == (10, 300, T0 + dt.timedelta(seconds=10))
    assert set(PeriodicJob.objects.values_list("name", flat=True)) == set(periodic_jobs())


def test_periodic_refuses_what_it_cannot_schedule() -> None:
    with pytest.raises(ValueError, match="whole number of seconds"):
        periodic(every=dt.timedelta(milliseconds=500))
    with pytest.raises(TypeError, match="on top of @task"):
        periodic(every=dt.timedelta(seconds=5))(timezone.now)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="without arguments"):
        periodic(every=dt.timedelta(seconds=5))(task()(_needs_an_argument))


def _needs_an_argument(case_id: str) -> None:
    pass
