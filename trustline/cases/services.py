"""Finding or opening the case for each reported item.

``cases_open_or_join`` is called by intake inside its transaction:

1. Insert a case for every key of the submission in one statement that
   ignores conflicts and returns the rows it inserted. A new case is born with
   its counters already set (its items, one partner), so a report of new
   content (the common case) costs this one statement. The partial unique
   index (one open case per key) makes a key that already has an open case
   (or that another process opened a moment ago) skip silently.
2. Read the ids of the keys that were not inserted: they joined open cases.
3. The caller then adds its items and partners to those joined cases'
   counters with :func:`cases_add_reports`: one UPDATE per distinct increment
   (``F()`` expressions, so concurrent reporters never lose counts).
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Greatest

from trustline.cases.models import Case
from trustline.core.ids import uuid7
from trustline.core.rows import Rows, insert_rows_returning, model_defaults


@dataclass(frozen=True)
class CaseKey:
    key_hash: str
    canonical_key: str
    canonical_url: str
    item_kind: str


@dataclass
class CaseOpening:
    """What a new case starts with if this submission opens it (intake counts items as it goes)."""

    key: CaseKey
    country: str
    category_code: str
    items: int = 0
    imminent_harm: bool = False


def cases_open_or_join(
    *, openings: Iterable[CaseOpening], at: dt.datetime
) -> tuple[dict[str, uuid.UUID], set[str]]:
    """Return the open case id for every key hash, and the set of hashes whose case was opened now.

    Only ids are read: a case row is wide (triage and routing columns) and
    intake needs nothing else, on the hottest path of the product.
    """
    wanted = {o.key.key_hash: o for o in openings}
    new = case_opening_rows(openings=wanted.values(), at=at)
    # INSERT ... ON CONFLICT DO NOTHING RETURNING key_hash, id: only the rows actually inserted come back
    # (bulk_create(ignore_conflicts=True) cannot say which), on both backends (SQLite 3.35+).
    inserted = insert_rows_returning(
        Case, new.columns, new.rows, returning=("key_hash", "id"), ignore_conflicts=True,
        order_by="key_hash", batch_size=CASE_INSERT_BATCH,
    )
    found = {h: c if isinstance(c, uuid.UUID) else uuid.UUID(str(c)) for h, c in inserted}
    opened = set(found)
    joined = [h for h in wanted if h not in found]
    if joined:
        found.update(Case.objects.filter(key_hash__in=joined, is_open=True).values_list("key_hash", "id"))
    return found, opened


def case_opening_rows(*, openings: Iterable[CaseOpening], at: dt.datetime) -> Rows:
    """The rows of the cases these openings would open (ids made here, first column), sorted by key hash.

    Sorted so that concurrent writers meet the unique index's entries in the
    same order. Intake inserts them itself when it writes a report of new
    content in one statement (``trustline.intake.services``).
    """
    names, defaults = model_defaults(Case, exclude=OPENING_COLUMNS)
    rows = [
        (uuid7(), o.key.key_hash, o.key.canonical_key, o.key.canonical_url, o.key.item_kind, at, at, o.items, 1,
         o.country, o.category_code, o.imminent_harm, *defaults)
        for o in sorted(openings, key=lambda o: o.key.key_hash)
    ]
    return Rows(Case, OPENING_COLUMNS + names, rows)


# What opening a case sets; every other column gets its model default.
OPENING_COLUMNS = (
    "id", "key_hash", "canonical_key", "canonical_url", "item_kind", "opened_at", "last_reported_at", "item_count",
    "partner_count", "country", "category_code", "imminent_harm",
)
# Rows per INSERT: each case has ~45 columns; SQLite allows 32,766 parameters per statement.
CASE_INSERT_BATCH = 500


# Ids per UPDATE ... WHERE id IN (...): well under SQLite's 32,766 bound parameters.
CASE_UPDATE_BATCH = 2000


@dataclass
class CaseIncrement:
    items: int = 0
    new_partners: int = 0
    imminent_harm: bool = False


def cases_add_reports(*, increments: dict[uuid.UUID, CaseIncrement], at: dt.datetime) -> None:
    """Add new items and partners to each case's counters; imminent harm is sticky.

    Cases that get the same increment share one UPDATE (``F()`` keeps it
    relative), so a 10,000-row bulk upload issues a handful of statements,
    not one per case. Ids are sorted so concurrent writers lock rows in the
    same order.
    """
    groups: dict[tuple[int, int, bool], list[uuid.UUID]] = {}
    for case_id, inc in increments.items():
        groups.setdefault((inc.items, inc.new_partners, inc.imminent_harm), []).append(case_id)
    for (items, new_partners, imminent_harm), case_ids in groups.items():
        changes: dict[str, object] = {
            "item_count": F("item_count") + items,
            "partner_count": F("partner_count") + new_partners,
            "last_reported_at": Greatest(F("last_reported_at"), Value(at)),
        }
        if imminent_harm:
            changes["imminent_harm"] = True
        case_ids.sort()
        for start in range(0, len(case_ids), CASE_UPDATE_BATCH):
            Case.objects.filter(pk__in=case_ids[start:start + CASE_UPDATE_BATCH]).update(**changes)


def case_join_update(*, case_id: uuid.UUID, increment: CaseIncrement, at: dt.datetime) -> tuple[str, list[object]]:
    """What :func:`cases_add_reports` does to one case, as an ``UPDATE ... RETURNING 1`` that finds it only open.

    For intake's one-statement join (PostgreSQL): the report's rows are
    inserted only if this updated the case, so a case closed since it was
    read takes nothing, and the report goes the general way (which opens a
    new case). Written out once rather than compiled by the ORM per report:
    compiling the ``F()`` expressions took 237 µs, about a sixth of a
    report's Python time.
    """
    return _join_sql(), [increment.items, increment.new_partners, at, increment.imminent_harm, case_id]


@functools.cache
def _join_sql() -> str:
    quote = connection.ops.quote_name
    c = {f.name: quote(f.column) for f in Case._meta.concrete_fields}
    return (
        f"UPDATE {quote(Case._meta.db_table)} SET {c['item_count']} = {c['item_count']} + %s, "  # noqa: S608 - model identifiers; values are parameters
        f"{c['partner_count']} = {c['partner_count']} + %s, "
        f"{c['last_reported_at']} = GREATEST({c['last_reported_at']}, %s), "
        f"{c['imminent_harm']} = {c['imminent_harm']} OR %s "
        f"WHERE {c['id']} = %s AND {c['is_open']} RETURNING 1"
    )
