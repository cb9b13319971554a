"""Routing and queues: reviewer skills, assignment history, internal comments, tags and saved queues.

The per-case routing state (language, routing keys, current holder and lease)
lives on ``cases.Case`` so the claim query reads one table through its
partial indexes. Every row here is written by ``trustline.routing.services``
or ``trustline.routing.workspace``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.core.ids import uuid7
from trustline.routing.choices import AssignmentEnd, RoutingPool


class ReviewerProfile(models.Model):
    """What a reviewer can review: languages, places, policy areas, clearances; and whether they are on shift.

    * ``languages``: BCP 47 tags in standard form, with a region or dialect
      subtag where it matters (``ar-SD``, ``ar-EG``, ``ur``, ``es-VE``). A
      reviewer with ``ar-SD`` is an exact match for cases in ``ar-SD`` and in
      plain ``ar``, and a same-language match for ``ar-EG`` once that case has
      waited for an Egyptian Arabic reader.
    * ``countries`` (ISO 3166-1 alpha-2) and ``regions`` (names from
      ``data/regions.json``): the places whose context the reviewer knows.
    * ``policy_areas``: taxonomy policy areas (``Category.policy_area``); empty
      means every area, otherwise the reviewer is routed only those areas.
    * ``clearances``: e.g. ``child_safety``; a restricted category needs the
      clearance named after its policy area, whatever the waiting time.
    * ``timezone``: the IANA zone the reviewer works in (``Africa/Nairobi``),
      so leads see when a reviewer's day starts and ends.
    * ``is_active`` is set by managers (in the routing pool at all);
      ``on_shift`` by the reviewer. Claiming needs both.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="reviewer_profile")
    languages = models.JSONField(default=list, blank=True)
    countries = models.JSONField(default=list, blank=True)
    regions = models.JSONField(default=list, blank=True)
    policy_areas = models.JSONField(default=list, blank=True)
    clearances = models.JSONField(default=list, blank=True)
    timezone = models.CharField(max_length=64, blank=True, help_text="IANA time zone of the working day")
    is_active = models.BooleanField(default=True)
    on_shift = models.BooleanField(default=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"Skills of {self.user}"


class Assignment(models.Model):
    """One reviewer's hold on one case, from claim (or reassignment) to release, expiry, hold or decision.

    The partial unique constraint allows one open assignment per case: a
    database-enforced second line behind the claim's row lock, and the record
    the claim benchmark checks for overlapping holds. An assignment ended by
    lease expiry ends at the lease's expiry time, not when it was noticed.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    pool = models.CharField(max_length=16, choices=RoutingPool.choices)
    claimed_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, blank=True, choices=AssignmentEnd.choices)

    class Meta:
        ordering = ["claimed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(ended_at__isnull=True), name="assignment_one_open_per_case"
            ),
        ]
        indexes = [
            models.Index(fields=["case", "claimed_at"], name="assignment_case_idx"),
            models.Index(fields=["reviewer", "claimed_at"], name="assignment_reviewer_idx"),
            # The workload figures read the holds that ended in a period (metrics.workload).
            models.Index(fields=["ended_at"], condition=Q(ended_at__isnull=False), name="assignment_ended_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.case_id}"


class CaseComment(models.Model):
    """Internal discussion among staff about a case. Never shown to partners.

    ``related_name="+"``: a case has no ``comments`` attribute, so no
    partner-facing selector or schema can reach comments by following the
    case; the only way in is ``trustline.routing.workspace``, which checks
    that the actor is staff.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="casecomment_case_idx")]

    def __str__(self) -> str:
        return f"Comment on {self.case_id} by {self.author}"


class CaseTag(models.Model):
    """A free label staff put on a case (``needs-translation``, ``election-2026``); internal like comments."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    label = models.CharField(max_length=50)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["label"]
        constraints = [models.UniqueConstraint(fields=["case", "label"], name="casetag_unique")]
        indexes = [models.Index(fields=["label", "case"], name="casetag_label_idx")]

    def __str__(self) -> str:
        return self.label


class SavedQueue(models.Model):
    """A named set of queue filters (see ``schemas.QueueFilter``), private to its owner unless ``shared``."""

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    filters = models.JSONField(default=dict, blank=True)
    shared = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="savedqueue_owner_name_unique")]

    def __str__(self) -> str:
        return self.name
