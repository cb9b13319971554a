"""Crisis Policy Protocol API: designate, change and end crises; list them; the crisis view's figures.

Staff only: partners get 404 for everything here (they must not learn what
is declared); staff whose role lacks the permission get 403. Programme
managers (and administrators) designate, change and end; staff who work
cases read.
"""

from typing import Any

from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from trustline.accounts.permissions import Perm
from trustline.core import clock
from trustline.core.types import ApiRequest
from trustline.crisis.choices import LEVEL_BOOST, LEVEL_SLA_FACTOR
from trustline.crisis.models import Crisis
from trustline.crisis.schemas import (
    CrisisEndIn,
    CrisisFilter,
    CrisisIn,
    CrisisOut,
    CrisisPatch,
    FiguresOut,
    FiguresQuery,
)
from trustline.crisis.selectors import crisis_access, crisis_get, crisis_list
from trustline.crisis.services import CrisisInput, crisis_change, crisis_designate, crisis_end, tag_for
from trustline.crisis.stats import crisis_figures
from trustline.review.paging import Mapped

router = Router(tags=["crisis"])


def crisis_out(crisis: Crisis) -> dict[str, Any]:
    return {
        "id": crisis.pk, "name": crisis.name, "slug": crisis.slug, "tag": tag_for(crisis),
        "state": crisis.state_at(clock.now()), "countries": crisis.countries, "regions": crisis.regions,
        "languages": crisis.languages, "categories": crisis.categories,
        "partners": [{"id": p.pk, "slug": p.slug, "name": p.name} for p in crisis.partners.all()],
        "level": crisis.level, "boost": LEVEL_BOOST.get(crisis.level, 0),
        "sla_factor": LEVEL_SLA_FACTOR.get(crisis.level, 1.0), "starts_at": crisis.starts_at,
        "ends_at": crisis.ends_at, "notes": crisis.notes, "oncall_schedule": crisis.oncall_schedule_id,
        "saved_queue": crisis.saved_queue_id,
        "designated_by": crisis.designated_by.username if crisis.designated_by else None,
        "ended_by": crisis.ended_by.username if crisis.ended_by else None,
        "created_at": crisis.created_at, "updated_at": crisis.updated_at,
    }


@router.get("", response=list[CrisisOut], summary="Crises, newest first (past ones stay listed)")
@paginate(LimitOffsetPagination)
def list_crises(request: ApiRequest, filters: Query[CrisisFilter]) -> Any:
    return Mapped(crisis_list(actor=request.auth, state=filters.state), crisis_out)


@router.post(
    "",
    response={201: CrisisOut},
    summary="Designate a crisis (programme managers)",
    description=(
        "Open cases it covers are re-scored in the background: a priority boost by level (100/200/300), a tighter "
        "SLA variant (x0.75/x0.5/x0.25), the label crisis:<slug>, and a shared saved queue for the designator."
    ),
)
def designate_crisis(request: ApiRequest, payload: CrisisIn) -> Status[dict[str, Any]]:
    crisis_access(request.auth, Perm.CRISIS_MANAGE)
    crisis = crisis_designate(actor=request.auth, data=CrisisInput(**payload.model_dump()))
    return Status(201, crisis_out(crisis_get(actor=request.auth, crisis_id=crisis.pk)))


@router.get("/{crisis_id}", response=CrisisOut, summary="One crisis")
def get_crisis(request: ApiRequest, crisis_id: str) -> dict[str, Any]:
    return crisis_out(crisis_get(actor=request.auth, crisis_id=crisis_id))


@router.patch("/{crisis_id}", response=CrisisOut, summary="Change a crisis that has not ended (programme managers)")
def change_crisis(request: ApiRequest, crisis_id: str, payload: CrisisPatch) -> dict[str, Any]:
    data = CrisisInput(**payload.model_dump(exclude_unset=True))
    return crisis_out(crisis_change(actor=request.auth, crisis_id=crisis_id, data=data))


@router.post("/{crisis_id}/end", response=CrisisOut, summary="End a crisis now (programme managers)")
def end_crisis(request: ApiRequest, crisis_id: str, payload: CrisisEndIn | None = None) -> dict[str, Any]:
    reason = payload.reason if payload is not None else ""
    return crisis_out(crisis_end(actor=request.auth, crisis_id=crisis_id, reason=reason))


@router.get(
    "/{crisis_id}/figures",
    response=FiguresOut,
    summary="The crisis view: volume, backlog by tier, SLA attainment, top categories and partners",
    description="Compared with the same number of whole weeks before the crisis started.",
)
def crisis_figures_api(request: ApiRequest, crisis_id: str, query: Query[FiguresQuery]) -> dict[str, Any]:
    crisis = crisis_get(actor=request.auth, crisis_id=crisis_id)
    return crisis_figures(crisis=crisis, bucket=query.bucket)
