"""Triage and the SLA sweeper hold when several workers run at once (PostgreSQL only).

SQLite serialises every writer (``BEGIN IMMEDIATE``), so there is no race to
test there. On PostgreSQL the triage job claims with ``SKIP LOCKED`` and the
sweeper with conditional UPDATEs; these tests release eight workers at the
same moment and count what they wrote. ``transaction=True`` because each
thread has its own connection; ``serialized_rollback`` restores the seeded
taxonomy and SLA policies after the flush.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.core import clock
from trustline.intake.models import TimelineEvent
from trustline.triage.models import SlaBreach
from trustline.triage.services import triage_pending
from trustline.triage.sla import sla_sweep
from trustline.triage.tests.conftest import T0, Submit

THREADS = 8
CASES = 40

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency needs PostgreSQL: SQLite serialises writers, so there is no race to test",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def race(work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(THREADS)

    def run(i: int) -> Any:
        try:
            barrier.wait(timeout=30)
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def test_parallel_triage_workers_triage_each_case_exactly_once(analyst_amal: User, submit: Submit):
    with clock.frozen_at(T0):
        for r in range(CASES // 4):
            submit(analyst_amal, items=[{"url": f"https://kite.example/posts/race-{r}-{n}", "kind": "post"}
                                        for n in range(4)])
        runs = race(lambda i: triage_pending(batch_size=3))

    assert sum(run.triaged for run in runs) == CASES
    assert AuditEntry.objects.filter(action="case.triaged").count() == CASES
    assert TimelineEvent.objects.filter(kind="triaged").count() == CASES


def test_parallel_sweepers_record_each_breach_exactly_once(analyst_amal: User, lead_lena: User, submit: Submit):
    with clock.frozen_at(T0):
        for n in range(CASES):
            submit(analyst_amal, items=[{"url": f"https://kite.example/posts/sweep-{n}", "kind": "post"}])
        triage_pending()
    now = T0 + dt.timedelta(hours=25)  # tier 2: every acknowledge target has passed

    results = race(lambda i: sla_sweep(now=now, batch_size=CASES))

    assert sum(r.ack for r in results) == CASES
    assert SlaBreach.objects.filter(kind="ack").count() == CASES
    assert AuditEntry.objects.filter(action="sla.breached").count() == CASES
