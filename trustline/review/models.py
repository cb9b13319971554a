"""Decisions on cases, what they ask of partners, and what they teach about partners.

Every row here is written by :mod:`trustline.review.services` (templates also
through the audited admin; second-review rules through ``second_review_rule_set``,
from the console's rule pages and the admin alike).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from trustline.accounts.models import Organisation, User
from trustline.cases.models import Case
from trustline.core.ids import uuid7
from trustline.review.choices import (
    AutomatedDecision,
    DecisionGround,
    DecisionStatus,
    InformationRequestStatus,
    Outcome,
    ReferralKind,
    ReferralStatus,
    SecondReviewRuleKind,
)
from trustline.taxonomy.models import Category


class DecisionTemplate(models.Model):
    """The partner-facing explanation of one outcome in one language, with ``{placeholders}``.

    Placeholders are filled from the case's facts by
    :func:`trustline.review.templates_text.render_explanation`, which accepts
    only the names in ``PLACEHOLDERS`` (no attribute access, indexing,
    conversions or format specs), so a template can never run code or read
    anything it was not handed. One active template per outcome and language;
    the packaged defaults (``templates_text.DEFAULT_TEMPLATES``) are seeded by
    migration and stand in when no active row matches.
    """

    outcome = models.CharField(max_length=32, choices=Outcome.choices)
    language = models.CharField(max_length=35, default="en", help_text="BCP 47 tag, e.g. en, ar, es")
    name = models.CharField(max_length=120)
    body = models.TextField()
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["outcome", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["outcome", "language"], condition=Q(is_active=True), name="decisiontemplate_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"


class SecondReviewRule(models.Model):
    """A configurable reason for a decision to wait for a second reviewer ("cross-check").

    * ``protected_target``: the decision acts on the content and a report of
      the case names one of ``targets`` (or the protected-people hook matches).
    * ``public_figure``: the decision acts on the content and the platform
      says its author is verified or a public figure (or a report names a
      ``public_figure`` target when the platform cannot say).
    * ``tier_not_violating``: the case's tier is in ``tiers`` and the outcome
      in ``outcomes`` (default: tier 1 found not violating).

    Seeded active by migration; switch a rule off instead of deleting it.
    """

    kind = models.CharField(max_length=32, choices=SecondReviewRuleKind.choices, unique=True)
    is_active = models.BooleanField(default=True)
    targets = models.JSONField(default=list, blank=True, help_text="protected_target: report target values")
    tiers = models.JSONField(default=list, blank=True, help_text="tier_not_violating: severity tiers, e.g. [1]")
    outcomes = models.JSONField(default=list, blank=True, help_text="tier_not_violating: outcome values")
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()


class Decision(models.Model):
    """A reviewer's decision on a case, shaped for the DSA statement of reasons.

    ``policy`` is the taxonomy category cited (its ``policy_area`` and DSA
    category come with it). ``actions`` lists :class:`ActionType` values;
    ``territorial_scope`` (ISO 3166-1 alpha-2) goes with ``geo_restrict`` and
    ``label_text`` with ``label``. The ground fields carry the exact DSA
    Transparency Database names. ``explanation`` is what partners read;
    ``internal_note`` never leaves the staff side.

    Status: ``pending_second_review`` until a different reviewer confirms
    (``effective``) or rejects (``rejected_by_second_review``); an effective
    decision becomes ``superseded`` when a later one on the same case takes
    effect (after the partner answered a question, or after a contest).
    ``precision_counts`` remembers what this decision added to
    :class:`PartnerPrecision`, so superseding it takes exactly that back.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(max_length=32, choices=Outcome.choices)
    policy = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actions = models.JSONField(default=list, blank=True)
    territorial_scope = models.JSONField(default=list, blank=True)
    label_text = models.CharField(max_length=200, blank=True)
    decision_ground = models.CharField(max_length=40, choices=DecisionGround.choices, blank=True)
    illegal_content_legal_ground = models.CharField(max_length=500, blank=True)
    illegal_content_explanation = models.TextField(blank=True)
    incompatible_content_ground = models.CharField(max_length=500, blank=True)
    incompatible_content_explanation = models.TextField(blank=True)
    automated_detection = models.BooleanField(default=False)
    automated_decision = models.CharField(
        max_length=40, choices=AutomatedDecision.choices, default=AutomatedDecision.NOT_AUTOMATED
    )
    language = models.CharField(max_length=35, default="en")
    template = models.ForeignKey(
        DecisionTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    explanation = models.TextField(help_text="partner-facing")
    internal_note = models.TextField(blank=True, help_text="staff only, never shown to partners")
    question = models.TextField(blank=True, help_text="needs more information: the question to the partners")
    answer_due_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by_actor = models.CharField(max_length=64, help_text="audit actor id")
    decided_at = models.DateTimeField()
    status = models.CharField(max_length=32, choices=DecisionStatus.choices)
    second_review_reasons = models.JSONField(default=list, blank=True)
    second_reviewer = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    second_reviewer_actor = models.CharField(max_length=64, blank=True)
    second_reviewed_at = models.DateTimeField(null=True, blank=True)
    second_review_note = models.TextField(blank=True)
    effective_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    precision_counts = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status=DecisionStatus.PENDING_SECOND_REVIEW),
                name="decision_one_pending_per_case",
            ),
            models.UniqueConstraint(
                fields=["case"], condition=Q(status=DecisionStatus.EFFECTIVE), name="decision_one_effective_per_case"
            ),
        ]
        indexes = [
            models.Index(fields=["case", "decided_at"], name="decision_case_idx"),
            models.Index(fields=["status", "decided_at"], name="decision_status_idx"),
            # Statements of reasons (trustline.transparency) and the metrics refresh read decisions by these times.
            models.Index(fields=["effective_at"], name="decision_effective_idx"),
            models.Index(fields=["superseded_at"], name="decision_superseded_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} on case {self.case_id}"


class InformationRequest(models.Model):
    """A question to one reporting partner, from a ``needs_more_information`` decision.

    One request per partner that reported the case. While any is open the
    case's SLA clock is paused (a :class:`ClockPause`); the first answer, or
    the last request expiring, resumes it.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="information_requests")
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="information_requests")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="information_requests")
    question = models.TextField()
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=InformationRequestStatus.choices, default=InformationRequestStatus.OPEN
    )
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.CharField(max_length=64, blank=True, help_text="audit actor id")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="inforequest_status_due_idx"),
            models.Index(fields=["organisation", "status"], name="inforequest_org_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Question on case {self.case_id} to {self.organisation_id}"


class ClockPause(models.Model):
    """One interval during which a case's decide-by clock stood still (waiting for a partner).

    ``pause_reason`` says what paused it: ``information_request`` (a
    reviewer's question, with its ``decision``) or ``hold`` (a reviewer or
    lead put the case on hold); see :mod:`trustline.review.clock`.
    ``paused_at`` starts it; on resume ``resumed_at`` ends it and the case's
    ``decide_due_at`` moves later by exactly the paused duration
    (``decide_due_before`` -> ``decide_due_after``), so an auditor can redo
    the arithmetic. At most one open pause per case.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="clock_pauses")
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    paused_at = models.DateTimeField()
    pause_reason = models.CharField(max_length=32, blank=True)
    resumed_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveBigIntegerField(null=True, blank=True)
    decide_due_before = models.DateTimeField(null=True, blank=True)
    decide_due_after = models.DateTimeField(null=True, blank=True)
    resume_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["paused_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(resumed_at__isnull=True), name="clockpause_one_open"),
        ]

    def __str__(self) -> str:
        return f"Clock of case {self.case_id} paused at {self.paused_at:%Y-%m-%d %H:%M}"


class Referral(models.Model):
    """A case sent to the policy team or towards law enforcement, tracked to a conclusion.

    ``policy_review`` referrals form the policy queue; ``law_enforcement``
    referrals are the flag the law-enforcement work picks up.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="referral")
    kind = models.CharField(max_length=24, choices=ReferralKind.choices)
    status = models.CharField(max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.OPEN)
    created_at = models.DateTimeField()
    conclusion = models.TextField(blank=True)
    concluded_at = models.DateTimeField(null=True, blank=True)
    concluded_by = models.CharField(max_length=64, blank=True, help_text="audit actor id")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["kind", "status", "created_at"], name="referral_queue_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} referral of case {self.case_id}"


class PartnerPrecision(models.Model):
    """How many of a partner's reported items in one category were decided, and how many violating.

    Kept up to date in the transaction of every decision that takes effect
    (and taken back when one is superseded), so triage reads one row per
    partner instead of aggregating its history. ``category`` is the category
    the partner reported under. ``services.precision_rebuild`` recomputes the
    table from the decisions, should it ever drift.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="precision")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    decided = models.PositiveIntegerField(default=0)
    violating = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["organisation_id", "category_id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "category"], name="precision_one_per_category"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.category_id}: {self.violating}/{self.decided}"

    @property
    def precision(self) -> float | None:
        return self.violating / self.decided if self.decided else None
