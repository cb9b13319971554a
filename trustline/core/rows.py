"""Inserting rows without model instances, for the write paths that run per report.

``bulk_create`` is general: it builds a model instance per row, prepares
every value through its field's methods, and compiles the INSERT anew on
every call. On the intake path that was most of the CPU of a report, and
about half the CPU of a bulk upload (docs/performance.md, 7 December 2026).
These helpers do the same INSERT with less work:

1. The statement is compiled once per model, column list, row count and
   database vendor, then reused.
2. Values are adapted by the field's own ``get_db_prep_save`` only where the
   field type needs it (UUIDs on SQLite, datetimes, JSON); text, numbers and
   booleans are sent as they are, as Django itself would send them.
3. Large batches go to PostgreSQL with ``COPY`` (psycopg 3 ``cursor.copy``),
   and to SQLite with ``executemany`` of a one-row statement.
4. Small batches go to PostgreSQL as one JSON parameter per table
   (``jsonb_populate_recordset``): one value for the driver to send instead
   of one per column, and a statement text that does not change with the
   row count (docs/performance.md, 7 December 2026: −18 % of the Python
   instructions of a report).

They are for tables written by services that already checked and validated
everything: unlike ``bulk_create`` there are no signals, no ``pre_save``
(``auto_now``) and no primary keys read back, so callers generate ids in
Python (``uuid7``) or do not need them. Every column without a value in
``columns`` gets its model default (:func:`model_defaults`). Statements are
logged like any other (``connection.queries``, ``CaptureQueriesContext``).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import (
    AutoField,
    BigAutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    Field,
    FloatField,
    IntegerField,
    JSONField,
    Model,
    SmallAutoField,
    TextField,
    UUIDField,
)
from django.db.models.constants import OnConflict

from trustline.core.prepared import execute_prepared

# Field types whose values the database driver takes as they are (get_db_prep_save is the identity
# for str, int, float and bool values on both backends).
_AS_IS = (CharField, TextField, BooleanField, IntegerField, BigIntegerField, FloatField, AutoField, BigAutoField,
          SmallAutoField)

# PostgreSQL: batches of more rows than this go through COPY (one round trip, no SQL to parse);
# fewer go as one multi-row INSERT, which costs less to start than a COPY.
COPY_MIN_ROWS = 64


@dataclass(frozen=True)
class _Plan:
    table: str
    quoted_columns: str
    width: int
    # (index, adapt(value, connection)) for the columns whose values need adapting to the database
    adapt: tuple[tuple[int, Callable[[Any, Any], Any]], ...]
    # The column names, unquoted (the keys of a row sent as JSON), and whether every column's type can
    # travel as JSON (text, numbers, booleans, UUIDs, times, JSON): see _json_rows_sql.
    columns: tuple[str, ...] = ()
    json_ok: bool = False
    # As ``adapt``, for COPY: JSON columns as JSON text, which COPY's text format passes to jsonb as it is.
    copy_adapt: tuple[tuple[int, Callable[[Any, Any], Any]], ...] = ()


@functools.lru_cache(maxsize=64)
def _plan(model: type[Model], columns: tuple[str, ...], vendor: str) -> _Plan:
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    unknown = [c for c in columns if c not in by_attname]
    if unknown:
        raise ValueError(f"{model._meta.label} has no column(s) {unknown}")
    adapt = []
    copy_adapt = []
    json_ok = True
    for index, name in enumerate(columns):
        field = by_attname[name]
        target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]  # FK: its target
        if isinstance(target, UUIDField):
            adapt.append((index, functools.partial(_uuid_adapter, field)))
            copy_adapt.append(adapt[-1])
        elif isinstance(target, JSONField):
            adapt.append((index, functools.partial(_json_adapter, field)))
            copy_adapt.append((index, functools.partial(_json_text_adapter, target)))
            json_ok = json_ok and target.encoder is None
        elif not isinstance(target, _AS_IS):
            adapt.append((index, functools.partial(_field_adapter, field)))
            copy_adapt.append(adapt[-1])
            json_ok = json_ok and isinstance(target, (DateTimeField, DateField))
    quote = connection.ops.quote_name
    return _Plan(
        table=quote(model._meta.db_table),
        quoted_columns=", ".join(quote(by_attname[c].column) for c in columns),
        width=len(columns),
        adapt=tuple(adapt),
        columns=tuple(by_attname[c].column for c in columns),
        json_ok=json_ok,
        copy_adapt=tuple(copy_adapt),
    )


def _field_adapter(field: Field[Any, Any], value: Any, conn: Any) -> Any:
    return field.get_db_prep_save(value, conn)


def _uuid_adapter(field: Field[Any, Any], value: Any, conn: Any) -> Any:
    """What ``UUIDField.get_db_prep_value`` does with a UUID (itself, or its hex on SQLite), without the calls."""
    if isinstance(value, uuid.UUID):
        return value if conn.features.has_native_uuid_field else value.hex
    return field.get_db_prep_save(value, conn)


def _json_adapter(field: Field[Any, Any], value: Any, conn: Any) -> Any:
    """What ``JSONField.get_db_prep_save`` does with plain JSON data: the backend's adaptation, directly."""
    if isinstance(value, (dict, list, str, int, float, bool)):
        return conn.ops.adapt_json_value(value, field.encoder)  # type: ignore[attr-defined]  # a JSONField
    return field.get_db_prep_save(value, conn)


