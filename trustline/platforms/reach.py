"""Views while waiting: how many times reported content was seen between the first look and its going offline.

"The Haiti video drew 500,000 views before removal" (user need 12) is the
figure that tells a platform what slow handling costs. Trustline has it from
the content snapshots (:mod:`trustline.platforms.snapshots`): every look
keeps the platform's view count, so the views gained while a case waited are
the count at the last look that found the content online, or at the look
that found it offline (a platform's counter stops when content goes), less
the count at the first look.

1. Keep the case's looks that carry a view count, oldest first.
2. Cut them at the first look that found the content offline (inclusive):
   views after a reinstatement are not views while the case waited.
3. Need at least two such looks; one look measures nothing.
4. ``gained`` is the last count less the first, never below zero (a
   platform may recount, or a different item of the case may be described).

Counts are the platform's own and as honest as its counter; the first look
is taken at triage, a few minutes after the report, so views before the
report are not counted. Aggregates (:func:`reach_summary`) carry no
personal data: counts only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from trustline.platforms.models import ContentSnapshot


@dataclasses.dataclass(frozen=True)
class Look:
    """One snapshot's figures: when, whether the content was online, the view count."""

    taken_at: dt.datetime
    online: bool | None
    views: int


@dataclasses.dataclass(frozen=True)
class ReachWhileWaiting:
    first_at: dt.datetime
    first_views: int
    last_at: dt.datetime
    last_views: int
    offline_at: dt.datetime | None  # the first look that found the content offline; None: not (yet) seen offline

    @property
    def gained(self) -> int:
        return max(0, self.last_views - self.first_views)


def reach_while_waiting(looks: Iterable[Look]) -> ReachWhileWaiting | None:
    """The module's steps 1-4 for one case's looks (any order); ``None`` when fewer than two carry a count."""
    kept: list[Look] = []
    for look in sorted(looks, key=lambda look: look.taken_at):
        kept.append(look)
        if look.online is False:
            break
    if len(kept) < 2:
        return None
    first, last = kept[0], kept[-1]
    return ReachWhileWaiting(
        first_at=first.taken_at, first_views=first.views, last_at=last.taken_at, last_views=last.views,
        offline_at=last.taken_at if last.online is False else None,
    )


def measures_by_case(case_ids: QuerySet[Any]) -> dict[uuid.UUID, ReachWhileWaiting]:
    """:func:`reach_while_waiting` of each case in ``case_ids`` that has one.

    ``case_ids`` is a query of case ids, run as a sub-query (no list of ids
    in the statement, however many cases). One query over the cases' looks
    that carry a count (unanswered attempts carry none), read in chunks.
    """
    looks: dict[uuid.UUID, list[Look]] = {}
    rows = (ContentSnapshot.objects.filter(case_id__in=case_ids, views__isnull=False)
            .order_by("case_id", "taken_at", "id").values_list("case_id", "taken_at", "online", "views"))
    for case_id, taken_at, online, views in rows.iterator(chunk_size=2000):
        if views is not None:
            looks.setdefault(case_id, []).append(Look(taken_at=taken_at, online=online, views=views))
    return {case_id: m for case_id, case_looks in looks.items() if (m := reach_while_waiting(case_looks)) is not None}


def case_reach_while_waiting(snapshots: Iterable[ContentSnapshot]) -> ReachWhileWaiting | None:
    """The figure for one case, from its snapshots as the case page already holds them."""
    return reach_while_waiting(
        Look(taken_at=s.taken_at, online=s.online, views=s.views) for s in snapshots if s.views is not None
    )


@dataclasses.dataclass(frozen=True)
class ReachSummary:
    """Views gained while waiting over a set of cases (the insight report's "before it went offline")."""

    cases: int  # cases with a measure (two looks with a count)
    offline: int  # of which the content was seen offline
    total_gained: int
    median_gained: int
    largest_gained: int
    median_hours_to_offline: float | None  # first look to offline, over the cases seen offline


def reach_summary(measures: Iterable[ReachWhileWaiting]) -> ReachSummary:
    """Aggregate measures of several cases; counts only, no case is named."""
    measured = list(measures)
    gained = [m.gained for m in measured]
    hours = [(m.last_at - m.first_at).total_seconds() / 3600 for m in measured if m.offline_at is not None]
    return ReachSummary(
        cases=len(measured),
        offline=len(hours),
        total_gained=sum(gained),
        median_gained=int(statistics.median(gained)) if gained else 0,
        largest_gained=max(gained, default=0),
        median_hours_to_offline=round(statistics.median(hours), 1) if hours else None,
    )
