"""Operational state shared by every app: the periodic job table."""

from __future__ import annotations

import datetime as dt

from django.db import models

# An enqueued run must start, and a started run must finish, within this much
# time at the least, however often the job runs: a busy worker or a slow
# delivery batch is not an outage.
MIN_START_GRACE = dt.timedelta(seconds=60)


class PeriodicJob(models.Model):
    """One recurring background job: its timer is this row, not a sleeping thread.

    Rows are synced from the ``@periodic`` registry (``trustline.core.periodic``).
    ``next_run_at`` is claimed by the scheduler with a conditional UPDATE, so any
    number of scheduler processes can run; ``last_*`` columns are written by the
    job itself as it starts and finishes, so a watchdog can tell a stopped
    scheduler ("due long ago"), a stopped worker ("enqueued, never started") and
    a stuck run ("started, never finished") apart.
    """

    name = models.CharField(max_length=200, primary_key=True, help_text="the task's dotted path")
    every_seconds = models.PositiveIntegerField()
    max_runtime_seconds = models.PositiveIntegerField()
    next_run_at = models.DateTimeField(db_index=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(
        null=True, blank=True, help_text="enqueued and not started since (cleared when a run starts)"
    )
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def every(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.every_seconds)

    @property
    def is_running(self) -> bool:
        return self.last_started_at is not None and (
            self.last_finished_at is None or self.last_finished_at < self.last_started_at
        )

    def lag_reason(self, now: dt.datetime) -> str | None:
        """Why this job is behind at ``now``, or ``None`` when it is healthy.

        1. Due more than two periods ago: nobody is claiming it (scheduler down).
        2. Enqueued but not started within two periods (and at least a minute):
           nobody is running tasks (worker down or swamped).
        3. Started but not finished within ``max_runtime_seconds``: the run hangs.
        """
        every = self.every
        if self.next_run_at < now - 2 * every:
            return f"due since {self.next_run_at.isoformat()}: is the scheduler running?"
        start_grace = max(2 * every, MIN_START_GRACE)
        if self.waiting_since is not None and self.waiting_since < now - start_grace:
            return f"enqueued since {self.waiting_since.isoformat()} but not started: is the worker running?"
        if (
            self.is_running
            and self.last_started_at is not None
            and self.last_started_at < now - dt.timedelta(seconds=self.max_runtime_seconds)
        ):
            return f"running since {self.last_started_at.isoformat()}, longer than {self.max_runtime_seconds} s"
        return None
