"""Prepared statements for the statements every report runs (trustline.core.prepared).

On PostgreSQL a partner report's key lookup, case open-or-join and combined
insert are prepared once per connection and then only executed; the query
log still shows them with their values; ``prepare_threshold = None`` (the
``DATABASE_PREPARED_STATEMENTS=0`` switch) turns it off; a connection whose
statements the server lost (a pooler) stops preparing instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from trustline.conftest import ApiClient
from trustline.core.prepared import execute_prepared

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
    with CaptureQueriesContext(connection) as queries:
        assert execute_prepared("SELECT %s || '-' || %s", ["nile", "o'clock"], fetch=True) == [("nile-o'clock",)]

    assert len(queries.captured_queries) == 1
    assert "nile" in queries.captured_queries[0]["sql"]
    assert "o''clock" in queries.captured_queries[0]["sql"]


@pytest.fixture(autouse=True)
def _preparing_again_afterwards() -> Iterator[None]:
    """The tests below switch preparing off for the connection; the next test gets it back as configured."""
    yield
    if connection.vendor == "postgresql" and connection.connection is not None:
        connection.connection.prepare_threshold = connection.settings_dict["OPTIONS"].get("prepare_threshold")


def forget_prepared_statements() -> None:
    """What a pooler resetting the session does, unseen by psycopg: the server forgets every statement."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        for (name,) in cursor.fetchall():
            cursor.execute(f"DEALLOCATE {name}")  # by name: psycopg notices a DEALLOCATE ALL, not this


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_lost_statement_outside_a_transaction_runs_again_unprepared(
    sudan_api: ApiClient, report_payload: Callable[..., dict[str, Any]], caplog: pytest.LogCaptureFixture,
) -> None:
    assert sudan_api.submit(report_payload()).status_code == 201
    forget_prepared_statements()

    # The key lookup (autocommit) finds its statement gone, and runs it again; the report's own statements follow.
    assert sudan_api.submit(report_payload()).status_code == 201
    assert sudan_api.submit(report_payload()).status_code == 201

    assert connection.connection.prepare_threshold is None
    assert "DATABASE_PREPARED_STATEMENTS=0" in caplog.text


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_lost_statement_inside_a_transaction_aborts_it_once() -> None:
    query = "SELECT %s::int * 2"
    assert execute_prepared(query, [2], fetch=True) == [(4,)]
    forget_prepared_statements()

    with pytest.raises(DatabaseError), transaction.atomic():
        execute_prepared(query, [3], fetch=True)

    with transaction.atomic():
        assert execute_prepared(query, [4], fetch=True) == [(8,)]
    assert connection.connection.prepare_threshold is None
