"""Cases: one piece of reported content, however many partners reported it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from trustline.cases.choices import CaseStatus
from trustline.core.ids import uuid7


class Case(models.Model):
    """All reports of the same content while it is open.

    ``key_hash`` is the SHA-256 of the item's canonical key (canonical URL or
    platform identifier); a partial unique index allows one *open* case per
    key, which is what makes cross-partner deduplication safe when several
    processes receive reports of the same post at the same moment.
    ``item_count`` and ``partner_count`` are kept by the intake service so
    triage never has to count rows.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    key_hash = models.CharField(max_length=64)
    canonical_key = models.TextField()
    canonical_url = models.TextField(blank=True)
    item_kind = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.NEW)
    is_open = models.BooleanField(default=True)
    opened_at = models.DateTimeField()
    last_reported_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    item_count = models.PositiveIntegerField(default=0)
    partner_count = models.PositiveIntegerField(default=0)
    country = models.CharField(max_length=2, blank=True)
    category_code = models.CharField(max_length=64, blank=True)
    imminent_harm = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key_hash"], condition=Q(is_open=True), name="case_one_open_per_key"),
        ]
        indexes = [
            models.Index(fields=["key_hash"], name="case_key_idx"),
            models.Index(fields=["status", "opened_at"], name="case_status_opened_idx"),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk}"
