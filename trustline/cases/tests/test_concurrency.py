"""Deduplication and idempotency (reports and bulk uploads) hold when many requests race (PostgreSQL only).

SQLite serialises every writer (``BEGIN IMMEDIATE``), so there is no race to
test there; PostgreSQL runs the transactions truly at once, and the partial
unique index (one open case per key) and the unique idempotency key are what
keep the counts right. Each thread has its own database connection, committed
data is needed across them, hence ``transaction=True``;
``serialized_rollback`` restores the seeded taxonomy after the flush.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from trustline.accounts.permissions import SYSTEM
from trustline.accounts.services import apikey_create
from trustline.cases.models import Case
from trustline.intake.models import BulkUploadRecord, IdempotencyRecord, Report, ReportItem
from trustline.intake.tests.test_bulk import make_csv, row
from trustline.partners.services import partner_create

THREADS = 8

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency needs PostgreSQL: SQLite serialises writers, so there is no race to test",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def race(work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in THREADS threads released at the same moment; each closes its own connection."""
    barrier = threading.Barrier(THREADS)

    def run(i: int) -> Any:
        try:
            barrier.wait(timeout=30)
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def post_report(key: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, Any]:
    response = Client().post(
        "/api/v1/reports", data=payload, content_type="application/json",
        headers={"Authorization": f"Bearer {key}", **(headers or {})},
    )
    return response.status_code, response.json()


def test_eight_partners_reporting_one_post_at_once_make_one_case(report_payload: Callable[..., dict[str, Any]]):
    keys = []
    for n in range(THREADS):
        partner = partner_create(actor=SYSTEM, name=f"Partner {n}", countries=["KE"])
        keys.append(apikey_create(actor=SYSTEM, organisation=partner, name="race").raw)
    payload = report_payload(items=[{"url": "https://m.kite.example/posts/888?utm_source=wa", "kind": "post"}])

    results = race(lambda i: post_report(keys[i], payload))

    assert [status for status, _ in results] == [201] * THREADS, results
    case_ids = {body["items"][0]["case_id"] for _, body in results}
    assert len(case_ids) == 1
    case = Case.objects.get(is_open=True)
    assert str(case.pk) in case_ids
    assert case.partner_count == THREADS
    assert case.item_count == THREADS
    assert Report.objects.count() == ReportItem.objects.filter(case=case).count() == THREADS


def test_eight_retries_with_one_idempotency_key_make_one_report(report_payload: Callable[..., dict[str, Any]]):
    partner = partner_create(actor=SYSTEM, name="Kenya Election Monitors", countries=["KE"])
    key = apikey_create(actor=SYSTEM, organisation=partner, name="flaky network").raw
    payload = report_payload(country="KE")

    results = race(lambda i: post_report(key, payload, {"Idempotency-Key": "ke-2025-0007"}))

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (THREADS - 1) + [201], results
    assert len({body["id"] for _, body in results}) == 1
    assert Report.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    case = Case.objects.get()
    assert (case.item_count, case.partner_count) == (1, 1)


def test_eight_retries_of_one_bulk_upload_with_one_key_store_its_rows_once():
    partner = partner_create(actor=SYSTEM, name="Bulk partner", countries=["PK"])
    key = apikey_create(actor=SYSTEM, organisation=partner, name="race").raw
    content = make_csv([row(), row(), row()])

    def upload(_i: int) -> tuple[int, Any]:
        response = Client().post(
            "/api/v1/reports/bulk", data={"file": SimpleUploadedFile("batch.csv", content, "text/csv")},
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "bulk-race-1"},
        )
        return response.status_code, response.json()

    results = race(upload)

    assert [status for status, _ in results] == [200] * THREADS, results
    assert len({tuple(r["id"] for r in body["reports"]) for _, body in results}) == 1  # one answer for all
    assert sum(not body["replayed"] for _, body in results) == 1
    assert Report.objects.count() == ReportItem.objects.count() == 3
    assert BulkUploadRecord.objects.count() == 1
