"""Responding to emergencies: acknowledge (UI, API or one-time link), resolve, hand over, downgrade.

Each service: checks the actor (a person of the platform team with the
permission; partners get NotFound), validates, then under a row lock on the
emergency changes its state with a conditional check, cancels the steps not
fired yet, adds a partner-visible timeline event to every item of the case
(the partner sees *that* and *when* a person took the case, never who) and
records the audit entry, in one transaction. PagerDuty routes that were
paged are told ``acknowledge`` / ``resolve`` through the outbox.

An emergency for a law-enforcement request (``le_request``, no case) is
answered the same way, minus what only a case has: no timeline (a request
has no partner), no case SLA to meet, and no downgrade (refused with 409
``emergency_not_downgradable``: the request's own review decides whether it
is an emergency; it resolves by itself when the request is answered or closed).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM, Actor, Perm, require
from trustline.accounts.selectors import actor_for_user
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from trustline.intake.choices import TimelineKind
from trustline.notifications.choices import Channel
from trustline.notifications.services import outbox_enqueue
from trustline.oncall.choices import ACTIVE_STATES, EmergencyState
from trustline.oncall.models import AckToken, Emergency
from trustline.oncall.pagetext import board_url
from trustline.oncall.paging import cancel_pending_steps, pagerduty_notify, token_hash
from trustline.oncall.selectors import emergency_get, emergency_visible_to, staff_required, staff_user_get
from trustline.review.telling import timeline_add

MAX_REASON = 2000


def _person(actor: Actor) -> User:
    if actor.user is None:
        raise PermissionDenied("This needs a signed-in person (an API key cannot take an emergency).")
    return actor.user


def _locked(emergency_id: uuid.UUID) -> Emergency:
    return Emergency.objects.select_for_update().get(pk=emergency_id)


def acknowledge_locked(*, emergency: Emergency, user: User, actor: Actor, via: str, now: dt.datetime) -> Emergency:
    if emergency.state != EmergencyState.OPEN:
        raise Conflict(f"This emergency is already {emergency.get_state_display().lower()}.", code="emergency_not_open")
    Emergency.objects.filter(pk=emergency.pk, state=EmergencyState.OPEN).update(
        state=EmergencyState.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=user, acknowledged_via=via, owner=user,
    )
    cancelled = cancel_pending_steps(emergency.pk, now)
    if emergency.case_id is not None:
        # The acknowledge-by SLA of the case is met now (the field is "first taken by a person").
        Case.objects.filter(pk=emergency.case_id, acknowledged_at__isnull=True).update(acknowledged_at=now)
        timeline_add(case_id=emergency.case_id, kind=TimelineKind.EMERGENCY_ACKNOWLEDGED,
                     data={"acknowledged_at": now.isoformat(), "by": "a member of the platform's safety team"}, at=now)
    emergency.refresh_from_db()
    pagerduty_notify(emergency=emergency, action="acknowledge")
    audit_record(actor=actor, action=AuditAction.EMERGENCY_ACKNOWLEDGED, target=emergency, data={
        **_subject(emergency), "by": user.pk, "via": via, "cancelled_steps": cancelled,
        "seconds_since_opened": int((now - emergency.opened_at).total_seconds()),
    })
    return emergency


def _subject(emergency: Emergency) -> dict[str, str]:
    """What the emergency is about, for audit entries."""
    if emergency.case_id is not None:
        return {"case_id": str(emergency.case_id)}
    return {"le_request_id": str(emergency.le_request_id)}


def emergency_acknowledge(*, actor: Actor, emergency_id: str | uuid.UUID, via: str = "api") -> Emergency:
    """Take an open emergency: stop paging, tell the partner a person has it."""
    found = emergency_get(actor=actor, emergency_id=emergency_id)
    require(actor, Perm.EMERGENCY_RESPOND)
    user = _person(actor)
    with transaction.atomic():
        return acknowledge_locked(emergency=_locked(found.pk), user=user, actor=actor, via=via, now=clock.now())


def ack_token_check(*, token: str, emergency_id: str | uuid.UUID | None = None) -> AckToken:
    """The valid, unused, unexpired link ``token`` (for ``emergency_id`` when given), else NotFound/Conflict.

    Every bad link gives the same NotFound, so a guessed or foreign token
    learns nothing; a used or expired one says so (its holder got it by page).
    """
    found = AckToken.objects.select_related("emergency", "emergency__case", "emergency__le_request__agency",
                                            "user").filter(
        token_hash=token_hash(token or "")).first()
    if found is None or (emergency_id is not None and str(found.emergency_id) != str(emergency_id)):
        raise NotFound("This acknowledge link is not valid.", code="ack_link_invalid")
    if found.used_at is not None:
        raise Conflict("This acknowledge link was already used.", code="ack_link_used")
    if found.expires_at <= clock.now():
        raise Conflict("This acknowledge link has expired; acknowledge on the board instead.", code="ack_link_expired")
    return found


def emergency_acknowledge_by_link(*, token: str, emergency_id: str | uuid.UUID | None = None) -> Emergency:
    """Acknowledge as the person the link was sent to; the link works once, before it expires."""
    link = ack_token_check(token=token, emergency_id=emergency_id)
    now = clock.now()
    with transaction.atomic():
        if AckToken.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now) != 1:
            raise Conflict("This acknowledge link was already used.", code="ack_link_used")
        emergency = _locked(link.emergency_id)
        actor = actor_for_user(link.user) or Actor(kind="user", organisation=None, user=link.user)
        return acknowledge_locked(emergency=emergency, user=link.user, actor=actor, via="link", now=now)


def _reason(reason: str, *, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise ValidationFailed.field("reason", "required: say why (it is kept in the audit log)")
    if len(text) > MAX_REASON:
        raise ValidationFailed.field("reason", f"at most {MAX_REASON} characters")
    return text


def _close(*, actor: Actor, emergency_id: str | uuid.UUID, state: EmergencyState, reason: str,
           kind: TimelineKind, action: AuditAction) -> Emergency:
    found = emergency_get(actor=actor, emergency_id=emergency_id)
    if state == EmergencyState.DOWNGRADED and found.le_request_id is not None:
        raise Conflict("An emergency law-enforcement request cannot be downgraded: resolve it here, or answer or "
                       "close the request in the law-enforcement area (its emergency then resolves by itself).",
                       code="emergency_not_downgradable")
    user = _person(actor)
    now = clock.now()
    with transaction.atomic():
        emergency = _locked(found.pk)
        if emergency.state not in ACTIVE_STATES:
            raise Conflict(f"This emergency is already {emergency.get_state_display().lower()}.",
                           code="emergency_closed")
        return close_locked(emergency=emergency, actor=actor, user=user, state=state, reason=reason, kind=kind,
                            action=action, now=now)


def close_locked(*, emergency: Emergency, actor: Actor, user: User | None, state: EmergencyState, reason: str,
                 kind: TimelineKind, action: AuditAction, now: dt.datetime,
                 extra: dict[str, object] | None = None) -> Emergency:
    """Close an active emergency locked by the caller: stop paging, tell the partner (cases), audit."""
    was = emergency.state
    Emergency.objects.filter(pk=emergency.pk, state=was).update(
        state=state, closed_at=now, closed_by=user, close_reason=reason,
        owner=emergency.owner or user,
    )
    cancelled = cancel_pending_steps(emergency.pk, now)
    if emergency.case_id is not None:
        Case.objects.filter(pk=emergency.case_id, acknowledged_at__isnull=True).update(acknowledged_at=now)
        timeline_add(case_id=emergency.case_id, kind=kind, data={"at": now.isoformat()}, at=now)
        if state == EmergencyState.DOWNGRADED:
            # Not imminent after all: the case leaves the lane and is re-tiered without the imminent policy.
            Case.objects.filter(pk=emergency.case_id).update(imminent_harm=False)
            _retier_without_imminence(emergency.case_id, reason)
    emergency.refresh_from_db()
    pagerduty_notify(emergency=emergency, action="resolve")
    audit_record(actor=actor, action=action, target=emergency, data={
        **_subject(emergency), "from_state": str(was), "reason": reason, "cancelled_steps": cancelled,
        **(extra or {}),
    })
    return emergency


def _retier_without_imminence(case_id: uuid.UUID, reason: str) -> None:
    from trustline.triage.services import case_retier  # triage calls this app's hooks: import late

    case = Case.objects.get(pk=case_id)
    if case.is_open and case.tier and case.status not in ("decided", "closed"):
        case_retier(actor=SYSTEM, case_id=case_id, tier=case.tier,
                    reason=f"emergency downgraded (not imminent): {reason}"[:MAX_REASON])


def emergency_resolve(*, actor: Actor, emergency_id: str | uuid.UUID, note: str = "") -> Emergency:
    """The immediate danger is dealt with: off the board (the case itself is still decided as usual)."""
    staff_required(actor, Perm.EMERGENCY_RESPOND)
    return _close(actor=actor, emergency_id=emergency_id, state=EmergencyState.RESOLVED,
                  reason=_reason(note, required=False), kind=TimelineKind.EMERGENCY_RESOLVED,
                  action=AuditAction.EMERGENCY_RESOLVED)


def emergency_downgrade(*, actor: Actor, emergency_id: str | uuid.UUID, reason: str) -> Emergency:
    """Not imminent after all (with a reason): stop paging and return the case to the ordinary queue."""
    staff_required(actor, Perm.EMERGENCY_DOWNGRADE)
    return _close(actor=actor, emergency_id=emergency_id, state=EmergencyState.DOWNGRADED,
                  reason=_reason(reason, required=True), kind=TimelineKind.EMERGENCY_DOWNGRADED,
                  action=AuditAction.EMERGENCY_DOWNGRADED)


def emergency_hand_over(*, actor: Actor, emergency_id: str | uuid.UUID, to_username: str, note: str = "") -> Emergency:
    """Give an acknowledged (or still paging) emergency to another person of the team, who is told at once."""
    found = emergency_get(actor=actor, emergency_id=emergency_id)
    require(actor, Perm.EMERGENCY_RESPOND)
    user = _person(actor)
    note = _reason(note, required=False)
    target = staff_user_get(to_username)
    if target is None or not _can_respond(target, found):
        raise ValidationFailed.field("to", "not a person of the platform team who may respond to emergencies"
                                     + (" of law-enforcement requests" if found.le_request_id else ""))
    if target.pk == (found.owner_id or user.pk):
        raise ValidationFailed.field("to", "already holds this emergency")
    now = clock.now()
    with transaction.atomic():
        emergency = _locked(found.pk)
        if emergency.state not in ACTIVE_STATES:
            raise Conflict("This emergency is closed.", code="emergency_closed")
        previous = emergency.owner_id
        if emergency.state == EmergencyState.OPEN:  # handing over also takes it: paging stops
            acknowledge_locked(emergency=emergency, user=user, actor=actor, via="handover", now=now)
        Emergency.objects.filter(pk=emergency.pk).update(owner=target)
        if emergency.case_id is not None:
            timeline_add(case_id=emergency.case_id, kind=TimelineKind.EMERGENCY_HANDED_OVER,
                         data={"at": now.isoformat()}, at=now, since=now)
        if target.email:
            what = (f"case {emergency.case_id}" if emergency.case_id is not None
                    else "an emergency law-enforcement request")
            outbox_enqueue(
                channel=Channel.EMAIL, recipient=target.email,
                subject=f"Emergency handed to you: {what}",
                body=(f"{user.get_username()} handed you the emergency on {what}.\n"
                      f"Board: {board_url(emergency)}\nNote: {note or '-'}\n"),
                idempotency_key=f"handover:{emergency.pk}:{target.pk}:{int(now.timestamp())}",
                event_type="emergency.handover",
            )
        emergency.refresh_from_db()
        audit_record(actor=actor, action=AuditAction.EMERGENCY_HANDED_OVER, target=emergency, data={
            **_subject(emergency), "from": previous or user.pk, "to": target.pk, "note": note,
        })
    return emergency


def _can_respond(user: User, emergency: Emergency) -> bool:
    """Whether ``user`` may respond to this emergency (hand-over targets are platform staff: staff_user_get)."""
    actor = actor_for_user(user)
    return (actor is not None and actor.has(Perm.EMERGENCY_RESPOND)
            and emergency_visible_to(actor=actor, emergency_id=emergency.pk))

