"""Reads for the emergency lane and on-call, starting from what the actor may see.

Partners (and anyone else outside the platform's team) get NotFound from
every function here, as for something that does not exist: the board, the
rotas and the chains are internal. Staff without ``oncall.view`` get 403.

An emergency for a law-enforcement request is on the board only for staff
with ``emergency.le_view`` (escalation leads, administrators) and for the
people it paged (their page already told them as much); for everyone else it
does not exist. The board shows only the agency, its reference, the type of
request and the deadline: the request itself stays in the law-enforcement
area (liaisons, legal reviewers, administrators).
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.models import User
from trustline.accounts.permissions import Actor, Perm, require
from trustline.core.exceptions import NotFound
from trustline.oncall import conf
from trustline.oncall.choices import ACTIVE_STATES
from trustline.oncall.models import (
    AckToken,
    ContactMethod,
    Emergency,
    EscalationChain,
    EscalationStep,
    ImminentRule,
    PageStep,
    Schedule,
    ScheduleOverride,
)
from trustline.oncall.rotation import OnCall, oncall_now, shift_of


def staff_required(actor: Actor, perm: Perm = Perm.ONCALL_VIEW) -> None:
    if not actor.is_staff_side:
        raise NotFound("Not found.")
    require(actor, perm)


def _uuid(raw: str | uuid.UUID, what: str) -> uuid.UUID:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound(f"{what} not found.") from exc


_RELATED = ("case", "le_request__agency", "owner", "acknowledged_by", "closed_by")


def emergencies_visible(actor: Actor) -> QuerySet[Emergency]:
    """Every emergency ``actor`` may see (see the module docstring for law-enforcement requests)."""
    staff_required(actor)
    qs = Emergency.objects.select_related(*_RELATED)
    if actor.has(Perm.EMERGENCY_LE_VIEW):
        return qs
    if actor.user is None:
        return qs.filter(le_request__isnull=True)
    paged = AckToken.objects.filter(emergency_id=OuterRef("pk"), user_id=actor.user.pk)
    return qs.filter(Q(le_request__isnull=True) | Q(Exists(paged)))


def emergency_visible_to(*, actor: Actor, emergency_id: uuid.UUID) -> bool:
    """Whether ``actor`` sees this emergency (hand-over checks its target with this)."""
    return actor.is_staff_side and actor.has(Perm.ONCALL_VIEW) and emergencies_visible(actor).filter(
        pk=emergency_id).exists()


def emergency_list(*, actor: Actor, active_only: bool = True) -> QuerySet[Emergency]:
    """The board: active emergencies, oldest first (the longest wait on top); or all, newest first."""
    qs = emergencies_visible(actor)
    if active_only:
        return qs.filter(state__in=ACTIVE_STATES).order_by("opened_at", "pk")
    return qs.order_by("-opened_at", "-pk")


def emergency_get(*, actor: Actor, emergency_id: str | uuid.UUID) -> Emergency:
    found = emergencies_visible(actor).filter(pk=_uuid(emergency_id, "Emergency")).first()
    if found is None:
        raise NotFound("Emergency not found.")
    return found


def emergency_steps(emergency: Emergency) -> list[PageStep]:
    return list(PageStep.objects.filter(emergency=emergency).order_by("sequence"))


def active_emergency_exists() -> Exists:
    """For queue filters: the case has an emergency on the board (routing excludes those)."""
    return Exists(Emergency.objects.filter(case_id=OuterRef("pk"), state__in=ACTIVE_STATES))


def schedule_list(*, actor: Actor) -> QuerySet[Schedule]:
    staff_required(actor)
    return Schedule.objects.prefetch_related("participants__user").order_by("name")


def schedule_get(*, actor: Actor, schedule_id: int) -> Schedule:
    found = schedule_list(actor=actor).filter(pk=schedule_id).first()
    if found is None:
        raise NotFound("Schedule not found.")
    return found


def override_list(*, actor: Actor, schedule_id: int) -> QuerySet[ScheduleOverride]:
    schedule = schedule_get(actor=actor, schedule_id=schedule_id)
    return ScheduleOverride.objects.filter(schedule=schedule).select_related("user").order_by("start_at", "pk")


def chain_list(*, actor: Actor) -> QuerySet[EscalationChain]:
    staff_required(actor)
    return EscalationChain.objects.prefetch_related("steps__schedule", "steps__user").order_by("name")


def chain_get(*, actor: Actor, chain_id: int) -> EscalationChain:
    found = chain_list(actor=actor).filter(pk=chain_id).first()
    if found is None:
        raise NotFound("Escalation chain not found.")
    return found


def _open_snapshots() -> list[dict[str, object]]:
    """The chain copies of the emergencies still on the board (few: the board shows them all)."""
    return [s for s in Emergency.objects.filter(state__in=ACTIVE_STATES).values_list("chain_snapshot", flat=True)
            if isinstance(s, dict)]


def chain_delete_blockers(chain: EscalationChain) -> list[str]:
    """Why ``chain`` may not be deleted now (empty: it may).

    The default chain and the one ``ONCALL_LAW_ENFORCEMENT_CHAIN`` names are
    what new emergencies copy: without them paging falls back to waking every
    lead (or, for law enforcement, to the default chain) without anyone having
    chosen that. An open emergency's copy names the chain, and the board and
    the audit trail lead to it while someone is still being paged through it.
    """
    reasons = []
    if chain.is_default:
        reasons.append("It is the default chain: new emergencies are paged through it. "
                       "Make another chain the default first.")
    if chain.name == conf.law_enforcement_chain():
        reasons.append("ONCALL_LAW_ENFORCEMENT_CHAIN names it: emergency law-enforcement requests are paged "
                       "through it. Change that setting first.")
    in_use = sum(1 for s in _open_snapshots() if s.get("chain_id") == chain.pk)
    if in_use:
        reasons.append(f"{_emergencies(in_use)} being paged through it. Delete it once resolved or closed.")
    return reasons


def schedule_delete_blockers(schedule: Schedule) -> list[str]:
    """Why ``schedule`` may not be deleted now (empty: it may).

    A chain step points at its schedule with ``on_delete=PROTECT`` (deleting
    it would fail, or leave the step paging nobody), and an open emergency's
    copy of its chain still resolves the schedule each time a step fires.
    """
    reasons = []
    chains = sorted(set(EscalationStep.objects.filter(schedule=schedule).values_list("chain__name", flat=True)))
    if chains:
        reasons.append(f"Escalation chain steps page it ({', '.join(chains)}). "
                       "Remove it from those steps first.")
    in_use = sum(1 for s in _open_snapshots() if any(
        isinstance(step, dict) and step.get("schedule_id") == schedule.pk for step in _steps(s)))
    if in_use:
        reasons.append(f"{_emergencies(in_use)} being paged through it. Delete it once resolved or closed.")
    return reasons


def _emergencies(n: int) -> str:
    return "An open emergency is still" if n == 1 else f"{n} open emergencies are still"


def _steps(snapshot: dict[str, object]) -> list[object]:
    steps = snapshot.get("steps")
    return steps if isinstance(steps, list) else []


def rule_list(*, actor: Actor) -> QuerySet[ImminentRule]:
    staff_required(actor)
    return ImminentRule.objects.order_by("name", "pk")


def contact_list(*, actor: Actor, user_id: int | None = None) -> QuerySet[ContactMethod]:
    staff_required(actor)
    qs = ContactMethod.objects.select_related("user", "endpoint").order_by("user_id", "pk")
    return qs.filter(user_id=user_id) if user_id is not None else qs


def who_is_on_call(*, actor: Actor, at: dt.datetime) -> list[tuple[Schedule, OnCall]]:
    """Every active schedule with its primary and secondary at ``at``."""
    staff_required(actor)
    result = []
    for schedule in Schedule.objects.filter(is_active=True).prefetch_related("participants__user").order_by("name"):
        people = [p.user for p in schedule.participants.all()]
        result.append((schedule, oncall_now(schedule, at, participants=people)))
    return result


def staff_user_get(username: str) -> User | None:
    """An active person of the platform organisation (who may be handed an emergency or be on a rota)."""
    return (
        User.objects.filter(username=username, is_active=True,
                            memberships__organisation__kind=OrganisationKind.PLATFORM)
        .distinct().first()
    )


def staff_people(*, actor: Actor) -> QuerySet[User]:
    """Active people of the platform team, for the pages' person pickers (the services check them again)."""
    staff_required(actor)
    return (User.objects.filter(is_active=True, memberships__organisation__kind=OrganisationKind.PLATFORM)
            .distinct().order_by("username"))


