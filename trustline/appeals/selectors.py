"""Reads of contests, always starting from what the actor may see."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from trustline.accounts.permissions import Actor, Perm
from trustline.appeals.choices import ACTIVE_STATUSES, AppealStatus
from trustline.appeals.models import Appeal
from trustline.core.exceptions import NotFound


def parse_id(raw: str | uuid.UUID, what: str) -> uuid.UUID:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound(f"{what} not found.") from exc


def appeals_visible(*, actor: Actor) -> QuerySet[Appeal]:
    """Staff with ``appeal.view_all`` see every contest; a partner only its own organisation's."""
    appeals = Appeal.objects.select_related("organisation", "decision", "assigned_to", "decided_by")
    if actor.has(Perm.APPEAL_VIEW_ALL):
        return appeals
    if actor.has(Perm.APPEAL_SUBMIT) and actor.organisation is not None and not actor.is_staff_side:
        return appeals.filter(organisation=actor.organisation)
    return appeals.none()


def appeal_get(*, actor: Actor, appeal_id: str | uuid.UUID) -> Appeal:
    """One contest, or NotFound: the same answer for "does not exist" and "not yours"."""
    appeal = appeals_visible(actor=actor).filter(pk=parse_id(appeal_id, "Contest")).first()
    if appeal is None:
        raise NotFound("Contest not found.")
    return appeal


def appeal_open_of(*, actor: Actor, decision_id: str | uuid.UUID) -> Appeal | None:
    """The open contest of this decision the actor may see (a partner has at most one per decision), if any."""
    return appeals_visible(actor=actor).filter(decision_id=decision_id, status__in=ACTIVE_STATUSES).first()


def appeal_list(
    *, actor: Actor, status: str | None = None, assigned_to_me: bool = False, organisation: str | None = None
) -> QuerySet[Appeal]:
    """Contests, oldest first (the queue order); filters narrow, never widen, what the actor sees."""
    appeals = appeals_visible(actor=actor)
    if status:
        appeals = appeals.filter(status=status)
    if assigned_to_me:
        appeals = appeals.filter(assigned_to=actor.user) if actor.user is not None else appeals.none()
    if organisation:
        appeals = appeals.filter(organisation__slug=organisation)
    return appeals.order_by("received_at", "id")


def appeal_queue_for(*, actor: Actor) -> QuerySet[Appeal]:
    """Open contests ``actor`` may take, oldest first: never one of a decision they made or cross-checked."""
    appeals = Appeal.objects.filter(status=AppealStatus.OPEN)
    excluded = Q(decision__decided_by_actor=actor.audit_id) | Q(decision__second_reviewer_actor=actor.audit_id)
    if actor.user is not None:
        excluded |= Q(decision__decided_by=actor.user) | Q(decision__second_reviewer=actor.user)
    return appeals.exclude(excluded).order_by("received_at", "id")
