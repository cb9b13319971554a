"""Outbox vocabularies: stable string values. Append, never rename."""

from __future__ import annotations

from django.db import models


class Channel(models.TextChoices):
    """How a message leaves Trustline. Paging channels (PagerDuty, SMS) are added here with their sender."""

    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Signed webhook"
    # Paging (trustline.oncall registers their senders)
    PAGERDUTY = "pagerduty", "PagerDuty Events API v2"
    SMS = "sms", "SMS/voice webhook"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    FAILED = "failed", "Failed, will retry"
    SENT = "sent", "Sent"
    DEAD = "dead", "Gave up"


# Statuses a delivery run may claim (once ``next_attempt_at`` has passed; for
# ``sending`` that is the lease expiry of a worker that vanished mid-send).
CLAIMABLE_STATUSES = (MessageStatus.PENDING, MessageStatus.FAILED, MessageStatus.SENDING)


class EventType(models.TextChoices):
    """The event types an organisation can subscribe a webhook endpoint to (the fixed list the API accepts).

    Senders pass these values to ``notification_send`` (a test checks that
    every sender's constant is listed); an endpoint with no event types
    receives all of them.
    """

    REPORT_DECIDED = "report.decided", "A decision on content you reported"
    REPORT_INFORMATION_REQUESTED = "report.information_requested", "A reviewer asks you for more information"
    APPEAL_RECEIVED = "appeal.received", "A contest of a decision was received"
    APPEAL_DECIDED = "appeal.decided", "A contest of a decision was decided"
    POLICY_FEEDBACK_RECEIVED = "policy_feedback.received", "Policy feedback was received"
    POLICY_REVIEW_CONCLUDED = "policy_review.concluded", "A policy review reached a conclusion"
    DIGEST_DAILY = "digest.daily", "The daily digest"
    SLA_BREACHED = "sla.breached", "An SLA target was missed (staff)"
    SLA_WATCHDOG = "sla.watchdog", "A background job is behind (staff)"
    ENFORCEMENT_REQUESTED = "enforcement.requested", "An enforcement action for the platform (staff)"
    PROTECTION_NOMINATION_DECIDED = "protection.nomination_decided", "A protected-account nomination was decided"
    PROTECTION_EXPIRED = "protection.expired", "A protection of an at-risk account expired"
    INSIGHT_REPORT_READY = "insight_report.ready", "A periodic insight report is ready"
