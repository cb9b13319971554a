"""The crisis view: how the crisis changed the work, compared with the weeks before it.

Everything is computed by the database (``COUNT`` with ``GROUP BY`` over
truncated times, conditional counts), never by looping over rows in Python:
a crisis can bring tens of thousands of reports.

Windows:

* the crisis period runs from ``starts_at`` to its end (or now, while active);
* the baseline is the same number of whole weeks (at least one) just
  before ``starts_at``. Volumes are also given per day, so a partial last
  week compares fairly.

Figures (each for the crisis period and the baseline unless said otherwise):

1. incoming volume: reported items on cases the crisis covers, per hour or
   per day (series for the crisis period), total and per day;
2. backlog by tier: open covered cases now (no baseline: it is a snapshot);
3. SLA attainment: among covered cases opened in the window whose decide
   target has passed, the share not breached (and the same for acknowledge);
4. top categories (covered cases opened in the window) and top partners
   (reported items in the window), five each.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any, Literal

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDay, TruncHour

from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.exceptions import ValidationFailed
from trustline.crisis.models import Crisis
from trustline.crisis.selectors import crisis_case_q
from trustline.intake.models import ReportItem

WEEK = dt.timedelta(days=7)
TOP = 5
MAX_HOURLY_DAYS = 31

Bucket = Literal["hour", "day"]


@dataclasses.dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime

    @property
    def days(self) -> float:
        return max(0.0, (self.end - self.start).total_seconds() / 86400)

    def q(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})

    def out(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "days": round(self.days, 2)}


def windows(crisis: Crisis, now: dt.datetime) -> tuple[Window, Window, int]:
    """The crisis period, the baseline before it, and the number of weeks compared."""
    end = min(crisis.ends_at or now, now)
    end = max(end, crisis.starts_at)
    weeks = max(1, math.ceil((end - crisis.starts_at) / WEEK))
    return Window(crisis.starts_at, end), Window(crisis.starts_at - weeks * WEEK, crisis.starts_at), weeks


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _sla(cases: QuerySet[Case], window: Window, now: dt.datetime) -> dict[str, Any]:
    figures = cases.filter(window.q("opened_at")).aggregate(
        decide_due=Count("pk", filter=Q(decide_due_at__lte=now)),
        decide_met=Count("pk", filter=Q(decide_due_at__lte=now, decide_breached=False)),
        ack_due=Count("pk", filter=Q(ack_due_at__lte=now)),
        ack_met=Count("pk", filter=Q(ack_due_at__lte=now, ack_breached=False)),
    )
    return {
        "decide_due": figures["decide_due"], "decide_met": figures["decide_met"],
        "decide_rate": _rate(figures["decide_met"], figures["decide_due"]),
        "ack_due": figures["ack_due"], "ack_met": figures["ack_met"],
        "ack_rate": _rate(figures["ack_met"], figures["ack_due"]),
    }


def _top_categories(cases: QuerySet[Case], window: Window) -> list[dict[str, Any]]:
    rows = (cases.filter(window.q("opened_at")).exclude(category_code="").values("category_code")
            .annotate(n=Count("pk")).order_by("-n", "category_code")[:TOP])
    return [{"code": r["category_code"], "cases": r["n"]} for r in rows]


def _top_partners(items: QuerySet[ReportItem], window: Window) -> list[dict[str, Any]]:
    rows = (items.filter(window.q("report__received_at"))
            .values("report__organisation__slug", "report__organisation__name")
            .annotate(n=Count("pk")).order_by("-n", "report__organisation__name")[:TOP])
    return [{"slug": r["report__organisation__slug"], "name": r["report__organisation__name"], "items": r["n"]}
            for r in rows]


def crisis_figures(*, crisis: Crisis, bucket: Bucket = "day", now: dt.datetime | None = None) -> dict[str, Any]:
    """The figures of the crisis view (see the module docstring); the caller has checked access."""
    now = now or clock.now()
    period, baseline, weeks = windows(crisis, now)
    if bucket == "hour" and period.days > MAX_HOURLY_DAYS:
        raise ValidationFailed.field("bucket", f"hourly figures cover at most {MAX_HOURLY_DAYS} days; use day")
    partner_ids = list(crisis.partners.values_list("pk", flat=True))
    cases = Case.objects.filter(crisis_case_q(crisis, partner_ids))
    items = ReportItem.objects.filter(case__in=cases.values("pk"))
    trunc = TruncHour if bucket == "hour" else TruncDay
    series = (items.filter(period.q("report__received_at"))
              .annotate(at=trunc("report__received_at", tzinfo=dt.UTC)).values("at")
              .annotate(n=Count("pk")).order_by("at"))
    totals = items.aggregate(
        crisis=Count("pk", filter=period.q("report__received_at")),
        baseline=Count("pk", filter=baseline.q("report__received_at")),
    )
    backlog = {str(r["tier"] or "untiered"): r["n"] for r in
               cases.filter(is_open=True).values("tier").annotate(n=Count("pk")).order_by("tier")}

    def per_day(count: int, window: Window) -> float | None:
        return round(count / window.days, 2) if window.days else None

    return {
        "crisis": {"id": crisis.pk, "name": crisis.name, "slug": crisis.slug, "level": crisis.level},
        "period": period.out(),
        "baseline": baseline.out(),
        "weeks_compared": weeks,
        "volume": {
            "bucket": bucket,
            "series": [{"at": r["at"], "items": r["n"]} for r in series],
            "crisis_total": totals["crisis"],
            "baseline_total": totals["baseline"],
            "crisis_per_day": per_day(totals["crisis"], period),
            "baseline_per_day": per_day(totals["baseline"], baseline),
        },
        "backlog_by_tier": backlog,
        "sla": {"crisis": _sla(cases, period, now), "baseline": _sla(cases, baseline, now)},
        "top_categories": {"crisis": _top_categories(cases, period), "baseline": _top_categories(cases, baseline)},
        "top_partners": {"crisis": _top_partners(items, period), "baseline": _top_partners(items, baseline)},
    }
