"""Reporting periods: calendar weeks, months, quarters or custom dates, bounded in an IANA time zone.

A period is the half-open interval ``[start, end)`` of UTC instants whose
local date (in the chosen zone) falls in it, so a "December" in
Pacific/Auckland starts 13 hours before a "December" in UTC, and a day on
which clocks change has 23 or 25 hours. The previous period, for the
"change against the previous period" columns, is the calendar period before
(last week, last month, last quarter) or, for a custom range, the range of
the same number of days ending where this one starts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

from trustline.core import clock
from trustline.core.exceptions import ValidationFailed


class PeriodKind:
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    CUSTOM = "custom"
    ALL = (WEEK, MONTH, QUARTER, CUSTOM)


@dataclasses.dataclass(frozen=True)
class Period:
    """Local dates ``[first, after)`` in ``tz``; ``start``/``end`` are the UTC instants bounding them."""

    kind: str
    first: dt.date
    after: dt.date
    tz: str

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.tz)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(), self.zone).astimezone(dt.UTC)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.after, dt.time(), self.zone).astimezone(dt.UTC)

    @property
    def label(self) -> str:
        last = self.after - dt.timedelta(days=1)
        if self.kind == PeriodKind.MONTH:
            return self.first.strftime("%Y-%m")
        if self.kind == PeriodKind.QUARTER:
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == PeriodKind.WEEK:
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.first.isoformat()}..{last.isoformat()}"

    def previous(self) -> Period:
        if self.kind == PeriodKind.WEEK:
            return Period(self.kind, self.first - dt.timedelta(days=7), self.first, self.tz)
        if self.kind in (PeriodKind.MONTH, PeriodKind.QUARTER):
            months = 1 if self.kind == PeriodKind.MONTH else 3
            return Period(self.kind, _add_months(self.first, -months), self.first, self.tz)
        days = (self.after - self.first).days
        return Period(self.kind, self.first - dt.timedelta(days=days), self.first, self.tz)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def zone_or_error(tz: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed.field("tz", "not an IANA time zone (e.g. Africa/Khartoum, UTC)") from exc


MAX_CUSTOM_DAYS = 3 * 366


def period_for(
    *, kind: str, tz: str = "UTC", date: dt.date | None = None, from_date: dt.date | None = None,
    to_date: dt.date | None = None, today: dt.date | None = None,
) -> Period:
    """The period of ``kind`` containing ``date`` (default: today in ``tz``), or the custom ``from``..``to``.

    ``to_date`` is inclusive (a report for 1-31 March includes 31 March).
    Raises ``ValidationFailed`` naming the offending field.
    """
    zone_or_error(tz)
    if kind not in PeriodKind.ALL:
        raise ValidationFailed.field("period", f"one of {', '.join(PeriodKind.ALL)}")
    if kind == PeriodKind.CUSTOM:
        problems: dict[str, list[str]] = {}
        if from_date is None:
            problems["from"] = ["required for a custom period"]
        if to_date is None:
            problems["to"] = ["required for a custom period"]
        if from_date and to_date and to_date < from_date:
            problems["to"] = ["must not be before from"]
        if from_date and to_date and (to_date - from_date).days >= MAX_CUSTOM_DAYS:
            problems["to"] = [f"a custom period is at most {MAX_CUSTOM_DAYS} days"]
        if problems:
            raise ValidationFailed("The period is not valid.", fields=problems)
        assert from_date is not None and to_date is not None
        return Period(kind, from_date, to_date + dt.timedelta(days=1), tz)
    day = date or today or clock.now().astimezone(zoneinfo.ZoneInfo(tz)).date()
    if kind == PeriodKind.WEEK:
        first = day - dt.timedelta(days=day.weekday())
        return Period(kind, first, first + dt.timedelta(days=7), tz)
    if kind == PeriodKind.MONTH:
        first = day.replace(day=1)
        return Period(kind, first, _add_months(first, 1), tz)
    first = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return Period(kind, first, _add_months(first, 3), tz)