def _json_text_adapter(field: JSONField[Any], value: Any, conn: Any) -> Any:
    """JSON text for COPY: ``json.dumps`` in C, without the driver's per-value ``Jsonb`` wrapper and dumper."""
    return json.dumps(value, cls=field.encoder)


def _adapted(plan: _Plan, rows: Sequence[Sequence[Any]], *, copy: bool = False) -> list[Sequence[Any]]:
    adapters = plan.copy_adapt if copy else plan.adapt
    if not adapters:
        return list(rows)
    # A column often holds the same object in every row (one "now", a default): adapt it once.
    last: list[tuple[Any, Any]] = [(_NOTHING, None)] * plan.width
    conn = connections[DEFAULT_DB_ALIAS]  # the proxy ``connection`` costs a context-local lookup per use
    out: list[Sequence[Any]] = []
    for row in rows:
        values = list(row)
        for index, adapt in adapters:
            value = values[index]
            if value is None:
                continue
            previous, adapted = last[index]
            if value is not previous:
                adapted = adapt(value, conn)
                last[index] = (value, adapted)
            values[index] = adapted
        out.append(values)
    return out


_NOTHING = object()


@functools.lru_cache(maxsize=256)
def _values_sql(plan: _Plan, rows: int, suffix: str) -> str:
    one = "(" + ", ".join(["%s"] * plan.width) + ")"
    # Identifiers come from the model's metadata, quoted; values are always parameters.
    return f"INSERT INTO {plan.table} ({plan.quoted_columns}) VALUES {', '.join([one] * rows)}{suffix}"  # noqa: S608


