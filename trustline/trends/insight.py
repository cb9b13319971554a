"""The insight report: trends, spikes, what was actioned and new campaigns, for a period and a set of countries.

Who gets which report:

* a partner (``insight_report.view``, partner side): the countries of its
  own accreditation, never more, whatever it asks for;
* staff with ``insight_report.view`` (programme managers, policy analysts):
  every country, or one partner's version (``partner=<slug>``) to send it.

**No personal data, by construction**: the report is built only from
aggregate queries (counts per country, category, language, outcome, action
type) and incident counters. It never reads usernames, e-mail addresses,
explanations, excerpts, URLs, account handles or domains, so none can leak
into it; the tests check the rendered files for them. Other partners are
never named either: counts in a partner's countries include every partner's
reports, as "reports received in your countries".

Rendered as self-contained HTML (inline styles, no external assets) with a
Django template, and as PDF from the same HTML with ``xhtml2pdf`` (pure
Python, on ReportLab).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections import Counter
from typing import Any

import pycountry
from django.db.models import Count, Q, QuerySet
from django.template.loader import render_to_string

from trustline.accounts.models import Organisation
from trustline.accounts.permissions import Actor, Perm, require
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.exceptions import NotFound, ValidationFailed
from trustline.intake.models import Report
from trustline.platforms.choices import VERIFIED_ACTIONS, ActionStatus, ActionType
from trustline.platforms.models import EnforcementActionRecord
from trustline.platforms.reach import ReachSummary, ReachWhileWaiting, measures_by_case, reach_summary
from trustline.review.choices import DecisionStatus, Outcome
from trustline.review.models import Decision
from trustline.taxonomy.models import Category
from trustline.trends.choices import IncidentKind, Signal, SpikeStatus
from trustline.trends.detection import ALL, base_language
from trustline.trends.models import Incident, Spike

MAX_DAYS = 366
TOP_SERIES = 15
MAX_CAMPAIGNS = 25


@dataclasses.dataclass(frozen=True)
class Line:
    label: str
    count: int
    previous: int | None = None

    @property
    def change(self) -> str:
        if self.previous is None:
            return ""
        if self.previous == 0:
            return "new" if self.count else ""
        return f"{(self.count - self.previous) / self.previous * 100:+.0f}%"


@dataclasses.dataclass(frozen=True)
class CampaignLine:
    kind: str
    cases: int
    accounts: int
    partners: int
    countries: str
    languages: str
    categories: str
    signals: str
    first_seen: dt.date
    last_seen: dt.date


@dataclasses.dataclass(frozen=True)
class SpikeLine:
    day: dt.date
    country: str
    category: str
    language: str
    observed: int
    expected: float


@dataclasses.dataclass(frozen=True)
class ReachLine:
    tier: int | None  # None: every tier
    summary: ReachSummary


@dataclasses.dataclass
class InsightReport:
    """Everything the templates show; only aggregates."""

    audience: str
    countries: list[str] | None  # None: every country
    period_from: dt.date
    period_to: dt.date
    generated_at: dt.datetime
    reports: Line
    by_country: list[Line]
    by_category: list[Line]
    by_language: list[Line]
    top_series: list[Line]
    spikes: list[SpikeLine]
    decided_cases: int
    outcomes: list[Line]
    actions: list[Line]
    campaigns: list[CampaignLine]
    # Views gained while waiting (platforms.reach), over the cases whose content a removal or suspension took down
    # in the period: the whole scope first, then by tier.
    reach: list[ReachLine] = dataclasses.field(default_factory=list)

    @property
    def slug(self) -> str:
        scope = "programme" if self.countries is None else "-".join(c.lower() for c in self.countries) or "none"
        return f"insight-{scope}-{self.period_from:%Y%m%d}-{self.period_to:%Y%m%d}"


def country_name(code: str) -> str:
    found = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    return f"{found.name} ({code.upper()})" if found is not None else code.upper() or "unknown"


def language_name(code: str) -> str:
    if code == "und":
        return "not given"
    if code == ALL:
        return "all languages"
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    return f"{found.name} ({code})" if found is not None else code


def _scope(actor: Actor, partner: str | None) -> tuple[str, list[str] | None]:
    """The audience label and the countries the actor may see a report for."""
    require(actor, Perm.INSIGHT_REPORT_VIEW)
    if not actor.is_staff_side:
        organisation = actor.organisation
        if organisation is None or (partner and partner != organisation.slug):
            raise NotFound("Partner not found.")
        return organisation.name, _countries_of(organisation)
    if not partner:
        return "Programme (all countries)", None
    organisation = Organisation.objects.filter(slug=partner).select_related("accreditation").first()
    if organisation is None or getattr(organisation, "accreditation", None) is None:
        raise NotFound("Partner not found.")
    return organisation.name, _countries_of(organisation)


def _countries_of(organisation: Organisation) -> list[str]:
    accreditation = getattr(organisation, "accreditation", None)
    return sorted({str(c).upper() for c in (accreditation.countries if accreditation else [])})


def _window(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC),
            dt.datetime(end.year, end.month, end.day, tzinfo=dt.UTC) + dt.timedelta(days=1))


def _reports(countries: list[str] | None, start: dt.date, end: dt.date) -> QuerySet[Report]:
    low, high = _window(start, end)
    reports = Report.objects.filter(received_at__gte=low, received_at__lt=high)
    return reports.filter(country__in=countries) if countries is not None else reports


def _counted(rows: QuerySet[Any], field: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in rows.values(field).annotate(n=Count("id")).order_by():
        counts[str(row[field] or "")] += int(row["n"])
    return counts


def insight_report_build(
    *, actor: Actor, period_from: dt.date, period_to: dt.date, partner: str | None = None,
) -> InsightReport:
    """Aggregate the period for the actor's scope (see the module docstring)."""
    if period_to < period_from:
        raise ValidationFailed.field("to", "the end is before the start")
    if (period_to - period_from).days + 1 > MAX_DAYS:
        raise ValidationFailed.field("to", f"at most {MAX_DAYS} days")
    audience, countries = _scope(actor, partner)
    length = (period_to - period_from).days + 1
    prev_to = period_from - dt.timedelta(days=1)
    prev_from = prev_to - dt.timedelta(days=length - 1)
    now_reports = _reports(countries, period_from, period_to)
    prev_reports = _reports(countries, prev_from, prev_to)

    by_country_now, by_country_prev = _counted(now_reports, "country"), _counted(prev_reports, "country")
    by_cat_now, by_cat_prev = _counted(now_reports, "category__code"), _counted(prev_reports, "category__code")
    lang_now: Counter[str] = Counter()
    for tag, n in _counted(now_reports, "language").items():
        lang_now[base_language(tag)] += n
    names = dict(Category.objects.values_list("code", "name"))
    series: Counter[tuple[str, str, str]] = Counter()
    for row in now_reports.values("country", "category__code", "language").annotate(n=Count("id")).order_by():
        series[(row["country"], row["category__code"], base_language(row["language"]))] += int(row["n"])

    low, high = _window(period_from, period_to)
    decisions = Decision.objects.filter(
        effective_at__gte=low, effective_at__lt=high,
        status__in=[DecisionStatus.EFFECTIVE, DecisionStatus.SUPERSEDED],
    )
    actions = EnforcementActionRecord.objects.filter(requested_at__gte=low, requested_at__lt=high)
    spikes = Spike.objects.filter(day__gte=period_from, day__lte=period_to, status=SpikeStatus.OPEN)
    incidents = Incident.objects.filter(
        merged_into__isnull=True, member_count__gt=1, first_seen_at__gte=low, first_seen_at__lt=high
    )
    if countries is not None:
        decisions = decisions.filter(case__country__in=countries)
        actions = actions.filter(case__country__in=countries)
        spikes = spikes.filter(country__in=countries)
        incidents = incidents.filter(members__case__country__in=countries).distinct()
    outcome_labels = dict(Outcome.choices)
    action_labels = dict(ActionType.choices)
    return InsightReport(
        audience=audience, countries=countries, period_from=period_from, period_to=period_to,
        generated_at=clock.now(),
        reports=Line("Reports received", sum(by_country_now.values()), sum(by_country_prev.values())),
        by_country=[Line(country_name(c), n, by_country_prev.get(c, 0)) for c, n in by_country_now.most_common()],
        by_category=[Line(names.get(c, c), n, by_cat_prev.get(c, 0)) for c, n in by_cat_now.most_common()],
        by_language=[Line(language_name(code), n) for code, n in lang_now.most_common()],
        top_series=[
            Line(f"{country_name(c)} · {names.get(cat, cat)} · {language_name(lang)}", n)
            for (c, cat, lang), n in series.most_common(TOP_SERIES)
        ],
        spikes=[
            SpikeLine(s.day, country_name(s.country),
                      "All categories" if s.category_code == ALL else names.get(s.category_code, s.category_code),
                      language_name(s.language), s.observed, s.expected)
            for s in spikes.order_by("day", "country")[:100]
        ],
        decided_cases=decisions.values("case_id").distinct().count(),
        outcomes=[Line(str(outcome_labels.get(o, o)), n) for o, n in _counted(decisions, "outcome").most_common()],
        actions=[
            Line(str(action_labels.get(a, a)), n)
            for a, n in _counted(actions.filter(~Q(action_type=ActionType.NO_ACTION)), "action_type").most_common()
        ],
        campaigns=[_campaign(i, countries, names) for i in incidents.order_by("-member_count", "id")[:MAX_CAMPAIGNS]],
        reach=_reach_lines(actions),
    )


