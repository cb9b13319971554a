"""Triage: SLA policies, recorded breaches and the sweeper's heartbeat.

The per-case triage state (tier, priority, due times, breach flags) lives on
``cases.Case`` so queues can sort and filter on indexed columns of one table.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from trustline.cases.models import Case
from trustline.taxonomy.models import Category
from trustline.triage.choices import BreachKind, SlaTier


class SlaPolicy(models.Model):
    """Acknowledge-by and decide-by targets for a tier (or imminent harm), optionally per category and country.

    The most specific active policy wins: category and country, then
    category, then country, then the tier default. At most one active policy
    per (tier, category, country), so the choice is never ambiguous. A case
    keeps a copy of the policy it was triaged under; editing a policy changes
    cases triaged afterwards, not running deadlines.
    """

    name = models.CharField(max_length=120)
    tier = models.CharField(max_length=8, choices=SlaTier.choices)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="leave empty to apply to every category",
    )
    country = models.CharField(
        max_length=2, blank=True, help_text="ISO 3166-1 alpha-2; leave empty to apply to every country"
    )
    ack_minutes = models.PositiveIntegerField(help_text="acknowledge within this many minutes")
    decide_minutes = models.PositiveIntegerField(help_text="decide within this many minutes")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["tier", "category__code", "country"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["tier", "country"],
                condition=Q(is_active=True, category__isnull=True),
                name="sla_policy_one_active_without_category",
            ),
            models.UniqueConstraint(
                fields=["tier", "category", "country"],
                condition=Q(is_active=True, category__isnull=False),
                name="sla_policy_one_active_per_category",
            ),
            models.CheckConstraint(
                condition=Q(ack_minutes__gt=0, decide_minutes__gt=0), name="sla_policy_positive_targets"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SlaBreach(models.Model):
    """A missed target, recorded once per case and kind by the SLA sweeper."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sla_breaches")
    kind = models.CharField(max_length=8, choices=BreachKind.choices)
    due_at = models.DateTimeField()
    detected_at = models.DateTimeField(db_index=True)
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    policy_name = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["detected_at", "pk"]
        verbose_name = "SLA breach"
        verbose_name_plural = "SLA breaches"
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="sla_breach_once_per_case_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: case {self.case_id}"


class SweepRun(models.Model):
    """The heartbeat of a background sweep: when it last ran and what it did.

    One row per sweep (``name``), updated at the start and end of each run,
    so the watchdog can tell a sweeper that stopped from one that is merely
    finding nothing to do.
    """

    name = models.CharField(max_length=64, primary_key=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_claimed = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name
