"""The metrics roll-up: one fact row per reported item, rebuilt from the source tables by SQL.

Why a roll-up rather than querying intake, cases, review and appeals
directly: every figure needs, per item, the first decision on its case after
the item arrived and the paused time inside that interval (ClockPause rows),
which are correlated sub-queries. Done at read time over a quarter of
millions of items that costs seconds per figure; done once per change (by
:mod:`trustline.metrics.facts`, a set-based ``INSERT ... SELECT``) it leaves
every read a plain aggregate over one narrow, indexed table. Both databases
run the same SQL. See docs/metrics.md for the definitions.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class ItemFact(models.Model):
    """What the metrics need to know about one reported item (a partner's escalation of one piece of content).

    Written only by :func:`trustline.metrics.facts.facts_refresh` (never by
    hand): slices copied from the report and case, the case's SLA due times,
    and the derived response times in seconds. ``decided_at`` is the first
    *final* decision on the case that took effect at or after the item was
    received (a needs-more-information question is not a decision);
    ``paused_seconds`` is the time inside ``[received_at, decided_at or
    refresh time]`` during which the case's clock was paused waiting for a
    partner; ``turnaround_seconds`` is ``decided_at - received_at -
    paused_seconds``. ``outcome`` and ``actions`` are those of the case's
    effective decision now (after any contest), ``first_outcome`` that of the
    first decision. ``reversed_on_contest``: a contest reversed (or partly
    reversed) a decision on the case, which therefore got a new one.
    """

    item_id = models.UUIDField(primary_key=True)
    case_id = models.UUIDField(db_index=True)
    report_id = models.UUIDField()
    organisation_id = models.BigIntegerField()
    country = models.CharField(max_length=2, blank=True)
    language = models.CharField(max_length=35, blank=True)
    category_code = models.CharField(max_length=64, blank=True)
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    crisis = models.BooleanField(default=False)
    imminent_harm = models.BooleanField(default=False)
    received_at = models.DateTimeField()
    opens_case = models.BooleanField(default=False, help_text="the first item of its case: counts the case once")
    ack_due_at = models.DateTimeField(null=True, blank=True)
    decide_due_at = models.DateTimeField(null=True, blank=True)
    first_action_at = models.DateTimeField(null=True, blank=True, help_text="case claimed or first decision")
    first_action_seconds = models.FloatField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.FloatField(default=0)
    clock_paused = models.BooleanField(default=False, help_text="a pause was open at refresh time")
    turnaround_seconds = models.FloatField(null=True, blank=True)
    first_outcome = models.CharField(max_length=32, blank=True)
    outcome = models.CharField(max_length=32, blank=True)
    actions = models.TextField(blank=True, help_text='JSON list as text, e.g. ["remove"]')
    referred_policy = models.BooleanField(default=False)
    reversed_on_contest = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["received_at"], name="itemfact_received_idx"),
            models.Index(fields=["organisation_id", "received_at"], name="itemfact_org_received_idx"),
            models.Index(fields=["decided_at"], name="itemfact_decided_idx"),
            # The backlog now: undecided, open items (a small part of the table), covering the backlog
            # dashboard's columns so PostgreSQL answers from the index alone (``include`` is PostgreSQL-only).
            models.Index(
                fields=["received_at"], condition=Q(decided_at__isnull=True, closed_at__isnull=True),
                include=["tier", "country", "language", "crisis", "category_code", "organisation_id",
                         "imminent_harm", "case_id", "decide_due_at", "clock_paused"],
                name="itemfact_backlog_cover_idx",
            ),
            models.Index(fields=["closed_at"], condition=Q(decided_at__isnull=True), name="itemfact_closed_idx"),
        ]

    def __str__(self) -> str:
        return f"Item {self.item_id}"


class FactsState(models.Model):
    """The roll-up's watermark: source changes up to ``refreshed_through`` are in :class:`ItemFact`.

    One row (``name = "item_facts"``). The refresh re-reads a safety margin
    before the watermark, because a transaction may commit a change stamped
    a little before the refresh began.
    """

    name = models.CharField(max_length=32, primary_key=True)
    refreshed_through = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_cases = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name
