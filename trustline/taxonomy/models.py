"""The report taxonomy: platform policy areas mapped to DSA Transparency Database categories."""

from __future__ import annotations

from django.db import models


class Category(models.Model):
    """A category a partner can report under.

    ``dsa_category`` and ``dsa_keywords`` are the exact STATEMENT_CATEGORY_* and
    KEYWORD_* keys of the DSA Transparency Database, so statements of reasons
    and transparency reports can be produced without a second mapping.
    ``restricted`` categories (child safety) need a clearance to review.
    """

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    policy_area = models.CharField(max_length=120)
    dsa_category = models.CharField(max_length=80)
    dsa_keywords = models.JSONField(default=list, blank=True)
    restricted = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name
