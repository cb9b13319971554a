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

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from trustline.cases.models import Case
from trustline.conftest import ApiClient
from trustline.core.prepared import execute_prepared

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="prepared statements are PostgreSQL's; SQLite gets an ordinary cursor")

# The beginnings of a one-item report's statements (accounts.selectors, cases.services, intake.services): the key
# lookup, then the one statement that opens a case and writes the report; for content with an open case, that
# statement writes nothing, and the case is read, then joined with the report's rows in one statement. The
# transaction's statements (several items, or a race) open or join the cases, then insert the rows.
KEY_LOOKUP = 'SELECT k."id"'
OPEN_AND_WRITE = 'WITH w0 AS (INSERT INTO "cases_case"'
OPEN_CASE = 'SELECT c."id", EXISTS'
JOIN_AND_WRITE = 'WITH w0 AS (UPDATE "cases_case"'
CASE_INSERT = 'INSERT INTO "cases_case"'
ROWS_INSERT = 'WITH w0 AS (INSERT INTO "intake_report"'


def executions() -> dict[str, int]:
    """This connection's prepared statements of a report, with how often each ran."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        rows = cursor.fetchall()
    found: dict[str, int] = {}
    for statement, runs in rows:
        for start in (KEY_LOOKUP, OPEN_AND_WRITE, OPEN_CASE, JOIN_AND_WRITE, CASE_INSERT, ROWS_INSERT):
            if statement.startswith(start):
                found[start] = found.get(start, 0) + runs
    return found


@postgres_only
def test_a_reports_statements_are_prepared_once_and_then_only_executed(
    sudan_api: ApiClient, report_payload: Callable[..., dict[str, Any]],
) -> None:
    assert sudan_api.submit(report_payload()).status_code == 201
    first = executions()
    assert set(first) == {KEY_LOOKUP, OPEN_AND_WRITE}

    for _ in range(3):
        assert sudan_api.submit(report_payload()).status_code == 201

    assert executions() == {name: runs + 3 for name, runs in first.items()}


@postgres_only
def test_a_report_of_content_with_an_open_case_joins_it_in_one_statement_after_reading_it(
    sudan_api: ApiClient, pakistan_api: ApiClient, report_payload: Callable[..., dict[str, Any]],
) -> None:
    payload = report_payload()
    opened = sudan_api.submit(payload).json()["items"][0]["case_id"]
    before = executions()

    joined = pakistan_api.submit(payload)

    assert joined.status_code == 201
    assert joined.json()["items"][0]["case_id"] == opened
    after = executions()
    # The opening statement wrote nothing (the case exists); the case was read, then joined with the rows.
    assert after[OPEN_AND_WRITE] == before[OPEN_AND_WRITE] + 1
    assert after[OPEN_CASE] == before.get(OPEN_CASE, 0) + 1
    assert after[JOIN_AND_WRITE] == before.get(JOIN_AND_WRITE, 0) + 1
    assert CASE_INSERT not in after and ROWS_INSERT not in after  # no transaction
    assert (Case.objects.get(pk=opened).item_count, Case.objects.get(pk=opened).partner_count) == (2, 2)


def test_a_report_of_several_items_is_written_in_a_transaction(
    sudan_api: ApiClient, report_payload: Callable[..., dict[str, Any]],
) -> None:
    response = sudan_api.submit(report_payload(items=[
        {"url": "https://kite.example/posts/31", "kind": "post"},
        {"url": "https://kite.example/posts/32", "kind": "post"},
    ]))

    assert response.status_code == 201
    if connection.vendor == "postgresql":
        assert {CASE_INSERT, ROWS_INSERT} <= set(executions())
        assert OPEN_AND_WRITE not in executions()
    assert Case.objects.filter(pk__in=[i["case_id"] for i in response.json()["items"]]).count() == 2


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


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_api_call_on_a_connection_the_database_dropped_reconnects(
    sudan_api: ApiClient, report_payload: Callable[..., dict[str, Any]], caplog: pytest.LogCaptureFixture,
) -> None:
    # The key lookup stands in for Django's health check (CONN_HEALTH_CHECKS): it must replace a dead
    # connection as the check would, not fail the partner's call.
    assert sudan_api.submit(report_payload()).status_code == 201
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with psycopg.connect(" ".join(f"{k}={v}" for k, v in connection.get_connection_params().items()
                                  if k in ("host", "port", "user", "dbname")), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])  # what a database restart does to us
    connection.close_if_unusable_or_obsolete()  # what the server does at the start of every request

    response = sudan_api.submit(report_payload())

    assert response.status_code == 201, response.content
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
    assert "connection was lost" in caplog.text
