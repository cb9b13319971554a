"""Reading the taxonomy.

:func:`active_categories` serves the intake hot path from a per-process copy:
categories change a few times a year, and reading the one a report names cost
a query (about 1 ms of CPU) per report. The copy is dropped when a category is
saved or deleted in this process (signals), and at most ``CACHE_SECONDS``
later in every other process, so an edit reaches all web workers within that
time.
"""

from __future__ import annotations

import time
from typing import Any

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save

from trustline.taxonomy.models import Category

CACHE_SECONDS = 30.0

_cache: tuple[float, dict[str, Category]] | None = None


def category_list() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True)


def category_by_code(code: str) -> Category | None:
    return Category.objects.filter(code=code, is_active=True).first()


def active_categories() -> dict[str, Category]:
    """Active categories by code, from this process's copy (refreshed every ``CACHE_SECONDS``)."""
    global _cache
    current = _cache
    if current is not None and time.monotonic() - current[0] < CACHE_SECONDS:
        return current[1]
    # Two threads refreshing at once both read the same rows; the last assignment wins, harmlessly.
    fresh = {c.code: c for c in category_list()}
    _cache = (time.monotonic(), fresh)
    return fresh


def active_categories_forget(**_: Any) -> None:
    """Drop the process's copy (connected to Category's save and delete signals; tests call it too)."""
    global _cache
    _cache = None


post_save.connect(active_categories_forget, sender=Category, dispatch_uid="taxonomy_cache_save")
post_delete.connect(active_categories_forget, sender=Category, dispatch_uid="taxonomy_cache_delete")
