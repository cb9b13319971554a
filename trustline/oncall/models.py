"""On-call schedules, escalation chains, imminent-harm rules, emergencies and their paging steps."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.core.ids import uuid7
from trustline.notifications.models import WebhookEndpoint
from trustline.oncall.choices import ContactKind, EmergencySource, EmergencyState, Rotation, StepTarget


class ImminentRule(models.Model):
    """A triage rule that makes a case imminent-harm even when the partner did not flag it.

    Every condition that is set must hold (empty ones are ignored): the
    report's category is ``category_code``; its language starts with
    ``language`` (``ar`` matches ``ar-SD``); any of ``keywords`` (phrases,
    case-insensitive) appears in the explanation, the imminent-harm reason or
    an item's excerpt; any of ``targets`` is among the report's targets. A rule
    with no condition at all is refused by the service (it would match everything).
    """

    name = models.CharField(max_length=120)
    category_code = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=35, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    targets = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Schedule(models.Model):
    """A rotation of people on call, handing off at a local time in an IANA time zone.

    Shift ``k`` starts at ``handoff_time`` local time on ``start_date`` plus
    ``k`` days (daily) or weeks (weekly; ``start_date`` should fall on the
    hand-off weekday). Participant ``k mod n`` is primary, the next one
    secondary. Local wall-clock hand-offs stay at 09:00 across DST changes.
    """

    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(max_length=64, help_text="IANA name, e.g. Africa/Khartoum")
    rotation = models.CharField(max_length=8, choices=Rotation.choices, default=Rotation.WEEKLY)
    handoff_time = models.TimeField(default=dt.time(9, 0))
    start_date = models.DateField(help_text="the first shift starts on this local date at the hand-off time")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ScheduleParticipant(models.Model):
    """One person in a schedule's rotation order."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["schedule_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "position"], name="oncall_participant_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id}#{self.position}: {self.user_id}"


class ScheduleOverride(models.Model):
    """``user`` is primary on call from ``start_at`` to ``end_at`` (a holiday cover, a swap).

    Where overrides overlap, the most recently created wins.
    """

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["schedule_id", "start_at"]
        indexes = [models.Index(fields=["schedule", "start_at", "end_at"], name="oncall_override_window_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(end_at__gt=F("start_at")), name="oncall_override_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.schedule_id} {self.start_at:%Y-%m-%d %H:%M}"


class EscalationChain(models.Model):
    """Ordered steps that page people until someone acknowledges; ``is_default`` is used for new emergencies.

    After the last step, the chain starts again from step 1 (waiting
    ``repeat_delay_minutes``) up to ``repeat_count`` more times.
    """

    name = models.CharField(max_length=120, unique=True)
    is_default = models.BooleanField(default=False)
    repeat_count = models.PositiveSmallIntegerField(default=2)
    repeat_delay_minutes = models.PositiveIntegerField(default=5)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="oncall_one_default_chain"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    """One step: page ``target`` ``delay_minutes`` after the previous step (step 1: after paging starts)."""

    chain = models.ForeignKey(EscalationChain, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    target = models.CharField(max_length=24, choices=StepTarget.choices)
    schedule = models.ForeignKey(Schedule, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    delay_minutes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["chain_id", "position"]
        constraints = [models.UniqueConstraint(fields=["chain", "position"], name="oncall_step_position_unique")]

    def __str__(self) -> str:
        return f"{self.chain_id} step {self.position}: {self.target}"


class ContactMethod(models.Model):
    """Where a person is paged. A person with no active method is paged by e-mail at their address.

    ``address``: an e-mail address, a phone number (SMS/voice), or a PagerDuty
    routing key. A signed webhook names its ``endpoint`` (notifications app),
    whose secret signs the page.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="oncall_contacts")
    kind = models.CharField(max_length=16, choices=ContactKind.choices)
    address = models.CharField(max_length=300, blank=True)
    endpoint = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["user_id", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class Emergency(models.Model):
    """The emergency-lane record of an imminent-harm case or of an emergency law-enforcement request.

    Exactly one of ``case`` (an imminent-harm case, one emergency per case)
    and ``le_request`` (an emergency disclosure request of
    ``trustline.lawenforcement``, which has no case) is set: a check
    constraint holds it. On the board while active. ``chain_snapshot`` is the
    escalation chain copied when paging started, so editing the chain later
    never changes a running escalation.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    case = models.OneToOneField(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="emergency")
    # By name: the law-enforcement app pages through this one, so neither models module imports the other.
    le_request = models.OneToOneField(
        "lawenforcement.InboundRequest", null=True, blank=True, on_delete=models.CASCADE,
        related_name="oncall_emergency",
    )
    state = models.CharField(max_length=16, choices=EmergencyState.choices, default=EmergencyState.OPEN)
    source = models.CharField(max_length=16, choices=EmergencySource.choices)
    reason = models.TextField(
        blank=True,
        help_text="the partner's imminent-harm reason, or the rule that matched (never a law-enforcement request's)",
    )
    rule_name = models.CharField(max_length=120, blank=True)
    opened_at = models.DateTimeField()
    chain_snapshot = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    acknowledged_via = models.CharField(max_length=16, blank=True, help_text="link, ui or api")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    close_reason = models.TextField(blank=True)
    pagerduty_routes = models.JSONField(
        default=list, blank=True, help_text="PagerDuty routing keys paged, told on acknowledge and resolve"
    )

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["state", "opened_at"], name="oncall_emergency_state_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(case__isnull=False, le_request__isnull=True)
                           | Q(case__isnull=True, le_request__isnull=False)),
                name="oncall_emergency_case_or_le_request",
            ),
        ]

    def __str__(self) -> str:
        return f"Emergency {self.pk} ({self.state})"

    @property
    def is_law_enforcement(self) -> bool:
        """For a law-enforcement request: no case, no partner, no timeline; minimal text on the board."""
        return self.le_request_id is not None

    @property
    def is_active(self) -> bool:
        return self.state in (EmergencyState.OPEN, EmergencyState.ACKNOWLEDGED)


class PageStep(models.Model):
    """One scheduled step of a running escalation: fires at ``due_at`` unless cancelled first.

    All steps of every round are written when paging starts (from the
    snapshot). The sweeper claims a due step with a conditional UPDATE
    (``fired_at IS NULL AND cancelled_at IS NULL``), so each fires once.
    """

    emergency = models.ForeignKey(Emergency, on_delete=models.CASCADE, related_name="steps")
    sequence = models.PositiveIntegerField(help_text="order across rounds, from 0")
    round = models.PositiveSmallIntegerField(default=0)
    step_index = models.PositiveSmallIntegerField()
    target = models.JSONField(default=dict, help_text="the step as copied from the chain")
    due_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    paged_user_ids = models.JSONField(default=list, blank=True)
    message_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["emergency_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["emergency", "sequence"], name="oncall_step_sequence_unique"),
        ]
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(fired_at__isnull=True, cancelled_at__isnull=True),
                name="oncall_step_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.emergency_id} step {self.sequence}"


class AckToken(models.Model):
    """A one-time acknowledge link sent to one person for one emergency; only its SHA-256 is stored."""

    emergency = models.ForeignKey(Emergency, on_delete=models.CASCADE, related_name="ack_tokens")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"ack link for {self.emergency_id}"
