"""A trusted flagger's annual report (DSA Art. 22(3)), from what Trustline knows of its notices.

Art. 22(3) asks trusted flaggers to publish, at least yearly, the number of
their notices by hosting provider, by type of allegedly illegal content and
by the action the provider took, with no personal data. Trustline can give a
partner exactly that for the notices it sent through Trustline (one hosting
provider: this platform). Rows hold only counts, DSA category keys and
action names: no reporter, reviewer, URL or text.

The action taken on each reported item is read from its case's effective
decision (:data:`ACTION_TAKEN`, a ``CASE`` in the database):

* ``content_removed_or_disabled``: removed, or disabled in some countries;
* ``visibility_restricted``: demoted, age-restricted or labelled;
* ``account_restricted``: only the account was restricted or suspended;
* ``no_action``: not violating, out of scope, or violating with no action;
* ``referred``: with the policy team or law enforcement;
* ``pending``: not decided yet (or waiting for more information).

Notices are counted once per (category, action) they have items in; items
are counted one by one, so ``notices`` columns need not add up to the total
of notices when a report's items were decided differently.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.db.models import Case, CharField, Count, OuterRef, Q, Subquery, Value, When

from trustline.accounts.models import Organisation
from trustline.accounts.permissions import Actor, Perm, require
from trustline.core.csvsafe import write_rows
from trustline.core.exceptions import NotFound, ValidationFailed
from trustline.intake.models import ReportItem
from trustline.platforms.choices import ActionType
from trustline.review.choices import REFERRAL_OUTCOMES, DecisionStatus, Outcome
from trustline.review.models import Decision
from trustline.transparency.report import service_name
from trustline.transparency.statements import period_bounds

ACTIONS = ("content_removed_or_disabled", "visibility_restricted", "account_restricted", "no_action", "referred",
           "pending")
CSV_COLUMNS = ("hosting_provider", "period", "type_of_content", "action_taken", "notices", "items")
FIRST_YEAR = 2020


def _has(*actions: str) -> Q:
    condition = Q()
    for action in actions:
        condition |= Q(actions_text__icontains=f'"{action}"')
    return condition


def _action_taken() -> Case:
    return Case(
        When(outcome__isnull=True, then=Value("pending")),
        When(outcome=Outcome.NEEDS_MORE_INFORMATION, then=Value("pending")),
        When(outcome__in=list(REFERRAL_OUTCOMES), then=Value("referred")),
        When(~Q(outcome=Outcome.VIOLATING), then=Value("no_action")),
        When(_has(ActionType.REMOVE, ActionType.GEO_RESTRICT), then=Value("content_removed_or_disabled")),
        When(_has(ActionType.RESTRICT_VISIBILITY, ActionType.AGE_RESTRICT, ActionType.LABEL),
             then=Value("visibility_restricted")),
        When(_has(ActionType.RESTRICT_ACCOUNT, ActionType.SUSPEND_ACCOUNT), then=Value("account_restricted")),
        default=Value("no_action"),
        output_field=CharField(),
    )


@dataclasses.dataclass(frozen=True)
class PartnerReport:
    organisation: str
    year: int
    hosting_provider: str
    rows: list[dict[str, Any]]
    total_notices: int

    @property
    def period(self) -> str:
        return f"{self.year}-01-01/{self.year}-12-31"

    def as_dict(self) -> dict[str, Any]:
        return {
            "legal_basis": "Regulation (EU) 2022/2065 (Digital Services Act), Article 22(3)",
            "trusted_flagger": self.organisation,
            "period": self.period,
            "hosting_provider": self.hosting_provider,
            "total_notices": self.total_notices,
            "rows": self.rows,
        }

    def csv(self) -> str:
        return write_rows(CSV_COLUMNS, ([self.hosting_provider, self.period, r["type_of_content"], r["action_taken"],
                                         r["notices"], r["items"]] for r in self.rows))


def partner_report_organisation(*, actor: Actor, slug: str | None = None) -> Organisation:
    """Whose report the actor may read: a partner its own; staff with the export permission any partner's."""
    if slug and actor.has(Perm.TRANSPARENCY_EXPORT):
        organisation = Organisation.objects.filter(slug=slug, kind="partner").first()
        if organisation is None:
            raise NotFound("No such partner.")
        return organisation
    require(actor, Perm.TRANSPARENCY_PARTNER_REPORT)
    own = actor.organisation
    if own is None or own.is_platform or (slug and slug != own.slug):
        raise NotFound("No such partner.")
    return own


def partner_report(*, actor: Actor, year: int, slug: str | None = None) -> PartnerReport:
    """The Art. 22(3) figures of one partner's notices received in ``year`` (UTC)."""
    organisation = partner_report_organisation(actor=actor, slug=slug)
    if not FIRST_YEAR <= year <= 2100:
        raise ValidationFailed.field("year", f"a year from {FIRST_YEAR}")
    lower, upper = period_bounds(dt.date(year, 1, 1), dt.date(year, 12, 31))
    effective = Decision.objects.filter(case_id=OuterRef("case_id"), status=DecisionStatus.EFFECTIVE)
    items = (
        ReportItem.objects.filter(report__organisation=organisation, report__received_at__gte=lower,
                                  report__received_at__lt=upper)
        .annotate(outcome=Subquery(effective.values("outcome")[:1]),
                  actions_text=Subquery(effective.values("actions")[:1], output_field=CharField()))
        .annotate(action_taken=_action_taken())
    )
    grouped = (items.values("report__category__dsa_category", "action_taken")
               .annotate(notices=Count("report_id", distinct=True), items=Count("id"))
               .order_by("report__category__dsa_category", "action_taken"))
    rows = [{"type_of_content": g["report__category__dsa_category"], "action_taken": g["action_taken"],
             "notices": g["notices"], "items": g["items"]} for g in grouped]
    total = items.values("report_id").distinct().count()
    return PartnerReport(organisation=organisation.name, year=year, hosting_provider=service_name(), rows=rows,
                         total_notices=total)
