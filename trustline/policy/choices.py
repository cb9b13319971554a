"""Policy review vocabularies: stable string values. Append; never rename."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyItemKind(models.TextChoices):
    CASE_REFERRAL = "case_referral", _("Case referred to policy review")
    PARTNER_FEEDBACK = "partner_feedback", _("Policy feedback from a partner")


class PolicyItemStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a policy analyst")
    IN_REVIEW = "in_review", _("In review")
    CONCLUDED = "concluded", _("Concluded")


class PolicyConclusion(models.TextChoices):
    POLICY_CHANGED = "policy_changed", _("The policy was changed")
    GUIDANCE_CLARIFIED = "guidance_clarified", _("The guidance for reviewers was clarified")
    NO_CHANGE = "no_change", _("No change: the policy stands as it is")
    ESCALATED_TO_POLICY_FORUM = "escalated_to_policy_forum", _("Escalated to the policy forum")
    DUPLICATE = "duplicate", _("Already covered by another item")


# Notification event types (also in ``notifications.choices.EventType``).
EVENT_FEEDBACK_RECEIVED = "policy_feedback.received"
EVENT_POLICY_CONCLUDED = "policy_review.concluded"
