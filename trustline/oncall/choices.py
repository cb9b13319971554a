"""On-call vocabularies: stable string values. Append, never rename."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Rotation(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class StepTarget(models.TextChoices):
    """Who an escalation step pages."""

    SCHEDULE_PRIMARY = "schedule_primary", _("Primary on call of a schedule")
    SCHEDULE_SECONDARY = "schedule_secondary", _("Secondary on call of a schedule")
    USER = "user", _("A specific person")
    ESCALATION_LEADS = "escalation_leads", _("Every escalation lead")
    EVERYONE = "everyone", _("Everyone on the chain")
    LE_LIAISONS = "le_liaisons", _("Every law-enforcement liaison")


class ContactKind(models.TextChoices):
    """How a person is paged (each becomes an outbox message on the matching channel)."""

    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Signed webhook")
    PAGERDUTY = "pagerduty", _("PagerDuty Events API v2")
    SMS = "sms", _("SMS (through the SMS/voice webhook)")
    VOICE = "voice", _("Voice call (through the SMS/voice webhook)")


class EmergencyState(models.TextChoices):
    OPEN = "open", _("Paging")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")
    DOWNGRADED = "downgraded", _("Downgraded (not imminent)")


# States in which an emergency is on the board and its case stays out of the ordinary queue.
ACTIVE_STATES = (EmergencyState.OPEN, EmergencyState.ACKNOWLEDGED)


class EmergencySource(models.TextChoices):
    PARTNER = "partner", _("The partner flagged imminent harm")
    RULE = "rule", _("A triage rule matched")
    LAW_ENFORCEMENT = "law_enforcement", _("An emergency law-enforcement request")
