"""Enforcement actions sent to the platform, and the demo platform's own state."""

from __future__ import annotations

from django.db import models

from trustline.cases.models import Case
from trustline.core.ids import uuid7
from trustline.intake.models import ReportItem
from trustline.notifications.models import OutboxMessage
from trustline.platforms.choices import NOT_IN_EFFECT, ActionStatus, ActionType, SnapshotTrigger, Verification


class EnforcementActionRecord(models.Model):
    """One enforcement action Trustline asked the platform to carry out, and what came of it.

    Written only by :mod:`trustline.platforms.services`. ``idempotency_key``
    is unique: asking again with the same key returns this row instead of
    acting twice. The target is copied from the action (``target_url``,
    ``target_platform_id``, ``target_kind``) because account actions may aim
    at something that is not one of the case's items; ``item`` links the
    reported item when the target is one. ``connector`` is the name of the
    connector that handled it and ``reference`` the platform's identifier for
    what it did (for the manual connector, what the reviewer typed when
    confirming). ``outbox_message`` is the signed request of the webhook
    connector, whose delivery status tells whether the platform received it.
    A ``reinstate`` record undoes the earlier action whose key is
    ``reverses_key`` (a contest reversed the decision that asked for it).

    Retries are data: ``attempts`` counts connector calls and
    ``next_attempt_at`` is when the retry sweeper drives the action again:
    the backoff time of a ``failed`` record, the end of the grace period of
    one in ``requested`` (being driven; past it, the driver died). It is
    null once the action is settled, and for a failed action out of
    attempts, which stays ``failed`` (``result_message`` keeps the error).

    An action that should take content offline (``VERIFIED_ACTIONS``), and
    the reinstatement that undoes one, is checked once it is done:
    ``verify_due_at`` is the timer, ``verification`` the finding,
    ``verification_snapshot`` what the platform said then.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="enforcement_actions")
    item = models.ForeignKey(
        ReportItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="enforcement_actions"
    )
    decision_id = models.CharField(max_length=64, blank=True)
    action_type = models.CharField(max_length=32, choices=ActionType.choices)
    target_url = models.TextField(blank=True)
    target_platform_id = models.CharField(max_length=256, blank=True)
    target_kind = models.CharField(max_length=16, blank=True)
    territorial_scope = models.JSONField(default=list, blank=True, help_text="ISO 3166-1 alpha-2 codes")
    label = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    policy_code = models.CharField(max_length=64, blank=True)
    reverses_key = models.CharField(max_length=200, blank=True, help_text="reinstate: the action undone (its key)")
    reverses_type = models.CharField(max_length=32, blank=True, help_text="reinstate: the type of the action undone")
    status = models.CharField(max_length=24, choices=ActionStatus.choices, default=ActionStatus.REQUESTED)
    connector = models.CharField(max_length=64)
    reference = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    outbox_message = models.ForeignKey(
        OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by = models.CharField(max_length=64, help_text="audit actor id")
    requested_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True, help_text="when the connector answered")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.CharField(max_length=64, blank=True, help_text="audit actor id")
    result_message = models.TextField(blank=True, help_text="the connector's answer; for a failure, the error")
    attempts = models.PositiveIntegerField(default=0, help_text="connector calls made (or started)")
    next_attempt_at = models.DateTimeField(
        null=True, blank=True,
        help_text="when the retry sweeper drives the action again; null when nothing is left to do",
    )
    # Verification (platforms/verification.py): is content an action was to take offline really offline?
    verify_due_at = models.DateTimeField(null=True, blank=True, help_text="when the platform is asked; null: not")
    verify_attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    verification = models.CharField(max_length=16, choices=Verification.choices, blank=True, default="")
    verification_snapshot = models.ForeignKey(
        "platforms.ContentSnapshot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["requested_at", "id"]
        indexes = [
            models.Index(fields=["case", "requested_at"], name="enforcement_case_idx"),
            models.Index(fields=["status", "requested_at"], name="enforcement_status_idx"),
            # Only the few rows waiting for a retry (or being driven) are in it: the sweeper's whole query.
            models.Index(fields=["next_attempt_at"], name="enforcement_retry_due_idx",
                         condition=models.Q(next_attempt_at__isnull=False)),
            models.Index(fields=["verify_due_at"], name="enforcement_verify_due_idx",
                         condition=models.Q(verify_due_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_type_display()} ({self.status}) for case {self.case_id}"

    @property
    def not_in_effect(self) -> bool:
        """The check found the platform had not done it: content still online, or still offline after a reinstate."""
        return self.verification in NOT_IN_EFFECT


class ContentSnapshot(models.Model):
    """What the platform said about a case's content at one moment, preserved (user need 12).

    Taken by :mod:`trustline.platforms.snapshots` when the case is triaged,
    again every ``SNAPSHOT_REFRESH_HOURS`` while it is open, and when a
    reviewer asks. Content is edited, deleted by its author, or removed by
    the platform before anyone reviews it; the snapshot is what the reviewer,
    a contest or a law-enforcement referral can still rely on.

    ``payload`` is the connector's :class:`~trustline.platforms.connectors.ContentDescription`
    as a dict; ``sha256`` is the SHA-256 of its canonical JSON (sorted keys,
    no spaces, UTF-8), so a copy handed to an investigator can be checked.
    ``views`` and ``shares`` are copied out of it: reach over time stays
    countable after the payload is purged. A regular look that finds the
    platform saying the same as the latest snapshot (``content_sha256``, the
    hash without ``fetched_at``) stores no copy: it moves ``unchanged_until``. An attempt the platform did not
    answer is kept too (``available`` false, ``error``): "the platform was
    down at 03:12" is part of the record.

    Retention follows evidence files' (``intake.retention``): the payload is
    emptied ``EVIDENCE_RETENTION_DAYS`` after the case closed, unless a
    contest or a legal hold keeps it; the row, its hash and the figures stay.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="snapshots")
    taken_at = models.DateTimeField()
    trigger = models.CharField(max_length=16, choices=SnapshotTrigger.choices)
    requested_by = models.CharField(max_length=64, help_text="audit actor id")
    source = models.CharField(max_length=64, help_text="the connector that answered")
    available = models.BooleanField()
    error = models.TextField(blank=True)
    online = models.BooleanField(null=True, blank=True)
    views = models.PositiveBigIntegerField(null=True, blank=True)
    shares = models.PositiveBigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    sha256 = models.CharField(max_length=64)
    content_sha256 = models.CharField(
        max_length=64, help_text="SHA-256 of the payload without fetched_at: equal means the platform said the same"
    )
    unchanged_until = models.DateTimeField(
        null=True, blank=True, help_text="the last time a regular look found the platform saying the same"
    )
    retention_check_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["taken_at", "id"]
        indexes = [
            models.Index(fields=["case", "taken_at"], name="snapshot_case_taken_idx"),
            models.Index(fields=["retention_check_at"], condition=models.Q(purged_at__isnull=True),
                         name="snapshot_retention_due_idx"),
        ]

    def __str__(self) -> str:
        return f"Snapshot of case {self.case_id} at {self.taken_at:%Y-%m-%d %H:%M}"


