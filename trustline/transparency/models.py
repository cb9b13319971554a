"""What Trustline sent to the DSA Transparency Database, statement by statement, and to DSCs about flaggers."""

from __future__ import annotations

from django.db import models

from trustline.accounts.models import Organisation, User
from trustline.review.models import Decision
from trustline.transparency.choices import SubmissionStatus


class StatementSubmission(models.Model):
    """One statement of reasons on its way to (or stored by) the DSA Transparency Database.

    Written only by :mod:`trustline.transparency.submission`. ``puid`` is the
    statement's platform unique identifier (``tl-<decision id>``), unique
    here as it is in the TDB, so a decision is submitted at most once
    however often the job runs. ``tdb_uuid`` is what the TDB returned.
    ``claimed_until`` is the lease of the run sending it (a crashed run's
    rows come back after it), ``next_attempt_at`` the back-off after a
    failure. ``uncertain`` marks a row whose last send ended without an
    answer (timeout, 5xx): it may have been stored, so the next run asks
    the TDB (``existing-puid``) before sending it again.
    """

    puid = models.CharField(max_length=500, unique=True)
    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=SubmissionStatus.choices, default=SubmissionStatus.PENDING)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=36, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    uncertain = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    tdb_uuid = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="statement_sub_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.puid} ({self.status})"


class DscCommunication(models.Model):
    """A record that the platform told a Digital Services Coordinator about a trusted flagger's notices (Art. 22(6)).

    DSA Art. 22(6): a platform with information that a trusted flagger sent a
    significant number of insufficiently precise, inaccurate or inadequately
    substantiated notices communicates it to the awarding DSC, with
    explanations and supporting documents. Trustline prepares the figures
    (``transparency.flaggers``); a person decides and sends them; this row
    says who did, when, to whom, and with which figures (``figures`` is the
    snapshot sent, so it reads the same later whatever happens to the data).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="dsc_communications")
    dsc = models.CharField(max_length=200, help_text="the awarding Digital Services Coordinator")
    period_start = models.DateField()
    period_end = models.DateField(help_text="last day, inclusive")
    figures = models.JSONField(default=dict)
    note = models.TextField(help_text="the explanation sent, or where it is filed")
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["organisation", "sent_at"], name="dsc_comm_org_idx")]

    def __str__(self) -> str:
        return f"{self.organisation} to {self.dsc} on {self.sent_at:%Y-%m-%d}"
