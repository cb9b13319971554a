"""Asking the partner: information requests and the paused SLA clock.

A ``needs_more_information`` decision (``services.decision_apply``) calls
:func:`information_requests_open`:

1. One :class:`InformationRequest` per organisation that reported the case,
   with the reviewer's question and a due time.
2. The decide-by clock pauses (:mod:`trustline.review.clock`: a
   :class:`ClockPause` row opens, unless one is open already) and the case
   goes ``on_hold`` (the SLA sweeper does not breach cases on hold).
3. Each partner sees an ``information_requested`` timeline event on its
   items of the case and is notified (``report.information_requested``).

The clock resumes (:func:`clock_resume`) on the first answer
(:func:`information_request_answer`), when the last open request expires
(:func:`information_requests_expire`, periodic) or when someone decides the
case anyway. Resuming closes the pause and moves ``decide_due_at`` later by
exactly the time paused; the case then goes back to the review queue.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction

from trustline.accounts.permissions import SYSTEM, Actor, Perm, require
from trustline.audit.choices import AuditAction
from trustline.audit.services import AuditEvent, audit_record_many
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from trustline.intake.choices import TimelineKind
from trustline.intake.models import Report
from trustline.review.choices import InformationRequestStatus
from trustline.review.clock import PAUSE_QUESTION, clock_pause_open, clock_resume, pause_event, paused_event
from trustline.review.models import ClockPause, Decision, InformationRequest
from trustline.review.selectors import information_request_get
from trustline.review.telling import notify_information_requested, report_statuses_refresh, timeline_add
from trustline.routing.choices import AssignmentEnd
from trustline.routing.services import case_assignment_end, routing_requeue

MAX_ANSWER_CHARS = 5000
EXPIRE_BATCH = 200


HOLD_REASON = "Waiting for the partner's answer to a reviewer's question."


def case_return_to_review(*, case: Case, at: dt.datetime) -> None:
    """Put a case back in the review queue through routing (``triaged``, lease released, pool narrow again).

    Used when a partner answers, when a question expires and when a second
    reviewer rejects a decision: the next reviewer claims it as usual. The
    hold markers a question set are cleared.
    """
    routing_requeue(case_id=case.pk, now=at)
    Case.objects.filter(pk=case.pk).update(held_at=None, hold_reason="")
    case.status = CaseStatus.TRIAGED


def clock_pause(*, case: Case, decision: Decision, at: dt.datetime) -> tuple[ClockPause, bool]:
    """Pause the clock (unless a hold already paused it) and put the case on hold, ending the assignment."""
    pause, opened = clock_pause_open(case=case, at=at, reason=PAUSE_QUESTION, decision=decision)
    case_assignment_end(case_id=case.pk, now=at, reason=AssignmentEnd.HELD)
    Case.objects.filter(pk=case.pk).update(
        status=CaseStatus.ON_HOLD, assigned_to=None, claimed_at=None, lease_expires_at=None, held_at=at,
        hold_reason=HOLD_REASON,
    )
    case.status = CaseStatus.ON_HOLD
    return pause, opened


def information_requests_open(
    *, actor: Actor, decision: Decision, case: Case, question: str, due_at: dt.datetime, at: dt.datetime
) -> list[AuditEvent]:
    """Steps 1-3 of the module docstring, inside the decision's transaction; returns the audit events."""
    organisation_ids = sorted(
        set(Report.objects.filter(items__case_id=case.pk).values_list("organisation_id", flat=True))
    )
    requests = [
        InformationRequest.objects.create(
            case=case, decision=decision, organisation_id=org_id, question=question, due_at=due_at,
            requested_at=at, requested_by=actor.user,
        )
        for org_id in organisation_ids
    ]
    pause, opened = clock_pause(case=case, decision=decision, at=at)
    touched: set[uuid.UUID] = set()
    for request in requests:
        reports = timeline_add(
            case_id=case.pk, kind=TimelineKind.INFORMATION_REQUESTED, at=at, since=at,
            organisation_id=request.organisation_id,
            data={"information_request_id": str(request.pk), "decision_id": str(decision.pk), "question": question,
                  "due_at": due_at.isoformat(), "explanation": decision.explanation},
        )
        touched |= reports
        notify_information_requested(request=request, report_ids=reports)
    report_statuses_refresh(touched)
    return [
        AuditEvent(AuditAction.INFORMATION_REQUESTED, "review.informationrequest", str(r.pk),
                   {"case": str(case.pk), "organisation": r.organisation_id, "due_at": due_at.isoformat()})
        for r in requests
    ] + ([paused_event(case, pause)] if opened else [])


def information_requests_withdraw(*, case: Case, at: dt.datetime) -> list[str]:
    """Close the case's open requests because it was decided meanwhile; returns their ids."""
    ids = [str(pk) for pk in InformationRequest.objects.filter(
        case=case, status=InformationRequestStatus.OPEN).values_list("pk", flat=True)]
    InformationRequest.objects.filter(case=case, status=InformationRequestStatus.OPEN).update(
        status=InformationRequestStatus.WITHDRAWN, closed_at=at
    )
    return ids


