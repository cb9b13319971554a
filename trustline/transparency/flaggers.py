"""Trusted flaggers' precision, for the communication DSA Art. 22(6) asks of the platform.

Art. 22(6): where a platform has information that a trusted flagger has
submitted a significant number of insufficiently precise, inaccurate or
inadequately substantiated notices, it communicates that information to the
Digital Services Coordinator that awarded the status, with explanations and
supporting documents. Trustline does not decide that a partner is imprecise
and never writes to a regulator by itself. It:

1. lists every partner's notices over a period (:func:`flagger_precision`):
   items decided with an outcome that settles the question, and how many
   were found not violating or out of scope (the effective decision now, so
   a decision reversed on contest counts as reversed), plus the reviewers'
   questions the partner left unanswered (``inadequately substantiated``);
   a partner whose precision is under ``TRUSTLINE_ART22_PRECISION_BELOW_PCT``
   (50) percent over at least ``TRUSTLINE_ART22_MIN_DECIDED`` (50) decided items is
   marked for a programme manager to look at;
2. builds the supporting figures for one partner (:func:`flagger_dossier`):
   totals, per category, and the notices found not violating or out of
   scope with the decision's ground and explanation (no reported person's
   data beyond what the decision itself says);
3. records that a person sent it (:func:`dsc_communication_record`), with
   the figures as sent, audited, and tells the partner (e-mail in its
   language and webhook ``trusted_flagger.dsc_informed``, through the
   outbox after commit): a flagger should never learn of it from the
   regulator first.

Reads are for programme managers (``metrics.scorecard_view``); recording is
``partner.manage``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.models import Organisation
from trustline.accounts.permissions import Actor, Perm, require
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.conf import limit
from trustline.core.exceptions import NotFound, ValidationFailed
from trustline.metrics.models import ItemFact
from trustline.metrics.periods import Period
from trustline.metrics.selectors import pct
from trustline.notifications.choices import EventType
from trustline.notifications.language import in_language_of
from trustline.notifications.services import notification_send
from trustline.review.choices import PRECISION_OUTCOMES, DecisionStatus, InformationRequestStatus, Outcome
from trustline.review.models import Decision, InformationRequest
from trustline.transparency.models import DscCommunication

SETTLED = [o.value for o in PRECISION_OUTCOMES]
NOT_FOUND_VIOLATING = [Outcome.NOT_VIOLATING.value, Outcome.OUT_OF_SCOPE.value]
DOSSIER_NOTICES = 1000


def min_decided() -> int:
    return limit("ART22_MIN_DECIDED")


def precision_below() -> int:
    return limit("ART22_PRECISION_BELOW_PCT")


@dataclasses.dataclass
class FlaggerPrecision:
    organisation: Organisation
    items_received: int
    decided: int
    violating: int
    not_violating: int
    out_of_scope: int
    questions_unanswered: int
    precision_pct: float | None
    marked: bool  # for a programme manager to look at: not a finding
    last_communication: DscCommunication | None

    def figures(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (
            "items_received", "decided", "violating", "not_violating", "out_of_scope", "questions_unanswered",
            "precision_pct")}


def _counts(period: Period) -> dict[int, dict[str, int]]:
    facts = ItemFact.objects.filter(received_at__gte=period.start, received_at__lt=period.end)
    rows = facts.order_by().values("organisation_id").annotate(
        items_received=Count("pk"), decided=Count("pk", filter=Q(outcome__in=SETTLED)),
        violating=Count("pk", filter=Q(outcome=Outcome.VIOLATING)),
        not_violating=Count("pk", filter=Q(outcome=Outcome.NOT_VIOLATING)),
        out_of_scope=Count("pk", filter=Q(outcome=Outcome.OUT_OF_SCOPE)),
    )
    return {row.pop("organisation_id"): row for row in rows}


def _unanswered(period: Period) -> dict[int, int]:
    expired = InformationRequest.objects.filter(
        status=InformationRequestStatus.EXPIRED, requested_at__gte=period.start, requested_at__lt=period.end)
    per_partner = expired.order_by().values("organisation_id").annotate(n=Count("pk"))
    return dict(per_partner.values_list("organisation_id", "n"))


def flagger_precision(*, actor: Actor, period: Period) -> list[FlaggerPrecision]:
    """Every partner's notices of ``period``, lowest precision first (step 1 of the module)."""
    require(actor, Perm.SCORECARD_VIEW)
    counts, unanswered = _counts(period), _unanswered(period)
    last: dict[int, DscCommunication] = {}
    for communication in DscCommunication.objects.order_by("sent_at"):
        last[communication.organisation_id] = communication
    rows = []
    partners = Organisation.objects.filter(kind=OrganisationKind.PARTNER).select_related("accreditation")
    for organisation in partners:
        c = counts.get(organisation.pk, {})
        decided, violating = c.get("decided", 0), c.get("violating", 0)
        precision = pct(violating, decided)
        rows.append(FlaggerPrecision(
            organisation=organisation, items_received=c.get("items_received", 0), decided=decided,
            violating=violating, not_violating=c.get("not_violating", 0), out_of_scope=c.get("out_of_scope", 0),
            questions_unanswered=unanswered.get(organisation.pk, 0), precision_pct=precision,
            marked=decided >= min_decided() and precision is not None and precision < precision_below(),
            last_communication=last.get(organisation.pk),
        ))
    return sorted(rows, key=lambda r: (not r.marked, r.precision_pct if r.precision_pct is not None else 101,
                                       r.organisation.name))


