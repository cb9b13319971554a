"""The same enforcement action requested from many threads at once acts once; racing snapshot sweepers ask once
(PostgreSQL only).

SQLite serialises every writer, so there is no race to test there. Each
thread has its own connection, hence ``transaction=True``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.conftest import actor_of, kite_url
from trustline.core import clock
from trustline.intake.models import ReportItem
from trustline.platforms.connectors import ContentDescription, ContentRef, DemoPlatformConnector
from trustline.platforms.models import ContentSnapshot, DemoContentState, EnforcementActionRecord
from trustline.platforms.services import action_request
from trustline.platforms.snapshots import snapshot_sweep
from trustline.platforms.tests.conftest import DEMO_BACKEND, HALFAYA_POST, action_for

THREADS = 8

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def test_racing_requests_with_one_key_give_one_record_and_one_platform_action(
    use_connector: Callable[..., None], case: Case, reviewer_rita: User
):
    use_connector(DEMO_BACKEND)
    actor = actor_of(reviewer_rita)
    start = threading.Barrier(THREADS)

    def request(_: int) -> str:
        start.wait()
        try:
            return str(action_request(actor=actor, case=case, action=action_for(case, key="race:1")).pk)
        finally:
            connection.close()

    with ThreadPoolExecutor(THREADS) as pool:
        ids = list(pool.map(request, range(THREADS)))

    assert len(set(ids)) == 1
    assert EnforcementActionRecord.objects.get().status == "done"
    assert len(DemoContentState.objects.get(url=HALFAYA_POST).history) == 1
    assert AuditEntry.objects.filter(action="enforcement.requested").count() == 1


def test_racing_snapshot_sweepers_ask_the_platform_once_per_case(
    use_connector: Callable[..., None], reported: Callable[..., ReportItem], monkeypatch: pytest.MonkeyPatch
):
    """Eight workers' sweepers start together on twelve due cases: each case is described and stored once."""
    use_connector(DEMO_BACKEND)
    cases = [reported(url=kite_url()).case_id for _ in range(12)]
    Case.objects.filter(pk__in=cases).update(snapshot_due_at=clock.now())
    asked: list[str] = []
    lock = threading.Lock()
    original = DemoPlatformConnector.describe

    def counted(self: DemoPlatformConnector, item: ContentRef) -> ContentDescription:
        with lock:
            asked.append(item.key)
        return original(self, item)

    monkeypatch.setattr(DemoPlatformConnector, "describe", counted)
    start = threading.Barrier(THREADS)

    def sweep(_: int) -> int:
        start.wait()
        try:
            return snapshot_sweep(batch_size=3).taken
        finally:
            connection.close()

    with ThreadPoolExecutor(THREADS) as pool:
        taken = list(pool.map(sweep, range(THREADS)))

    assert len(asked) == len(set(asked)) == sum(taken) == len(cases)
    assert ContentSnapshot.objects.filter(case_id__in=cases).count() == sum(taken)
    assert ContentSnapshot.objects.values("case_id").distinct().count() == sum(taken)
