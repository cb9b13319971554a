"""Review API: decisions, second review, explanation templates, information requests, partner precision.

Staff operations answer 404 to anyone who may not see cases (partners
included), exactly as for an id that does not exist, then 403 to staff
whose role does not allow the operation. Partners use two operations here:
reading and answering the information requests sent to their organisation
(another organisation's answer 404). Partners read decisions only through
their report's timeline (``GET /api/v1/reports/{id}``), which carries the
outcome, policy, actions and explanation, never the internal note.
"""

from typing import Any

from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from trustline.accounts.permissions import Actor, Perm, require
from trustline.core import clock
from trustline.core.exceptions import NotFound
from trustline.core.types import ApiRequest
from trustline.platforms.models import EnforcementActionRecord
from trustline.review.information import information_request_answer
from trustline.review.inputs import decision_input
from trustline.review.models import Decision, InformationRequest
from trustline.review.paging import Mapped
from trustline.review.schemas import (
    AnswerIn,
    BulkDecisionIn,
    DecisionIn,
    DecisionOut,
    InformationRequestFilter,
    InformationRequestOut,
    PartnerPrecisionOut,
    ReferralFilter,
    ReferralOut,
    SecondReviewConfirmIn,
    SecondReviewRejectIn,
    TemplateOut,
    TemplatePreviewIn,
    TemplatePreviewOut,
)
from trustline.review.selectors import (
    PrecisionLine,
    decision_get,
    decisions_for_case,
    information_request_get,
    information_request_reports,
    information_requests_visible,
    partner_precision_get,
    referrals_list,
    review_case_get,
    second_review_queue,
    templates_list,
)
from trustline.review.services import decision_confirm, decision_record, decision_record_bulk, decision_reject
from trustline.review.templates_text import PLACEHOLDERS
from trustline.review.validation import explanation_preview

router = Router(tags=["review"])

def _staff_area(actor: Actor) -> None:
    """Staff-only lists: invisible (404) to anyone who may not see cases."""
    if not actor.has(Perm.CASE_VIEW):
        raise NotFound("Not found.")


def _who(user_label: str, actor_id: str) -> str:
    return user_label or actor_id


def decision_out(decision: Decision) -> dict[str, Any]:
    policy = decision.policy
    records = EnforcementActionRecord.objects.filter(decision_id=str(decision.pk)).order_by("requested_at", "id")
    return {
        "id": decision.id,
        "case_id": decision.case_id,
        "outcome": decision.outcome,
        "status": decision.status,
        "policy": (
            {"code": policy.code, "name": policy.name, "policy_area": policy.policy_area,
             "dsa_category": policy.dsa_category}
            if policy is not None else None
        ),
        "actions": list(decision.actions),
        "territorial_scope": list(decision.territorial_scope),
        "label_text": decision.label_text,
        "decision_ground": decision.decision_ground,
        "illegal_content_legal_ground": decision.illegal_content_legal_ground,
        "illegal_content_explanation": decision.illegal_content_explanation,
        "incompatible_content_ground": decision.incompatible_content_ground,
        "incompatible_content_explanation": decision.incompatible_content_explanation,
        "automated_detection": decision.automated_detection,
        "automated_decision": decision.automated_decision,
        "language": decision.language,
        "template_id": decision.template_id,
        "explanation": decision.explanation,
        "internal_note": decision.internal_note,
        "question": decision.question,
        "answer_due_at": decision.answer_due_at,
        "decided_by": _who(decision.decided_by.get_username() if decision.decided_by else "",
                           decision.decided_by_actor),
        "decided_at": decision.decided_at,
        "second_review_reasons": list(decision.second_review_reasons),
        "second_reviewer": _who(decision.second_reviewer.get_username() if decision.second_reviewer else "",
                                decision.second_reviewer_actor),
        "second_reviewed_at": decision.second_reviewed_at,
        "second_review_note": decision.second_review_note,
        "effective_at": decision.effective_at,
        "superseded_at": decision.superseded_at,
        "superseded_by": decision.superseded_by_id,
        "enforcement": [
            {"id": r.id, "action_type": r.action_type, "status": r.status, "reference": r.reference}
            for r in records
        ],
    }


