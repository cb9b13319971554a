"""Staff queue API: the queue, claim-next, leases, hold and reassignment, comments, tags, saved queues, skills.

Every operation is for the platform's team (signed-in session or staff API
key). Partners get 404 everywhere here, as for something that does not
exist; staff whose role does not allow an operation get 403. The services
and selectors enforce both; these views only translate.
"""


import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.types import ApiRequest
from trustline.routing import reviewers, services, workspace
from trustline.routing.eligibility import current_pool
from trustline.routing.models import CaseComment, ReviewerProfile, SavedQueue
from trustline.routing.schemas import (
    ClaimOut,
    CommentIn,
    CommentOut,
    HoldIn,
    QueueCaseOut,
    QueueQuery,
    ReasonIn,
    ReassignIn,
    SavedQueueIn,
    SavedQueueOut,
    ShiftIn,
    SkillsIn,
    SkillsOut,
    TagIn,
    TagsOut,
)
from trustline.routing.selectors import (
    queue_list,
    reviewer_get,
    reviewer_list,
    routing_case_get,
    saved_queue_get,
    saved_queue_visible,
    tags_by_case,
)

router = Router(tags=["queue"])


def person_out(user: User) -> dict[str, Any]:
    return {"id": user.pk, "username": user.get_username(), "full_name": user.full_name}


def case_out(case: Case, tags: list[str]) -> dict[str, Any]:
    now = clock.now()
    live = case.assigned_to is not None and case.lease_expires_at is not None and case.lease_expires_at > now
    return {
        "id": case.id,
        "status": case.status,
        "tier": case.tier,
        "priority": case.priority,
        "priority_components": case.priority_components or {},
        "category": case.category_code,
        "country": case.country,
        "language": case.language,
        "language_source": case.language_source,
        "language_confidence": case.language_confidence,
        "imminent_harm": case.imminent_harm,
        "item_count": case.item_count,
        "partner_count": case.partner_count,
        "opened_at": case.opened_at,
        "triaged_at": case.triaged_at,
        "acknowledged_at": case.acknowledged_at,
        "ack_due_at": case.ack_due_at,
        "decide_due_at": case.decide_due_at,
        "routing_stage": current_pool(case, now),
        "assigned_to": person_out(case.assigned_to) if live and case.assigned_to is not None else None,
        "claimed_at": case.claimed_at,
        "lease_expires_at": case.lease_expires_at,
        "routing_pool": case.routing_pool,
        "routing_reason": case.routing_reason,
        "held_at": case.held_at,
        "hold_reason": case.hold_reason,
        "tags": tags,
    }


def one_case_out(case: Case) -> dict[str, Any]:
    return case_out(case, workspace.case_tags(case.pk))


class QueuePagination(LimitOffsetPagination):
    """Limit/offset pages whose items carry their tags, fetched for the whole page in one query."""

    def paginate_queryset(self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest,
                          **params: Any) -> Any:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        cases = list(page[self.items_attribute])
        tags = tags_by_case(c.pk for c in cases)
        page[self.items_attribute] = [case_out(c, tags.get(c.pk, [])) for c in cases]
        return page


# --------------------------------------------------------------------------------------------
# The queue and claiming
# --------------------------------------------------------------------------------------------


@router.get(
    "",
    response=list[QueueCaseOut],
    summary="Open cases in claim order (priority, decide-by time, age), with filters or a saved queue",
    description=(
        "Lists take repeated parameters (`?country=SD&country=SS`). `?saved=<id>` applies a saved queue; filters "
        "given alongside replace its values. Each case carries its priority with the components that make it, "
        "its language (and whether the partner gave it or it was detected), the routing stage it has reached "
        "and, when someone holds it, why they got it."
    ),
)
@paginate(QueuePagination)
def list_queue(request: ApiRequest, filters: Query[QueueQuery]) -> Any:
    data = filters.model_dump(exclude_none=True)
    saved = data.pop("saved", None)
    return queue_list(actor=request.auth, filters=data, saved_id=saved, now=clock.now())


