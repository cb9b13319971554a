"""Reviewer workload: how much reviewing time the programme takes, per kind of case.

Partners and programme managers need to show what the channel costs (a
French hotline counts 20 minutes of staff time per platform report; Internews
found platforms' staffing of trusted-partner channels opaque). Trustline
already records every reviewer's hold on a case (``routing.Assignment``:
claimed, then ended by a decision, a release, a reassignment, a hold, or the
lease running out), so the time is measured, not estimated:

* a hold **counts** from its claim to its end, and falls in the period in
  which it **ended** (holds still running are work in progress, not counted);
* holds whose **lease expired** are counted apart (``expired_holds``,
  ``hours_expired``) and not in ``hours_held``: the reviewer walked away, and
  counting the whole lease would inflate the figure;
* ``minutes_per_decision`` divides all counted time (including holds given
  back before someone else decided) by the decisions: the staff time one
  decision costs;
* ``decide_p50_minutes`` / ``decide_p90_minutes`` are nearest-rank
  percentiles of the holds that ended in a decision;
* ``hours_per_week`` spreads ``hours_held`` over the period's weeks (those
  gone so far, for the current period): the reviewing hours a week this kind
  of case needs.

Steps of :func:`workload_table`:
1. check the actor may read programme figures (``metrics.view``; the
   ``reviewer`` slice also needs ``reviewer.skills_manage``: it is about
   people);
2. read the holds that ended in the period, one row each with the case's
   slice values (one query, streamed);
3. add them up per slice and in total;
4. label the slices as the metrics table does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from trustline.accounts.models import User
from trustline.accounts.permissions import Actor, Perm, require
from trustline.core import clock
from trustline.core.exceptions import PermissionDenied, ValidationFailed
from trustline.metrics.periods import Period
from trustline.metrics.selectors import slice_labels
from trustline.routing.choices import AssignmentEnd, RoutingPool
from trustline.routing.models import Assignment
from trustline.taxonomy.models import Category

# Slice name -> the column of an Assignment row it groups by.
WORKLOAD_DIMENSIONS: dict[str, str] = {
    "category": "case__category_code",
    "tier": "case__tier",
    "language": "case__routing_language_base",
    "country": "case__country",
    "imminent_harm": "case__imminent_harm",
    "pool": "pool",
    "reviewer": "reviewer_id",
}
#: Slices about people, which need ``reviewer.skills_manage`` on top of ``metrics.view``.
PERSONAL_DIMENSIONS = frozenset({"reviewer"})
#: Slices a table can be narrowed to (one value each); not people.
FILTERS = frozenset({"category", "tier", "language", "country", "imminent_harm"})
_HANDED_ON = frozenset({AssignmentEnd.RELEASED, AssignmentEnd.REASSIGNED, AssignmentEnd.HELD})


@dataclasses.dataclass
class WorkloadFigures:
    holds: int = 0
    decided_holds: int = 0
    handed_on_holds: int = 0  # released, reassigned or put on hold
    expired_holds: int = 0
    hours_held: float = 0.0
    hours_expired: float = 0.0
    reviewers: int = 0
    minutes_per_decision: float | None = None
    decide_p50_minutes: float | None = None
    decide_p90_minutes: float | None = None
    hours_per_week: float = 0.0


@dataclasses.dataclass
class WorkloadRow:
    key: Any
    label: str
    figures: WorkloadFigures


@dataclasses.dataclass
class WorkloadTable:
    period: Period
    group_by: str | None
    rows: list[WorkloadRow]  # the total first
    computed_at: dt.datetime


@dataclasses.dataclass
class _Tally:
    """Running sums of one slice while the holds stream past."""

    holds: int = 0
    handed_on: int = 0
    expired: int = 0
    seconds_held: float = 0.0
    seconds_expired: float = 0.0
    decided: list[float] = dataclasses.field(default_factory=list)  # seconds of each hold ended by a decision
    reviewers: set[int] = dataclasses.field(default_factory=set)

    def add(self, reviewer_id: int, seconds: float, end_reason: str) -> None:
        self.holds += 1
        self.reviewers.add(reviewer_id)
        if end_reason == AssignmentEnd.EXPIRED:
            self.expired += 1
            self.seconds_expired += seconds
            return
        self.seconds_held += seconds
        if end_reason == AssignmentEnd.DECIDED:
            self.decided.append(seconds)
        elif end_reason in _HANDED_ON:
            self.handed_on += 1

    def figures(self, weeks: float) -> WorkloadFigures:
        decided = sorted(self.decided)
        return WorkloadFigures(
            holds=self.holds, decided_holds=len(decided), handed_on_holds=self.handed_on,
            expired_holds=self.expired, hours_held=round(self.seconds_held / 3600, 2),
            hours_expired=round(self.seconds_expired / 3600, 2), reviewers=len(self.reviewers),
            minutes_per_decision=round(self.seconds_held / 60 / len(decided), 1) if decided else None,
            decide_p50_minutes=_nearest_rank(decided, 0.5), decide_p90_minutes=_nearest_rank(decided, 0.9),
            hours_per_week=round(self.seconds_held / 3600 / weeks, 2) if weeks else 0.0,
        )


def _nearest_rank(ordered: list[float], fraction: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] / 60, 1)


def workload_table(
    *, actor: Actor, period: Period, group_by: str | None = None, filters: dict[str, Any] | None = None,
) -> WorkloadTable:
    """Reviewing time of the holds that ended in ``period``, in total and per slice (see the module's steps).

    ``filters`` narrows to cases of one value of a slice (``{"imminent_harm": True}``), e.g. to see
    per reviewer who has spent the week on imminent-harm cases.
    """
    require(actor, Perm.METRICS_VIEW)
    if group_by is not None and group_by not in WORKLOAD_DIMENSIONS:
        raise ValidationFailed.field(
            "group_by", _("must be one of: %(values)s") % {"values": ", ".join(WORKLOAD_DIMENSIONS)})
    if group_by in PERSONAL_DIMENSIONS and not actor.has(Perm.REVIEWER_SKILLS_MANAGE):
        raise PermissionDenied(_("Figures per reviewer are for those who manage reviewers."), code="forbidden")
    wanted = {name: value for name, value in (filters or {}).items() if value not in (None, "")}
    unknown = sorted(set(wanted) - FILTERS)
    if unknown:
        raise ValidationFailed.field(unknown[0], _("cannot filter on this"))
    column = WORKLOAD_DIMENSIONS[group_by] if group_by else None
    total = _Tally()
    slices: dict[Any, _Tally] = defaultdict(_Tally)
    for reviewer_id, claimed_at, ended_at, end_reason, key in _holds_ended_in(period, column, wanted):
        seconds = max(0.0, (ended_at - claimed_at).total_seconds())
        total.add(reviewer_id, seconds, end_reason)
        if column is not None:
            slices[key].add(reviewer_id, seconds, end_reason)
    # A period still running is spread over the weeks gone so far, not the whole period.
    now = clock.now()
    weeks = max(0.0, (min(period.end, now) - period.start).total_seconds()) / (7 * 86400)
    rows = [WorkloadRow(key=None, label="All", figures=total.figures(weeks))]
    if group_by is not None:
        labels = _labels(group_by, list(slices))
        ordered = sorted(slices.items(), key=lambda kv: (-kv[1].seconds_held, labels[kv[0]]))
        rows += [WorkloadRow(key=key, label=labels[key], figures=tally.figures(weeks)) for key, tally in ordered]
    return WorkloadTable(period=period, group_by=group_by, rows=rows, computed_at=now)


def _holds_ended_in(
    period: Period, column: str | None, wanted: dict[str, Any],
) -> Iterable[tuple[int, dt.datetime, dt.datetime, str, Any]]:
    fields = ["reviewer_id", "claimed_at", "ended_at", "end_reason"]
    qs = Assignment.objects.filter(ended_at__gte=period.start, ended_at__lt=period.end).order_by()
    if wanted:
        qs = qs.filter(**{WORKLOAD_DIMENSIONS[name]: value for name, value in wanted.items()})
    if column is None:
        return ((r, c, e, why, None) for r, c, e, why in qs.values_list(*fields).iterator(chunk_size=5000))
    return qs.values_list(*fields, column).iterator(chunk_size=5000)


def _labels(group_by: str, keys: list[Any]) -> dict[Any, str]:
    if group_by == "reviewer":
        names = {pk: full or username for pk, full, username in
                 User.objects.filter(pk__in=keys).values_list("pk", "full_name", "username")}
        return {k: names.get(k, str(k)) for k in keys}
    if group_by == "category":
        categories = {c.code: c.shown_name for c in Category.objects.filter(code__in=keys)}
        return {k: categories.get(k, k or "(none)") for k in keys}
    if group_by == "pool":
        shown = dict(RoutingPool.choices)
        return {k: str(shown.get(k, k or "(none)")) for k in keys}
    return slice_labels(group_by, keys)