@dataclass(frozen=True)
class Segment:
    """A stretch of time with the same people on call (a rotation shift, or part of one under an override)."""

    start: dt.datetime
    end: dt.datetime
    on_call: OnCall


def schedule_upcoming(*, actor: Actor, schedule: Schedule, start: dt.datetime,
                      days: int = 14) -> list[Segment]:
    """Who is on call from ``start`` for ``days`` days, as consecutive segments.

    1. The boundaries are the rotation's hand-offs (``shift_of``, so DST and
       weekly hand-off days are the rotation's own rules) and every start and
       end of an override inside the window.
    2. Each segment asks ``oncall_now`` at its start, so overrides are applied
       exactly as paging applies them; neighbours with the same people and the
       same override are merged.
    """
    staff_required(actor)
    end = start + dt.timedelta(days=days)
    people = [p.user for p in schedule.participants.all()]
    cuts = {start, end}
    at = start
    while at < end:
        _shift, _begin, shift_end = shift_of(schedule, at)
        cuts.add(min(shift_end, end))
        at = shift_end
    for o in ScheduleOverride.objects.filter(schedule=schedule, start_at__lt=end, end_at__gt=start):
        cuts.update(t for t in (o.start_at, o.end_at) if start < t < end)
    ordered = sorted(cuts)
    segments: list[Segment] = []
    for begin, finish in itertools.pairwise(ordered):
        on = oncall_now(schedule, begin, participants=people)
        last = segments[-1] if segments else None
        if last is not None and _same(last.on_call, on) and last.end == begin:
            segments[-1] = Segment(start=last.start, end=finish, on_call=on)
        else:
            segments.append(Segment(start=begin, end=finish, on_call=on))
    return segments


def _same(a: OnCall, b: OnCall) -> bool:
    def key(o: OnCall) -> tuple[int | None, int | None, int | None]:
        return (o.primary.pk if o.primary else None, o.secondary.pk if o.secondary else None,
                o.override.pk if o.override else None)

    return key(a) == key(b)
