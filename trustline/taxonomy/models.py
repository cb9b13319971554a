"""The report taxonomy: platform policy areas mapped to DSA Transparency Database categories."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext


class Category(models.Model):
    """A category a partner can report under.

    ``dsa_category`` and ``dsa_keywords`` are the exact STATEMENT_CATEGORY_* and
    KEYWORD_* keys of the DSA Transparency Database, so statements of reasons
    and transparency reports can be produced without a second mapping.
    ``restricted`` categories (child safety) need a clearance to review.
    ``severity_tier`` (1 most severe .. 3) is read by triage when a case is
    triaged; changing it affects cases triaged afterwards, not running ones.
    """

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    policy_area = models.CharField(max_length=120)
    dsa_category = models.CharField(max_length=80)
    dsa_keywords = models.JSONField(default=list, blank=True)
    restricted = models.BooleanField(default=False)
    # 1 is the most severe. Drives triage: the SLA tier and the largest priority component.
    severity_tier = models.PositiveSmallIntegerField(
        choices=[(1, "Tier 1 (most severe)"), (2, "Tier 2"), (3, "Tier 3")],
        default=3,
        help_text="1 = threat to life and similar; 3 = other policy violations. Sets SLA targets and priority.",
    )
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    # In the reader's language when the text is still the seeded one (trustline/taxonomy/names.py); a name
    # the programme has edited has no translation, so it shows as written.
    @property
    def shown_name(self) -> str:
        return gettext(self.name)

    @property
    def shown_policy_area(self) -> str:
        return gettext(self.policy_area)

    @property
    def shown_description(self) -> str:
        return gettext(self.description) if self.description else ""
