"""Contesting decisions (DSA Art. 20): partners contest and follow; reviewers take and decide.

Partners see only their own organisation's contests (404 for any other);
the ``staff`` part of a contest (who handles it, the internal note) is null
for them.
"""

from functools import partial
from typing import Any

from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from trustline.accounts.permissions import Perm, requires
from trustline.appeals.decisions import decision_input
from trustline.appeals.models import Appeal
from trustline.appeals.schemas import AppealAssignIn, AppealDecideIn, AppealFilter, AppealIn, AppealOut
from trustline.appeals.selectors import appeal_get, appeal_list
from trustline.appeals.services import (
    appeal_assign,
    appeal_claim_next,
    appeal_decide,
    appeal_release,
    appeal_submit,
    appeal_withdraw,
    contest_deadline,
)
from trustline.core.types import ApiRequest
from trustline.review.paging import Mapped

router = Router(tags=["contests"])


def appeal_out(appeal: Appeal, *, staff: bool) -> dict[str, Any]:
    staff_view = None
    if staff:
        staff_view = {
            "organisation": appeal.organisation.slug,
            "case_id": appeal.case_id,
            "assigned_to": appeal.assigned_to.username if appeal.assigned_to else None,
            "assigned_at": appeal.assigned_at,
            "decided_by": appeal.decided_by.username if appeal.decided_by else None,
            "internal_note": appeal.internal_note,
            "contested_outcome": appeal.contested_outcome,
            "about_no_action": appeal.about_no_action,
            "human_reviewed": appeal.human_reviewed,
        }
    return {
        "id": appeal.id,
        "decision_id": appeal.decision_id,
        "report_id": appeal.report_id,
        "status": appeal.status,
        "reasons": appeal.reasons,
        "received_at": appeal.received_at,
        "informed_at": appeal.informed_at,
        "deadline": contest_deadline(appeal.informed_at),
        "outcome": appeal.outcome or None,
        "explanation": appeal.explanation,
        "decided_at": appeal.decided_at,
        "new_decision_id": appeal.new_decision_id,
        "staff": staff_view,
    }


def _out(request: ApiRequest, appeal: Appeal) -> dict[str, Any]:
    fresh = appeal_get(actor=request.auth, appeal_id=appeal.pk)  # with its related rows, as the actor sees it
    return appeal_out(fresh, staff=request.auth.has(Perm.APPEAL_VIEW_ALL))


@router.post(
    "",
    response={201: AppealOut},
    summary="Contest a decision on your report (within six months of being told of it)",
    description=(
        "Give `decision_id` (from your report's timeline), or `report_id` when one decision covers the report. "
        "422 `contest_window_closed` after six months; 409 when you already have an open contest of the decision "
        "(the same reasons sent again, a retry, answer 201 with that contest and store nothing). "
        "A reviewer who was not involved in the decision handles it; you are told the outcome "
        "(`appeal.received`, then `appeal.decided`)."
    ),
)
@requires(Perm.APPEAL_SUBMIT)
def submit_appeal(request: ApiRequest, payload: AppealIn) -> Status[dict[str, Any]]:
    appeal = appeal_submit(actor=request.auth, reasons=payload.reasons, decision_id=payload.decision_id,
                           report_id=payload.report_id)
    return Status(201, _out(request, appeal))


@router.get("", response=list[AppealOut], summary="Contests: your organisation's, or (staff) all, oldest first")
@requires(Perm.APPEAL_SUBMIT, Perm.APPEAL_VIEW_ALL)
@paginate(LimitOffsetPagination)
def list_appeals(request: ApiRequest, filters: Query[AppealFilter]) -> Any:
    staff = request.auth.has(Perm.APPEAL_VIEW_ALL)
    appeals = appeal_list(actor=request.auth, status=filters.status, assigned_to_me=filters.mine and staff,
                          organisation=filters.organisation if staff else None)
    return Mapped(appeals, partial(appeal_out, staff=staff))


@router.post(
    "/claim-next",
    response={200: AppealOut, 204: None},
    summary="Take the oldest open contest you may handle (204 when there is none)",
    description="Never a contest of a decision you made or cross-checked.",
)
@requires(Perm.APPEAL_HANDLE)
def claim_next_appeal(request: ApiRequest) -> Status[Any]:
    appeal = appeal_claim_next(actor=request.auth)
    if appeal is None:
        return Status(204, None)
    return Status(200, _out(request, appeal))


@router.get("/{appeal_id}", response=AppealOut, summary="One contest")
@requires(Perm.APPEAL_SUBMIT, Perm.APPEAL_VIEW_ALL)
def get_appeal(request: ApiRequest, appeal_id: str) -> dict[str, Any]:
    return _out(request, appeal_get(actor=request.auth, appeal_id=appeal_id))


@router.post("/{appeal_id}/assign", response=AppealOut, summary="Hand a contest to a reviewer (escalation leads)")
@requires(Perm.APPEAL_ASSIGN)
def assign_appeal(request: ApiRequest, appeal_id: str, payload: AppealAssignIn) -> dict[str, Any]:
    return _out(request, appeal_assign(actor=request.auth, appeal_id=appeal_id, username=payload.reviewer))


@router.post("/{appeal_id}/release", response=AppealOut, summary="Put a contest you hold back in the queue")
@requires(Perm.APPEAL_HANDLE, Perm.APPEAL_ASSIGN)
def release_appeal(request: ApiRequest, appeal_id: str) -> dict[str, Any]:
    return _out(request, appeal_release(actor=request.auth, appeal_id=appeal_id))


@router.post(
    "/{appeal_id}/decide",
    response=AppealOut,
    summary="Decide a contest you hold: upheld, reversed or partially reversed",
    description=(
        "A reversal (the outcome changes) or partial reversal (the actions or their scope change) gives "
        "`new_decision`, which replaces the contested decision and takes effect like any decision (partners "
        "told, platform actions carried out). The partner reads `explanation`; `internal_note` stays internal."
    ),
)
@requires(Perm.APPEAL_HANDLE)
def decide_appeal(request: ApiRequest, appeal_id: str, payload: AppealDecideIn) -> dict[str, Any]:
    appeal = appeal_decide(
        actor=request.auth,
        appeal_id=appeal_id,
        outcome=payload.outcome,
        explanation=payload.explanation,
        internal_note=payload.internal_note,
        new_decision=decision_input(payload.new_decision) if payload.new_decision is not None else None,
    )
    return _out(request, appeal)


@router.post("/{appeal_id}/withdraw", response=AppealOut, summary="Withdraw your open contest")
@requires(Perm.APPEAL_SUBMIT)
def withdraw_appeal(request: ApiRequest, appeal_id: str) -> dict[str, Any]:
    return _out(request, appeal_withdraw(actor=request.auth, appeal_id=appeal_id))
