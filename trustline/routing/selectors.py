"""Reads for routing: who counts as staff here, a case, a reviewer's skills, the queue with its filters.

Everything in this app is the platform's working space: partners get
NotFound from every function here, exactly as for something that does not
exist, so they cannot even learn that a queue, a comment or a saved queue
exists; platform staff whose role does not work the queue get 403.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.models import User
from trustline.accounts.permissions import Actor, Perm, require
from trustline.cases.choices import CaseStatus
from trustline.cases.models import QUEUE_ORDER, Case
from trustline.core.exceptions import NotFound, PermissionDenied
from trustline.oncall.selectors import active_emergency_exists
from trustline.routing.eligibility import Skills
from trustline.routing.language import language_base
from trustline.routing.models import CaseTag, ReviewerProfile, SavedQueue

# Cases a queue lists unless a status filter says otherwise: open work, held or not.
QUEUE_STATUSES = (CaseStatus.TRIAGED, CaseStatus.IN_REVIEW, CaseStatus.ON_HOLD)
FILTER_KEYS = ("tier", "country", "language", "category", "tag", "crisis", "status", "assigned", "imminent_harm")


def staff_required(actor: Actor) -> None:
    """NotFound (not 403) for anyone outside the platform's team: partners must not learn what exists here.

    Platform staff whose role does not work the queue (``queue.view``) get 403.
    """
    if not actor.is_staff_side:
        raise NotFound("Not found.")
    require(actor, Perm.QUEUE_VIEW)


def person_required(actor: Actor) -> User:
    """The signed-in person behind ``actor``; claiming, comments and saved queues belong to people, not keys."""
    if actor.user is None:
        raise PermissionDenied("This needs a signed-in person (an API key is not a reviewer).", code="forbidden")
    return actor.user


def parse_case_id(raw: str | uuid.UUID) -> uuid.UUID:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound("Case not found.") from exc


def routing_case_get(*, actor: Actor, case_id: str | uuid.UUID) -> Case:
    """A case for staff; NotFound for a missing case and for anyone who may not see cases."""
    staff_required(actor)
    case = Case.objects.select_related("assigned_to").filter(pk=parse_case_id(case_id)).first()
    if case is None:
        raise NotFound("Case not found.")
    return case


# --------------------------------------------------------------------------------------------
# Reviewers
# --------------------------------------------------------------------------------------------


def skills_of(profile: ReviewerProfile | None, user_id: int) -> Skills:
    if profile is None:
        return Skills(user_id=user_id)
    return Skills(
        user_id=user_id,
        languages=frozenset(profile.languages),
        countries=frozenset(profile.countries),
        regions=frozenset(profile.regions),
        policy_areas=frozenset(profile.policy_areas),
        clearances=frozenset(profile.clearances),
    )


def reviewer_profile_for(user: User) -> ReviewerProfile | None:
    return ReviewerProfile.objects.filter(user=user).first()


def reviewer_list(*, actor: Actor) -> QuerySet[ReviewerProfile]:
    staff_required(actor)
    if not actor.has(Perm.REVIEWER_SKILLS_MANAGE):
        raise PermissionDenied("Only escalation leads, programme managers and administrators list reviewers.")
    return ReviewerProfile.objects.select_related("user").order_by("user__username")


def reviewer_get(*, actor: Actor, user_id: int) -> tuple[User, ReviewerProfile | None]:
    """A reviewer and their profile (None before anyone set skills): for themselves, or for managers."""
    staff_required(actor)
    own = actor.user is not None and actor.user.pk == user_id
    if not own and not actor.has(Perm.REVIEWER_SKILLS_MANAGE):
        raise PermissionDenied("You may read your own skills; managing others' needs a lead or manager role.")
    user = User.objects.filter(pk=user_id, memberships__organisation__kind=OrganisationKind.PLATFORM).distinct().first()
    if user is None:
        raise NotFound("Reviewer not found.")
    return user, reviewer_profile_for(user)


# --------------------------------------------------------------------------------------------
# The queue
# --------------------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple | set | frozenset):
        return [v for v in value if v is not None and v != ""]
    return [value]


def apply_queue_filters(
    qs: QuerySet[Case], filters: dict[str, Any], *, actor: Actor, now: dt.datetime
) -> QuerySet[Case]:
    """Narrow ``qs`` by a filter dict (the keys of ``schemas.QueueFilter``); empty values mean "any".

    * ``tier``, ``country``, ``category``, ``status``: any of the values.
    * ``language``: a bare language (``ar``) matches every dialect of it; a
      tag with a subtag (``ar-SD``) matches exactly.
    * ``tag``: cases carrying any of the labels.
    * ``crisis``: cases whose priority has (true) or lacks (false) a crisis
      component; the crisis issue fills that component.
    * ``assigned``: ``me`` (held by the actor under a live lease),
      ``unassigned`` (nobody holds a live lease) or ``any``.
    * ``imminent_harm``: true or false.
    """
    tiers = _as_list(filters.get("tier"))
    if tiers:
        qs = qs.filter(tier__in=[int(t) for t in tiers])
    countries = [str(c).upper() for c in _as_list(filters.get("country"))]
    if countries:
        qs = qs.filter(country__in=countries)
    categories = _as_list(filters.get("category"))
    if categories:
        qs = qs.filter(category_code__in=categories)
    statuses = _as_list(filters.get("status"))
    qs = qs.filter(status__in=statuses or list(QUEUE_STATUSES))
    languages = _as_list(filters.get("language"))
    if languages:
        match = Q()
        for tag in languages:
            tag = str(tag)
            base = language_base(tag)
            match |= Q(routing_language_base=base) if base and base == tag.lower() else Q(language__iexact=tag)
        qs = qs.filter(match)
    tags = [str(t).lower() for t in _as_list(filters.get("tag"))]
    if tags:
        qs = qs.filter(Exists(CaseTag.objects.filter(case_id=OuterRef("pk"), label__in=tags)))
    crisis = filters.get("crisis")
    if crisis is not None:
        in_crisis = Q(priority_components__crisis__gt=0)
        qs = qs.filter(in_crisis) if crisis else qs.exclude(in_crisis)
    imminent = filters.get("imminent_harm")
    if imminent is not None:
        qs = qs.filter(imminent_harm=bool(imminent))
    assigned = filters.get("assigned") or "any"
    live = Q(assigned_to__isnull=False, lease_expires_at__gt=now)
    if assigned == "me":
        qs = qs.filter(live, assigned_to_id=actor.user.pk if actor.user is not None else None)
    elif assigned == "unassigned":
        qs = qs.exclude(live)
    return qs


def saved_queue_visible(*, actor: Actor) -> QuerySet[SavedQueue]:
    """The actor's own saved queues and those others shared."""
    staff_required(actor)
    owner_id = actor.user.pk if actor.user is not None else None
    return SavedQueue.objects.filter(Q(owner_id=owner_id) | Q(shared=True)).select_related("owner")


