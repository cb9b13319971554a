"""On-call vocabularies: stable string values. Append, never rename."""

from __future__ import annotations

from django.db import models


class Rotation(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"


class StepTarget(models.TextChoices):
    """Who an escalation step pages."""

    SCHEDULE_PRIMARY = "schedule_primary", "Primary on call of a schedule"
    SCHEDULE_SECONDARY = "schedule_secondary", "Secondary on call of a schedule"
    USER = "user", "A specific person"
    ESCALATION_LEADS = "escalation_leads", "Every escalation lead"
    EVERYONE = "everyone", "Everyone on the chain"
    LE_LIAISONS = "le_liaisons", "Every law-enforcement liaison"


class ContactKind(models.TextChoices):
    """How a person is paged (each becomes an outbox message on the matching channel)."""

    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Signed webhook"
    PAGERDUTY = "pagerduty", "PagerDuty Events API v2"
    SMS = "sms", "SMS (through the SMS/voice webhook)"
    VOICE = "voice", "Voice call (through the SMS/voice webhook)"


class EmergencyState(models.TextChoices):
    OPEN = "open", "Paging"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    DOWNGRADED = "downgraded", "Downgraded (not imminent)"


# States in which an emergency is on the board and its case stays out of the ordinary queue.
ACTIVE_STATES = (EmergencyState.OPEN, EmergencyState.ACKNOWLEDGED)


class EmergencySource(models.TextChoices):
    PARTNER = "partner", "The partner flagged imminent harm"
    RULE = "rule", "A triage rule matched"
    LAW_ENFORCEMENT = "law_enforcement", "An emergency law-enforcement request"
