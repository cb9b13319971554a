"""Finding or opening the case for each reported item.

``cases_for_keys`` is called by intake inside its transaction:

1. Look up the open cases for all keys of the submission in one query.
2. Insert the missing ones in one statement that ignores conflicts: another
   process may have opened the same case a moment ago, and the partial unique
   index (one open case per key) makes it lose the race harmlessly.
3. Read the missing keys again to get the winning rows.
4. Add the new items and partners to the cases' counters with one UPDATE per
   distinct increment (``F()`` expressions, so concurrent reporters never
   lose counts).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Value
from django.db.models.functions import Greatest

from trustline.cases.models import Case
from trustline.core.ids import uuid7


@dataclass(frozen=True)
class CaseKey:
    key_hash: str
    canonical_key: str
    canonical_url: str
    item_kind: str


@dataclass(frozen=True)
class CaseDefaults:
    country: str
    category_code: str
    imminent_harm: bool


def cases_for_keys(
    *, keys: Iterable[CaseKey], defaults: dict[str, CaseDefaults], at: dt.datetime
) -> tuple[dict[str, uuid.UUID], set[str]]:
    """Return the open case id for every key hash, and the set of hashes whose case was opened now.

    Only ids are read: a case row is wide (triage and routing columns) and
    intake needs nothing else, on the hottest path of the product.
    """
    wanted = {k.key_hash: k for k in keys}
    found: dict[str, uuid.UUID] = dict(
        Case.objects.filter(key_hash__in=list(wanted), is_open=True).values_list("key_hash", "id")
    )
    missing = [h for h in wanted if h not in found]
    opened: set[str] = set()
    if missing:
        new_cases = [
            Case(
                id=uuid7(),
                key_hash=h,
                canonical_key=wanted[h].canonical_key,
                canonical_url=wanted[h].canonical_url,
                item_kind=wanted[h].item_kind,
                opened_at=at,
                last_reported_at=at,
                country=defaults[h].country,
                category_code=defaults[h].category_code,
                imminent_harm=defaults[h].imminent_harm,
            )
            for h in missing
        ]
        Case.objects.bulk_create(new_cases, ignore_conflicts=True)
        new_ids = {c.pk for c in new_cases}
        for key_hash, case_id in Case.objects.filter(key_hash__in=missing, is_open=True).values_list("key_hash", "id"):
            found[key_hash] = case_id
            if case_id in new_ids:
                opened.add(key_hash)
    return found, opened


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
