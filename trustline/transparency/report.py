"""The DSA transparency report (Art. 15, 24) in the shape of Implementing Regulation (EU) 2024/2835.

Sections produced, with the template's own file names, columns and row keys
(``STATEMENT_CATEGORY_*`` and ``TOTAL``):

* ``3_member_states_orders``: government orders from EU Member State
  authorities, from the law-enforcement register (:func:`government_orders_rows`).
* ``4_notices``: Art. 16 notices (partner reports) received in the period,
  by the DSA category of the category reported under.
* ``7_appeals_and_recidivism``: internal complaints (contests) received in
  the period, by what the contested decision did.
* ``x_notices_by_trusted_flagger``: not a template section; the section 4
  figures per trusted flagger.

Definitions (also in docs/transparency.md):

* A **notice** is a report; its **items** are its reported pieces of content.
  It is a **trusted-flagger notice** when sent by a trusted partner
  (``statements.trusted_notice_filter``).
* An **action** is an item whose case got a restriction decision that took
  effect *after* the notice was received (a report that joined a case
  already restricted did not cause the action). Its basis is the law for
  ``DECISION_GROUND_ILLEGAL_CONTENT``, the terms and conditions otherwise.
* **Median time to take action**: the median, over actioned items, of the
  hours from the notice's receipt to the restriction taking effect.
* Complaint medians: hours from a contest's receipt to its decision.

Every figure is computed by the database: grouped counts with filters, and
medians as the middle row(s) of an ordered query (``_median_hours``), the
same SQL on SQLite and PostgreSQL. Nothing loops over rows in Python.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Sum

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.models import Organisation
from trustline.appeals.choices import AppealOutcome, AppealStatus
from trustline.appeals.models import Appeal
from trustline.core.csvsafe import write_rows
from trustline.intake.models import Report, ReportItem
from trustline.platforms.choices import ActionType
from trustline.review.choices import DecisionGround, Outcome
from trustline.transparency.statements import period_bounds, restriction_decisions, tdb_schema, trusted_notice_filter

APPLICABILITY = "Only for providers of hosting services, including online platforms"
APPLICABILITY_PLATFORMS = "Only for providers of online platforms"
TOTAL = "TOTAL"
HOURS_NOTE = "In hours, from receipt of the notice to the restriction taking effect."

NOTICE_COLUMNS = (
    "Applicability", "Service", "Reporting period", "Category of illegal content",
    'Description of the sub-category "Other"',
    "Number of notices received",
    "Number of notices received from Trusted flaggers",
    "Number of specific items of information included in the total number of notices",
    "Number of specific items of information included in the total number of notices by Trusted Flaggers "
    "(Trusted Flagger notices)",
    "Median time to take action",
    "Median time to take action (Trusted Flagger notices)",
    "Number of actions taken on the basis of the law",
    "Number of actions taken on the basis of the law (Trusted Flagger notices)",
    "Number of actions taken on the basis of the terms and conditions of the service",
    "Number of actions taken on the basis of the terms and conditions of the service (Trusted Flagger notices)",
    "Contextual information on Median time to take action",
)
COMPLAINT_COLUMNS = ("Applicability", "Service", "Reporting period", "Section", "Indicator", "Scope", "Value",
                     "Contextual Information")
ORDER_COLUMNS = ("Applicability", "Service", "Reporting period", "Type of order", "Category of illegal content",
                 "Scope", "Number of orders", "Number of items of information",
                 "Median time to inform the authority of the receipt of the order",
                 "Median time to give effect to the order")

INTERNAL = "Internal complaints mechanism"
VISIBILITY_ACTIONS = (ActionType.REMOVE, ActionType.RESTRICT_VISIBILITY, ActionType.GEO_RESTRICT, ActionType.LABEL,
                      ActionType.AGE_RESTRICT)


@dataclasses.dataclass(frozen=True)
class Section:
    """One file of the report: its template name, columns and rows (cells in column order)."""

    name: str
    title: str
    columns: Sequence[str]
    rows: list[list[object]]

    def csv(self) -> str:
        return write_rows(self.columns, self.rows)


@dataclasses.dataclass(frozen=True)
class TransparencyReport:
    start: dt.date
    end: dt.date
    service: str
    sections: list[Section]

    @property
    def period(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def section(self, name: str) -> Section:
        return next(s for s in self.sections if s.name == name)

    def xlsx(self) -> bytes:
        """One workbook, one sheet per section (openpyxl; text cells are written as values, never formulas)."""
        from openpyxl import Workbook

        book = Workbook()
        book.remove(book.active)  # the default sheet is replaced by ours
        for section in self.sections:
            sheet = book.create_sheet(section.name[:31])
            sheet.append(list(section.columns))
            for row in section.rows:
                sheet.append([_xlsx_safe(cell) for cell in row])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()


def _xlsx_safe(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


# --------------------------------------------------------------------------------------------
# Medians in the database
# --------------------------------------------------------------------------------------------


def _median_hours(queryset: QuerySet[Any], duration: str) -> float | None:
    """The median of the ``duration`` annotation over ``queryset``, in hours (two decimals), or None if empty.

    1. Count the rows (n). 2. Read only the middle row (odd n) or the two
    middle rows (even n) of the query ordered by the duration. 3. Average them.
    """
    n = queryset.count()
    if n == 0:
        return None
    ordered = queryset.order_by(duration).values_list(duration, flat=True)
    middle = list(ordered[(n - 1) // 2: n // 2 + 1])
    seconds = sum(value.total_seconds() for value in middle) / len(middle)
    return round(seconds / 3600, 2)


# --------------------------------------------------------------------------------------------
# Section 4: notices
# --------------------------------------------------------------------------------------------


def _categories() -> list[str]:
    return list(tdb_schema()["properties"]["category"]["enum"])


def _actioned_items(lower: dt.datetime, upper: dt.datetime) -> QuerySet[ReportItem]:
    """Items of the period's notices, with the restriction that followed each (``action_at``, ``ground``)."""
    first_restriction = (restriction_decisions()
                         .filter(case_id=OuterRef("case_id"), effective_at__gte=OuterRef("report__received_at"))
                         .order_by("effective_at", "id"))
    return (
        ReportItem.objects.filter(report__received_at__gte=lower, report__received_at__lt=upper)
        .annotate(action_at=Subquery(first_restriction.values("effective_at")[:1]),
                  ground=Subquery(first_restriction.values("decision_ground")[:1]))
        .filter(action_at__isnull=False)
        .annotate(to_action=ExpressionWrapper(F("action_at") - F("report__received_at"), output_field=DurationField()))
    )


