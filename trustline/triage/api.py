"""Staff triage API: a case's tier, priority with its reasons, deadlines and breaches; manual re-tiering.

Partners (and anyone without ``case.view``) get 404 here, exactly as for a
case that does not exist: cases are the platform's working objects.
"""

from typing import Any

from ninja import Router

from trustline.cases.models import Case
from trustline.core.types import ApiRequest
from trustline.triage.schemas import RetierIn, TriageCaseOut
from trustline.triage.selectors import triage_case_get
from trustline.triage.services import case_retier

router = Router(tags=["triage"])


def case_out(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "status": case.status,
        "is_open": case.is_open,
        "category": case.category_code,
        "country": case.country,
        "imminent_harm": case.imminent_harm,
        "item_count": case.item_count,
        "partner_count": case.partner_count,
        "reach": case.reach,
        "tier": case.tier,
        "priority": case.priority,
        "priority_components": case.priority_components or {},
        "priority_computed_at": case.priority_computed_at,
        "triaged_at": case.triaged_at,
        "sla_policy": case.sla_policy_snapshot or {},
        "acknowledged_at": case.acknowledged_at,
        "ack_due_at": case.ack_due_at,
        "decide_due_at": case.decide_due_at,
        "ack_breached": case.ack_breached,
        "decide_breached": case.decide_breached,
        "breaches": list(case.sla_breaches.all()),
    }


@router.get(
    "/cases/{case_id}",
    response=TriageCaseOut,
    summary="A case's tier, priority (with the components that make it), SLA deadlines and breaches",
)
def get_case(request: ApiRequest, case_id: str) -> dict[str, Any]:
    # No @requires: the selector answers 404 to anyone without case.view, so partners cannot probe ids.
    return case_out(triage_case_get(actor=request.auth, case_id=case_id))


@router.post(
    "/cases/{case_id}/retier",
    response=TriageCaseOut,
    summary="Set a case's severity tier by hand, with a reason (escalation leads)",
    description=(
        "Recomputes the priority and the acknowledge/decide deadlines from the new tier (counted from when the "
        "case was opened). The reason is required and audited; partners see the new tier and decide-by time on "
        "their report timeline, never the reason. 403 without the case.retier permission; 404 for partners."
    ),
)
def retier_case(request: ApiRequest, case_id: str, payload: RetierIn) -> dict[str, Any]:
    return case_out(case_retier(actor=request.auth, case_id=case_id, tier=payload.tier, reason=payload.reason))
