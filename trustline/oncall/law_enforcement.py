"""Emergencies of emergency law-enforcement requests: the lane pages for a request as it does for a case.

An emergency disclosure request (``trustline.lawenforcement``) has no case,
so its :class:`~trustline.oncall.models.Emergency` points at the request
(``le_request``; a check constraint keeps exactly one of case and request).

``emergency_open_for_le_request`` (called by ``request_receive``, in its
transaction):

1. Check the actor (platform staff who handle requests), that the request is
   an open emergency request, and that it has no emergency yet (a second
   call returns None, as ``emergency_open`` does for a case).
2. Choose the chain: the one named by ``ONCALL_LAW_ENFORCEMENT_CHAIN`` when
   set and found, else the default chain (the one cases use). With no chain
   (or one without steps), the fallback chain pages every escalation lead
   and every law-enforcement liaison: the people the request e-mailed before
   it was paged through the lane, so nobody is left unpaged.
3. Copy it onto the emergency, audit ``emergency.opened`` (which chain, and
   whether it fell back), write every ``PageStep`` and fire the steps due now
   in the same transaction: the pages are outbox rows, keyed per emergency,
   step, person and contact method, that commit with the request.

A step that resolves to nobody (an empty rota) pages the leads and the
liaisons instead, recorded as ``fallback_to_leads`` on ``emergency.paged``.
There is no partner timeline (a request has no partner), and pages say only
what :mod:`trustline.oncall.pagetext` allows.

``emergency_acknowledge_for_le_request`` is called when someone works on
the request (a call-back, verification, a legal review decision): the page
counts as acknowledged by them, so the chain stops waking the next people.

``emergency_resolve_for_le_request`` is called by the request's terminal
transitions (answered, rejected, closed) in their transaction: the emergency
is resolved, its remaining steps cancelled and the resolution audited, so
escalation stops once the request needs nobody any more.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.db import IntegrityError, transaction

from trustline.accounts.permissions import Actor, Perm
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound
from trustline.intake.choices import TimelineKind
from trustline.lawenforcement.choices import OPEN_REQUEST_STATUSES, RequestType
from trustline.lawenforcement.models import InboundRequest
from trustline.lawenforcement.permissions import le_require
from trustline.oncall import conf
from trustline.oncall.choices import ACTIVE_STATES, EmergencySource, EmergencyState, StepTarget
from trustline.oncall.models import Emergency, EscalationChain
from trustline.oncall.paging import chain_snapshot, paging_start
from trustline.oncall.services import acknowledge_locked, close_locked

logger = logging.getLogger(__name__)

LE_FALLBACK_CHAIN: dict[str, Any] = {
    "chain_id": None,
    "name": "Fallback: escalation leads and law-enforcement liaisons",
    "repeat_count": 2,
    "repeat_delay_minutes": 5,
    "steps": [
        {"position": 1, "target": StepTarget.ESCALATION_LEADS.value, "schedule_id": None, "schedule_name": "",
         "user_id": None, "delay_minutes": 0},
        {"position": 2, "target": StepTarget.LE_LIAISONS.value, "schedule_id": None, "schedule_name": "",
         "user_id": None, "delay_minutes": 0},
    ],
}


def le_chain() -> tuple[EscalationChain | None, str]:
    """Step 2: the chain to copy and how it was chosen (``configured``, ``default`` or ``none``)."""
    name = conf.law_enforcement_chain()
    if name:
        chain = EscalationChain.objects.filter(name=name).first()
        if chain is not None:
            return chain, "configured"
        logger.warning("ONCALL_LAW_ENFORCEMENT_CHAIN names no chain (%r): using the default chain", name)
    chain = EscalationChain.objects.filter(is_default=True).first()
    return chain, ("default" if chain is not None else "none")


def _pk(request_id: str | uuid.UUID) -> uuid.UUID:
    try:
        return request_id if isinstance(request_id, uuid.UUID) else uuid.UUID(str(request_id))
    except ValueError as exc:
        raise NotFound("Request not found.") from exc


def _request(request_id: str | uuid.UUID) -> InboundRequest:
    found = InboundRequest.objects.select_related("agency").filter(pk=_pk(request_id)).first()
    if found is None:
        raise NotFound("Request not found.")
    return found


def emergency_open_for_le_request(
    *, actor: Actor, request_id: str | uuid.UUID, now: dt.datetime | None = None,
) -> Emergency | None:
    """Open the request's emergency and start paging (see the module docstring); None when it has one."""
    le_require(actor, Perm.LE_REQUEST_HANDLE)
    now = now or clock.now()
    request = _request(request_id)
    if not request.emergency or request.request_type != RequestType.EMERGENCY_DISCLOSURE:
        raise Conflict("Only emergency disclosure requests are paged through the emergency lane.",
                       code="not_an_emergency")
    if request.status not in OPEN_REQUEST_STATUSES:
        raise Conflict("This request is closed.", code="request_closed")
    if Emergency.objects.filter(le_request_id=request.pk).exists():
        return None
    chain, chosen = le_chain()
    snapshot = chain_snapshot(chain) if chain is not None else {}
    fallback = snapshot.get("chain_id") is None  # no chain, or a chain without steps
    if fallback:
        snapshot = dict(LE_FALLBACK_CHAIN)
    snapshot["taken_at"] = now.isoformat()
    with transaction.atomic():
        try:
            with transaction.atomic():
                emergency = Emergency.objects.create(
                    le_request=request, state=EmergencyState.OPEN, source=EmergencySource.LAW_ENFORCEMENT,
                    opened_at=now, chain_snapshot=snapshot,
                )
        except IntegrityError:
            return None  # opened by a concurrent transaction
        audit_record(actor=actor, action=AuditAction.EMERGENCY_OPENED, target=emergency, data={
            "le_request_id": str(request.pk), "source": EmergencySource.LAW_ENFORCEMENT.value,
            "chain": snapshot["name"], "chain_choice": chosen, "fallback": fallback,
            "steps": len(snapshot["steps"]), "repeat_count": snapshot["repeat_count"],
        })
        paging_start(emergency=emergency, now=now)
    return emergency