def information_request_out(request: InformationRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "case_id": request.case_id,
        "status": request.status,
        "question": request.question,
        "due_at": request.due_at,
        "requested_at": request.requested_at,
        "answer": request.answer,
        "answered_at": request.answered_at,
        "report_ids": [r.pk for r in information_request_reports(request)],
    }


def _line(line: PrecisionLine) -> dict[str, Any]:
    return {"category": line.category, "name": line.name, "decided": line.decided, "violating": line.violating,
            "precision": line.precision}


# --------------------------------------------------------------------------------------------
# Decisions
# --------------------------------------------------------------------------------------------


@router.post(
    "/cases/{case_id}/decisions",
    response={201: DecisionOut},
    summary="Decide a case you hold (reviewers; escalation leads may decide any case)",
    description=(
        "Violating needs a policy, at least one action and a ground (DSA Transparency Database names); "
        "geo_restrict needs territorial_scope; other outcomes take no actions; needs_more_information needs a "
        "question and pauses the SLA clock. Without an explanation the outcome's template is filled with the "
        "case's facts. When a second-review rule matches, the decision waits (`pending_second_review`) for a "
        "different reviewer; otherwise it takes effect at once: partners are told on their report timeline and "
        "by notification, and platform actions are carried out. 404 for partners; 403 without decision.record "
        "or when you do not hold the case; 409 when the case is already decided or a decision waits for review."
    ),
)
def record_decision(request: ApiRequest, case_id: str, payload: DecisionIn) -> Status[dict[str, Any]]:
    decision = decision_record(actor=request.auth, case_id=case_id, data=decision_input(payload))
    return Status(201, decision_out(decision_get(actor=request.auth, decision_id=decision.pk)))


@router.post(
    "/decisions/bulk",
    response={201: list[DecisionOut]},
    summary="Decide several cases together (e.g. every case of one report), all or nothing",
    description=(
        "One decision per case, with the same fields. You must hold at least one of the cases; the others must be "
        "held by you or by nobody. Errors name the case (`cases.<n>.<field>`)."
    ),
)
def record_decisions_bulk(request: ApiRequest, payload: BulkDecisionIn) -> Status[list[dict[str, Any]]]:
    decisions = decision_record_bulk(actor=request.auth, case_ids=payload.case_ids, data=decision_input(payload))
    return Status(201, [decision_out(decision_get(actor=request.auth, decision_id=d.pk)) for d in decisions])


@router.get("/decisions/{decision_id}", response=DecisionOut, summary="A decision, with its internal note (staff)")
def get_decision(request: ApiRequest, decision_id: str) -> dict[str, Any]:
    return decision_out(decision_get(actor=request.auth, decision_id=decision_id))


@router.get("/cases/{case_id}/decisions", response=list[DecisionOut], summary="Every decision on a case, oldest first")
def list_case_decisions(request: ApiRequest, case_id: str) -> list[dict[str, Any]]:
    return [decision_out(d) for d in decisions_for_case(actor=request.auth, case_id=case_id)]


# --------------------------------------------------------------------------------------------
# Second review
# --------------------------------------------------------------------------------------------


@router.get(
    "/second-review",
    response=list[DecisionOut],
    summary="Decisions waiting for a second reviewer, most urgent case first (never your own)",
)
@paginate(LimitOffsetPagination)
def list_second_review(request: ApiRequest) -> Any:
    _staff_area(request.auth)
    require(request.auth, Perm.DECISION_SECOND_REVIEW)
    return Mapped(second_review_queue(actor=request.auth), decision_out)


@router.post(
    "/decisions/{decision_id}/confirm",
    response=DecisionOut,
    summary="Confirm a decision waiting for second review: it takes effect",
    description="Only a different reviewer than the one who recorded it (403 for the same person); 409 if not pending.",
)
def confirm_decision(request: ApiRequest, decision_id: str, payload: SecondReviewConfirmIn) -> dict[str, Any]:
    decision = decision_confirm(actor=request.auth, decision_id=decision_id, note=payload.note)
    return decision_out(decision_get(actor=request.auth, decision_id=decision.pk))


