"""What partners see of a decision: timeline events, report statuses and notifications.

Everything here runs inside the caller's transaction (the outbox commits
with the change). Only partner-facing fields leave this module: outcome,
policy, actions, ground, automation and the explanation, never the
internal note or who decided.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from trustline.accounts.models import Organisation
from trustline.cases.choices import CaseStatus
from trustline.intake.choices import ReportStatus
from trustline.intake.models import Report, ReportItem, TimelineEvent
from trustline.notifications.choices import EventType
from trustline.notifications.language import in_language_of
from trustline.notifications.services import notification_send
from trustline.platforms.choices import ActionType
from trustline.review.choices import DecisionGround, Outcome
from trustline.review.models import Decision, InformationRequest

EVENT_DECIDED = EventType.REPORT_DECIDED.value
EVENT_INFORMATION_REQUESTED = EventType.REPORT_INFORMATION_REQUESTED.value

_DECIDED_CASE = Q(case__status__in=[CaseStatus.DECIDED, CaseStatus.CLOSED])


def ground_text(decision: Decision) -> str:
    if decision.decision_ground == DecisionGround.ILLEGAL_CONTENT:
        return decision.illegal_content_legal_ground
    if decision.decision_ground == DecisionGround.INCOMPATIBLE_CONTENT:
        return decision.incompatible_content_ground
    return ""


def partner_view(decision: Decision) -> dict[str, Any]:
    """The decision as partners see it (timeline event data and notification payload)."""
    policy = decision.policy
    return {
        "decision_id": str(decision.pk),
        "outcome": decision.outcome,
        "policy": policy.code if policy is not None else "",
        "policy_name": policy.name if policy is not None else "",
        "policy_area": policy.policy_area if policy is not None else "",
        "actions": list(decision.actions),
        "territorial_scope": list(decision.territorial_scope),
        "decision_ground": decision.decision_ground,
        "ground": ground_text(decision),
        "ground_explanation": (
            decision.illegal_content_explanation
            if decision.decision_ground == DecisionGround.ILLEGAL_CONTENT
            else decision.incompatible_content_explanation
        ),
        "automated_detection": decision.automated_detection,
        "automated_decision": decision.automated_decision,
        "explanation": decision.explanation,
        "decided_at": (decision.effective_at or decision.decided_at).isoformat(),
    }


def _items_without(case_id: uuid.UUID, kind: str, since: dt.datetime | None) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(item id, report id) of the case's items with no ``kind`` event (since ``since``, when given)."""
    existing = TimelineEvent.objects.filter(item_id=OuterRef("pk"), kind=kind)
    if since is not None:
        existing = existing.filter(at__gte=since)
    return list(
        ReportItem.objects.filter(case_id=case_id).exclude(Exists(existing))
        .order_by("report_id", "position").values_list("pk", "report_id")
    )


def timeline_add(
    *, case_id: uuid.UUID, kind: str, data: dict[str, Any], at: dt.datetime, since: dt.datetime | None = None,
    organisation_id: int | None = None,
) -> set[uuid.UUID]:
    """Add a ``kind`` event to each item of the case that has none since ``since``; returns the reports touched."""
    rows = _items_without(case_id, kind, since)
    if organisation_id is not None:
        own = set(
            Report.objects.filter(pk__in={r for _item, r in rows}, organisation_id=organisation_id)
            .values_list("pk", flat=True)
        )
        rows = [(item, report) for item, report in rows if report in own]
    TimelineEvent.objects.bulk_create(
        [TimelineEvent(report_id=report, item_id=item, kind=kind, at=at, data=data) for item, report in rows],
        batch_size=1000,
    )
    return {report for _item, report in rows}


def report_statuses_refresh(report_ids: set[uuid.UUID]) -> None:
    """Move reports along as their cases are decided and closed.

    A report is ``closed`` when every one of its items' cases is closed,
    ``decided`` when every one is decided or closed, and otherwise at least
    ``in_review`` once any work on it happened. Reports are locked in id
    order (lock order: cases, then reports, then the audit chain head).
    """
    if not report_ids:
        return
    ids = list(
        Report.objects.select_for_update().filter(pk__in=report_ids).exclude(status=ReportStatus.APPEALED)
        .order_by("pk").values_list("pk", flat=True)
    )
    if not ids:
        return
    open_item = ReportItem.objects.filter(report_id=OuterRef("pk"), case__is_open=True)
    undecided_item = ReportItem.objects.filter(report_id=OuterRef("pk")).exclude(_DECIDED_CASE)
    reports = Report.objects.filter(pk__in=ids)
    reports.exclude(Exists(open_item)).exclude(Exists(undecided_item)).exclude(status=ReportStatus.CLOSED).update(
        status=ReportStatus.CLOSED
    )
    reports.filter(Exists(open_item)).exclude(Exists(undecided_item)).exclude(status=ReportStatus.DECIDED).update(
        status=ReportStatus.DECIDED
    )
    reports.filter(Exists(undecided_item), status__in=[ReportStatus.RECEIVED, ReportStatus.TRIAGED]).update(
        status=ReportStatus.IN_REVIEW
    )


