"""Outbox vocabularies: stable string values. Append, never rename."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """How a message leaves Trustline. Paging channels (PagerDuty, SMS) are added here with their sender."""

    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Signed webhook")
    # Paging (trustline.oncall registers their senders)
    PAGERDUTY = "pagerduty", _("PagerDuty Events API v2")
    SMS = "sms", _("SMS/voice webhook")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    FAILED = "failed", _("Failed, will retry")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Gave up")


# Statuses a delivery run may claim (once ``next_attempt_at`` has passed; for
# ``sending`` that is the lease expiry of a worker that vanished mid-send).
CLAIMABLE_STATUSES = (MessageStatus.PENDING, MessageStatus.FAILED, MessageStatus.SENDING)


class EventType(models.TextChoices):
    """The event types an organisation can subscribe a webhook endpoint to (the fixed list the API accepts).

    Senders pass these values to ``notification_send`` (a test checks that
    every sender's constant is listed); an endpoint with no event types
    receives all of them.
    """

    REPORT_DECIDED = "report.decided", _("A decision on content you reported")
    REPORT_INFORMATION_REQUESTED = "report.information_requested", _("A reviewer asks you for more information")
    APPEAL_RECEIVED = "appeal.received", _("A contest of a decision was received")
    APPEAL_DECIDED = "appeal.decided", _("A contest of a decision was decided")
    POLICY_FEEDBACK_RECEIVED = "policy_feedback.received", _("Policy feedback was received")
    POLICY_REVIEW_CONCLUDED = "policy_review.concluded", _("A policy review reached a conclusion")
    DIGEST_DAILY = "digest.daily", _("The daily digest")
    SLA_BREACHED = "sla.breached", _("An SLA target was missed (staff)")
    SLA_WATCHDOG = "sla.watchdog", _("A background job is behind (staff)")
    ENFORCEMENT_REQUESTED = "enforcement.requested", _("An enforcement action for the platform (staff)")
    PROTECTION_NOMINATION_DECIDED = "protection.nomination_decided", _("A protected-account nomination was decided")
    PROTECTION_EXPIRED = "protection.expired", _("A protection of an at-risk account expired")
    INSIGHT_REPORT_READY = "insight_report.ready", _("A periodic insight report is ready")
    DSC_INFORMED = "trusted_flagger.dsc_informed", _(
        "The platform informed its Digital Services Coordinator about your notices (DSA Art. 22(6))")
