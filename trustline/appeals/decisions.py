"""The seam between contests and decisions (``trustline.review``): everything appeals needs from it.

Appeals reads decisions and, for a reversal, has a new decision recorded and
applied the way every decision is (superseding the contested one, partner
timelines and notifications, precision, referrals, platform enforcement).
Keeping all of it here means a change in the review app touches one file.

* :func:`decision_informed_at`: when a partner was told of a decision.
* :func:`decision_took_no_action`, :func:`decision_handlers_excluded`.
* :func:`contest_decision_record`: the one function a reversal calls.
* :func:`partner_timeline_add`, :func:`partner_reports_refresh`: the
  partner-visible timeline and report statuses, through review's helpers.
* ``DecisionFields`` / ``decision_input``: review's API shape of a decision
  and its mapping to ``DecisionInput``, reused for a reversal's new decision.
"""

from __future__ import annotations

import datetime as dt
import uuid
from functools import partial
from typing import Any

from django.db import transaction

from trustline.accounts.models import Organisation
from trustline.accounts.permissions import Actor
from trustline.audit.choices import AuditAction
from trustline.audit.services import AuditEvent, audit_record_many
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.exceptions import Conflict, ValidationFailed
from trustline.intake.choices import ReportStatus, TimelineKind
from trustline.intake.models import Report, TimelineEvent
from trustline.platforms.choices import ActionType
from trustline.review.choices import DecisionStatus, Outcome
from trustline.review.inputs import decision_input
from trustline.review.models import Decision
from trustline.review.schemas import DecisionFields
from trustline.review.services import decision_apply, decision_enforce, decision_row_create
from trustline.review.telling import report_statuses_refresh, timeline_add
from trustline.review.validation import DecisionInput, decision_validate

__all__ = [
    "CONTESTABLE_OUTCOMES",
    "REPLACEMENT_OUTCOMES",
    "DecisionFields",
    "DecisionInput",
    "contest_decision_record",
    "decision_handlers_excluded",
    "decision_informed_at",
    "decision_input",
    "decision_took_no_action",
    "partner_reports_refresh",
    "partner_timeline_add",
]

# Decisions on the content itself. Questions to the partner and referrals are
# not (yet) a decision on the notice, so there is nothing to contest.
CONTESTABLE_OUTCOMES = frozenset({Outcome.VIOLATING, Outcome.NOT_VIOLATING, Outcome.OUT_OF_SCOPE})
# What a contest may put in place of the contested decision.
REPLACEMENT_OUTCOMES = CONTESTABLE_OUTCOMES


def decision_informed_at(*, decision: Decision, organisation: Organisation) -> dt.datetime | None:
    """When ``organisation`` was told of ``decision``: its first ``decided`` timeline event, else effective time.

    A partner whose report joined a decided case later is told later (by
    review's follow-up job), and its six months start then.
    """
    first = (
        TimelineEvent.objects.filter(
            kind=TimelineKind.DECIDED, report__organisation=organisation, item__case_id=decision.case_id,
            data__decision_id=str(decision.pk),
        )
        .order_by("at")
        .values_list("at", flat=True)
        .first()
    )
    return first or decision.effective_at


def decision_took_no_action(decision: Decision) -> bool:
    """True when the contested decision left the content as it was (a "no action" decision)."""
    if decision.outcome != Outcome.VIOLATING:
        return True
    return all(action == ActionType.NO_ACTION for action in decision.actions or [])


def decision_handlers_excluded(decision: Decision) -> tuple[set[int], set[str]]:
    """Who may never handle a contest of ``decision``: its author and its second reviewer.

    Returned as user ids and audit actor ids, so a decision recorded through
    an API key or by the system is covered too.
    """
    users = {pk for pk in (decision.decided_by_id, decision.second_reviewer_id) if pk is not None}
    actors = {a for a in (decision.decided_by_actor, decision.second_reviewer_actor) if a}
    return users, actors


def contest_decision_record(*, actor: Actor, contested: Decision, data: DecisionInput) -> Decision:
    """Replace ``contested`` with a new decision after a contest; call inside the caller's transaction.

    1. Lock the case; the contested decision must still be the effective one.
    2. Validate the new decision with review's rules (``decision_validate``);
       it must decide the content (violating, not violating, out of scope).
    3. Store it and make it effective with review's ``decision_apply``, which
       supersedes the contested decision, takes back its precision, writes
       the partners' ``decided`` timeline events and notifications, and
       closes the case when nothing is left to carry out.
    4. After commit, review's ``decision_enforce`` carries out the platform
       actions (idempotent; review's follow-up job retries failures).

    The contest itself is the second look by a different reviewer, so the
    second-review rules are not applied again. A case already closed stays
    closed (a new report of the content opens a new case).
    """
    now = clock.now()
    case = Case.objects.select_for_update().get(pk=contested.case_id)
    current = Decision.objects.select_for_update().get(pk=contested.pk)
    if current.status != DecisionStatus.EFFECTIVE:
        raise Conflict("The contested decision is no longer in effect; it cannot be reversed.",
                       code="decision_superseded")
    if Decision.objects.filter(case=case, status=DecisionStatus.PENDING_SECOND_REVIEW).exists():
        raise Conflict("A decision on this case is waiting for a second reviewer.", code="pending_second_review")
    valid = decision_validate(case=case, data=data, now=now)
    if valid.outcome not in REPLACEMENT_OUTCOMES:
        raise ValidationFailed.field(
            "new_decision.outcome", "a contest replaces a decision with violating, not_violating or out_of_scope"
        )
    was_closed = not case.is_open
    # Not yet effective: decision_apply supersedes the contested one first (one effective per case).
    decision = decision_row_create(case=case, valid=valid, actor=actor, now=now)
    events = [AuditEvent(
        AuditAction.DECISION_RECORDED, "review.decision", str(decision.pk),
        {"case": str(case.pk), "outcome": decision.outcome, "policy": valid.policy.code if valid.policy else "",
         "actions": list(valid.actions), "territorial_scope": list(valid.territorial_scope),
         "decision_ground": valid.decision_ground, "replaces": str(contested.pk), "via": "contest"},
    )]
    events += decision_apply(actor=actor, decision=decision, case=case, now=now)
    if was_closed and case.status == CaseStatus.DECIDED:
        Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED)
    audit_record_many(actor=actor, events=events)
    transaction.on_commit(partial(decision_enforce, actor=actor, decision=decision), robust=True)
    return decision


def partner_timeline_add(
    *, case_id: uuid.UUID, organisation: Organisation, kind: str, data: dict[str, Any], at: dt.datetime
) -> set[uuid.UUID]:
    """A ``kind`` event on each of ``organisation``'s items in the case; returns the reports touched."""
    return timeline_add(case_id=case_id, kind=kind, data=data, at=at, since=at, organisation_id=organisation.pk)


def partner_reports_refresh(report_ids: set[uuid.UUID], *, appealed: bool) -> None:
    """Mark reports ``appealed`` while a contest is open; afterwards let review recompute their status."""
    if appealed:
        Report.objects.filter(pk__in=report_ids).update(status=ReportStatus.APPEALED)
        return
    Report.objects.filter(pk__in=report_ids, status=ReportStatus.APPEALED).update(status=ReportStatus.DECIDED)
    report_statuses_refresh(report_ids)
