"""Outbox vocabularies: stable string values. Append, never rename."""

from __future__ import annotations

from django.db import models


class Channel(models.TextChoices):
    """How a message leaves Trustline. Paging channels (PagerDuty, SMS) are added here with their sender."""

    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Signed webhook"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    FAILED = "failed", "Failed, will retry"
    SENT = "sent", "Sent"
    DEAD = "dead", "Gave up"


# Statuses a delivery run may claim (once ``next_attempt_at`` has passed; for
# ``sending`` that is the lease expiry of a worker that vanished mid-send).
CLAIMABLE_STATUSES = (MessageStatus.PENDING, MessageStatus.FAILED, MessageStatus.SENDING)
