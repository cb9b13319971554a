"""Partner submissions: reports (DSA Art. 16 notices), their items and evidence."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q

from trustline.accounts.models import ApiKey, Organisation, User
from trustline.cases.models import Case
from trustline.core.ids import uuid7
from trustline.intake.choices import Channel, ItemKind, ReportStatus, TimelineKind
from trustline.intake.evidence_check import IMAGE_PREVIEW_TYPES, PDF, TEXT_PLAIN
from trustline.taxonomy.models import Category


class Report(models.Model):
    """One partner submission of 1 to 500 items.

    ``dsa_elements`` records which Art. 16(2) elements the notice satisfies
    (explanation, exact location, notifier identity, bona fide statement).
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # Indexes are paid on every report: the organisation's is report_org_received_idx's first column, and
    # reports sent with an API key have no submitting user (a partial index) -- see Meta.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="reports", db_index=False
    )
    submitted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    explanation = models.TextField()
    country = models.CharField(max_length=2)
    language = models.CharField(max_length=35, blank=True)
    imminent_harm = models.BooleanField(default=False)
    imminent_harm_reason = models.TextField(blank=True)
    targets = models.JSONField(default=list, blank=True)
    bona_fide = models.BooleanField()
    dsa_elements = models.JSONField(default=dict)
    reference = models.CharField(max_length=100, blank=True, help_text="the partner's own reference")
    status = models.CharField(max_length=16, choices=ReportStatus.choices, default=ReportStatus.RECEIVED)
    received_at = models.DateTimeField()
    item_count = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "-received_at"], name="report_org_received_idx"),
            models.Index(fields=["organisation", "status"], name="report_org_status_idx"),
            models.Index(fields=["received_at"], name="report_received_idx"),
            models.Index(fields=["submitted_by"], condition=Q(submitted_by__isnull=False),
                         name="report_submitted_by_idx"),
        ]

    def __str__(self) -> str:
        return f"Report {self.pk}"


class ReportItem(models.Model):
    """One reported piece of content: a URL or a platform identifier."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # No index of its own: item_position_unique (report, position) starts with it.
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="items", db_index=False)
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=ItemKind.choices)
    url = models.TextField(blank=True, help_text="as submitted")
    canonical_url = models.TextField(blank=True)
    platform_id = models.CharField(max_length=256, blank=True)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="items")
    excerpt = models.TextField(blank=True, help_text="the content as the partner saw it")
    location_details = models.TextField(blank=True, help_text="e.g. a time code in a video")

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["report", "position"], name="item_position_unique")]

    def __str__(self) -> str:
        return self.canonical_url or self.platform_id


def evidence_path(instance: Evidence, filename: str) -> str:
    # Never the uploaded name: content-addressed under the report, extension from the detected type.
    return f"evidence/{instance.report_id}/{instance.sha256}{instance.extension}"


class Evidence(models.Model):
    """A screenshot, PDF or text note backing a report, checked by its content."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="evidence")
    item = models.ForeignKey(ReportItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    extension = models.CharField(max_length=10)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField()
    uploaded_by = models.CharField(max_length=64, help_text="audit actor id")
    # Retention (intake.retention): when the sweeper next looks at this file, and when it deleted it. A purged
    # row keeps its name, type, size and hash; ``file`` is emptied once the bytes are gone from storage.
    retention_check_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    purge_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["uploaded_at"]
        constraints = [models.UniqueConstraint(fields=["report", "sha256"], name="evidence_unique_per_report")]
        indexes = [
            models.Index(fields=["retention_check_at"], condition=Q(purged_at__isnull=True),
                         name="evidence_retention_due_idx"),
            models.Index(fields=["purged_at"], condition=Q(purged_at__isnull=False) & ~Q(file=""),
                         name="evidence_purge_pending_idx"),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def shown_as(self) -> str:
        """How the case page can show it: ``image``/``pdf`` (a preview), ``text`` (an excerpt), ``file`` (download)."""
        if self.content_type in IMAGE_PREVIEW_TYPES:
            return "image"
        if self.content_type == PDF:
            return "pdf"
        return "text" if self.content_type == TEXT_PLAIN else "file"


class IdempotencyRecord(models.Model):
    """Remembers a keyed submission so a retry returns the original instead of a duplicate."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "key"], name="idempotency_unique_key")]

    def __str__(self) -> str:
        return self.key


class BulkUploadRecord(models.Model):
    """The answer to a keyed bulk upload, so a retried upload gets it back instead of storing every row again.

    A 10,000-row upload on a weak connection can lose its answer after the
    rows were stored; the partner (or their script) sends the file again
    with the same ``Idempotency-Key``. ``request_hash`` covers the file's
    bytes and the upload's options.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    result = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "key"], name="bulk_idempotency_unique_key")]

    def __str__(self) -> str:
        return self.key


class TimelineEvent(models.Model):
    """A step in a report's life as the partner sees it, timed."""

    # timeline_report_at_idx starts with the report; most events name no item (a partial index): see Meta.
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="timeline", db_index=False)
    item = models.ForeignKey(
        ReportItem, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Values come from TimelineKind; no ``choices`` on the column, so a new kind
    # (each later app adds its own) needs no migration of the intake table.
    kind = models.CharField(max_length=32)
    at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["report", "at"], name="timeline_report_at_idx"),
            models.Index(fields=["item"], condition=Q(item__isnull=False), name="timeline_item_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"

    def get_kind_display(self) -> str:
        """The kind's label; a kind this version does not know shows as its value."""
        try:
            return str(TimelineKind(self.kind).label)
        except ValueError:
            return self.kind
