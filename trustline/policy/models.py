"""The policy queue: cases referred to policy review and partners' policy feedback, each to a conclusion.

Written only by :mod:`trustline.policy.services`.
"""

from __future__ import annotations

from django.db import models

from trustline.accounts.models import Organisation, User
from trustline.cases.models import Case
from trustline.core.ids import uuid7
from trustline.policy.choices import PolicyConclusion, PolicyItemKind, PolicyItemStatus
from trustline.review.models import Decision, Referral


class PolicyItem(models.Model):
    """One question for the policy team, tracked from arrival to a recorded conclusion.

    Two sources share the workflow (claim or assignment, internal comments,
    conclusion):

    * ``case_referral``: a decision referred the case to policy review; the
      review app's :class:`~trustline.review.models.Referral` row is linked
      one-to-one (``referral``), with its case and decision.
    * ``partner_feedback``: a partner's ``topic`` and ``body`` (optionally a
      taxonomy ``category_code`` and ``country``); ``organisation`` is the
      partner, who sees the item's status and conclusion, never comments.

    ``conclusion`` and the partner-facing ``conclusion_text`` are what the
    partners concerned are told; ``internal_note`` stays with staff.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    kind = models.CharField(max_length=24, choices=PolicyItemKind.choices)
    referral = models.OneToOneField(
        Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="policy_item"
    )
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="policy_items")
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="policy_items",
        help_text="the partner who gave the feedback",
    )
    submitted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted_by_actor = models.CharField(max_length=64, help_text="audit actor id")
    topic = models.CharField(max_length=200)
    body = models.TextField()
    category_code = models.CharField(max_length=64, blank=True)
    country = models.CharField(max_length=2, blank=True)
    status = models.CharField(max_length=16, choices=PolicyItemStatus.choices, default=PolicyItemStatus.OPEN)
    created_at = models.DateTimeField()
    assigned_to = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(null=True, blank=True)
    conclusion = models.CharField(max_length=32, choices=PolicyConclusion.choices, blank=True)
    conclusion_text = models.TextField(blank=True, help_text="partner-facing")
    internal_note = models.TextField(blank=True, help_text="staff only")
    concluded_at = models.DateTimeField(null=True, blank=True)
    concluded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    concluded_by_actor = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="policyitem_queue_idx"),
            models.Index(fields=["organisation", "-created_at"], name="policyitem_org_idx"),
        ]

    def __str__(self) -> str:
        return self.topic


class PolicyComment(models.Model):
    """Internal discussion of a policy item among staff (never shown to partners)."""

    item = models.ForeignKey(PolicyItem, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    author_actor = models.CharField(max_length=64)
    author_label = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment by {self.author_label} on {self.item_id}"