@router.post(
    "/decisions/{decision_id}/reject",
    response=DecisionOut,
    summary="Reject a decision waiting for second review: the case goes back to the review queue",
)
def reject_decision(request: ApiRequest, decision_id: str, payload: SecondReviewRejectIn) -> dict[str, Any]:
    decision = decision_reject(actor=request.auth, decision_id=decision_id, reason=payload.reason)
    return decision_out(decision_get(actor=request.auth, decision_id=decision.pk))


# --------------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------------


@router.get("/templates", response=list[TemplateOut],
            summary="Partner-facing explanation templates (edit them in the admin)")
def list_templates(request: ApiRequest) -> Any:
    _staff_area(request.auth)
    return list(templates_list(actor=request.auth))


@router.post(
    "/templates/preview",
    response=TemplatePreviewOut,
    summary="The explanation a decision would get: the template filled with the case's facts",
)
def preview_template(request: ApiRequest, payload: TemplatePreviewIn) -> dict[str, Any]:
    case = review_case_get(actor=request.auth, case_id=payload.case_id)
    require(request.auth, Perm.DECISION_RECORD)
    preview = explanation_preview(case=case, data=decision_input(payload), now=clock.now())
    return {"template_id": preview.template.pk if preview.template is not None else None,
            "language": preview.language, "explanation": preview.explanation, "placeholders": PLACEHOLDERS}


# --------------------------------------------------------------------------------------------
# Information requests (partners answer here)
# --------------------------------------------------------------------------------------------


@router.get(
    "/information-requests",
    response=list[InformationRequestOut],
    summary="Questions reviewers asked about your reports (staff: all), newest first",
)
@paginate(LimitOffsetPagination)
def list_information_requests(request: ApiRequest, filters: Query[InformationRequestFilter]) -> Any:
    qs = information_requests_visible(actor=request.auth)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return Mapped(qs.order_by("-requested_at", "-id"), information_request_out)


@router.get("/information-requests/{request_id}", response=InformationRequestOut,
            summary="One question a reviewer asked about your reports")
def get_information_request(request: ApiRequest, request_id: str) -> dict[str, Any]:
    return information_request_out(information_request_get(actor=request.auth, request_id=request_id))


@router.post(
    "/information-requests/{request_id}/answer",
    response=InformationRequestOut,
    summary="Answer a reviewer's question (partners): the case goes back to review and its clock resumes",
    description="Only the partner who was asked (another organisation: 404; staff: 403); 409 once closed. "
                "The same answer sent again (a retry after a lost reply) answers 200 and changes nothing.",
)
def answer_information_request(request: ApiRequest, request_id: str, payload: AnswerIn) -> dict[str, Any]:
    answered = information_request_answer(actor=request.auth, request_id=request_id, answer=payload.answer)
    return information_request_out(answered)


# --------------------------------------------------------------------------------------------
# Partner precision and referrals
# --------------------------------------------------------------------------------------------


@router.get(
    "/partners/{slug}/precision",
    response=PartnerPrecisionOut,
    summary="A partner's precision: share of decided items found violating, overall and by category",
    description="For programme managers and escalation leads; updated with every decision that takes effect.",
)
def get_partner_precision(request: ApiRequest, slug: str) -> dict[str, Any]:
    summary = partner_precision_get(actor=request.auth, slug=slug)
    require(request.auth, Perm.PRECISION_VIEW)
    return {"organisation": summary.organisation.slug, "name": summary.organisation.name,
            "overall": _line(summary.overall), "categories": [_line(c) for c in summary.categories]}


@router.get(
    "/referrals",
    response=list[ReferralOut],
    summary="The policy queue (kind=policy_review) and law-enforcement referrals, oldest first",
)
@paginate(LimitOffsetPagination)
def list_referrals(request: ApiRequest, filters: Query[ReferralFilter]) -> Any:
    _staff_area(request.auth)
    return referrals_list(actor=request.auth, kind=filters.kind, status=filters.status)
