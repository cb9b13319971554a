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
                include=["item_id", "tier", "country", "language", "crisis", "category_code", "organisation_id",
                         "imminent_harm", "case_id", "decide_due_at", "clock_paused"],
                name="itemfact_backlog_items_idx",
            ),
            models.Index(fields=["closed_at"], condition=Q(decided_at__isnull=True), name="itemfact_closed_idx"),
            # Backlog items falling due in the current hour (the rest of "overdue" is in BacklogDue).
            models.Index(fields=["decide_due_at"], condition=Q(decided_at__isnull=True, closed_at__isnull=True),
                         name="itemfact_backlog_due_idx"),
            # Items not decided yet, by receipt: what the hourly counts leave to be counted at read time
            # (covering, so PostgreSQL reads the index alone).
            models.Index(
                fields=["received_at"], condition=Q(decided_at__isnull=True),
                include=["item_id", "ack_due_at", "first_action_at", "decide_due_at", "clock_paused",
                         "paused_seconds", "organisation_id", "country", "language", "category_code", "tier",
                         "crisis", "imminent_harm"],
                name="itemfact_undecided_idx",
            ),
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


class HourCount(models.Model):
    """Counts of the item facts received in one UTC hour, in total or for one value of one dimension.

    A second roll-up, over :class:`ItemFact`, maintained in the same
    transaction as the facts (:mod:`trustline.metrics.cube`): a quarter is
    ~2,200 hours, so the figures of a whole period are sums over a few
    thousand rows instead of conditional counts over millions of items.

    Only what does not depend on the moment of reading is counted here
    (items, cases, outcomes, and the targets of items already acted on or
    decided). What the passing of time settles for items still undecided
    (acknowledge-by or decide-by passing, the 5 days running out) is counted
    at read time from those items (an indexed, small part of the facts).

    ``dimension`` is ``""`` for the total (``key`` ``""``), otherwise a name
    of :data:`trustline.metrics.selectors.DIMENSIONS` and the value as text
    (see :func:`trustline.metrics.cube.decode_key`). Rows whose counts fall
    to zero (facts deleted) stay, and are ignored by readers.
    """

    hour = models.DateTimeField()
    dimension = models.CharField(max_length=16)
    key = models.CharField(max_length=64)
    items_received = models.IntegerField(db_default=0)
    cases_received = models.IntegerField(db_default=0)
    ack_on_time = models.IntegerField(db_default=0)
    ack_measured = models.IntegerField(db_default=0, help_text="only items already acted on")
    decided_on_time = models.IntegerField(db_default=0)
    decided_measured = models.IntegerField(db_default=0, help_text="only items already decided")
    resolved_5d = models.IntegerField(db_default=0)
    resolved_measured = models.IntegerField(db_default=0, help_text="only items already decided")
    referred_policy = models.IntegerField(db_default=0)
    reversed_on_contest = models.IntegerField(db_default=0)
    # One column per review.choices.Outcome and platforms.choices.ActionType value (a test checks they match).
    outcome_violating = models.IntegerField(db_default=0)
    outcome_not_violating = models.IntegerField(db_default=0)
    outcome_needs_more_information = models.IntegerField(db_default=0)
    outcome_out_of_scope = models.IntegerField(db_default=0)
    outcome_referred_to_policy_review = models.IntegerField(db_default=0)
    outcome_referred_to_law_enforcement = models.IntegerField(db_default=0)
    action_remove = models.IntegerField(db_default=0)
    action_restrict_visibility = models.IntegerField(db_default=0)
    action_geo_restrict = models.IntegerField(db_default=0)
    action_label = models.IntegerField(db_default=0)
    action_age_restrict = models.IntegerField(db_default=0)
    action_restrict_account = models.IntegerField(db_default=0)
    action_suspend_account = models.IntegerField(db_default=0)
    action_no_action = models.IntegerField(db_default=0)
    action_reinstate = models.IntegerField(db_default=0)
    # The backlog now (neither decided nor closed at the last refresh), by hour of receipt.
    backlog_items = models.IntegerField(db_default=0)
    backlog_cases = models.IntegerField(db_default=0, help_text="counted at the case's first backlog item of the slice")
    backlog_received_sum = models.BigIntegerField(db_default=0, help_text="sum of receipt times, epoch seconds")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dimension", "key", "hour"], name="metrics_hourcount_slot_unique"),
        ]
        indexes = [models.Index(fields=["dimension", "hour"], name="metrics_hourcount_dim_hour_idx")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.dimension or 'all'}={self.key}"


class BacklogDue(models.Model):
    """Backlog items with the clock running, per UTC hour of their decide-by time, in total or per slice.

    "Overdue now" is the sum of the hours before the current one, plus the
    facts due earlier in the current hour: the backlog dashboard need not
    read every backlog item. Maintained with :class:`HourCount`.
    """

    hour = models.DateTimeField(help_text="the decide-by time, truncated to the UTC hour")
    dimension = models.CharField(max_length=16)
    key = models.CharField(max_length=64)
    items = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dimension", "key", "hour"], name="metrics_backlogdue_slot_unique"),
        ]

    def __str__(self) -> str:
        return f"due {self.hour:%Y-%m-%d %H}h {self.dimension or 'all'}={self.key}: {self.items}"


class DayHistogram(models.Model):
    """How many items received on one UTC day have a turnaround (or first-action time) in each duration bin.

    The percentiles of a period add these rows up for its whole UTC days and
    read the facts only for the hours at its edges, instead of binning every
    item of the period (:mod:`trustline.metrics.cube`). Bins are those of
    :func:`trustline.metrics.sql.bin_sql`. Kept for the total only (a slice
    reads the facts).
    """

    day = models.DateTimeField(help_text="00:00 UTC of the day the items were received")
    measure = models.CharField(max_length=16, help_text="turnaround or first_action")
    bin = models.BigIntegerField(help_text="seconds")
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["measure", "day", "bin"], name="metrics_dayhistogram_bin_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.measure} {self.bin}s: {self.n}"
