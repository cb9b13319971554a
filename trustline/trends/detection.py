"""Spike detection over the reports: counting in the database, testing in Python, storing the spikes.

``spikes_detect(day_from, day_to)``:

1. One ``GROUP BY`` query counts reports per UTC day, country, category and
   language tag over the tested days and the ``7N`` days before them. The
   language tag is folded to its base language (``ar-SD`` -> ``ar``, empty ->
   ``und``) on the aggregated rows, not on report rows. Each country's total
   is added as one more series, ``(country, "*", "*")``: a crisis often
   spreads over many categories, each too small to alarm on its own, and
   shows only in the total (the demo's crisis week does exactly that).
2. For each tested day, in date order: the pooled weekday profile of the
   programme comes from the day's ``7N`` baseline days (all series summed);
   every series with at least one report in the day's window is tested
   (``stats.spike_test``), leaving out of its baseline the days that were
   spikes of the same series (stored open spikes, and those found earlier in
   this run; a spike dismissed as a false alarm counts as an ordinary day),
   and the Benjamini-Hochberg correction is applied across them.
3. In one transaction per day: a new alarm becomes a :class:`Spike` row
   (audited as ``spike.detected``) and an e-mail to every programme manager
   through the outbox (idempotent per spike and person); an alarm whose spike
   already exists refreshes its evidence (the count of today grows until
   midnight) and notifies nobody again. The unique (day, series) constraint
   makes concurrent runs safe: the loser of an insert race just refreshes.

Today can be tested before it ends: its partial count is compared with a
whole day's expectation, which can only make the test more conservative, so
an alarm raised at noon is as trustworthy as one raised at midnight.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.db.models.functions import TruncDate

from trustline.accounts.choices import OrganisationKind, Role
from trustline.accounts.models import Membership
from trustline.accounts.permissions import SYSTEM, Actor
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.exceptions import PermissionDenied, ValidationFailed
from trustline.intake.models import Report
from trustline.notifications.services import email_addresses
from trustline.trends import stats
from trustline.trends.choices import SpikeStatus
from trustline.trends.models import Spike

SeriesKey = tuple[str, str, str]  # (country, category code, base language); "*" for a country's total
ALL = "*"
MAX_DAYS_PER_RUN = 400


@dataclasses.dataclass(frozen=True)
class DetectionParams:
    """The method's knobs (settings ``TRENDS_SPIKES``: WEEKS, FDR, MIN_COUNT, MIN_RATIO, COUNTRY_TOTALS)."""

    weeks: int = stats.DEFAULT_WEEKS
    fdr: float = stats.DEFAULT_FDR
    min_count: int = stats.DEFAULT_MIN_COUNT
    min_ratio: float = stats.DEFAULT_MIN_RATIO
    country_totals: bool = True

    @classmethod
    def from_settings(cls) -> DetectionParams:
        raw: dict[str, Any] = dict(getattr(settings, "TRENDS_SPIKES", {}) or {})
        return cls(
            weeks=int(raw.get("WEEKS", stats.DEFAULT_WEEKS)),
            fdr=float(raw.get("FDR", stats.DEFAULT_FDR)),
            min_count=int(raw.get("MIN_COUNT", stats.DEFAULT_MIN_COUNT)),
            min_ratio=float(raw.get("MIN_RATIO", stats.DEFAULT_MIN_RATIO)),
            country_totals=bool(raw.get("COUNTRY_TOTALS", True)),
        )

    @property
    def label(self) -> str:
        return (f"same-weekday+level binomial, BH q={self.fdr:g}, N={self.weeks}w, "
                f"min {self.min_count}, ratio {self.min_ratio:g}")


@dataclasses.dataclass
class DetectionResult:
    days: int = 0
    series_tested: int = 0
    spikes_new: int = 0
    spikes_refreshed: int = 0
    notifications: int = 0
    new_spike_ids: list[str] = dataclasses.field(default_factory=list)


def base_language(tag: str) -> str:
    """``ar-SD`` -> ``ar``; an empty tag is ``und`` (undetermined, as in BCP 47)."""
    base = (tag or "").strip().split("-", 1)[0].split("_", 1)[0].lower()
    return base[:8] or "und"


