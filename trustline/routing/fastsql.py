"""Hand-written SQL for the hot path: claiming, renewing and releasing cases.

Why not the ORM here: on the reference machine (2 slow cores) an ORM
statement costs about 1 ms of Python (building, compiling, adapting) against
0.1-0.2 ms for the round trip, and a claim makes about ten statements, so the
ORM alone would take most of the 20 ms budget. These statements are short,
run unchanged on PostgreSQL and SQLite, adapt values with the ORM's own field
methods, and enforce nothing the ORM code does not state too: the claim's
condition is ``eligibility.claimable_q`` written out (off the emergency
board included), and the tests run both databases through them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
import weakref
from functools import lru_cache
from typing import Any

from django.db import DatabaseError, connection

from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.core.prepared import prepared_statements_on
from trustline.oncall.choices import ACTIVE_STATES
from trustline.oncall.models import Emergency
from trustline.routing.conf import routing_settings
from trustline.routing.eligibility import CompiledClaim
from trustline.routing.models import Assignment, ReviewerProfile

CASES = Case._meta.db_table
ASSIGNMENTS = Assignment._meta.db_table
PROFILES = ReviewerProfile._meta.db_table
EMERGENCIES = Emergency._meta.db_table  # read only: the claim skips cases on the emergency board
EMERGENCY_CASE = Emergency._meta.get_field("case").column
# ``eligibility.off_board_q`` written out (its parameters: ``ACTIVE_STATES``); NULL case ids never match.
OFF_BOARD = (
    f"NOT EXISTS (SELECT 1 FROM {EMERGENCIES} e WHERE e.{EMERGENCY_CASE} = {CASES}.id "  # noqa: S608
    f"AND e.state IN ({', '.join(['%s'] * len(ACTIVE_STATES))}))"
)
QUEUE_ORDER_SQL = "priority DESC, decide_due_at ASC, opened_at ASC, id ASC"  # cases.models.QUEUE_ORDER


def db_id(value: uuid.UUID) -> Any:
    return Case._meta.pk.get_db_prep_value(value, connection)


def db_time(value: dt.datetime | None) -> Any:
    return Case._meta.get_field("lease_expires_at").get_db_prep_value(value, connection)


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _run(sql: str, params: list[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _json_list(value: Any) -> list[Any]:
    data = json.loads(value) if isinstance(value, str | bytes) else value
    return list(data or [])


def profile(user_id: int) -> dict[str, Any] | None:
    """A reviewer's profile as plain values, or None when they have none."""
    rows = _rows(
        f"SELECT is_active, on_shift, languages, countries, regions, policy_areas, clearances "  # noqa: S608
        f"FROM {PROFILES} WHERE user_id = %s",
        [user_id],
    )
    if not rows:
        return None
    is_active, on_shift, *lists = rows[0]
    names = ("languages", "countries", "regions", "policy_areas", "clearances")
    return {"is_active": bool(is_active), "on_shift": bool(on_shift),
            **{name: _json_list(value) for name, value in zip(names, lists, strict=True)}}


def held(user_id: int, now: dt.datetime, limit: int) -> list[uuid.UUID]:
    """Cases the reviewer holds under a live lease, most urgent first."""
    rows = _rows(
        f"SELECT id FROM {CASES} WHERE assigned_to_id = %s AND status = %s AND lease_expires_at > %s "  # noqa: S608
        f"ORDER BY {QUEUE_ORDER_SQL} LIMIT %s",
        [user_id, CaseStatus.IN_REVIEW.value, db_time(now), limit],
    )
    return [row[0] if isinstance(row[0], uuid.UUID) else uuid.UUID(str(row[0])) for row in rows]


def renew(case_id: uuid.UUID, user_id: int, until: dt.datetime) -> int:
    """Extend the lease of a case ``user_id`` holds; 0 when they no longer hold it."""
    return _run(
        f"UPDATE {CASES} SET lease_expires_at = %s WHERE id = %s AND assigned_to_id = %s AND status = %s",  # noqa: S608
        [db_time(until), db_id(case_id), user_id, CaseStatus.IN_REVIEW.value],
    )


def take(case_id: uuid.UUID, *, user_id: int, now: dt.datetime, until: dt.datetime, pool: str, reason: str,
         acknowledged_at: dt.datetime, only_if_claimable: bool) -> int:
    """The claim's conditional UPDATE: only while the case is still claimable (``eligibility.claimable_q``).

    That includes "off the emergency board": an emergency opened after the
    claim query read the case (a rescore made it imminent) is seen here, by
    this newer statement, and the claim looks again. Reassignment
    (``only_if_claimable=False``) runs under the row lock and takes the case whoever holds it.
    """
    condition = f"AND is_open = %s AND (status = %s OR (status = %s AND lease_expires_at <= %s)) AND {OFF_BOARD}"
    extra = [True, CaseStatus.TRIAGED.value, CaseStatus.IN_REVIEW.value, db_time(now),
             *(state.value for state in ACTIVE_STATES)]
    return _run(
        f"UPDATE {CASES} SET status = %s, assigned_to_id = %s, claimed_at = %s, "  # noqa: S608
        "lease_expires_at = %s, acknowledged_at = %s, routing_pool = %s, routing_reason = %s, held_at = NULL, "
        f"hold_reason = '' WHERE id = %s {condition if only_if_claimable else ''}",
        [CaseStatus.IN_REVIEW.value, user_id, db_time(now), db_time(until), db_time(acknowledged_at), pool, reason,
         db_id(case_id), *(extra if only_if_claimable else [])],
    )


