"""The notification outbox, organisations' webhook endpoints and their notification settings."""

from __future__ import annotations

from django.db import models

from trustline.accounts.models import Organisation
from trustline.core.ids import uuid7
from trustline.notifications.choices import Channel, MessageStatus


class WebhookEndpoint(models.Model):
    """A URL of an organisation that receives signed webhooks (Standard Webhooks).

    ``secret`` is the ``whsec_``-prefixed base64 key both sides sign with. It is
    stored as it is because signing needs it (unlike API keys, which are only
    compared and so stored hashed). ``event_types`` lists the event types the
    endpoint wants; an empty list means all of them. An endpoint that answers
    410 Gone is switched off with the reason recorded.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2048)
    secret = models.CharField(max_length=120)
    event_types = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivated_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["organisation_id", "created_at"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class NotificationSetting(models.Model):
    """How one organisation wants to be told. No row means the defaults below."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, primary_key=True, related_name="notification_setting"
    )
    email_enabled = models.BooleanField(default=True)
    webhook_enabled = models.BooleanField(default=True)
    daily_digest_enabled = models.BooleanField(default=False)
    email_recipients = models.JSONField(
        default=list, blank=True, help_text="addresses e-mails go to; empty means the organisation's contact address"
    )
    email_language = models.CharField(
        max_length=8, blank=True, default="",
        help_text="language of e-mails (one of settings.LANGUAGES); empty: the first language the partner covers "
                  "that Trustline speaks, else English",
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Notification settings of {self.organisation_id}"


class OutboxMessage(models.Model):
    """One side effect (an e-mail, a webhook call) recorded with the state change that causes it.

    Written in the same transaction as the change, so a rolled-back change
    sends nothing and a committed one is delivered at least once, even if the
    process dies right after commit. ``idempotency_key`` makes enqueueing
    idempotent and travels with the message (``webhook-id`` header, e-mail
    ``Message-ID``) so receivers can drop repeats.

    Delivery state machine: ``pending`` -> ``sending`` (claimed, with a lease
    until ``lease_expires_at``) -> ``sent``, or ``failed`` (retry at
    ``next_attempt_at``) and finally ``dead``. A ``sending`` row whose lease ran
    out belongs to a worker that died mid-send and is claimed again. For a
    claimable row, ``next_attempt_at`` is when it may be claimed next.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox_messages"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    recipient = models.CharField(max_length=2048, help_text="e-mail address or URL")
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    event_type = models.CharField(max_length=100, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=16, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            models.Index(fields=["organisation", "-created_at"], name="outbox_org_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} ({self.status})"