def _partner(slug: str) -> Organisation:
    organisation = Organisation.objects.filter(slug=slug, kind=OrganisationKind.PARTNER).select_related(
        "accreditation").first()
    if organisation is None:
        raise NotFound(_("No such partner."))
    return organisation


def awarding_dsc(organisation: Organisation) -> str:
    accreditation = getattr(organisation, "accreditation", None)
    return accreditation.awarding_dsc if accreditation is not None else ""


def flagger_dossier(*, actor: Actor, organisation_slug: str, period: Period) -> dict[str, Any]:
    """The supporting figures for one partner (step 2 of the module), as plain data for JSON."""
    require(actor, Perm.SCORECARD_VIEW)
    organisation = _partner(organisation_slug)
    row = next(r for r in flagger_precision(actor=actor, period=period) if r.organisation.pk == organisation.pk)
    facts = ItemFact.objects.filter(organisation_id=organisation.pk, received_at__gte=period.start,
                                    received_at__lt=period.end)
    by_category = [
        {**r, "precision_pct": pct(r["violating"], r["decided"])}
        for r in facts.order_by("category_code").values("category_code").annotate(
            decided=Count("pk", filter=Q(outcome__in=SETTLED)),
            violating=Count("pk", filter=Q(outcome=Outcome.VIOLATING)),
            not_found_violating=Count("pk", filter=Q(outcome__in=NOT_FOUND_VIOLATING)),
        )
    ]
    rejected = list(facts.filter(outcome__in=NOT_FOUND_VIOLATING).order_by("received_at")
                    .values("report_id", "item_id", "case_id", "received_at", "category_code", "outcome")
                    [:DOSSIER_NOTICES])
    reasons = {
        str(d.case_id): d for d in Decision.objects.filter(
            case_id__in={n["case_id"] for n in rejected}, status=DecisionStatus.EFFECTIVE).only(
            "case_id", "decision_ground", "explanation", "effective_at")
    }
    notices = []
    for n in rejected:
        decision = reasons.get(str(n["case_id"]))
        notices.append({
            "report_id": str(n["report_id"]), "item_id": str(n["item_id"]), "received_at": n["received_at"].isoformat(),
            "category": n["category_code"], "outcome": n["outcome"],
            "decided_at": decision.effective_at.isoformat() if decision and decision.effective_at else None,
            "decision_ground": decision.decision_ground if decision else "",
            "explanation": decision.explanation if decision else "",
        })
    return {
        "article": "DSA Art. 22(6)",
        "platform_note": _("Figures prepared by Trustline; whether to communicate them is the platform's decision."),
        "trusted_flagger": {"name": organisation.name, "slug": organisation.slug, "awarding_dsc": awarding_dsc(
            organisation)},
        "period": {"first_day": period.first.isoformat(), "last_day": (period.after - dt.timedelta(days=1)).isoformat(),
                   "tz": period.tz},
        "prepared_at": clock.now().isoformat(),
        "thresholds": {"min_decided": min_decided(), "precision_below_pct": precision_below()},
        "totals": row.figures(),
        "by_category": by_category,
        "notices_not_found_violating": notices,
        "notices_listed": len(notices),
        "notices_not_listed": max(0, row.not_violating + row.out_of_scope - len(notices)),
    }


