"""``insert_rows`` stores exactly what ``bulk_create`` stores, on every path it takes.

The helpers choose a path by size and backend (one multi-row INSERT, SQLite's
executemany, PostgreSQL's COPY, a staging table for INSERT ... RETURNING), so
each test runs at sizes on both sides of ``COPY_MIN_ROWS``. Rows are compared
as read back through the ORM: the same values, types and time zones.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.core.ids import uuid7
from trustline.core.rows import (
    COPY_MIN_ROWS,
    Rows,
    insert_rows,
    insert_rows_if_updated,
    insert_rows_returning,
    insert_rows_together,
    insert_rows_unless_conflict,
    model_defaults,
)

T0 = dt.datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=dt.UTC)
SIZES = [1, 3, COPY_MIN_ROWS + 6]
GIVEN = ("id", "key_hash", "canonical_key", "canonical_url", "item_kind", "opened_at", "last_reported_at",
         "item_count", "partner_count", "country", "category_code", "imminent_harm", "priority_components",
         "language_confidence")


def case_values(n: int, prefix: str) -> dict[str, Any]:
    return {
        "id": uuid7(), "key_hash": f"{prefix}{n:060d}", "canonical_key": f"url:https://x.example/{prefix}/{n}",
        "canonical_url": f"https://x.example/{prefix}/{n}?q=«é»", "item_kind": "post",
        "opened_at": T0 + dt.timedelta(seconds=n), "last_reported_at": T0, "item_count": n + 1,
        "partner_count": 1, "country": "SD", "category_code": "hateful_conduct", "imminent_harm": n % 2 == 0,
        "priority_components": {"n": n, "nested": {"list": [1, "two", None]}, "text": "عربي"},
        "language_confidence": 0.25 if n % 2 else None,
    }


def stored(prefix: str) -> list[dict[str, Any]]:
    rows = Case.objects.filter(key_hash__startswith=prefix).order_by("key_hash").values()
    return [{k: v for k, v in r.items() if k not in ("id", "key_hash", "canonical_key", "canonical_url")}
            for r in rows]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", SIZES)
def test_it_stores_the_same_rows_as_bulk_create(size: int):
    Case.objects.bulk_create([Case(**case_values(n, "a")) for n in range(size)])
    names, defaults = model_defaults(Case, exclude=GIVEN)
    rows = [(*case_values(n, "b").values(), *defaults) for n in range(size)]
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        insert_rows(Case, GIVEN + names, rows)

    assert len(queries) == 1  # logged like any statement, COPY included
    assert stored("b") == stored("a") and len(stored("b")) == size
    ours = Case.objects.get(key_hash=f"b{0:060d}")
    assert isinstance(ours.id, uuid.UUID) and ours.opened_at == T0 and ours.priority_components["text"] == "عربي"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", SIZES)
def test_it_returns_only_the_rows_it_inserted_when_conflicts_are_ignored(size: int):
    names, defaults = model_defaults(Case, exclude=GIVEN)
    taken = case_values(0, "c")
    Case.objects.create(**taken)  # an open case for the first key: the partial unique index refuses a second
    rows = [(*case_values(n, "c").values(), *defaults) for n in range(size)]
    with transaction.atomic():
        inserted = insert_rows_returning(Case, GIVEN + names, rows, returning=("key_hash", "id"),
                                         ignore_conflicts=True, order_by="key_hash")
        # A second batch in the same transaction: the staging table (PostgreSQL) starts empty again.
        again = insert_rows_returning(Case, GIVEN + names, [(*case_values(n, "d").values(), *defaults)
                                                            for n in range(size)],
                                      returning=("key_hash",), ignore_conflicts=True, order_by="key_hash")

    assert sorted(h for h, _ in inserted) == [f"c{n:060d}" for n in range(1, size)]
    assert {uuid.UUID(str(i)) for _, i in inserted} == set(
        Case.objects.filter(key_hash__startswith="c").exclude(pk=taken["id"]).values_list("id", flat=True))
    assert sorted(h for (h,) in again) == [f"d{n:060d}" for n in range(size)]
    assert Case.objects.filter(key_hash__startswith="c").count() == size


@pytest.mark.django_db(transaction=True)
def test_a_failed_transaction_leaves_nothing_behind():
    names, defaults = model_defaults(Case, exclude=GIVEN)
    rows = [(*case_values(n, "e").values(), *defaults) for n in range(COPY_MIN_ROWS + 1)]
    with pytest.raises(RuntimeError), transaction.atomic():
        insert_rows(Case, GIVEN + names, rows)
        insert_rows_returning(Case, GIVEN + names, [(*case_values(1, "f").values(), *defaults)],
                              returning=("id",))
        raise RuntimeError("the service fails after writing")

    assert not Case.objects.filter(key_hash__regex=r"^[ef]").exists()


@pytest.mark.django_db
def test_model_defaults_are_what_a_new_instance_holds():
    names, values = model_defaults(AuditEntry, exclude=("id", "at", "actor", "action", "target_type", "target_id"))
    fresh = AuditEntry()

    assert dict(zip(names, values, strict=True)) == {n: getattr(fresh, n) for n in names}
    assert "seq" in names and "data" in names


def test_it_refuses_a_column_the_model_does_not_have():
    with pytest.raises(ValueError, match="no column"):
        insert_rows(AuditEntry, ("at", "no_such_column"), [(T0, 1)])


@pytest.mark.django_db  # not transaction=True: audit entries cannot be flushed (append-only)
@pytest.mark.parametrize("size", [1, COPY_MIN_ROWS + 6])
def test_rows_for_several_tables_go_together(size: int):
    names, defaults = model_defaults(Case, exclude=GIVEN)
    audit_names, audit_defaults = model_defaults(AuditEntry, exclude=("id", "at", "actor", "action", "data"))
    cases = [(*case_values(n, "g").values(), *defaults) for n in range(size)]
    entries = [(T0, "system", "case.opened", {"n": n}, *audit_defaults) for n in range(2)]
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:  # the savepoint is not captured
        insert_rows_together([
            Rows(Case, GIVEN + names, cases),
            Rows(AuditEntry, ("at", "actor", "action", "data", *audit_names), entries),
            Rows(AuditEntry, ("at", "actor"), []),  # nothing to insert: no statement
        ])

    together = connection.vendor == "postgresql" and size < COPY_MIN_ROWS
    assert len(queries) == (1 if together else 2)
    assert Case.objects.filter(key_hash__startswith="g").count() == size
    assert [e.data for e in AuditEntry.objects.filter(action="case.opened")] == [{"n": 0}, {"n": 1}]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("repeat", [1, COPY_MIN_ROWS // 6 + 1])
def test_awkward_values_arrive_exactly_as_bulk_create_stores_them(repeat: int):
    """Small batches go to PostgreSQL as one JSON parameter, large ones by COPY with JSON columns as JSON text:
    quoting, escapes and JSON-looking text must arrive unchanged either way."""
    awkward = ['it\'s "quoted" \\ back\\slash', "line\nbreak\ttab", "😀 «é» عربي", '{"looks": ["like", "json"]}',
               "null", ""]
    components: list[Any] = ["a plain JSON string", [1, "two", None], {"k": 'v "q"'}, {"": None}, 0, True]
    awkward, components = awkward * repeat, components * repeat
    names, defaults = model_defaults(Case, exclude=GIVEN)
    expected: list[Case] = []
    rows: list[tuple[Any, ...]] = []
    for n, (text, data) in enumerate(zip(awkward, components, strict=True)):
        changes = {"canonical_url": text, "country": text[:2], "priority_components": data}
        expected.append(Case(**{**case_values(n, "c"), **changes}))
        rows.append((*{**case_values(n, "d"), **changes}.values(), *defaults))
    Case.objects.bulk_create(expected)
    with transaction.atomic():
        insert_rows(Case, GIVEN + names, rows)

    def read(prefix: str) -> list[tuple[Any, ...]]:
        return list(Case.objects.filter(key_hash__startswith=prefix).order_by("key_hash")
                    .values_list("canonical_url", "country", "priority_components", "opened_at"))

    assert read("d") == read("c")
    assert [r[0] for r in read("d")] == awkward


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", [1, 3])
def test_a_value_json_cannot_carry_falls_back_to_values(size: int):
    """Infinity fits a float column but not JSON: the batch goes as VALUES, stored as bulk_create stores it."""
    names, defaults = model_defaults(Case, exclude=GIVEN)
    Case.objects.bulk_create([Case(**{**case_values(n, "e"), "language_confidence": float("inf")})
                              for n in range(size)])
    rows = [(*{**case_values(n, "f"), "language_confidence": float("inf")}.values(), *defaults) for n in range(size)]
    with transaction.atomic():
        insert_rows(Case, GIVEN + names, rows)
        returned = insert_rows_returning(Case, GIVEN + names,
                                         [(*{**case_values(n, "h"), "language_confidence": float("-inf")}.values(),
                                           *defaults) for n in range(size)], returning=("key_hash",))

    assert stored("f") == stored("e")
    assert [r.language_confidence for r in Case.objects.filter(key_hash__startswith="f")] == [float("inf")] * size
    assert len(returned) == size
    assert list(Case.objects.filter(key_hash__startswith="h").values_list("language_confidence", flat=True)) == [
        float("-inf")] * size


def case_rows(*rows: dict[str, Any]) -> Rows:
    names, defaults = model_defaults(Case, exclude=GIVEN)
    return Rows(Case, GIVEN + names, [(*row.values(), *defaults) for row in rows])


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="one statement of several inserts (data-modifying WITH) is PostgreSQL's")


@postgres_only
@pytest.mark.django_db(transaction=True)  # autocommit: the statement is its own transaction
def test_one_statement_writes_the_first_row_and_the_rest_when_it_goes_in():
    first, rest = case_values(0, "h"), [case_values(n, "h") for n in range(1, 3)]

    with CaptureQueriesContext(connection) as queries:
        assert insert_rows_unless_conflict(case_rows(first), [case_rows(*rest)]) is True

    assert len(queries) == 1
    assert Case.objects.filter(key_hash__startswith="h").count() == 3


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_one_statement_writes_nothing_when_the_first_row_conflicts():
    taken = case_values(0, "i")
    assert insert_rows_unless_conflict(case_rows(taken), []) is True
    again = {**taken, "id": uuid7()}  # the same open key: the partial unique index refuses it

    assert insert_rows_unless_conflict(case_rows(again), [case_rows(case_values(1, "i"))]) is False

    assert list(Case.objects.filter(key_hash__startswith="i").values_list("id", flat=True)) == [taken["id"]]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_one_statement_that_fails_late_leaves_nothing_behind():
    existing = case_values(0, "j")
    assert insert_rows_unless_conflict(case_rows(existing), []) is True
    clash = {**case_values(2, "j"), "id": existing["id"]}  # a primary key taken: the statement fails

    with pytest.raises(IntegrityError):
        insert_rows_unless_conflict(case_rows(case_values(1, "j")), [case_rows(clash)])

    assert list(Case.objects.filter(key_hash__startswith="j").values_list("key_hash", flat=True)) == [
        existing["key_hash"]
    ]


@pytest.mark.django_db
def test_one_statement_declines_what_it_cannot_do():
    two = case_rows(case_values(0, "k"), case_values(1, "k"))  # one first row only: of two, one could go in alone
    nan = case_rows({**case_values(2, "k"), "language_confidence": float("nan")})  # JSON has no NaN

    assert insert_rows_unless_conflict(two, []) is None
    if connection.vendor == "postgresql":
        assert insert_rows_unless_conflict(nan, []) is None
    else:
        assert insert_rows_unless_conflict(case_rows(case_values(3, "k")), []) is None  # SQLite: never
    assert not Case.objects.filter(key_hash__startswith="k").exists()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_one_statement_after_an_update_writes_the_rows_only_if_it_found_its_row():
    target = case_values(0, "m")
    assert insert_rows_unless_conflict(case_rows(target), []) is True
    bump = 'UPDATE "cases_case" SET "item_count" = "item_count" + 1 WHERE "id" = %s AND "is_open" RETURNING 1'

    with CaptureQueriesContext(connection) as queries:
        assert insert_rows_if_updated(bump, [target["id"]], [case_rows(case_values(1, "m"))]) is True
    Case.objects.filter(pk=target["id"]).update(is_open=False)
    assert insert_rows_if_updated(bump, [target["id"]], [case_rows(case_values(2, "m"))]) is False

    assert len(queries) == 1
    added = case_values(1, "m")
    assert sorted(Case.objects.filter(key_hash__startswith="m").values_list("key_hash", "item_count")) == [
        (target["key_hash"], target["item_count"] + 1), (added["key_hash"], added["item_count"]),
    ]


@pytest.mark.django_db
def test_one_statement_after_an_update_that_finds_no_row_writes_nothing():
    no_such_case = 'UPDATE "cases_case" SET "item_count" = 0 WHERE "id" = %s RETURNING 1'

    answer = insert_rows_if_updated(no_such_case, [uuid7()], [case_rows(case_values(0, "n"))])

    assert answer is (False if connection.vendor == "postgresql" else None)  # SQLite: never, the caller's way
    assert not Case.objects.filter(key_hash__startswith="n").exists()