# Why a question can no longer be answered (the partner may have kept a draft of the answer).
NOT_OPEN: dict[str, str] = {
    InformationRequestStatus.ANSWERED: "This question is already answered (with another text); it can no longer be "
                                       "answered.",
    InformationRequestStatus.EXPIRED: "This question was not answered in time; it can no longer be answered.",
    InformationRequestStatus.WITHDRAWN: "The reviewer withdrew this question (the case was decided meanwhile); it "
                                        "no longer needs an answer.",
}


def information_request_answer(*, actor: Actor, request_id: str | uuid.UUID, answer: str) -> InformationRequest:
    """A partner answers a reviewer's question; the clock resumes and the case goes back to review.

    1. The request must be visible (staff, or the partner it was sent to;
       anyone else gets ``NotFound``); only a member of that partner with
       ``information_request.answer`` may answer (else ``PermissionDenied``).
    2. The answer is 1-5000 characters (``ValidationFailed``).
    3. Under row locks (case, then request): the request must still be
       open (``Conflict`` once answered, expired or withdrawn), except that
       the same answer sent again by the same partner returns the request
       unchanged: a retry after a lost reply, on a weak connection. Record the
       answer, add an ``information_provided`` event to the partner's items,
       resume the clock (if this is the first answer) and return the case to
       review. Audit the answer, the resumed clock and the return.
    """
    found = information_request_get(actor=actor, request_id=request_id)
    require(actor, Perm.INFORMATION_REQUEST_ANSWER)
    if actor.organisation_id != found.organisation_id:
        raise PermissionDenied("Only the partner who was asked can answer.", code="forbidden")
    answer = (answer or "").strip()
    if not answer:
        raise ValidationFailed.field("answer", "required: write your answer to the reviewer's question")
    if len(answer) > MAX_ANSWER_CHARS:
        raise ValidationFailed.field("answer", f"at most {MAX_ANSWER_CHARS} characters")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=found.case_id)
        request = InformationRequest.objects.select_for_update().get(pk=found.pk)
        if request.status == InformationRequestStatus.ANSWERED and request.answer == answer:
            return request  # already stored: nothing changes, nothing is recorded twice
        if request.status != InformationRequestStatus.OPEN:
            raise Conflict(NOT_OPEN.get(request.status, "This question is closed; it can no longer be answered."),
                           code="not_open")
        now = clock.now()
        request.status = InformationRequestStatus.ANSWERED
        request.answer = answer
        request.answered_at = now
        request.answered_by = actor.audit_id
        request.closed_at = now
        request.save(update_fields=["status", "answer", "answered_at", "answered_by", "closed_at"])
        timeline_add(
            case_id=case.pk, kind=TimelineKind.INFORMATION_PROVIDED, at=now, since=now,
            organisation_id=request.organisation_id,
            data={"information_request_id": str(request.pk), "answered_at": now.isoformat()},
        )
        events = [AuditEvent(AuditAction.INFORMATION_PROVIDED, "review.informationrequest", str(request.pk),
                             {"case": str(case.pk), "organisation": request.organisation_id,
                              "answer_chars": len(answer)})]
        events += _resume_and_return(case=case, at=now, reason="answered")
        audit_record_many(actor=actor, events=events)
    return request


def _resume_and_return(*, case: Case, at: dt.datetime, reason: str) -> list[AuditEvent]:
    """Resume the clock and, if the case was waiting, put it back in the review queue."""
    events: list[AuditEvent] = []
    pause = clock_resume(case=case, at=at, reason=reason)
    if pause is not None:
        events.append(pause_event(case, pause))
    if case.status == CaseStatus.ON_HOLD and case.is_open:
        case_return_to_review(case=case, at=at)
        events.append(AuditEvent(AuditAction.CASE_RETURNED_TO_REVIEW, "cases.case", str(case.pk),
                                 {"reason": reason, "status": case.status}))
    return events


def information_requests_expire(*, now: dt.datetime, actor: Actor = SYSTEM, batch_size: int = EXPIRE_BATCH) -> int:
    """Expire open requests past their due time; resume a case's clock when none of its requests is left open.

    Each request is claimed with a conditional UPDATE (still open, still
    overdue) under the case's row lock, so overlapping runs expire it once.
    """
    due = list(
        InformationRequest.objects.filter(status=InformationRequestStatus.OPEN, due_at__lte=now)
        .order_by("due_at", "pk").values_list("pk", "case_id")[:batch_size]
    )
    expired = 0
    for request_id, case_id in due:
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            claimed = InformationRequest.objects.filter(
                pk=request_id, status=InformationRequestStatus.OPEN, due_at__lte=now
            ).update(status=InformationRequestStatus.EXPIRED, closed_at=now)
            if claimed != 1:
                continue
            expired += 1
            events = [AuditEvent(AuditAction.INFORMATION_REQUEST_EXPIRED, "review.informationrequest",
                                 str(request_id), {"case": str(case_id), "expired_at": now.isoformat()})]
            if not InformationRequest.objects.filter(case_id=case_id, status=InformationRequestStatus.OPEN).exists():
                events += _resume_and_return(case=case, at=now, reason="expired")
            audit_record_many(actor=actor, events=events)
    return expired