def saved_queue_get(*, actor: Actor, saved_id: int) -> SavedQueue:
    queue = saved_queue_visible(actor=actor).filter(pk=saved_id).first()
    if queue is None:
        raise NotFound("Saved queue not found.")
    return queue


def queue_list(
    *, actor: Actor, filters: dict[str, Any] | None = None, saved_id: int | None = None, now: dt.datetime
) -> QuerySet[Case]:
    """Open cases in claim order (priority, then decide-by time, then age), narrowed by filters.

    With ``saved_id`` the saved queue's filters apply, and any filter given
    alongside replaces the saved value for that key.
    """
    staff_required(actor)
    combined: dict[str, Any] = {}
    if saved_id is not None:
        combined.update(saved_queue_get(actor=actor, saved_id=saved_id).filters or {})
    for key, value in (filters or {}).items():
        if _as_list(value) or isinstance(value, bool):
            combined[key] = value
    qs = Case.objects.filter(is_open=True).select_related("assigned_to")
    qs = qs.exclude(active_emergency_exists())  # trustline.oncall: on the emergency board until downgraded
    return apply_queue_filters(qs, combined, actor=actor, now=now).order_by(*QUEUE_ORDER)


def tags_by_case(case_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Labels of these cases in one query (the queue page shows them)."""
    result: dict[uuid.UUID, list[str]] = {}
    for case_id, label in CaseTag.objects.filter(case_id__in=list(case_ids)).values_list("case_id", "label"):
        result.setdefault(case_id, []).append(label)
    return result
