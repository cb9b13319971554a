"""Crises designated by programme managers (Crisis Policy Protocol); written only by ``crisis.services``."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q

from trustline.accounts.models import Organisation, User
from trustline.core.ids import uuid7
from trustline.crisis.choices import CrisisState
from trustline.routing.models import SavedQueue


class Crisis(models.Model):
    """A country or region in crisis mode for a time, and which cases that covers.

    A case *matches* an active crisis when every dimension the crisis names
    matches it (and any value within a dimension will do):

    * place: the case's ``country`` is in ``countries`` or its routing region
      in ``regions`` (at least one of the two lists is given);
    * ``languages``: BCP 47 tags; a bare language (``ar``) covers its dialects;
    * ``categories``: taxonomy codes of the reported category;
    * ``partners``: a reporting partner organisation is one of them
      (organisations carry no tags in Trustline, so partners are named).

    Empty optional lists mean "any". A crisis is active from ``starts_at``
    until ``ends_at`` (open-ended while null); past crises stay listed.
    ``applied_state`` records the state the last re-score of the matching
    cases applied, so the sweeper notices a scheduled start or end that has
    passed; ``rescore_due`` is set by every designation, change and end and
    cleared by the re-score job. ``oncall_schedule`` is an optional extra
    on-call schedule (``trustline.oncall``) for the crisis.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=43, unique=True, help_text="the case label is crisis:<slug>")
    countries = models.JSONField(default=list, blank=True, help_text="ISO 3166-1 alpha-2 codes")
    regions = models.JSONField(default=list, blank=True, help_text="routing region names")
    languages = models.JSONField(default=list, blank=True, help_text="BCP 47 tags; empty = any")
    categories = models.JSONField(default=list, blank=True, help_text="taxonomy codes; empty = any")
    partners = models.ManyToManyField(Organisation, blank=True, related_name="+",
                                      help_text="reporting partners; none = any")
    level = models.PositiveSmallIntegerField(help_text="1 to 3, 3 the most severe")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    oncall_schedule = models.ForeignKey("oncall.Schedule", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", help_text="an extra on-call schedule for the crisis")
    saved_queue = models.ForeignKey(SavedQueue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    help_text="the shared routing saved queue of the crisis")
    designated_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    ended_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    applied_state = models.CharField(max_length=16, choices=CrisisState.choices, default=CrisisState.SCHEDULED)
    rescore_due = models.BooleanField(default=True)

    class Meta:
        ordering = ["-starts_at", "name"]
        verbose_name_plural = "crises"
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="crisis_level_1_to_3"),
            models.CheckConstraint(condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                                   name="crisis_ends_after_start"),
        ]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="crisis_window_idx")]

    def __str__(self) -> str:
        return self.name

    def state_at(self, now: dt.datetime) -> CrisisState:
        if now < self.starts_at:
            return CrisisState.SCHEDULED
        if self.ends_at is not None and now >= self.ends_at:
            return CrisisState.ENDED
        return CrisisState.ACTIVE
