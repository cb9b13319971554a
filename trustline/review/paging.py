"""Pagination of querysets whose rows are shaped by a function, for Ninja's paginator.

Used by the review, contest and policy APIs; it lives outside any ``api``
module so they can share it without importing each other's routers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)

__all__ = ["Mapped"]


class Mapped(Generic[M]):
    """A queryset whose rows are turned into output dicts only for the page Ninja's paginator slices.

    ``len()`` is one ``COUNT`` query and slicing converts only the rows of
    the page, so a list endpoint never shapes (or fetches) rows it does not
    return.
    """

    def __init__(self, queryset: QuerySet[M], convert: Callable[[M], dict[str, Any]]) -> None:
        self.queryset = queryset
        self.convert = convert

    def __len__(self) -> int:
        return self.queryset.count()

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        return [self.convert(row) for row in self.queryset[page]]
