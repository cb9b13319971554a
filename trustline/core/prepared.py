"""Statements PostgreSQL parses and plans once per connection, for the statements every report runs.

Why: Django binds parameters on the client (psycopg's ``ClientCursor``) and
switches psycopg's statement preparation off, so PostgreSQL parses and plans
every statement anew. A partner report runs three statements of its own
(the key lookup, the case open-or-join and the combined insert of its rows),
and parsing and planning them was about a third of the database's CPU per
report (docs/performance.md, 7 December 2026).

A cursor from :func:`prepared_cursor` binds parameters on the server, and
psycopg prepares each statement text the first time the connection runs it
(``prepare_threshold`` = 0 in settings), then only binds and executes it.
Use it for statements whose text does not change from one call to the next:
psycopg keeps the last 100 texts per connection, and a text built per call
would only churn that cache.

psycopg prepares at the protocol level, which PgBouncer 1.21+ follows in
transaction pooling. Behind an older pooler, ``DATABASE_PREPARED_STATEMENTS=0``
sets ``prepare_threshold`` to None and this becomes an ordinary cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.backends.postgresql.base import CursorDebugWrapper


@contextmanager
def prepared_cursor() -> Iterator[Any]:
    """A cursor (Django's wrapper, so queries are logged and wrapped as usual) whose statements are prepared."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    # What connection.cursor() does before it creates its cursor.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = connection.connection
    if raw is None or raw.prepare_threshold is None:  # switched off: DATABASE_PREPARED_STATEMENTS=0
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]  # psycopg 3 only

    with connection.wrap_database_errors:
        cursor = ServerBindingCursor(raw)
    wrapped = _LoggedCursor(cursor, connection) if connection.queries_logged else connection.make_cursor(cursor)
    with wrapped:
        yield wrapped


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