@transaction.atomic
def dsc_communication_record(
    *, actor: Actor, organisation_slug: str, period: Period, note: str, dsc: str = "",
) -> DscCommunication:
    """Record that a person sent the partner's figures to its DSC (step 3 of the module); audited."""
    require(actor, Perm.PARTNER_MANAGE)
    organisation = _partner(organisation_slug)
    errors: dict[str, list[str]] = {}
    to = (dsc or awarding_dsc(organisation)).strip()
    if not to:
        errors["dsc"] = [_("name the Digital Services Coordinator (the partner's accreditation names none)")]
    if not note.strip():
        errors["note"] = [_("say what was sent and how (the explanation, or where it is filed)")]
    if errors:
        raise ValidationFailed(_("The communication was not recorded."), fields=errors)
    dossier = flagger_dossier(actor=actor, organisation_slug=organisation.slug, period=period)
    communication = DscCommunication.objects.create(
        organisation=organisation, dsc=to[:200], period_start=period.first,
        period_end=period.after - dt.timedelta(days=1), figures={"totals": dossier["totals"],
                                                                 "by_category": dossier["by_category"]},
        note=note.strip(), sent_at=clock.now(), sent_by=actor.user,
    )
    audit_record(actor=actor, action=AuditAction.DSC_COMMUNICATION_RECORDED, target=organisation,
                 data={"dsc": communication.dsc, "period": [str(communication.period_start),
                                                           str(communication.period_end)],
                       "totals": dossier["totals"], "communication": communication.pk})
    _tell_partner(communication, dossier["totals"])
    return communication


def _tell_partner(communication: DscCommunication, totals: dict[str, Any]) -> None:
    organisation = communication.organisation
    with in_language_of(organisation):
        subject = _("We informed %(dsc)s about the precision of your notices") % {"dsc": communication.dsc}
        body = "\n".join([
            _("Under DSA Article 22(6), we informed %(dsc)s, which awarded your trusted-flagger status, about the "
              "notices you sent from %(first)s to %(last)s.") % {
                "dsc": communication.dsc, "first": communication.period_start, "last": communication.period_end},
            "",
            _("Items decided: %(decided)s; found violating: %(violating)s; not violating: %(not_violating)s; "
              "out of scope: %(out_of_scope)s; precision: %(precision)s %%.") % {
                **totals, "precision": totals["precision_pct"]},
            "",
            _("These figures are on the \"Our figures\" page of the portal, and your precision by category in the "
              "API (GET /api/v1/metrics/own-scorecard). Your programme contact can explain the decisions, and you "
              "can contest a decision within six months of being told of it."),
        ])
    notification_send(
        organisation=organisation, event_type=EventType.DSC_INFORMED, key=f"dsc-communication:{communication.pk}",
        subject=subject[:300], body=body,
        data={"dsc": communication.dsc, "period_start": str(communication.period_start),
              "period_end": str(communication.period_end), "totals": totals,
              "sent_at": communication.sent_at.isoformat()},
    )