def notices_section(*, start: dt.date, end: dt.date, service: str) -> Section:
    lower, upper = period_bounds(start, end)
    tf = trusted_notice_filter()
    notices = {
        row["category__dsa_category"]: row
        for row in Report.objects.filter(received_at__gte=lower, received_at__lt=upper)
        .values("category__dsa_category")
        .annotate(n=Count("id"), n_tf=Count("id", filter=tf), n_items=Sum("item_count"),
                  n_items_tf=Sum("item_count", filter=tf))
    }
    actioned = _actioned_items(lower, upper)
    item_tf = trusted_notice_filter("report__")
    law = Q(ground=DecisionGround.ILLEGAL_CONTENT)
    actions = {
        row["report__category__dsa_category"]: row
        for row in actioned.values("report__category__dsa_category").annotate(
            law=Count("id", filter=law), law_tf=Count("id", filter=law & item_tf),
            terms=Count("id", filter=~law), terms_tf=Count("id", filter=~law & item_tf),
        )
    }
    period = f"{start.isoformat()}/{end.isoformat()}"
    rows: list[list[object]] = []
    for key in [TOTAL, *_categories()]:
        if key == TOTAL:
            n = {k: sum((r[k] or 0) for r in notices.values()) for k in ("n", "n_tf", "n_items", "n_items_tf")}
            a = {k: sum(r[k] for r in actions.values()) for k in ("law", "law_tf", "terms", "terms_tf")}
            scope = actioned
        else:
            n = {k: notices.get(key, {}).get(k) or 0 for k in ("n", "n_tf", "n_items", "n_items_tf")}
            a = {k: actions.get(key, {}).get(k) or 0 for k in ("law", "law_tf", "terms", "terms_tf")}
            scope = actioned.filter(report__category__dsa_category=key)
        has_actions = any(a.values())
        median = _median_hours(scope, "to_action") if has_actions else None
        median_tf = _median_hours(scope.filter(item_tf), "to_action") if a["law_tf"] or a["terms_tf"] else None
        rows.append([
            APPLICABILITY, service, period, key, "",
            n["n"], n["n_tf"], n["n_items"], n["n_items_tf"],
            _blank(median), _blank(median_tf),
            a["law"], a["law_tf"], a["terms"], a["terms_tf"],
            HOURS_NOTE if median is not None else "",
        ])
    return Section("4_notices", "Notices (Art. 16)", NOTICE_COLUMNS, rows)


