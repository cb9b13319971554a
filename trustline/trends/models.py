"""Spikes of reports, clusters of related cases (incidents and campaigns), and the clustering cursor."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.core.ids import uuid7
from trustline.trends.choices import IncidentKind, Signal, SpikeStatus


class Spike(models.Model):
    """An unusual number of reports for one (country, category, language) on one day, with its evidence.

    One row per series and day (unique), so detection can run any number of
    times: a later run of the same day refreshes the evidence (the day's count
    grows until midnight) and never notifies twice. ``baseline`` keeps what the
    test compared against: the same-weekday counts with their dates, the
    total of the baseline days, the pooled weekday factor and the dispersion.
    A programme manager or policy analyst may dismiss a spike as a false
    alarm, with a reason; dismissed spikes stay (they measure the method).
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    day = models.DateField(help_text="the UTC day of the reports")
    country = models.CharField(max_length=2)
    category_code = models.CharField(max_length=64)
    language = models.CharField(max_length=8, help_text="base language (ar for ar-SD), und when unknown")
    observed = models.PositiveIntegerField()
    expected = models.FloatField()
    p_value = models.FloatField(help_text="max of the same-weekday and level tests, before correction")
    p_same_weekday = models.FloatField()
    p_level = models.FloatField()
    series_tested = models.PositiveIntegerField(help_text="series tested that day (the correction's m)")
    baseline = models.JSONField(default=dict)
    method = models.CharField(max_length=64, help_text="method and parameters, for the record")
    status = models.CharField(max_length=16, choices=SpikeStatus.choices, default=SpikeStatus.OPEN)
    detected_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    dismiss_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-day", "-observed", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "country", "category_code", "language"], name="spike_one_per_series_day"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-day"], name="spike_status_day_idx"),
            models.Index(fields=["country", "-day"], name="spike_country_day_idx"),
        ]

    def __str__(self) -> str:
        return f"Spike {self.country}/{self.category_code}/{self.language} on {self.day}"


class Incident(models.Model):
    """Related cases: the same account, group or site, or the same text (then often a campaign).

    Counters and summaries (``member_count``, ``countries``, ``languages``,
    ``categories``, first and last seen) are recomputed by the clustering
    service from the members each time they change, so a list of incidents
    never counts rows. ``kind`` is ``campaign`` when near-duplicate text came
    from at least two different accounts, the mark of coordination.
    An incident absorbed by another is kept with ``merged_into`` set.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    kind = models.CharField(max_length=16, choices=IncidentKind.choices, default=IncidentKind.INCIDENT)
    title = models.CharField(max_length=200)
    member_count = models.PositiveIntegerField(default=0)
    account_count = models.PositiveIntegerField(default=0)
    partner_count = models.PositiveIntegerField(default=0)
    countries = models.JSONField(default=list)
    languages = models.JSONField(default=list)
    categories = models.JSONField(default=list)
    signals = models.JSONField(default=dict, help_text="signal -> number of members that joined by it")
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-last_seen_at", "id"]
        indexes = [
            models.Index(fields=["-last_seen_at"], condition=Q(merged_into__isnull=True), name="incident_live_idx"),
            models.Index(fields=["first_seen_at"], name="incident_first_seen_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class IncidentMember(models.Model):
    """One case in an incident, with the signal that joined it and the case it matched.

    A case belongs to at most one incident (unique ``case``).
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="members")
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="incident_membership")
    signal = models.CharField(max_length=16, choices=Signal.choices)
    signal_value = models.CharField(max_length=300, blank=True, help_text="the shared account, group or domain")
    matched_case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    similarity = models.FloatField(null=True, blank=True, help_text="estimated Jaccard similarity (near-duplicates)")
    joined_at = models.DateTimeField()

    class Meta:
        ordering = ["joined_at", "id"]
        indexes = [models.Index(fields=["incident", "joined_at"], name="incident_member_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} in {self.incident_id}"


class CaseFingerprint(models.Model):
    """What clustering knows about a case: its author, group, domains and text's MinHash.

    Written once per case by the clustering job; its existence marks the case
    as processed. ``minhash`` is the MinHash signature (``NUM_PERM`` 64-bit
    values, little-endian); ``opened_at`` copies the case's, so candidates are
    looked up within the clustering window without a join.
    """

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="+")
    opened_at = models.DateTimeField()
    author = models.CharField(max_length=300, blank=True)
    text_chars = models.PositiveIntegerField(default=0)
    minhash = models.BinaryField(null=True, blank=True)
    described = models.BooleanField(default=False, help_text="the platform connector answered")
    processed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Fingerprint of {self.case_id}"


class CaseKey(models.Model):
    """An exact clustering key of a case (author, group, domain), or an LSH band of its text."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, help_text="a KeyKind value, or 'band'")
    value = models.CharField(max_length=300)
    opened_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["kind", "value", "opened_at"], name="casekey_lookup_idx")]
        constraints = [models.UniqueConstraint(fields=["case", "kind", "value"], name="casekey_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class ClusterCursor(models.Model):
    """The clustering watermark: cases up to ``last_case_id`` (UUIDv7, time-ordered) were looked at."""

    name = models.CharField(max_length=32, primary_key=True)
    last_case_id = models.UUIDField(null=True, blank=True)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.last_case_id}"

