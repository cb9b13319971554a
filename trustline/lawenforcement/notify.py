"""Who hears about law-enforcement events, and how: always the outbox, inside the caller's transaction.

Emergency requests page the people who can act within the hour. The
on-call lane (``trustline.oncall``) has no public paging service yet, so
:func:`page_emergency` e-mails escalation leads and liaisons through the
outbox with an idempotency key per request and person; when the lane offers
a paging service, this is the one function to switch over.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db.models import QuerySet

from trustline.accounts.choices import OrganisationKind, Role
from trustline.accounts.models import User
from trustline.notifications.services import outbox_enqueue


def staff_with_roles(roles: Iterable[str]) -> QuerySet[User]:
    """Active platform-side people holding any of ``roles``, with an e-mail address."""
    return (
        User.objects.filter(
            is_active=True, memberships__role__in=list(roles),
            memberships__organisation__kind=OrganisationKind.PLATFORM,
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def notify(
    *, roles: Iterable[str], subject: str, body: str, key: str, event_type: str,
    payload: Mapping[str, Any] | None = None, people: Sequence[User] | None = None,
) -> int:
    """E-mail everyone holding ``roles``; ``key`` plus the person makes each message's idempotency key.

    A sweeper that notifies about many rows passes ``people`` (``staff_with_roles(roles)`` read once per run)
    instead of having the same people looked up again for every row.
    """
    sent = 0
    for person in staff_with_roles(roles) if people is None else people:
        outbox_enqueue(
            channel="email", recipient=person.email, subject=subject, body=body, payload=dict(payload or {}),
            idempotency_key=f"{key}:user:{person.pk}", event_type=event_type,
        )
        sent += 1
    return sent


LIAISONS = (Role.LAW_ENFORCEMENT_LIAISON,)


def page_emergency(*, request_id: str, subject: str, body: str, payload: Mapping[str, Any]) -> int:
    """Page escalation leads and liaisons about an emergency request (outbox e-mail; see the module docstring)."""
    return notify(
        roles=(Role.ESCALATION_LEAD, Role.LAW_ENFORCEMENT_LIAISON), subject=subject, body=body,
        key=f"le-emergency:{request_id}", event_type="le_request.emergency", payload=payload,
    )