class DemoContentState(models.Model):
    """What has been done to one piece of content (or one account) on the demo platform Kite.

    The demo platform (:mod:`trustline.platforms.demo`) is part of Trustline
    so the whole loop runs locally: its content comes from a data file, and
    enforcement actions change these rows, which ``describe`` then reflects.
    ``key_hash`` is the SHA-256 of the content's URL (or ``id:<platform id>``);
    account actions are kept on the account's row (``https://kite.example/@<handle>``).
    ``history`` lists every action applied, with its idempotency key, so a
    repeated action changes nothing. ``first_seen_at`` is when Kite was first
    asked about the content (a row is created then if none exists): its view
    count grows from that moment (``demo._grown``).
    """

    key_hash = models.CharField(max_length=64, unique=True)
    url = models.TextField(blank=True)
    platform_id = models.CharField(max_length=256, blank=True)
    removed = models.BooleanField(default=False)
    visibility_restricted = models.BooleanField(default=False)
    geo_restricted_in = models.JSONField(default=list, blank=True)
    labels = models.JSONField(default=list, blank=True)
    age_restricted = models.BooleanField(default=False)
    account_restricted = models.BooleanField(default=False)
    account_suspended = models.BooleanField(default=False)
    history = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField()
    first_seen_at = models.DateTimeField(
        null=True, blank=True, help_text="the first time Kite was asked about it: its view count grows from then"
    )

    class Meta:
        verbose_name = "demo platform content state"

    def __str__(self) -> str:
        return self.url or self.platform_id

    @property
    def labelled(self) -> bool:
        return bool(self.labels)