@router.post(
    "/claim-next",
    response=ClaimOut,
    summary="Take the most urgent case you are qualified for (or get back the one you hold)",
    description=(
        "Routes by language (exact tag with dialect first; after configured waits the same language in any "
        "dialect, then reviewers covering the country or region, then anyone qualified: translation needed) and "
        "never hands out a restricted category without the clearance. The claim is a lease "
        "(`lease_expires_at`): renew it with `/heartbeat` while you work. `case` is null when nothing is waiting "
        "for you. 409 `off_shift` when your profile is off shift."
    ),
)
def claim_next(request: ApiRequest) -> dict[str, Any]:
    case = services.case_claim_next(actor=request.auth)
    return {"case": one_case_out(case) if case is not None else None}


@router.post("/cases/{case_id}/heartbeat", response=QueueCaseOut,
             summary="Renew your lease on a case you hold (409 `not_holder` once it is gone)")
def heartbeat(request: ApiRequest, case_id: uuid.UUID) -> dict[str, Any]:
    return one_case_out(services.case_heartbeat(actor=request.auth, case_id=case_id))


@router.post("/cases/{case_id}/release", response=QueueCaseOut,
             summary="Give a case you hold back to the queue (leads: anyone's)")
def release(request: ApiRequest, case_id: uuid.UUID, payload: ReasonIn | None = None) -> dict[str, Any]:
    reason = payload.reason if payload is not None else ""
    return one_case_out(services.case_release(actor=request.auth, case_id=case_id, reason=reason))


@router.post("/cases/{case_id}/hold", response=QueueCaseOut,
             summary="Put a case on hold, waiting for information from the partner (reason required)")
def hold(request: ApiRequest, case_id: uuid.UUID, payload: HoldIn) -> dict[str, Any]:
    return one_case_out(services.case_hold(actor=request.auth, case_id=case_id, reason=payload.reason))


@router.post("/cases/{case_id}/unhold", response=QueueCaseOut, summary="Return a held case to the queue")
def unhold(request: ApiRequest, case_id: uuid.UUID, payload: ReasonIn | None = None) -> dict[str, Any]:
    reason = payload.reason if payload is not None else ""
    return one_case_out(services.case_unhold(actor=request.auth, case_id=case_id, reason=reason))


@router.post(
    "/cases/{case_id}/reassign",
    response=QueueCaseOut,
    summary="Hand a case to a named reviewer, with a reason (escalation leads)",
    description="The reviewer must be able to claim cases and hold the clearances the case needs.",
)
def reassign(request: ApiRequest, case_id: uuid.UUID, payload: ReassignIn) -> dict[str, Any]:
    case = services.case_reassign(actor=request.auth, case_id=case_id, reviewer=payload.reviewer,
                                  reason=payload.reason)
    return one_case_out(case)


# --------------------------------------------------------------------------------------------
# Comments and tags
# --------------------------------------------------------------------------------------------


def comment_out(comment: CaseComment) -> dict[str, Any]:
    return {"id": comment.id, "author": person_out(comment.author), "body": comment.body,
            "created_at": comment.created_at}


@router.get("/cases/{case_id}/comments", response=list[CommentOut],
            summary="Internal comments on a case, oldest first (never shown to partners)")
def list_comments(request: ApiRequest, case_id: uuid.UUID) -> list[dict[str, Any]]:
    return [comment_out(c) for c in workspace.comment_list(actor=request.auth, case_id=case_id)]


@router.post("/cases/{case_id}/comments", response=CommentOut, summary="Add an internal comment to a case")
def add_comment(request: ApiRequest, case_id: uuid.UUID, payload: CommentIn) -> dict[str, Any]:
    return comment_out(workspace.comment_add(actor=request.auth, case_id=case_id, body=payload.body))


@router.get("/cases/{case_id}/tags", response=TagsOut, summary="A case's labels")
def list_tags(request: ApiRequest, case_id: uuid.UUID) -> dict[str, Any]:
    case = routing_case_get(actor=request.auth, case_id=case_id)
    return {"tags": workspace.case_tags(case.pk)}


@router.post("/cases/{case_id}/tags", response=TagsOut, summary="Put a label on a case")
def add_tag(request: ApiRequest, case_id: uuid.UUID, payload: TagIn) -> dict[str, Any]:
    return {"tags": workspace.tag_add(actor=request.auth, case_id=case_id, label=payload.label)}


@router.delete("/cases/{case_id}/tags/{label}", response=TagsOut, summary="Take a label off a case")
def remove_tag(request: ApiRequest, case_id: uuid.UUID, label: str) -> dict[str, Any]:
    return {"tags": workspace.tag_remove(actor=request.auth, case_id=case_id, label=label)}