def _utc_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def daily_counts(*, start: dt.date, end: dt.date) -> dict[SeriesKey, dict[dt.date, int]]:
    """Step 1: reports per series and UTC day, ``start`` to ``end`` inclusive, counted by the database."""
    rows = (
        Report.objects.filter(
            received_at__gte=_utc_midnight(start), received_at__lt=_utc_midnight(end) + dt.timedelta(days=1)
        )
        .annotate(day=TruncDate("received_at", tzinfo=dt.UTC))
        .values("day", "country", "category__code", "language")
        .annotate(n=Count("id"))
        .order_by()
    )
    series: dict[SeriesKey, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        key = (str(row["country"]).upper(), str(row["category__code"]), base_language(row["language"]))
        series[key][row["day"]] += int(row["n"])
    return {key: dict(days) for key, days in series.items()}


def spikes_detect(
    *, actor: Actor = SYSTEM, day_from: dt.date, day_to: dt.date, params: DetectionParams | None = None,
    notify: bool = True,
) -> DetectionResult:
    """Test every series on every day from ``day_from`` to ``day_to`` (see the module docstring)."""
    if actor.kind != "system":
        raise PermissionDenied("Spike detection runs as the system (periodic job or command).", code="forbidden")
    if day_to < day_from:
        raise ValidationFailed.field("to", "the end is before the start")
    if (day_to - day_from).days + 1 > MAX_DAYS_PER_RUN:
        raise ValidationFailed.field("to", f"at most {MAX_DAYS_PER_RUN} days per run")
    params = params or DetectionParams.from_settings()
    window = 7 * params.weeks
    counts = daily_counts(start=day_from - dt.timedelta(days=window), end=day_to)
    pooled: dict[dt.date, int] = defaultdict(int)
    totals: dict[SeriesKey, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for (country, _category, _language), days in counts.items():
        for day, n in days.items():
            pooled[day] += n
            totals[(country, ALL, ALL)][day] += n
    if params.country_totals:
        # A country with a single series would be tested twice on the same numbers.
        singles = Counter(country for country, _c, _l in counts)
        counts = {**counts, **{k: dict(v) for k, v in totals.items() if singles[k[0]] > 1}}
    excluded: dict[SeriesKey, set[dt.date]] = defaultdict(set)
    stored = Spike.objects.filter(
        day__gte=day_from - dt.timedelta(days=window), day__lte=day_to, status=SpikeStatus.OPEN
    ).values_list("country", "category_code", "language", "day")
    for country, category, language, day in stored:
        excluded[(country, category, language)].add(day)
    result = DetectionResult()
    recipients = programme_manager_emails() if notify else []  # once per run, not once per spike
    day = day_from
    while day <= day_to:
        _detect_day(day=day, counts=counts, pooled=pooled, params=params, result=result, notify=notify,
                    excluded=excluded, recipients=recipients)
        result.days += 1
        day += dt.timedelta(days=1)
    return result


def _profile(day: dt.date, pooled: dict[dt.date, int], window: int) -> list[float]:
    totals: dict[int, float] = defaultdict(float)
    days: dict[int, int] = defaultdict(int)
    for back in range(1, window + 1):
        d = day - dt.timedelta(days=back)
        totals[d.weekday()] += pooled.get(d, 0)
        days[d.weekday()] += 1
    return stats.weekday_profile(totals, days)


def _detect_day(
    *, day: dt.date, counts: dict[SeriesKey, dict[dt.date, int]], pooled: dict[dt.date, int],
    params: DetectionParams, result: DetectionResult, notify: bool, excluded: dict[SeriesKey, set[dt.date]],
    recipients: list[str],
) -> None:
    """Steps 2-3 for one day; adds the day's alarms to ``excluded`` for the days after it."""
    window = 7 * params.weeks
    first = day - dt.timedelta(days=window)
    profile = _profile(day, pooled, window)
    keys: list[SeriesKey] = []
    tests: list[stats.SpikeTest] = []
    for key, history in counts.items():
        if not any(first <= d <= day for d in history):
            continue
        keys.append(key)
        tests.append(stats.spike_test(day=day, observed=history.get(day, 0), history=history, profile=profile,
                                      weeks=params.weeks, excluded=frozenset(excluded.get(key, ()))))
    result.series_tested += len(tests)
    rejected = stats.benjamini_hochberg([t.p_value for t in tests], params.fdr)
    alarms = [
        (key, test) for key, test, rej in zip(keys, tests, rejected, strict=True)
        if stats.is_alarm(test, rejected=rej, min_count=params.min_count, min_ratio=params.min_ratio)
    ]
    if not alarms:
        return
    for key, _test in alarms:
        excluded[key].add(day)
    with transaction.atomic():
        for key, test in alarms:
            _store(day=day, key=key, test=test, tested=len(tests), params=params, result=result, notify=notify,
                   recipients=recipients)


def _evidence(day: dt.date, test: stats.SpikeTest, weeks: int) -> dict[str, Any]:
    same_days = [
        d for d in (day - dt.timedelta(days=7 * w) for w in range(weeks, 0, -1)) if d not in test.excluded_days
    ]
    return {
        "same_weekday": [
            {"day": d.isoformat(), "count": c} for d, c in zip(same_days, test.same_weekday_counts, strict=True)
        ],
        "baseline_from": (day - dt.timedelta(days=7 * weeks)).isoformat(),
        "baseline_to": (day - dt.timedelta(days=1)).isoformat(),
        "baseline_days": test.baseline_days,
        "excluded_days": [d.isoformat() for d in test.excluded_days],
        "baseline_total": test.baseline_total,
        "weekday_factor": round(test.weekday_factor, 4),
        "dispersion": round(test.dispersion, 4),
    }


def _store(
    *, day: dt.date, key: SeriesKey, test: stats.SpikeTest, tested: int, params: DetectionParams,
    result: DetectionResult, notify: bool, recipients: list[str],
) -> None:
    country, category, language = key
    now = clock.now()
    values = {
        "observed": test.observed, "expected": round(test.expected, 4), "p_value": test.p_value,
        "p_same_weekday": test.p_same_weekday, "p_level": test.p_level, "series_tested": tested,
        "baseline": _evidence(day, test, params.weeks), "method": params.label[:64], "updated_at": now,
    }
    lookup = {"day": day, "country": country, "category_code": category, "language": language}
    if Spike.objects.filter(**lookup).exclude(observed=test.observed).update(**values):
        result.spikes_refreshed += 1
        return
    if Spike.objects.filter(**lookup).exists():
        return
    try:
        with transaction.atomic():
            spike = Spike.objects.create(**lookup, **values, detected_at=now)
    except IntegrityError:  # a concurrent run created it first: it notified, we refresh
        Spike.objects.filter(**lookup).update(**values)
        result.spikes_refreshed += 1
        return
    audit_record(
        actor=SYSTEM, action=AuditAction.SPIKE_DETECTED, target=spike,
        data={**lookup, "day": day.isoformat(), "observed": test.observed, "expected": values["expected"],
              "p_value": test.p_value, "series_tested": tested},
    )
    result.spikes_new += 1
    result.new_spike_ids.append(str(spike.pk))
    if notify:
        result.notifications += spike_notify(spike=spike, recipients=recipients)


def programme_manager_emails() -> list[str]:
    """Where spike alerts go: every programme manager of the platform team(s) with an e-mail address."""
    emails = (
        Membership.objects.filter(role=Role.PROGRAMME_MANAGER, organisation__kind=OrganisationKind.PLATFORM,
                                  user__is_active=True)
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
    return list(dict.fromkeys(emails))


def spike_notify(*, spike: Spike, recipients: list[str] | None = None) -> int:
    """Tell programme managers about a new spike, through the outbox (inside the caller's transaction).

    ``recipients`` defaults to :func:`programme_manager_emails`; a detection run reads them once and passes them.
    """
    site = str(getattr(settings, "SITE_URL", "")).rstrip("/")
    subject = (f"Spike: {spike.observed} reports ({spike.category_code}, {spike.country}, {spike.language}) "
               f"on {spike.day:%d %b}, about {spike.expected:.1f} expected")
    body = (
        f"Trustline saw an unusual number of reports on {spike.day:%A %d %B %Y} (UTC):\n\n"
        f"  country: {spike.country}\n  category: {spike.category_code}\n  language: {spike.language}\n"
        f"  reports: {spike.observed} (expected about {spike.expected:.1f})\n"
        f"  p-value before correction: {spike.p_value:.2g}; {spike.series_tested} series tested that day\n\n"
        f"Evidence and the button to dismiss it as a false alarm: {site}/trends/spikes/{spike.pk}/\n"
    )
    return len(email_addresses(addresses=programme_manager_emails() if recipients is None else recipients,
                               subject=subject, body=body, key=f"trends:spike:{spike.pk}", event_type="spike.detected"))
