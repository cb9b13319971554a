"""Reads of the policy queue, always starting from what the actor may see."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from trustline.accounts.permissions import Actor, Perm
from trustline.core.exceptions import NotFound
from trustline.policy.choices import PolicyItemKind
from trustline.policy.models import PolicyItem


def parse_id(raw: str | uuid.UUID, what: str) -> uuid.UUID:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound(f"{what} not found.") from exc


def policy_items_visible(*, actor: Actor) -> QuerySet[PolicyItem]:
    """Staff with ``policy_review.view`` see the whole queue; a partner only its own feedback items."""
    items = PolicyItem.objects.select_related("organisation", "assigned_to", "concluded_by")
    if actor.has(Perm.POLICY_REVIEW_VIEW):
        return items
    if actor.has(Perm.POLICY_FEEDBACK_SUBMIT) and actor.organisation is not None and not actor.is_staff_side:
        return items.filter(kind=PolicyItemKind.PARTNER_FEEDBACK, organisation=actor.organisation)
    return items.none()


def policy_item_get(*, actor: Actor, item_id: str | uuid.UUID) -> PolicyItem:
    """One item, or NotFound: the same answer for "does not exist" and "not yours"."""
    item = policy_items_visible(actor=actor).filter(pk=parse_id(item_id, "Policy item")).first()
    if item is None:
        raise NotFound("Policy item not found.")
    return item


def policy_item_list(
    *, actor: Actor, kind: str | None = None, status: str | None = None, assigned_to_me: bool = False
) -> QuerySet[PolicyItem]:
    """Items oldest first (the queue order); filters narrow, never widen, what the actor sees."""
    items = policy_items_visible(actor=actor)
    if kind:
        items = items.filter(kind=kind)
    if status:
        items = items.filter(status=status)
    if assigned_to_me:
        items = items.filter(assigned_to=actor.user) if actor.user is not None else items.none()
    return items.order_by("created_at", "id")
