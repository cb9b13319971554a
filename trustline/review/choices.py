"""Decision vocabularies: stable string values. Append, never rename.

Where a value is sent on to the DSA Transparency Database (the ground, the
automation level), it is spelled exactly as the database spells it, so the
later statement-of-reasons export needs no second mapping.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from trustline.platforms.choices import ActionType

__all__ = [
    "ActionType",
    "AutomatedDecision",
    "DecisionGround",
    "DecisionStatus",
    "InformationRequestStatus",
    "Outcome",
    "ReferralKind",
    "ReferralStatus",
    "SecondReviewRuleKind",
]


class Outcome(models.TextChoices):
    VIOLATING = "violating", _("Violating")
    NOT_VIOLATING = "not_violating", _("Not violating")
    NEEDS_MORE_INFORMATION = "needs_more_information", _("Needs more information")
    OUT_OF_SCOPE = "out_of_scope", _("Out of scope")
    REFERRED_TO_POLICY_REVIEW = "referred_to_policy_review", _("Referred to policy review")
    REFERRED_TO_LAW_ENFORCEMENT = "referred_to_law_enforcement", _("Referred to law enforcement")


# Outcomes that settle the question "does this content break the rules": they
# count in partner precision. Needs-more-information and referrals do not
# settle it (yet), so they are not counted.
PRECISION_OUTCOMES = frozenset({Outcome.VIOLATING, Outcome.NOT_VIOLATING, Outcome.OUT_OF_SCOPE})

# Outcomes after which the case leaves the review queue for good (until a contest).
FINAL_OUTCOMES = frozenset(set(Outcome) - {Outcome.NEEDS_MORE_INFORMATION})

# Referral outcomes keep the case open (new reports of the content still join
# it) while the policy team or the law-enforcement liaison works on it.
REFERRAL_OUTCOMES = frozenset({Outcome.REFERRED_TO_POLICY_REVIEW, Outcome.REFERRED_TO_LAW_ENFORCEMENT})


class DecisionStatus(models.TextChoices):
    PENDING_SECOND_REVIEW = "pending_second_review", _("Waiting for a second reviewer")
    EFFECTIVE = "effective", _("Effective")
    REJECTED_BY_SECOND_REVIEW = "rejected_by_second_review", _("Rejected by the second reviewer")
    SUPERSEDED = "superseded", _("Superseded by a later decision")


class DecisionGround(models.TextChoices):
    """DSA Transparency Database ``decision_ground``: illegal under a law, or against the terms."""

    ILLEGAL_CONTENT = "DECISION_GROUND_ILLEGAL_CONTENT", _("Illegal content (legal ground)")
    INCOMPATIBLE_CONTENT = "DECISION_GROUND_INCOMPATIBLE_CONTENT", _(
        "Incompatible with the terms and conditions (contractual ground)"
    )


class AutomatedDecision(models.TextChoices):
    """DSA Transparency Database ``automated_decision``."""

    FULLY = "AUTOMATED_DECISION_FULLY", _("Fully automated")
    PARTIALLY = "AUTOMATED_DECISION_PARTIALLY", _("Partially automated")
    NOT_AUTOMATED = "AUTOMATED_DECISION_NOT_AUTOMATED", _("Not automated")


class InformationRequestStatus(models.TextChoices):
    OPEN = "open", _("Waiting for the partner")
    ANSWERED = "answered", _("Answered")
    EXPIRED = "expired", _("Not answered in time")
    WITHDRAWN = "withdrawn", _("Withdrawn (the case was decided meanwhile)")


class ReferralKind(models.TextChoices):
    POLICY_REVIEW = "policy_review", _("Policy review")
    LAW_ENFORCEMENT = "law_enforcement", _("Law enforcement")


class ReferralStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONCLUDED = "concluded", _("Concluded")


class SecondReviewRuleKind(models.TextChoices):
    """What makes a decision wait for a second reviewer (see ``selectors.second_review_reasons``)."""

    PROTECTED_TARGET = "protected_target", _("Action where a report names a protected person")
    PUBLIC_FIGURE = "public_figure", _("Action against a verified account or public figure")
    TIER_NOT_VIOLATING = "tier_not_violating", _("A severe case found not violating")


# The report targets that make an enforcing decision need a second look by default.
DEFAULT_PROTECTED_TARGETS = (
    "human_rights_defender",
    "journalist",
    "activist",
    "election_candidate",
    "witness",
)