def _blank(value: float | None) -> object:
    return "" if value is None else value


FLAGGER_COLUMNS = (
    "Reporting period", "Trusted flagger", "Number of notices received",
    "Number of specific items of information included in the total number of notices",
    "Median time to take action", "Number of actions taken on the basis of the law",
    "Number of actions taken on the basis of the terms and conditions of the service",
)


def flaggers_section(*, start: dt.date, end: dt.date, service: str) -> Section:
    """Not a template section: the trusted-flagger columns of section 4, one row per trusted flagger.

    Trusted flaggers are organisations (not persons), so naming them is no
    personal data; it lets the programme answer "which flaggers, how many
    notices, how fast" without re-deriving section 4.
    """
    lower, upper = period_bounds(start, end)
    notices = (Report.objects.filter(trusted_notice_filter(), received_at__gte=lower, received_at__lt=upper)
               .values("organisation_id", "organisation__name")
               .annotate(n=Count("id"), n_items=Sum("item_count")).order_by("organisation__name"))
    actioned = _actioned_items(lower, upper)
    law = Q(ground=DecisionGround.ILLEGAL_CONTENT)
    actions = {
        row["report__organisation_id"]: row
        for row in actioned.filter(trusted_notice_filter("report__")).values("report__organisation_id")
        .annotate(law=Count("id", filter=law), terms=Count("id", filter=~law))
    }
    period = f"{start.isoformat()}/{end.isoformat()}"
    rows: list[list[object]] = []
    for row in notices:
        acted = actions.get(row["organisation_id"], {})
        median = _median_hours(actioned.filter(report__organisation_id=row["organisation_id"]), "to_action") \
            if acted else None
        rows.append([period, row["organisation__name"], row["n"], row["n_items"] or 0, _blank(median),
                     acted.get("law", 0), acted.get("terms", 0)])
    return Section("x_notices_by_trusted_flagger", "Notices by trusted flagger (not a template section)",
                   FLAGGER_COLUMNS, rows)


# --------------------------------------------------------------------------------------------
# Section 7: complaints
# --------------------------------------------------------------------------------------------


def _contested_action(*actions: str) -> Q:
    """Contests of decisions that listed one of ``actions`` (JSON text match, portable across databases)."""
    condition = Q()
    for action in actions:
        condition |= Q(decision__actions__icontains=f'"{action}"')
    return condition


def _complaint_rows(appeals: QuerySet[Appeal], indicator: str, *, with_omitted: bool = True) -> list[list[object]]:
    figures = appeals.aggregate(
        total=Count("id"),
        upheld=Count("id", filter=Q(outcome=AppealOutcome.UPHELD)),
        partially=Count("id", filter=Q(outcome=AppealOutcome.PARTIALLY_REVERSED)),
        reversed=Count("id", filter=Q(outcome=AppealOutcome.REVERSED)),
        omitted=Count("id", filter=Q(outcome=AppealOutcome.OMITTED)),
    )
    decided = (appeals.filter(status=AppealStatus.DECIDED, decided_at__isnull=False)
               .exclude(outcome=AppealOutcome.OMITTED)
               .annotate(to_decision=ExpressionWrapper(F("decided_at") - F("received_at"),
                                                       output_field=DurationField())))
    median = _median_hours(decided, "to_decision")
    scopes: list[tuple[str, object, str]] = [
        ("Total number", figures["total"], ""),
        ("Decisions upheld", figures["upheld"], ""),
        ("Decisions partially reversed", figures["partially"], ""),
        ("Decisions reversed", figures["reversed"], ""),
        ("Median time", _blank(median), "In hours" if median is not None else ""),
    ]
    if with_omitted:
        scopes.append(("Decision omitted", figures["omitted"], ""))
    return [[indicator, scope, value, note] for scope, value, note in scopes]