def requeue(case_id: uuid.UUID) -> int:
    """Back to the queue: nobody holds it."""
    return _run(
        f"UPDATE {CASES} SET status = %s, assigned_to_id = NULL, claimed_at = NULL, "  # noqa: S608
        "lease_expires_at = NULL, routing_pool = '', routing_reason = '' WHERE id = %s",
        [CaseStatus.TRIAGED.value, db_id(case_id)],
    )


def lock_case(case_id: uuid.UUID) -> tuple[str, int | None, bool] | None:
    """Status, holder and openness of a case, its row locked until the transaction ends (PostgreSQL)."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    rows = _rows(f"SELECT status, assigned_to_id, is_open FROM {CASES} WHERE id = %s{lock}",  # noqa: S608
                 [db_id(case_id)])
    if not rows:
        return None
    status, holder, is_open = rows[0]
    return str(status), holder, bool(is_open)


def assignment_open(case_id: uuid.UUID, *, user_id: int, pool: str, at: dt.datetime) -> None:
    _run(
        f"INSERT INTO {ASSIGNMENTS} (case_id, reviewer_id, pool, claimed_at, ended_at, end_reason) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, NULL, '')",
        [db_id(case_id), user_id, pool, db_time(at)],
    )


def assignment_end(case_id: uuid.UUID, *, at: dt.datetime, reason: str) -> int:
    return _run(
        f"UPDATE {ASSIGNMENTS} SET ended_at = %s, end_reason = %s WHERE case_id = %s AND ended_at IS NULL",  # noqa: S608
        [db_time(at), reason, db_id(case_id)],
    )


# --------------------------------------------------------------------------------------------
# The claim query
# --------------------------------------------------------------------------------------------


def claim_candidate(compiled: CompiledClaim, now: dt.datetime) -> Case | None:
    """Run the compiled claim query (``FOR UPDATE SKIP LOCKED LIMIT 1``); the locked case, or None.

    On PostgreSQL the query is a prepared statement with a generic plan:
    planning the dozen-branch query costs more than running it (about 1.5 ms
    against 1 ms on a million cases), and prepared it is planned once per
    connection and set of skills. Its constants (status, languages,
    countries, clearances...) are written into the statement as literals, so
    the generic plan still uses the partial indexes; only "now" is a
    parameter. Django leaves psycopg's own statement preparation off, hence
    an explicit ``PREPARE``; ``DATABASE_PREPARED_STATEMENTS=0`` (every
    prepared statement, trustline.core.prepared) or
    ``ROUTING["PREPARE_CLAIM_QUERY"] = False`` (this one) turns it off, e.g.
    behind a transaction-pooling PgBouncer older than 1.21, which cannot keep
    prepared statements. psycopg, which prepares the intake statements on
    the same connection, runs ``DEALLOCATE ALL`` after a rolled-back
    transaction; that removes this statement too, and the claim then takes
    one more attempt (:class:`PreparedStatementLost`, caught by the caller).
    """
    if not prepared_statements_on() or not routing_settings().prepare_claim_query:
        found = list(Case.objects.raw(compiled.sql, compiled.params_at(now)))
        return found[0] if found else None
    connection.ensure_connection()
    prepared = _prepared_on.setdefault(connection.connection, set())
    name, text = _prepared_statement(compiled)
    with connection.cursor() as cursor:
        if name not in prepared:
            cursor.execute(f"PREPARE {name} AS {text}")  # not transactional: it outlives a rollback
            prepared.add(name)
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        try:
            cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(compiled.now_at))})",
                           [now] * len(compiled.now_at))
        except DatabaseError as exc:
            if getattr(exc.__cause__, "sqlstate", None) == INVALID_STATEMENT_NAME:
                prepared.clear()  # the session lost its statements (e.g. DISCARD ALL by a pooler)
                raise PreparedStatementLost from exc
            raise
        row = cursor.fetchone()
        if row is None:
            return None
        names = [column.name for column in cursor.description or ()]
    values = [
        _JSON_FIELDS[name].from_db_value(value, None, connection) if name in _JSON_FIELDS else value
        for name, value in zip(names, row, strict=True)
    ]
    return Case.from_db(connection.alias, names, values)


INVALID_STATEMENT_NAME = "26000"


class PreparedStatementLost(Exception):
    """The connection no longer has the claim statement; the transaction is aborted, the caller retries."""


_JSON_FIELDS: dict[str, Any] = {
    f.column: f for f in Case._meta.concrete_fields if f.get_internal_type() == "JSONField"
}
_prepared_on: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


@lru_cache(maxsize=512)
def _prepared_statement(compiled: CompiledClaim) -> tuple[str, str]:
    """A statement name and ``$n`` text for ``compiled``: every parameter but "now" written in as a literal."""
    from psycopg import sql

    pieces: list[str] = []
    n = 0
    for piece in re.split(r"(%%|%s)", compiled.sql):
        if piece == "%s":
            if n in compiled.now_at:
                pieces.append(f"${compiled.now_at.index(n) + 1}")
            else:
                pieces.append(sql.Literal(compiled.params[n]).as_string(None))
            n += 1
        else:
            pieces.append("%" if piece == "%%" else piece)
    text = "".join(pieces)
    return f"routing_claim_{hashlib.sha256(text.encode()).hexdigest()[:24]}", text


def has_items(case_id: uuid.UUID) -> bool:
    """Whether any reported item belongs to the case (cases made by tests and benchmarks may have none)."""
    from trustline.intake.models import ReportItem

    return bool(_rows(f"SELECT 1 FROM {ReportItem._meta.db_table} WHERE case_id = %s LIMIT 1",  # noqa: S608
                      [db_id(case_id)]))