def insert_rows(model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (values in ``columns`` order, as the model's fields hold them) into ``model``'s table."""
    if not rows:
        return
    plan = _plan(model, tuple(columns), connection.vendor)
    postgres = connection.vendor == "postgresql"
    if postgres and len(rows) >= COPY_MIN_ROWS:
        _copy(plan, _adapted(plan, rows, copy=True))
    elif postgres and (as_json := _json_rows(plan, rows)) is not None:
        execute_prepared(_json_rows_sql(plan, ""), [as_json])  # the same text for every call: prepared once
    elif len(rows) == 1 or postgres:
        # PostgreSQL (a column type JSON cannot carry): one multi-row statement, under COPY_MIN_ROWS rows.
        values = _adapted(plan, rows)
        with connection.cursor() as cursor:
            cursor.execute(_values_sql(plan, len(values), ""), [v for row in values for v in row])
    else:
        values = _adapted(plan, rows)
        # SQLite runs a one-row statement per row in C; fast, and no bound-parameter limit to mind.
        with connection.cursor() as cursor:
            cursor.executemany(_values_sql(plan, 1, ""), values)


@dataclass(frozen=True)
class Rows:
    """Rows for one table, for :func:`insert_rows_together`."""

    model: type[Model]
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]


def insert_rows_together(batches: Sequence[Rows]) -> None:
    """Insert rows into several tables; on PostgreSQL, small batches in one statement.

    ``WITH a AS (INSERT ...), b AS (INSERT ...) INSERT ...``: PostgreSQL runs
    every data-modifying ``WITH`` part, so a report's row, items, timeline
    and audit entry cost one round trip and one statement instead of four.
    Foreign keys between them are checked at commit (Django declares them
    ``DEFERRABLE INITIALLY DEFERRED``). Each table's rows travel as one JSON
    parameter (:func:`_json_rows_sql`), so the statement's text is the same
    for every report. Large batches (``COPY``) and SQLite go one table at a
    time, as :func:`insert_rows`.
    """
    batches = [b for b in batches if b.rows]
    small = connection.vendor == "postgresql" and all(len(b.rows) < COPY_MIN_ROWS for b in batches)
    if not small or len(batches) < 2:
        for b in batches:
            insert_rows(b.model, b.columns, b.rows)
        return
    parts: list[str] = []
    params: list[Any] = []
    all_json = True
    for b in batches:
        plan = _plan(b.model, tuple(b.columns), connection.vendor)
        as_json = _json_rows(plan, b.rows)
        if as_json is not None:
            parts.append(_json_rows_sql(plan, ""))
            params.append(as_json)
        else:
            all_json = False
            values = _adapted(plan, b.rows)
            parts.append(_values_sql(plan, len(values), ""))
            params += [v for row in values for v in row]
    sql = "WITH " + ", ".join(f"w{n} AS ({part})" for n, part in enumerate(parts[:-1])) + " " + parts[-1]
    if all_json:  # the same text for every report: prepared once per connection
        execute_prepared(sql, params)
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def insert_rows_unless_conflict(first: Rows, then: Sequence[Rows]) -> bool | None:
    """PostgreSQL: insert ``first``'s one row unless it conflicts, and ``then``'s rows only if it went in.

    One statement, so all of it or none of it is written, and in autocommit
    it is its own transaction, with no ``BEGIN`` and ``COMMIT`` round trips::

        WITH w0 AS (INSERT INTO first ... ON CONFLICT DO NOTHING RETURNING 1),
             w1 AS (INSERT INTO then_1 SELECT ... WHERE EXISTS (SELECT FROM w0)),
             ...
        SELECT EXISTS (SELECT FROM w0)

    Every part of the ``WITH`` runs exactly once, on the same snapshot, and
    the later ones insert only if ``w0`` returned its row. One row only:
    of two, one could go in and the other not. Foreign keys between the rows
    are checked at the statement's end (Django declares them deferrable).

    Returns whether the rows went in (False: ``first`` conflicted, nothing
    was written), or None where this cannot be done (not PostgreSQL, or a
    value JSON cannot carry): nothing was written, use the general way.
    """
    if connection.vendor != "postgresql" or len(first.rows) != 1:
        return None
    plan = _plan(first.model, tuple(first.columns), connection.vendor)
    as_json = _json_rows(plan, first.rows)
    if as_json is None:
        return None
    return _guarded(_json_rows_sql(plan, " ON CONFLICT DO NOTHING RETURNING 1"), [as_json], then)


def insert_rows_if_updated(update_sql: str, update_params: Sequence[Any], then: Sequence[Rows]) -> bool | None:
    """PostgreSQL: run ``update_sql`` (an ``UPDATE ... RETURNING 1`` of at most one row) and insert ``then``'s
    rows only if it updated its row; the same one statement as :func:`insert_rows_unless_conflict`.

    For a write that must change a row that may have gone meanwhile (a case
    closed since it was read): False, and nothing written, if the ``UPDATE``
    found no row; None, nothing written, where this cannot be done.
    """
    if connection.vendor != "postgresql":
        return None
    return _guarded(update_sql, update_params, then)


def _guarded(first_sql: str, first_params: Sequence[Any], then: Sequence[Rows]) -> bool | None:
    """``WITH w0 AS (first_sql), wN AS (INSERT ... WHERE EXISTS (SELECT FROM w0)) SELECT EXISTS (SELECT FROM w0)``."""
    parts = [first_sql]
    params = list(first_params)
    for batch in then:
        if not batch.rows:
            continue
        plan = _plan(batch.model, tuple(batch.columns), connection.vendor)
        as_json = _json_rows(plan, batch.rows)
        if as_json is None:
            return None
        parts.append(_json_rows_sql(plan, " WHERE EXISTS (SELECT FROM w0)"))
        params.append(as_json)
    # Model identifiers and fixed clauses; every value is a parameter.
    sql = "WITH " + ", ".join(f"w{n} AS ({part})" for n, part in enumerate(parts))
    sql += " SELECT EXISTS (SELECT FROM w0)"
    rows = execute_prepared(sql, params, fetch=True)
    return bool(rows[0][0])


@functools.lru_cache(maxsize=256)
def _json_rows_sql(plan: _Plan, suffix: str) -> str:
    """``INSERT ... SELECT`` from one JSON array of row objects (PostgreSQL).

    Why: a multi-row ``VALUES`` sends every value as its own parameter, and
    the driver quotes each one in Python and re-parses a statement whose
    length depends on the row count (psycopg caches neither beyond 50
    parameters). One JSON parameter is encoded in C by ``json.dumps``, and
    the statement's text is the same whatever the row count.
    ``jsonb_populate_recordset`` converts each value with the column's own
    input function, as a literal in the statement would be.
    """
    cols = plan.quoted_columns
    return (
        f"INSERT INTO {plan.table} ({cols}) SELECT {cols} "  # noqa: S608 - model identifiers; values are a parameter
        f"FROM jsonb_populate_recordset(NULL::{plan.table}, %s::jsonb){suffix}"
    )


def _json_rows(plan: _Plan, rows: Sequence[Sequence[Any]]) -> str | None:
    """The rows as one JSON array of objects, or None when a value has no exact JSON form.

    NaN and infinities (a float column may hold them; JSON cannot) and types
    the column check did not foresee make the caller send ``VALUES`` instead.
    """
    if not plan.json_ok:
        return None
    names = plan.columns
    try:
        return json.dumps([dict(zip(names, row, strict=True)) for row in rows], default=_json_value,
                          separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return None


def _json_value(value: Any) -> Any:
    """The JSON form of the values json.dumps does not know, as PostgreSQL's input functions read them."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be sent as a JSON row value")


def insert_rows_returning(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: Sequence[str],
    ignore_conflicts: bool = False,
    order_by: str | None = None,
    batch_size: int = 500,
) -> list[tuple[Any, ...]]:
    """Insert ``rows``; return the ``returning`` columns of each row inserted (a skipped conflict returns nothing).

    Conflicts are ignored the way ``bulk_create(ignore_conflicts=True)`` ignores
    them on each backend (``ON CONFLICT DO NOTHING``, ``INSERT OR IGNORE``).
    Rows are inserted in the order given, or sorted by ``order_by`` when they
    go through PostgreSQL's staging table. The returned values are as the
    driver gives them (a UUID is text on SQLite).

    On PostgreSQL, inside a transaction, a large batch is copied into a
    temporary staging table (created once per connection, emptied on commit)
    and moved with one ``INSERT ... SELECT``; a small one is a multi-row
    ``INSERT``, like on SQLite, in batches of ``batch_size`` rows.
    """
    if not rows:
        return []
    plan = _plan(model, tuple(columns), connection.vendor)
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    back = ", ".join(quote(by_attname[c].column) for c in returning)
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    suffix = connection.ops.on_conflict_suffix_sql([], on_conflict, [], [])
    suffix = (" " + suffix if suffix else "") + f" RETURNING {back}"
    postgres = connection.vendor == "postgresql"
    if postgres and len(rows) >= COPY_MIN_ROWS and connection.in_atomic_block:
        order = quote(by_attname[order_by].column) if order_by else None
        return _copy_returning(plan, _adapted(plan, rows, copy=True), suffix, order)
    out: list[tuple[Any, ...]] = []
    batches = [rows[start:start + batch_size] for start in range(0, len(rows), batch_size)]
    as_json = [_json_rows(plan, batch) for batch in batches] if postgres else [None]
    if all(text is not None for text in as_json):
        # One JSON parameter per batch (see _json_rows_sql).
        for text in as_json:  # the same text for every batch: prepared once per connection
            out.extend(execute_prepared(_json_rows_sql(plan, suffix), [text], fetch=True))
        return out
    head = connection.ops.insert_statement(on_conflict=on_conflict)
    values = _adapted(plan, rows)
    with connection.cursor() as cursor:
        for start in range(0, len(values), batch_size):
            batch = values[start:start + batch_size]
            sql = _values_sql(plan, len(batch), suffix)
            if head != "INSERT INTO":
                sql = head + sql[len("INSERT INTO"):]
            cursor.execute(sql, [v for row in batch for v in row])
            out.extend(tuple(r) for r in cursor.fetchall())
    return out


def _copy_returning(plan: _Plan, values: list[Sequence[Any]], suffix: str, order: str | None) -> list[tuple[Any, ...]]:
    # One staging table per target table and column list, for the life of the connection; ON COMMIT
    # DELETE ROWS empties it at every commit, and the DELETE below empties it at once, so a second
    # batch in the same transaction starts from nothing.
    digest = hashlib.sha256(plan.quoted_columns.encode()).hexdigest()[:10]
    staging = connection.ops.quote_name(f"tl_stage_{plan.table.strip(chr(34))[:40]}_{digest}")
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS "  # noqa: S608 - model identifiers
            f"AS SELECT {plan.quoted_columns} FROM {plan.table} WITH NO DATA"
        )
    _copy(plan, values, into=staging)
    sql = (
        f"WITH staged AS (DELETE FROM {staging} RETURNING *) "  # noqa: S608 - model identifiers, no values
        f"INSERT INTO {plan.table} ({plan.quoted_columns}) SELECT {plan.quoted_columns} FROM staged"
        f"{f' ORDER BY {order}' if order else ''}{suffix}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [tuple(r) for r in cursor.fetchall()]


def _copy(plan: _Plan, values: list[Sequence[Any]], into: str | None = None) -> None:
    sql = f"COPY {into or plan.table} ({plan.quoted_columns}) FROM STDIN"
    started = time.monotonic()
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for row in values:
            copy.write_row(row)
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": f"{sql} -- {len(values)} rows", "time": f"{time.monotonic() - started:.3f}"}
        )


def model_defaults(model: type[Model], exclude: Sequence[str]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """The columns of ``model`` not in ``exclude`` and their default values, for rows that set only a few columns.

    Defaults are read once per process, ``dict`` and ``list`` ones included:
    the value is only read and sent, never changed, so rows and calls can
    share it. A callable default of another kind (a clock, an id) is called
    on every call. A column without a default gets what a new model instance
    would hold (``""`` or ``None``).
    """
    names, constant, call = _defaults_of(model, tuple(exclude))
    if not call:
        return names, constant
    values = list(constant)
    for index, field in call:
        values[index] = field.get_default()
    return names, tuple(values)


@functools.lru_cache(maxsize=64)
def _defaults_of(
    model: type[Model], exclude: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[Any, ...], tuple[tuple[int, Field[Any, Any]], ...]]:
    names: list[str] = []
    values: list[Any] = []
    call: list[tuple[int, Field[Any, Any]]] = []
    for field in model._meta.concrete_fields:
        if field.attname in exclude:
            continue
        if callable(field.default) and field.default not in (dict, list):
            call.append((len(names), field))
        names.append(field.attname)
        values.append(field.get_default())
    return tuple(names), tuple(values), tuple(call)