def complaints_section(*, start: dt.date, end: dt.date, service: str) -> Section:
    lower, upper = period_bounds(start, end)
    appeals = Appeal.objects.filter(received_at__gte=lower, received_at__lt=upper)
    tf_notice = trusted_notice_filter("report__")
    newly_imposed = (appeals.filter(outcome__in=(AppealOutcome.REVERSED, AppealOutcome.PARTIALLY_REVERSED),
                                    new_decision__outcome=Outcome.VIOLATING)
                     .exclude(new_decision__actions=[ActionType.NO_ACTION]).count())
    body: list[list[object]] = []
    body += _complaint_rows(appeals, "Number of complaints submitted to the internal-complaints mechanism")
    body.append(["Number of restrictions newly imposed as a result of an internal complaint", "Total number",
                 newly_imposed, ""])
    body += _complaint_rows(
        appeals.filter(_contested_action(*VISIBILITY_ACTIONS)),
        "Complaint regarding a decision to remove or disable access to or restrict visibility of information",
        with_omitted=False)
    body += _complaint_rows(
        appeals.filter(_contested_action(ActionType.RESTRICT_ACCOUNT)),
        "Complaint regarding a decision to suspend or terminate the provision of the service", with_omitted=False)
    body += _complaint_rows(
        appeals.filter(_contested_action(ActionType.SUSPEND_ACCOUNT)),
        "Complaint regarding a decision to suspend or terminate an account", with_omitted=False)
    body += _complaint_rows(
        appeals.none(), "Complaint regarding a decision to restrict the ability to monetise information",
        with_omitted=False)
    body += _complaint_rows(
        appeals.filter(about_no_action=True).exclude(tf_notice),
        "Complaint regarding a decision not to take action on a notice submitted in accordance with Article 16",
        with_omitted=False)
    body += _complaint_rows(
        appeals.filter(tf_notice, about_no_action=True),
        "Complaint regarding a decision not to take action on a notice submitted by a Trusted Flagger in "
        "accordance with Article 16", with_omitted=False)
    period = f"{start.isoformat()}/{end.isoformat()}"
    rows = [[APPLICABILITY_PLATFORMS, service, period, INTERNAL, *cells] for cells in body]
    return Section("7_appeals_and_recidivism", "Complaints (Art. 20)", COMPLAINT_COLUMNS, rows)


# --------------------------------------------------------------------------------------------
# Section 3: government orders
# --------------------------------------------------------------------------------------------


def government_orders_rows(*, start: dt.date, end: dt.date, service: str) -> list[list[object]]:
    """Government orders (Art. 15(1)(a), template section 3 "member_states_orders"), from the law-enforcement register.

    ``trustline.lawenforcement.figures.dsa_orders_rows`` gives one row per
    Member State and a TOTAL, with the cells of ``ORDER_COLUMNS`` after the
    first three. Requests from outside the EU are not orders under the DSA and
    are left out there.
    """
    from trustline.lawenforcement.figures import dsa_orders_rows  # the register lives in its own app

    return dsa_orders_rows(start=start, end=end)


def orders_section(*, start: dt.date, end: dt.date, service: str) -> Section:
    period = f"{start.isoformat()}/{end.isoformat()}"
    rows = [[APPLICABILITY, service, period, *cells]
            for cells in government_orders_rows(start=start, end=end, service=service)]
    return Section("3_member_states_orders", "Government orders (Art. 9, 10)", ORDER_COLUMNS, rows)


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def service_name() -> str:
    platform = Organisation.objects.filter(kind=OrganisationKind.PLATFORM).order_by("pk").first()
    return platform.name if platform is not None else ""


def transparency_report(*, start: dt.date, end: dt.date) -> TransparencyReport:
    """Every section of the period ``[start, end]`` (UTC days, both included)."""
    service = service_name()
    return TransparencyReport(start=start, end=end, service=service, sections=[
        orders_section(start=start, end=end, service=service),
        notices_section(start=start, end=end, service=service),
        complaints_section(start=start, end=end, service=service),
        flaggers_section(start=start, end=end, service=service),
    ])
