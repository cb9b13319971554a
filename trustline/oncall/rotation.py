"""Who is on call: rotation arithmetic in local wall-clock time, then overrides.

``oncall_now(schedule, at)`` answers for any instant:

1. Convert ``at`` to the schedule's time zone (``zoneinfo``): hand-offs are
   local wall-clock times, so a 09:00 hand-off stays at 09:00 local on both
   sides of a daylight-saving change (the shift that spans the change is an
   hour shorter or longer in UTC, as people expect).
2. The shift's start date: the local date, minus one day if the local time
   is before the hand-off time; for a weekly rotation, back to the last
   hand-off weekday (the weekday of ``start_date``). A hand-off time that does
   not exist on a spring-forward day happens at the first instant after the
   gap (the wall clock has passed it); on a fall-back day, at its first
   occurrence.
3. Shift number ``k`` = days (or weeks) from ``start_date`` to that date;
   the primary is participant ``k mod n``, the secondary the next one.
4. An override active at ``at`` (``start_at <= at < end_at``; the newest
   wins) makes its person primary; the rotation's primary then becomes
   secondary (so a swap keeps two distinct people on call).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from trustline.accounts.models import User
from trustline.oncall.choices import Rotation
from trustline.oncall.models import Schedule, ScheduleOverride


@dataclass(frozen=True)
class OnCall:
    """The answer for one schedule at one instant."""

    primary: User | None
    secondary: User | None
    shift_start: dt.datetime | None  # aware, UTC
    shift_end: dt.datetime | None
    override: ScheduleOverride | None


def valid_time_zone(name: str) -> bool:
    if name not in available_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _local_instant(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The instant a wall-clock time happens on ``day`` (a time in a DST gap maps past the gap)."""
    naive = dt.datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    # In a spring-forward gap: fold 0 and 1 bracket the transition; walk to the first minute past it.
    other = naive.replace(tzinfo=tz, fold=1).astimezone(dt.UTC)
    moment, last = min(first, other), max(first, other)
    moment = moment.replace(second=0, microsecond=0)
    while moment < last and moment.astimezone(tz).replace(tzinfo=None) < naive:
        moment += dt.timedelta(minutes=1)
    return moment


def shift_of(schedule: Schedule, at: dt.datetime) -> tuple[int, dt.datetime, dt.datetime]:
    """Steps 1-3: the shift number at ``at`` and its start and end (UTC)."""
    tz = ZoneInfo(schedule.time_zone)
    local = at.astimezone(tz)
    day = local.date()
    if local.time().replace(tzinfo=None) < schedule.handoff_time:
        day -= dt.timedelta(days=1)
    if schedule.rotation == Rotation.WEEKLY:
        day -= dt.timedelta(days=(day.weekday() - schedule.start_date.weekday()) % 7)
        length = 7
    else:
        length = 1
    shift = (day - schedule.start_date).days // length
    start = _local_instant(day, schedule.handoff_time, tz)
    end = _local_instant(day + dt.timedelta(days=length), schedule.handoff_time, tz)
    return shift, start, end


def oncall_now(schedule: Schedule, at: dt.datetime, *, participants: list[User] | None = None) -> OnCall:
    """Primary and secondary of ``schedule`` at ``at`` (see the module docstring)."""
    people = participants if participants is not None else [
        p.user for p in schedule.participants.select_related("user").order_by("position")
    ]
    primary = secondary = None
    start = end = None
    if people:
        shift, start, end = shift_of(schedule, at)
        primary = people[shift % len(people)]
        secondary = people[(shift + 1) % len(people)] if len(people) > 1 else None
    override = (
        ScheduleOverride.objects.select_related("user")
        .filter(schedule=schedule, start_at__lte=at, end_at__gt=at)
        .order_by("-created_at", "-pk")
        .first()
    )
    if override is not None:
        if primary is not None and primary.pk != override.user_id:
            secondary = primary
        elif secondary is not None and secondary.pk == override.user_id:
            secondary = None
        primary = override.user
        start, end = max(override.start_at, start) if start else override.start_at, override.end_at
    return OnCall(primary=primary, secondary=secondary, shift_start=start, shift_end=end, override=override)
