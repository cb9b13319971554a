"""The same enforcement action requested from many threads at once acts once (PostgreSQL only).

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
from trustline.conftest import actor_of
from trustline.platforms.models import DemoContentState, EnforcementActionRecord
from trustline.platforms.services import action_request
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
