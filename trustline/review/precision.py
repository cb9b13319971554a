"""Partner precision: kept in a table, updated in the transaction of each effective decision.

Why a table and not an aggregate query: triage reads the precision of every
reporting partner each time it scores a case (every new case, every rescore,
every SLA breach), so the read must be one indexed lookup, not a scan of the
partner's history. The price is keeping it right, which these functions do:

1. ``precision_add``: when a decision whose outcome settles the question
   (violating, not violating, out of scope; ``choices.PRECISION_OUTCOMES``)
   takes effect, each reported item of the case counts once for its
   partner and the category the partner reported it under: ``decided + 1``,
   and ``violating + 1`` when the outcome is violating. What was added is
   remembered on the decision (``precision_counts``).
2. ``precision_take_back``: when that decision is superseded, exactly what
   it added is subtracted, so a reversal after a contest moves the numbers.
3. ``precision_rebuild``: recompute the whole table from what the effective
   decisions recorded (a repair tool should the table ever drift, and the
   test that 1 and 2 keep it right).

Increments are ``F()`` updates, so concurrent decisions never lose counts.
"""

from __future__ import annotations

from collections import Counter

from django.db import transaction
from django.db.models import F

from trustline.core import clock
from trustline.intake.models import ReportItem
from trustline.review.choices import PRECISION_OUTCOMES, DecisionStatus, Outcome
from trustline.review.models import Decision, PartnerPrecision


def _bump(*, organisation_id: int, category_id: int, decided: int, violating: int) -> None:
    now = clock.now()
    row, created = PartnerPrecision.objects.get_or_create(
        organisation_id=organisation_id, category_id=category_id,
        defaults={"decided": max(0, decided), "violating": max(0, violating), "updated_at": now},
    )
    if not created:
        PartnerPrecision.objects.filter(pk=row.pk).update(
            decided=F("decided") + decided, violating=F("violating") + violating, updated_at=now
        )


def _counts_for(decision: Decision) -> Counter[tuple[int, int]]:
    return Counter(
        ReportItem.objects.filter(case_id=decision.case_id)
        .values_list("report__organisation_id", "report__category_id")
    )


def precision_add(decision: Decision) -> None:
    """Step 1 of the module docstring (inside the decision's transaction)."""
    if decision.outcome not in PRECISION_OUTCOMES or decision.precision_counts:
        return
    violating = decision.outcome == Outcome.VIOLATING
    counts = _counts_for(decision)
    for (org_id, category_id), items in sorted(counts.items()):
        _bump(organisation_id=org_id, category_id=category_id, decided=items, violating=items if violating else 0)
    decision.precision_counts = [
        {"organisation": org_id, "category": category_id, "items": items, "violating": violating}
        for (org_id, category_id), items in sorted(counts.items())
    ]
    Decision.objects.filter(pk=decision.pk).update(precision_counts=decision.precision_counts)


def precision_take_back(decision: Decision) -> None:
    """Step 2: subtract what ``decision`` added (when it is superseded)."""
    for entry in decision.precision_counts or []:
        items = int(entry["items"])
        PartnerPrecision.objects.filter(
            organisation_id=entry["organisation"], category_id=entry["category"]
        ).update(
            decided=F("decided") - items,
            violating=F("violating") - (items if entry.get("violating") else 0),
            updated_at=clock.now(),
        )


def precision_rebuild() -> int:
    """Step 3: recompute the table from effective decisions; returns the number of rows written."""
    decided: Counter[tuple[int, int]] = Counter()
    violating: Counter[tuple[int, int]] = Counter()
    for decision in Decision.objects.filter(status=DecisionStatus.EFFECTIVE).exclude(precision_counts=[]):
        for entry in decision.precision_counts:
            key = (int(entry["organisation"]), int(entry["category"]))
            decided[key] += int(entry["items"])
            if entry.get("violating"):
                violating[key] += int(entry["items"])
    now = clock.now()
    with transaction.atomic():
        PartnerPrecision.objects.all().delete()
        PartnerPrecision.objects.bulk_create([
            PartnerPrecision(organisation_id=org, category_id=cat, decided=n, violating=violating[(org, cat)],
                             updated_at=now)
            for (org, cat), n in sorted(decided.items())
        ])
    return len(decided)