def emergency_resolve_for_le_request(
    *, actor: Actor, request_id: str | uuid.UUID, reason: str, now: dt.datetime | None = None,
) -> Emergency | None:
    """The request was answered, rejected or closed: resolve its active emergency (None when there is none).

    Called by the request's services inside their transaction, with their
    actor (a liaison or legal reviewer, who need not see the board): the
    resolution is theirs, so the audit entry names them.
    """
    le_require(actor, Perm.LE_REQUEST_HANDLE, Perm.LE_REQUEST_REVIEW)
    now = now or clock.now()
    with transaction.atomic():
        emergency = Emergency.objects.select_for_update().filter(le_request_id=_pk(request_id)).first()
        if emergency is None or emergency.state not in ACTIVE_STATES:
            return None
        return close_locked(
            emergency=emergency, actor=actor, user=actor.user, state=EmergencyState.RESOLVED,
            reason=reason[:2000], kind=TimelineKind.EMERGENCY_RESOLVED, action=AuditAction.EMERGENCY_RESOLVED,
            now=now, extra={"automatic": True},
        )


def emergency_acknowledge_for_le_request(
    *, actor: Actor, request_id: str | uuid.UUID, step: str, now: dt.datetime | None = None,
) -> Emergency | None:
    """Someone is working on the request (a call-back, verification, legal review): acknowledge its open page.

    A liaison who picked up the request at 3 a.m. should not have the lane
    keep waking the next people in the chain. Called by the request's
    services in their transaction, with their actor; ``step`` (what was done)
    is recorded as ``via``. None when there is no open emergency (none, or
    already acknowledged or resolved) or no person to name.
    """
    le_require(actor, Perm.LE_REQUEST_HANDLE, Perm.LE_REQUEST_REVIEW)
    if actor.user is None:
        return None
    with transaction.atomic():
        emergency = Emergency.objects.select_for_update().filter(le_request_id=_pk(request_id)).first()
        if emergency is None or emergency.state != EmergencyState.OPEN:
            return None
        return acknowledge_locked(emergency=emergency, user=actor.user, actor=actor, via=f"le:{step}"[:16],
                                   now=now or clock.now())