def _reach_lines(actions: QuerySet[EnforcementActionRecord]) -> list[ReachLine]:
    """Views while waiting over the cases taken down in the period: every tier, then each tier with a measure."""
    taken_down = (actions.filter(action_type__in=VERIFIED_ACTIONS, status=ActionStatus.DONE)
                  .values("case_id").distinct())
    measures = measures_by_case(taken_down)
    if not measures:
        return []
    tiers: dict[int, list[ReachWhileWaiting]] = {}
    for case_id, tier in Case.objects.filter(pk__in=taken_down, tier__isnull=False).values_list("pk", "tier"):
        if case_id in measures and tier is not None:
            tiers.setdefault(tier, []).append(measures[case_id])
    return [ReachLine(None, reach_summary(measures.values()))] + [
        ReachLine(tier, reach_summary(tiers[tier])) for tier in sorted(tiers)
    ]


def _campaign(incident: Incident, countries: list[str] | None, names: dict[str, str]) -> CampaignLine:
    shown = [c for c in incident.countries if countries is None or c in countries]
    signal_labels = dict(Signal.choices)
    return CampaignLine(
        kind=str(IncidentKind(incident.kind).label),
        cases=incident.member_count,
        accounts=incident.account_count,
        partners=incident.partner_count,
        countries=", ".join(country_name(c) for c in shown),
        languages=", ".join(language_name(x) for x in incident.languages),
        categories=", ".join(names.get(c, c) for c in incident.categories),
        signals=", ".join(
            f"{signal_labels.get(s, s)}: {n}" for s, n in sorted(incident.signals.items()) if s != Signal.FIRST
        ),
        first_seen=incident.first_seen_at.date(),
        last_seen=incident.last_seen_at.date(),
    )


def insight_report_html(report: InsightReport) -> str:
    return render_to_string("trends/insight_report.html", {"report": report})


def insight_report_pdf(report: InsightReport) -> bytes:
    """The same HTML through xhtml2pdf; raises ``RuntimeError`` if it reports errors."""
    from xhtml2pdf import pisa  # imported here: ReportLab takes a moment to load

    out = io.BytesIO()
    status = pisa.CreatePDF(insight_report_html(report), dest=out, encoding="utf-8")
    if status.err:
        raise RuntimeError(f"PDF rendering failed with {status.err} error(s)")
    return out.getvalue()
