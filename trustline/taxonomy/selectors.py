from __future__ import annotations

from django.db.models import QuerySet

from trustline.taxonomy.models import Category


def category_list() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True)


def category_by_code(code: str) -> Category | None:
    return Category.objects.filter(code=code, is_active=True).first()