# --------------------------------------------------------------------------------------------
# Saved queues
# --------------------------------------------------------------------------------------------


def saved_out(queue: SavedQueue) -> dict[str, Any]:
    return {"id": queue.pk, "name": queue.name, "filters": queue.filters, "shared": queue.shared,
            "owner": person_out(queue.owner), "created_at": queue.created_at, "updated_at": queue.updated_at}


@router.get("/saved", response=list[SavedQueueOut], summary="Your saved queues and those others shared")
def list_saved(request: ApiRequest) -> list[dict[str, Any]]:
    return [saved_out(q) for q in saved_queue_visible(actor=request.auth).order_by("name", "pk")]


@router.post("/saved", response={201: SavedQueueOut}, summary="Save queue filters under a name")
def create_saved(request: ApiRequest, payload: SavedQueueIn) -> Status[dict[str, Any]]:
    queue = workspace.saved_queue_create(actor=request.auth, name=payload.name, filters=payload.filters,
                                         shared=payload.shared)
    return Status(201, saved_out(queue))


@router.get("/saved/{saved_id}", response=SavedQueueOut, summary="One saved queue")
def get_saved(request: ApiRequest, saved_id: int) -> dict[str, Any]:
    return saved_out(saved_queue_get(actor=request.auth, saved_id=saved_id))


@router.put("/saved/{saved_id}", response=SavedQueueOut, summary="Replace a saved queue you own")
def update_saved(request: ApiRequest, saved_id: int, payload: SavedQueueIn) -> dict[str, Any]:
    queue = workspace.saved_queue_update(actor=request.auth, saved_id=saved_id, name=payload.name,
                                         filters=payload.filters, shared=payload.shared)
    return saved_out(queue)


@router.delete("/saved/{saved_id}", response={204: None}, summary="Delete a saved queue you own")
def delete_saved(request: ApiRequest, saved_id: int) -> Status[None]:
    workspace.saved_queue_delete(actor=request.auth, saved_id=saved_id)
    return Status(204, None)


# --------------------------------------------------------------------------------------------
# Reviewer skills and shifts
# --------------------------------------------------------------------------------------------


def skills_out(user: User, profile: ReviewerProfile | None) -> dict[str, Any]:
    return {
        "user": person_out(user),
        "languages": profile.languages if profile else [],
        "countries": profile.countries if profile else [],
        "regions": profile.regions if profile else [],
        "policy_areas": profile.policy_areas if profile else [],
        "clearances": profile.clearances if profile else [],
        "timezone": profile.timezone if profile else "",
        "is_active": profile.is_active if profile else True,
        "on_shift": profile.on_shift if profile else True,
        "updated_at": profile.updated_at if profile else None,
    }


@router.get("/reviewers", response=list[SkillsOut],
            summary="Reviewers' skills (escalation leads, programme managers, administrators)")
def list_reviewers(request: ApiRequest) -> list[dict[str, Any]]:
    return [skills_out(p.user, p) for p in reviewer_list(actor=request.auth)]


@router.get("/reviewers/{user_id}", response=SkillsOut, summary="A reviewer's skills (your own, or as a manager)")
def get_reviewer(request: ApiRequest, user_id: int) -> dict[str, Any]:
    user, profile = reviewer_get(actor=request.auth, user_id=user_id)
    return skills_out(user, profile)


@router.put(
    "/reviewers/{user_id}",
    response=SkillsOut,
    summary="Set a reviewer's skills (replaces them all; audited)",
    description="Languages are BCP 47 tags with an optional dialect or region (ar-SD, ar-EG, ur, es-VE).",
)
def put_reviewer(request: ApiRequest, user_id: int, payload: SkillsIn) -> dict[str, Any]:
    profile = reviewers.reviewer_skills_set(actor=request.auth, user_id=user_id, **payload.model_dump())
    return skills_out(profile.user, profile)


@router.post("/shift", response=SkillsOut, summary="Start or end your shift (only reviewers on shift are routed)")
def set_shift(request: ApiRequest, payload: ShiftIn) -> dict[str, Any]:
    profile = reviewers.reviewer_shift_set(actor=request.auth, on_shift=payload.on_shift)
    return skills_out(profile.user, profile)
