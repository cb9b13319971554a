"""Statements PostgreSQL parses and plans once per connection, for the statements every report runs.

Why: Django binds parameters on the client (psycopg's ``ClientCursor``) and
switches psycopg's statement preparation off, so PostgreSQL parses and plans
every statement anew. A partner report runs two or three statements of its
own (the key lookup, then either one statement that opens its case and
writes its rows, or the case open-or-join and the combined insert of its
rows), and parsing and planning them was about 40 % of the database's CPU
per report (docs/performance.md, 7 December 2026). Audit entries written
alone (``rows.insert_rows``) are prepared too.

:func:`execute_prepared` binds parameters on the server, and
psycopg prepares each statement text the first time the connection runs it
(``prepare_threshold`` = 0 in settings), then only binds and executes it.
Use it for statements whose text does not change from one call to the next:
psycopg keeps the last 100 texts per connection, and a text built per call
would only churn that cache.

psycopg prepares at the protocol level, which PgBouncer 1.21+ follows in
transaction pooling. Behind an older pooler, ``DATABASE_PREPARED_STATEMENTS=0``
sets ``prepare_threshold`` to None and statements run as any other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, connection
from django.db.backends.postgresql.base import CursorDebugWrapper

logger = logging.getLogger(__name__)


def prepared_statements_on() -> bool:
    """Whether statements may be prepared on this connection (PostgreSQL, not switched off)."""
    options = connection.settings_dict["OPTIONS"]
    return connection.vendor == "postgresql" and options.get("prepare_threshold") is not None


def execute_prepared(
    sql: str, params: Sequence[Any], *, fetch: bool = False, checks_connection: bool = False
) -> list[tuple[Any, ...]]:
    """Run ``sql`` as a prepared statement on PostgreSQL (elsewhere as usual); its rows when ``fetch``.

    ``checks_connection``: the statement is a read that is safe to run twice
    and may be the request's first; it then stands in for Django's health
    check (see :func:`_as_health_check`).

    If the server no longer knows the statement (error 26000: a pooler
    reset the session, or a transaction-pooling PgBouncer without
    prepared-statement support gave us another server connection), this
    connection stops preparing, a warning says how to switch it off for
    good, and then:

    1. outside a transaction, the statement runs again, unprepared;
    2. inside one, the error goes to the caller: the transaction is aborted
       and rolls back as for any database error; the next one is unprepared.
    """
    if checks_connection and _health_check_due():
        return _as_health_check(sql, params, fetch)
    cursor = _prepared_cursor()
    if cursor is None:
        with connection.cursor() as plain:
            plain.execute(sql, params)
            return [tuple(row) for row in plain.fetchall()] if fetch else []
    try:
        with cursor:
            cursor.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()] if fetch else []
    except DatabaseError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != INVALID_STATEMENT_NAME:
            raise
        connection.connection.prepare_threshold = None  # this connection only; a new one tries again
        logger.warning(
            "PostgreSQL lost a prepared statement (%s); this connection no longer prepares. Behind a "
            "connection pooler that cannot keep prepared statements, set DATABASE_PREPARED_STATEMENTS=0.", exc,
        )
        if not connection.get_autocommit():
            raise
    return execute_prepared(sql, params, fetch=fetch)


INVALID_STATEMENT_NAME = "26000"


def _health_check_due() -> bool:
    """Whether Django would check this connection (``SELECT 1``) before the next statement (CONN_HEALTH_CHECKS)."""
    db: Any = connection  # django-stubs does not know the health-check attributes (Django 4.1+)
    return db.connection is not None and db.health_check_enabled and not db.health_check_done and db.get_autocommit()


def _as_health_check(sql: str, params: Sequence[Any], fetch: bool) -> list[tuple[Any, ...]]:
    """Run a read-only statement as the connection's health check: one round trip instead of two.

    Why: with ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before the
    first statement of every request, so that a connection the database
    dropped (a restart, a failover) is replaced instead of failing the
    request. For a partner API call that is a sixth of its round trips, and
    the API key lookup, the first statement of every such call, can do the
    same job:

    1. Mark the check done and run the statement.
    2. If it fails and the connection no longer answers, close it, and run
       the statement again on a new connection, as the check would have
       (the statement only reads, so running it twice changes nothing).
    3. Any other failure goes to the caller as usual.
    """
    db: Any = connection
    db.health_check_done = True
    try:
        return execute_prepared(sql, params, fetch=fetch)
    except DatabaseError:
        if connection.connection is not None and connection.is_usable():
            raise
        logger.warning("The database connection was lost; reconnecting and running the statement again.")
        connection.close()
        return execute_prepared(sql, params, fetch=fetch)


def _prepared_cursor() -> Any:
    """A server-binding cursor in Django's wrapper (logged, wrapped as usual), or None where nothing is prepared."""
    if connection.vendor != "postgresql":
        return None
    # What connection.cursor() does before it creates its cursor.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = connection.connection
    if raw is None or raw.prepare_threshold is None:  # switched off (settings), or for this connection
        return None
    from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]  # psycopg 3 only

    with connection.wrap_database_errors:
        cursor = ServerBindingCursor(raw)
    return _LoggedCursor(cursor, connection) if connection.queries_logged else connection.make_cursor(cursor)


class _LoggedCursor(CursorDebugWrapper):
    """Django's query log, with the statement's text and values.

    Django reads the executed text from client-binding cursors only, so for
    these it would log None (connection.queries, CaptureQueriesContext).
    Only when queries are logged (DEBUG, tests): composing costs a quoting pass.
    """

    @contextmanager
    def debug_sql(
        self, sql: str | None = None, params: Any = None, use_last_executed_query: bool = False, many: bool = False,
    ) -> Iterator[None]:
        if use_last_executed_query and not many and sql is not None:
            sql = self.db.ops.compose_sql(sql, params)
        with super().debug_sql(sql, params, use_last_executed_query=False, many=many):
            yield
