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
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Model, Value
from django.db.models.constants import OnConflict
from django.db.models.functions import Greatest
from django.db.models.sql import InsertQuery

from trustline.cases.models import Case
from trustline.core.ids import uuid7


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
    new_cases = [
        Case(
            id=uuid7(),
            key_hash=h,
            canonical_key=o.key.canonical_key,
            canonical_url=o.key.canonical_url,
            item_kind=o.key.item_kind,
            opened_at=at,
            last_reported_at=at,
            item_count=o.items,
            partner_count=1,
            country=o.country,
            category_code=o.category_code,
            imminent_harm=o.imminent_harm,
        )
        for h, o in sorted(wanted.items())  # sorted: concurrent writers meet index entries in the same order
    ]
    found = {key_hash: case_id for key_hash, case_id in _insert_returning_new(new_cases)}
    opened = set(found)
    joined = [h for h in wanted if h not in found]
    if joined:
        found.update(Case.objects.filter(key_hash__in=joined, is_open=True).values_list("key_hash", "id"))
    return found, opened


# Rows per INSERT: each case has ~45 columns; SQLite allows 32,766 parameters per statement.
CASE_INSERT_BATCH = 500


def _insert_returning_new(cases: list[Case]) -> list[tuple[str, uuid.UUID]]:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING key_hash, id``: only the rows actually inserted come back.

    Django's ``bulk_create(ignore_conflicts=True)`` cannot say which rows were
    inserted, so this builds the same insert through Django's own SQL
    compiler (field preparation, PostgreSQL's UNNEST form) and asks for the
    RETURNING clause, which PostgreSQL and SQLite (3.35+) both support with
    ON CONFLICT DO NOTHING.
    """
    if not cases:
        return []
    opts = Case._meta
    fields = [f for f in opts.concrete_fields if not f.generated]
    returning = [opts.get_field("key_hash"), opts.get_field("id")]
    rows: list[tuple[str, uuid.UUID]] = []
    for start in range(0, len(cases), CASE_INSERT_BATCH):
        query = InsertQuery(Case, on_conflict=OnConflict.IGNORE)
        batch: list[Model] = list(cases[start:start + CASE_INSERT_BATCH])
        query.insert_values(fields, batch)
        compiler = query.get_compiler(using=connection.alias)
        compiler.returning_fields = returning
        statements = compiler.as_sql()
        assert len(statements) == 1, "both backends insert many rows with RETURNING in one statement"
        with connection.cursor() as cursor:
            cursor.execute(*statements[0])
            # fetchall, not Django's execute_sql: with ON CONFLICT DO NOTHING a row may return nothing.
            for key_hash, case_id in cursor.fetchall():
                rows.append((key_hash, case_id if isinstance(case_id, uuid.UUID) else uuid.UUID(str(case_id))))
    return rows


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
