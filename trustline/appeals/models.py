"""Contests of decisions (DSA Art. 20 complaints), written only by :mod:`trustline.appeals.services`."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from trustline.accounts.models import Organisation, User
from trustline.appeals.choices import ACTIVE_STATUSES, AppealOutcome, AppealStatus
from trustline.cases.models import Case
from trustline.core.ids import uuid7
from trustline.intake.models import Report
from trustline.review.models import Decision


class Appeal(models.Model):
    """A partner's contest of a decision on content it reported, and how it was settled.

    ``decision`` is the decision contested; ``report`` the partner's report
    it was contested through (its timeline shows the contest). The contest is
    handled by a reviewer other than the decision's author and its second
    reviewer (``assigned_to``, taken with a conditional UPDATE). ``outcome``
    with the partner-facing ``explanation`` is what the partner is told;
    ``internal_note`` stays with staff. A reversal records the replacing
    decision in ``new_decision``.

    The transparency columns keep what the DSA transparency report counts
    without re-deriving it from later state: ``received_at``, ``decided_at``,
    ``outcome``, the contested outcome, whether the contested decision took
    no action (``about_no_action``), the category and country, and
    ``human_reviewed`` (true once a person decided it). At most one open
    contest per decision and partner (partial unique index).
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="appeals")
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="appeals")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="appeals")
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="appeals")
    reasons = models.TextField()
    submitted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted_by_actor = models.CharField(max_length=64, help_text="audit actor id")
    received_at = models.DateTimeField()
    informed_at = models.DateTimeField(help_text="when the partner was told of the decision (window start)")
    status = models.CharField(max_length=16, choices=AppealStatus.choices, default=AppealStatus.OPEN)
    assigned_to = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=24, choices=AppealOutcome.choices, blank=True)
    explanation = models.TextField(blank=True, help_text="partner-facing")
    internal_note = models.TextField(blank=True, help_text="staff only, never shown to partners")
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by_actor = models.CharField(max_length=64, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    new_decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="the decision that replaced the contested one (reversals)",
    )
    # --- For the DSA transparency report --------------------------------------------
    contested_outcome = models.CharField(max_length=32)
    about_no_action = models.BooleanField(help_text="the contested decision took no action on the content")
    category_code = models.CharField(max_length=64, blank=True)
    country = models.CharField(max_length=2, blank=True)
    human_reviewed = models.BooleanField(default=False)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "organisation"], condition=Q(status__in=ACTIVE_STATUSES),
                name="appeal_one_active_per_decision",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="appeal_queue_idx"),
            models.Index(fields=["organisation", "-received_at"], name="appeal_org_idx"),
            models.Index(fields=["assigned_to", "status"], name="appeal_assigned_idx"),
            models.Index(fields=["decided_at"], name="appeal_decided_idx"),
        ]

    def __str__(self) -> str:
        return f"Contest of decision {self.decision_id} by {self.organisation_id}"
