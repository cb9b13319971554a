"""Cases: one piece of reported content, however many partners reported it."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

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

    The triage fields (``trustline.triage``) are written only by triage
    services: ``tier``, ``priority`` with the ``priority_components`` that sum
    to it, the SLA policy in force copied into ``sla_policy_snapshot`` (later
    policy edits do not move running deadlines), the indexed due times, and the
    ``*_breached`` flags the SLA sweeper claims with a conditional UPDATE.
    ``acknowledged_at`` is set by whoever first takes the case into review.
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

    # --- Triage (trustline.triage) ---------------------------------------------
    reach = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="views or audience of the content, when the platform knows it"
    )
    tier = models.PositiveSmallIntegerField(null=True, blank=True, help_text="severity tier, 1 most severe")
    priority = models.IntegerField(default=0)
    priority_components = models.JSONField(default=dict, blank=True)
    priority_computed_at = models.DateTimeField(null=True, blank=True)
    scored_item_count = models.PositiveIntegerField(
        default=0, help_text="item_count when the priority was last computed: more items means rescore"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    sla_policy_snapshot = models.JSONField(default=dict, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    ack_due_at = models.DateTimeField(null=True, blank=True)
    decide_due_at = models.DateTimeField(null=True, blank=True)
    ack_breached = models.BooleanField(default=False)
    decide_breached = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key_hash"], condition=Q(is_open=True), name="case_one_open_per_key"),
        ]
        indexes = [
            models.Index(fields=["key_hash"], name="case_key_idx"),
            models.Index(fields=["status", "opened_at"], name="case_status_opened_idx"),
            models.Index(fields=["ack_due_at"], name="case_ack_due_idx"),
            models.Index(fields=["decide_due_at"], name="case_decide_due_idx"),
            # Small partial indexes for the background jobs: cases waiting for
            # triage, and triaged cases with items newer than their score.
            models.Index(
                fields=["opened_at"], condition=Q(triaged_at__isnull=True, is_open=True), name="case_untriaged_idx"
            ),
            models.Index(
                fields=["last_reported_at"],
                condition=Q(is_open=True, triaged_at__isnull=False, item_count__gt=F("scored_item_count")),
                name="case_rescore_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk}"
