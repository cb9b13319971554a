"""Programme dashboards: SLA attainment over time, backlog by tier/country/language/crisis, partners.

``trustline.metrics`` is being built in parallel and offered no stable
selector when this was written, so the figures here are simple database
aggregates over ``cases.Case`` and the partner tables (see
``dashboard_data``). Every chart has its numbers in a table on the page and
as CSV (``/console/dashboards/<chart>.csv``), so nothing depends on the
chart library or on JavaScript.

Access: ``dashboard.view`` (leads, programme managers, policy analysts,
auditors, administrators); everyone else gets 404.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncWeek
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.models import Organisation
from trustline.accounts.permissions import Actor, Perm
from trustline.cases.models import Case
from trustline.console.views import console_view
from trustline.core import clock
from trustline.core.csvsafe import write_rows
from trustline.core.exceptions import ApplicationError
from trustline.review.models import PartnerPrecision

WEEKS = 12


@dataclasses.dataclass
class Chart:
    """One chart: its kind, its headers and rows (the table and CSV show exactly these)."""

    key: str
    title: str
    kind: str  # "line" or "bar"
    headers: list[str]
    rows: list[list[Any]]


def _backlog(cases: Any, field: str, title: str, key: str, label: str, *, by_value: bool = False) -> Chart:
    """Open cases counted by ``field``: the 20 largest groups, or (``by_value``) every group in its own order."""
    grouped = cases.values(field).annotate(n=Count("id"))
    grouped = grouped.order_by(field) if by_value else grouped.order_by("-n", field)[:20]
    rows = [[r[field] or "—", r["n"]] for r in grouped]
    return Chart(key=key, title=title, kind="bar", headers=[label, _("Open cases")], rows=rows)


def _crisis_backlog(actor: Actor, open_cases: Any, now: dt.datetime) -> Chart | None:
    from trustline.crisis.selectors import crisis_case_q, crisis_list  # crisis reads cases; imported late
    try:
        crises = list(crisis_list(actor=actor, state="active", now=now)[:10])
    except ApplicationError:
        return None
    rows = [[str(c.name), open_cases.filter(crisis_case_q(c)).count()] for c in crises]
    return Chart(key="backlog_crisis", title=_("Backlog by active crisis"), kind="bar",
                 headers=[_("Crisis"), _("Open cases")], rows=rows)


def dashboard_data(*, actor: Actor, now: dt.datetime) -> list[Chart]:
    """Steps: 1. SLA attainment per week over the last ``WEEKS`` weeks: of the cases whose decide-by time
    fell in that week, the share not breached; 2. the open backlog by tier, country, language, crisis;
    3. partners with accreditation status and precision (violating / decided)."""
    if not actor.has(Perm.DASHBOARD_VIEW):
        raise Http404("Not found.")
    since = now - dt.timedelta(weeks=WEEKS)
    weekly = (
        Case.objects.filter(decide_due_at__gte=since, decide_due_at__lte=now)
        .annotate(week=TruncWeek("decide_due_at")).values("week")
        .annotate(total=Count("id"), met=Count("id", filter=Q(decide_breached=False))).order_by("week")
    )
    sla_rows = [
        [r["week"].date().isoformat(), r["total"], r["met"], round(100.0 * r["met"] / r["total"], 1)]
        for r in weekly if r["total"]
    ]
    charts = [Chart(key="sla", title=_("Decisions within the SLA, by week"), kind="line",
                    headers=[_("Week"), pgettext("a count of cases", "Due"), _("On time"), _("Attainment %")],
                    rows=sla_rows)]
    open_cases = Case.objects.filter(is_open=True)
    charts.append(_backlog(open_cases, "tier", _("Backlog by tier"), "backlog_tier", _("Tier"), by_value=True))
    charts.append(_backlog(open_cases, "country", _("Backlog by country"), "backlog_country", _("Country")))
    charts.append(_backlog(open_cases, "language", _("Backlog by language"), "backlog_language", _("Language")))
    crisis = _crisis_backlog(actor, open_cases, now)
    if crisis is not None:
        charts.append(crisis)
    precision = {
        r["organisation_id"]: (int(r["d"] or 0), int(r["v"] or 0))
        for r in PartnerPrecision.objects.values("organisation_id").annotate(d=Sum("decided"), v=Sum("violating"))
    }
    partners = (
        Organisation.objects.filter(kind=OrganisationKind.PARTNER).select_related("accreditation").order_by("name")
    )
    partner_rows: list[list[Any]] = []
    for org in partners:
        accreditation = getattr(org, "accreditation", None)
        decided, violating = precision.get(org.pk, (0, 0))
        partner_rows.append([
            org.name,
            accreditation.get_status_display() if accreditation is not None else _("none"),
            decided,
            round(100.0 * violating / decided, 1) if decided else "",
        ])
    charts.append(Chart(key="partners", title=_("Partners: accreditation and precision"), kind="bar",
                        headers=[_("Partner"), _("Accreditation"), _("Decided items"), _("Precision %")],
                        rows=partner_rows))
    return charts


@require_GET
@console_view
def overview(request: HttpRequest, actor: Actor) -> HttpResponse:
    now = clock.now()
    charts = dashboard_data(actor=actor, now=now)
    return render(request, "console/dashboards.html", {"charts": charts, "now": now})


@require_GET
@console_view
def chart_csv(request: HttpRequest, actor: Actor, chart: str) -> HttpResponse:
    for item in dashboard_data(actor=actor, now=clock.now()):
        if item.key == chart:
            response = HttpResponse(write_rows(item.headers, item.rows), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="trustline-{item.key}.csv"'
            return response
    raise Http404("No such chart.")
