"""Cases: one piece of reported content, however many partners reported it."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from trustline.accounts.models import User
from trustline.cases.choices import CaseStatus
from trustline.core.ids import uuid7
from trustline.routing.choices import LanguageSource, RoutingPool

# The claimable queue: triaged cases nobody holds (claiming moves a case to ``in_review``).
QUEUE = Q(status=CaseStatus.TRIAGED)
QUEUE_ORDER = ["-priority", "decide_due_at", "opened_at", "id"]


def _queue_fields(*leading: str) -> list[str]:
    """Index columns: ``leading`` ones, then the queue order (``-`` is descending)."""
    return [*leading, *QUEUE_ORDER]


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

    The routing fields (``trustline.routing``) are written only by routing
    services. At triage: the content's ``language`` (the partner's tag, or
    detected from the text, with ``language_source`` and
    ``language_confidence``) and the ``routing_*`` columns that make "who may
    review this" a matter of indexed equality tests: the base language
    (``ar`` for ``ar-SD``), the region of the country, the policy area and
    the clearance the reported categories need, and the moments at which the
    pool of reviewers widens (``route_language_at``, ``route_regional_at``,
    ``route_translation_at``; see ``trustline.routing.eligibility``). When a
    reviewer claims the case: ``assigned_to``, ``claimed_at``, a lease that
    expires unless renewed (``lease_expires_at``), and why they got it
    (``routing_pool``, ``routing_reason``). The partial indexes over
    ``status = 'triaged'`` serve the claim query, one per routing key, each
    in queue order (priority, then decide-by time, then age).
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

    # --- Routing (trustline.routing) -------------------------------------------
    language = models.CharField(max_length=35, blank=True, help_text="BCP 47 tag of the content, e.g. ar-SD")
    language_confidence = models.FloatField(null=True, blank=True, help_text="0..1 when detected")
    language_source = models.CharField(max_length=16, blank=True, choices=LanguageSource.choices)
    routing_language_base = models.CharField(max_length=8, blank=True, help_text="ar for ar-SD")
    routing_region = models.CharField(max_length=32, blank=True)
    routing_policy_area = models.CharField(max_length=120, blank=True)
    routing_clearance = models.CharField(
        max_length=200, blank=True, help_text="clearances a reviewer needs, sorted and comma-separated"
    )
    route_language_at = models.DateTimeField(null=True, blank=True)
    route_regional_at = models.DateTimeField(null=True, blank=True)
    route_translation_at = models.DateTimeField(null=True, blank=True)
    # Both user links are empty on a new case, so their indexes are partial (Meta), not the FK default.
    routing_excluded_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False,
        help_text="never route to this person (e.g. the first reviewer of a contested decision)",
    )
    assigned_to = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )  # case_assigned_idx
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    routing_pool = models.CharField(max_length=16, blank=True, choices=RoutingPool.choices)
    routing_reason = models.TextField(blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    hold_reason = models.TextField(blank=True)

    # --- Content snapshots (trustline.platforms.snapshots) ----------------------
    snapshot_due_at = models.DateTimeField(
        null=True, blank=True,
        help_text="when the platform is next asked to describe the content for a preserved snapshot; "
                  "null when nothing is planned",
    )

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
            # Routing: the queue in claim order, and the same per routing key (trustline.routing).
            models.Index(fields=_queue_fields(), condition=QUEUE, name="case_queue_idx"),
            models.Index(fields=_queue_fields("language"), condition=QUEUE, name="case_queue_lang_idx"),
            models.Index(fields=_queue_fields("routing_language_base"), condition=QUEUE, name="case_queue_base_idx"),
            models.Index(fields=_queue_fields("country"), condition=QUEUE, name="case_queue_country_idx"),
            models.Index(fields=_queue_fields("routing_region"), condition=QUEUE, name="case_queue_region_idx"),
            models.Index(fields=_queue_fields("routing_policy_area"), condition=QUEUE, name="case_queue_area_idx"),
            models.Index(fields=["route_translation_at"], condition=QUEUE, name="case_queue_translation_idx"),
            models.Index(
                fields=["lease_expires_at"], condition=Q(status=CaseStatus.IN_REVIEW), name="case_lease_idx"
            ),
            models.Index(
                fields=["assigned_to", "lease_expires_at"], condition=Q(assigned_to__isnull=False),
                name="case_assigned_idx",
            ),
            models.Index(
                fields=["routing_excluded_user"], condition=Q(routing_excluded_user__isnull=False),
                name="case_excluded_user_idx",
            ),
            # The snapshot sweeper's whole query: only cases with a snapshot planned are in it.
            models.Index(
                fields=["snapshot_due_at"], condition=Q(snapshot_due_at__isnull=False), name="case_snapshot_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk}"
