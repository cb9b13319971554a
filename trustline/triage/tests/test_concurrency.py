"""Triage and the SLA sweeper hold when several workers run at once (PostgreSQL only).

SQLite serialises every writer (``BEGIN IMMEDIATE``), so there is no race to
test there. On PostgreSQL the triage job claims with ``SKIP LOCKED`` and the
sweeper with conditional UPDATEs; these tests release eight workers at the
same moment and count what they wrote. ``transaction=True`` because each
thread has its own connection. The seeded taxonomy and SLA policies are
loaded again by the ``seeded`` fixture when an earlier transactional test
flushed them (``serialized_rollback`` cannot be used here: it collides with
the content types that a plain transactional test's flush recreates).
"""

from __future__ import annotations

import datetime as dt
import importlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import connection

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.core import clock
from trustline.intake.models import Report, TimelineEvent
from trustline.taxonomy.models import Category
from trustline.triage.models import SlaBreach, SlaPolicy
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
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]


@pytest.fixture
def seeded(transactional_db: None) -> None:
    """The data the migrations seed (categories with their tiers, SLA policies), if a flush removed it."""
    steps = [
        ("trustline.taxonomy.migrations.0002_seed_categories", "load"),
        ("trustline.taxonomy.migrations.0003_category_severity_tier", "set_default_tiers"),
        ("trustline.triage.migrations.0002_seed_sla_policies", "load"),
    ]
    if Category.objects.exists() and SlaPolicy.objects.exists():
        return
    for module, function in steps:
        getattr(importlib.import_module(module), function)(django_apps, None)


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
    # Each report's four cases were triaged by different workers: every report still ends up triaged.
    assert list(Report.objects.values_list("status", flat=True).distinct()) == ["triaged"]


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
