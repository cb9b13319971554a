"""The policy queue (staff) and partners' policy feedback.

Partners submit feedback and follow their own items' status and conclusion
(404 for anyone else's); the ``staff`` part (who holds it, comments, the
internal note) is null for them. Policy analysts claim, assign, comment and
conclude.
"""

from functools import partial
from typing import Any

from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from trustline.accounts.permissions import Perm, requires
from trustline.core.types import ApiRequest
from trustline.policy.choices import PolicyItemKind
from trustline.policy.models import PolicyItem
from trustline.policy.schemas import (
    PolicyAssignIn,
    PolicyCommentIn,
    PolicyCommentOut,
    PolicyConcludeIn,
    PolicyFeedbackIn,
    PolicyItemFilter,
    PolicyItemOut,
)
from trustline.policy.selectors import policy_item_get, policy_item_list
from trustline.policy.services import (
    policy_feedback_submit,
    policy_item_assign,
    policy_item_claim,
    policy_item_comment,
    policy_item_conclude,
)
from trustline.review.paging import Mapped

router = Router(tags=["policy"])


def item_out(item: PolicyItem, *, staff: bool, comments: bool = False) -> dict[str, Any]:
    staff_view = None
    if staff:
        staff_view = {
            "organisation": item.organisation.slug if item.organisation else None,
            "case_id": item.case_id,
            "decision_id": item.decision_id,
            "referral_id": item.referral_id,
            "assigned_to": item.assigned_to.username if item.assigned_to else None,
            "assigned_at": item.assigned_at,
            "concluded_by": item.concluded_by.username if item.concluded_by else None,
            "internal_note": item.internal_note,
            "comments": [
                {"id": c.pk, "author": c.author_label, "body": c.body, "created_at": c.created_at}
                for c in item.comments.all()
            ] if comments else [],
        }
    return {
        "id": item.id,
        "kind": item.kind,
        "topic": item.topic,
        "body": item.body,
        "category": item.category_code,
        "country": item.country,
        "status": item.status,
        "created_at": item.created_at,
        "conclusion": item.conclusion or None,
        "conclusion_text": item.conclusion_text,
        "concluded_at": item.concluded_at,
        "staff": staff_view,
    }


def _out(request: ApiRequest, item: PolicyItem) -> dict[str, Any]:
    fresh = policy_item_get(actor=request.auth, item_id=item.pk)
    return item_out(fresh, staff=request.auth.has(Perm.POLICY_REVIEW_VIEW), comments=True)


@router.post(
    "/feedback",
    response={201: PolicyItemOut},
    summary="Send policy feedback (a gap, a question, a proposal) to the policy team",
    description="You are told when the policy team records its conclusion (`policy_review.concluded`).",
)
@requires(Perm.POLICY_FEEDBACK_SUBMIT)
def submit_feedback(request: ApiRequest, payload: PolicyFeedbackIn) -> Status[dict[str, Any]]:
    item = policy_feedback_submit(actor=request.auth, topic=payload.topic, body=payload.body,
                                  category=payload.category, country=payload.country)
    return Status(201, _out(request, item))


@router.get("/feedback", response=list[PolicyItemOut],
            summary="Policy feedback items: your organisation's, or (staff) everyone's, oldest first")
@requires(Perm.POLICY_FEEDBACK_SUBMIT, Perm.POLICY_REVIEW_VIEW)
@paginate(LimitOffsetPagination)
def list_feedback(request: ApiRequest, filters: Query[PolicyItemFilter]) -> Any:
    staff = request.auth.has(Perm.POLICY_REVIEW_VIEW)
    items = policy_item_list(actor=request.auth, kind=PolicyItemKind.PARTNER_FEEDBACK, status=filters.status,
                             assigned_to_me=filters.mine and staff)
    return Mapped(items, partial(item_out, staff=staff))


@router.get("/items", response=list[PolicyItemOut],
            summary="The policy queue: case referrals and partner feedback, oldest first (staff)")
@requires(Perm.POLICY_REVIEW_VIEW)
@paginate(LimitOffsetPagination)
def list_items(request: ApiRequest, filters: Query[PolicyItemFilter]) -> Any:
    items = policy_item_list(actor=request.auth, kind=filters.kind, status=filters.status,
                             assigned_to_me=filters.mine)
    return Mapped(items, partial(item_out, staff=True))


@router.get("/items/{item_id}", response=PolicyItemOut, summary="One policy item (partners: their own feedback)")
@requires(Perm.POLICY_FEEDBACK_SUBMIT, Perm.POLICY_REVIEW_VIEW)
def get_item(request: ApiRequest, item_id: str) -> dict[str, Any]:
    return _out(request, policy_item_get(actor=request.auth, item_id=item_id))


@router.post("/items/{item_id}/claim", response=PolicyItemOut, summary="Take an open item (409 if taken)")
@requires(Perm.POLICY_REVIEW_HANDLE)
def claim_item(request: ApiRequest, item_id: str) -> dict[str, Any]:
    return _out(request, policy_item_claim(actor=request.auth, item_id=item_id))


@router.post("/items/{item_id}/assign", response=PolicyItemOut, summary="Hand an item to a policy analyst")
@requires(Perm.POLICY_REVIEW_HANDLE)
def assign_item(request: ApiRequest, item_id: str, payload: PolicyAssignIn) -> dict[str, Any]:
    return _out(request, policy_item_assign(actor=request.auth, item_id=item_id, username=payload.analyst))


@router.post("/items/{item_id}/comments", response={201: PolicyCommentOut},
             summary="Comment on an item (internal, never shown to partners)")
@requires(Perm.POLICY_REVIEW_HANDLE)
def comment_item(request: ApiRequest, item_id: str, payload: PolicyCommentIn) -> Status[dict[str, Any]]:
    comment = policy_item_comment(actor=request.auth, item_id=item_id, body=payload.body)
    return Status(201, {"id": comment.pk, "author": comment.author_label, "body": comment.body,
                        "created_at": comment.created_at})


@router.post(
    "/items/{item_id}/conclude",
    response=PolicyItemOut,
    summary="Record the conclusion of an item you hold; the partners concerned are told",
)
@requires(Perm.POLICY_REVIEW_HANDLE)
def conclude_item(request: ApiRequest, item_id: str, payload: PolicyConcludeIn) -> dict[str, Any]:
    item = policy_item_conclude(actor=request.auth, item_id=item_id, conclusion=payload.conclusion,
                                text=payload.text, internal_note=payload.internal_note)
    return _out(request, item)
