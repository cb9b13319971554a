"""Who hears about law-enforcement events, and how: always the outbox, inside the caller's transaction.

Emergency requests page the people who can act within the hour through the
emergency lane (``trustline.oncall``): :func:`page_emergency` opens the
request's emergency, which copies the escalation chain, pages the person on
call at once and escalates until someone acknowledges (with no chain or
nobody on call, the escalation leads and the liaisons are paged instead).
:func:`stop_paging` resolves it when the request is answered or closed.
Everything else here is plain e-mail to people holding a role.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db.models import QuerySet

from trustline.accounts.choices import OrganisationKind, Role
from trustline.accounts.models import User
from trustline.accounts.permissions import Actor
from trustline.notifications.services import email_people
from trustline.oncall.law_enforcement import (
    emergency_acknowledge_for_le_request,
    emergency_open_for_le_request,
    emergency_resolve_for_le_request,
)
from trustline.oncall.models import Emergency


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
    return len(email_people(people=staff_with_roles(roles) if people is None else people, subject=subject,
                            body=body, key=key, event_type=event_type, payload=payload))


LIAISONS = (Role.LAW_ENFORCEMENT_LIAISON,)


def page_emergency(*, actor: Actor, request_id: uuid.UUID, now: dt.datetime) -> Emergency | None:
    """Page the emergency lane about an emergency request (see the module docstring); None if already paged."""
    return emergency_open_for_le_request(actor=actor, request_id=request_id, now=now)


def stop_paging(*, actor: Actor, request_id: uuid.UUID, why: str) -> Emergency | None:
    """The request was answered or closed: resolve its emergency, so escalation stops (None if none is active)."""
    return emergency_resolve_for_le_request(actor=actor, request_id=request_id, reason=why)


def working_on(*, actor: Actor, request_id: uuid.UUID, step: str) -> Emergency | None:
    """Someone is working on the request: its open page counts as acknowledged by them (None if none is open)."""
    return emergency_acknowledge_for_le_request(actor=actor, request_id=request_id, step=step)