def _reports_by_organisation(report_ids: set[uuid.UUID]) -> dict[int, list[Report]]:
    grouped: dict[int, list[Report]] = defaultdict(list)
    for report in Report.objects.filter(pk__in=report_ids).select_related("organisation").order_by("received_at"):
        grouped[report.organisation_id].append(report)
    return grouped


def _report_line(report: Report) -> str:
    """One report in a partner's e-mail, in the language active (:func:`in_language_of`)."""
    link = f"{settings.SITE_URL}/portal/reports/{report.pk}/"
    if report.reference:
        return _("- report %(id)s (your reference %(reference)s): %(link)s") % {
            "id": report.pk, "reference": report.reference, "link": link}
    return _("- report %(id)s: %(link)s") % {"id": report.pk, "link": link}


def notify_decided(*, decision: Decision, report_ids: set[uuid.UUID]) -> int:
    """Tell every organisation whose reports are touched, once per decision and organisation.

    The e-mail is in each organisation's language; the explanation is as
    the reviewer wrote it (its template's language), and the webhook
    payload keeps codes.
    """
    view = partner_view(decision)
    sent = 0
    for org_id, reports in _reports_by_organisation(report_ids).items():
        organisation: Organisation = reports[0].organisation
        with in_language_of(organisation):
            outcome = str(Outcome(decision.outcome).label)
            lines = [
                _("We decided on content you reported: %(outcome)s.") % {"outcome": outcome},
                "",
                *(_report_line(r) for r in reports),
                "",
            ]
            if decision.policy is not None:
                lines.append(_("Policy: %(policy)s (%(area)s)") % {
                    "policy": decision.policy.shown_name, "area": decision.policy.shown_policy_area})
            if decision.actions:
                lines.append(_("Actions: %(actions)s") % {
                    "actions": ", ".join(str(ActionType(a).label) if a in ActionType.values else a
                                         for a in decision.actions)})
            if decision.territorial_scope:
                lines.append(_("Countries: %(countries)s") % {"countries": ", ".join(decision.territorial_scope)})
            lines += ["", decision.explanation, ""]
            subject = _("Decision on your report: %(outcome)s") % {"outcome": outcome}
        notification_send(
            organisation=organisation,
            event_type=EVENT_DECIDED,
            key=f"decision:{decision.pk}:org:{org_id}",
            subject=subject,
            body="\n".join(lines),
            data={**view, "reports": [{"id": str(r.pk), "reference": r.reference} for r in reports]},
        )
        sent += 1
    return sent


def notify_information_requested(*, request: InformationRequest, report_ids: set[uuid.UUID]) -> None:
    reports = list(Report.objects.filter(pk__in=report_ids).order_by("received_at"))
    due = request.due_at.strftime("%Y-%m-%d %H:%M UTC")
    with in_language_of(request.organisation):
        body = "\n".join([
            _("A reviewer needs more information to decide on content you reported."),
            "",
            *(_report_line(r) for r in reports),
            "",
            _("Question: %(question)s") % {"question": request.question},
            "",
            _("Please answer by %(due)s in the portal: %(link)s") % {
                "due": due, "link": settings.SITE_URL + reverse("console:information_request_answer",
                                                                 args=[request.pk])},
            _("or over the API: POST /api/v1/review/information-requests/%(id)s/answer") % {"id": request.pk},
            _("The time we wait for your answer does not count against our response time."),
            "",
        ])
        subject = _("More information needed on your report")
    notification_send(
        organisation=request.organisation,
        event_type=EVENT_INFORMATION_REQUESTED,
        key=f"information-request:{request.pk}",
        subject=subject,
        body=body,
        data={
            "information_request_id": str(request.pk),
            "question": request.question,
            "due_at": request.due_at.isoformat(),
            "reports": [{"id": str(r.pk), "reference": r.reference} for r in reports],
        },
    )
