"""Prepared statements for the statements every report runs (trustline.core.prepared).

On PostgreSQL a partner report's key lookup, case open-or-join and combined
insert are prepared once per connection and then only executed; the query
log still shows them with their values; ``prepare_threshold = None`` (the
``DATABASE_PREPARED_STATEMENTS=0`` switch) turns it off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trustline.conftest import ApiClient
from trustline.core.prepared import prepared_cursor

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="prepared statements are PostgreSQL's; SQLite gets an ordinary cursor")

# The beginnings of a report's three statements (accounts.selectors, cases.services, intake.services).
KEY_LOOKUP = 'SELECT k."id"'
CASE_INSERT = 'INSERT INTO "cases_case"'
ROWS_INSERT = 'WITH w0 AS (INSERT INTO "intake_report"'


def executions() -> dict[str, int]:
    """This connection's prepared statements of a report, with how often each ran."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        rows = cursor.fetchall()
    found: dict[str, int] = {}
    for statement, runs in rows:
        for start in (KEY_LOOKUP, CASE_INSERT, ROWS_INSERT):
            if statement.startswith(start):
                found[start] = found.get(start, 0) + runs
    return found


@postgres_only
def test_a_reports_statements_are_prepared_once_and_then_only_executed(
    sudan_api: ApiClient, report_payload: Callable[..., dict[str, Any]],
) -> None:
    assert sudan_api.submit(report_payload()).status_code == 201
    first = executions()
    assert set(first) == {KEY_LOOKUP, CASE_INSERT, ROWS_INSERT}

    for _ in range(3):
        assert sudan_api.submit(report_payload()).status_code == 201

    assert executions() == {name: runs + 3 for name, runs in first.items()}


@postgres_only
def test_switched_off_nothing_is_prepared(
    sudan_api: ApiClient, report_payload: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    before = executions()

    assert sudan_api.submit(report_payload()).status_code == 201

    assert executions() == before


def test_the_query_log_shows_prepared_statements_with_their_values() -> None:
    with CaptureQueriesContext(connection) as queries, prepared_cursor() as cursor:
        cursor.execute("SELECT %s || '-' || %s", ["nile", "o'clock"])
        assert cursor.fetchone() == ("nile-o'clock",)

    assert len(queries.captured_queries) == 1
    assert "nile" in queries.captured_queries[0]["sql"]
    assert "o''clock" in queries.captured_queries[0]["sql"]
