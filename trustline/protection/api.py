"""Protected people API: partners nominate and follow their nominations; staff decide and read the registry.

* ``/nominations``: a partner sees (and renews) only its own organisation's
  nominations; programme managers and escalation leads see every one and
  decide them. Anyone else gets 404 for a nomination, as for one that does
  not exist.
* ``/registry``: programme managers, escalation leads and administrators
  only; 404 for everyone else (partners never learn who is protected).
"""

from functools import partial
from typing import Any

from django.db.models import Q
from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from trustline.accounts.permissions import Perm
from trustline.core.exceptions import NotFound
from trustline.core.types import ApiRequest
from trustline.protection.models import Nomination, ProtectedAccount
from trustline.protection.schemas import (
    DecisionIn,
    NominationFilter,
    NominationIn,
    NominationOut,
    ProtectedAccountOut,
    RegistryFilter,
    RenewalIn,
)
from trustline.protection.selectors import nomination_get, nomination_list, protected_account_get, registry_visible
from trustline.protection.services import nomination_decide, nomination_renew, nomination_submit
from trustline.review.paging import Mapped

router = Router(tags=["protection"])


def _staff(request: ApiRequest) -> bool:
    return request.auth.is_staff_side and request.auth.has(Perm.PROTECTION_REGISTRY_VIEW)


def nomination_out(nomination: Nomination, *, staff: bool) -> dict[str, Any]:
    return {
        "id": nomination.pk, "kind": nomination.kind, "renews": nomination.renews_id,
        "organisation": nomination.organisation.slug, "platform": nomination.platform,
        "account_url": nomination.account_url, "account_id": nomination.account_id, "handle": nomination.handle,
        "category": nomination.category, "justification": nomination.justification, "status": nomination.status,
        "submitted_at": nomination.submitted_at, "decided_at": nomination.decided_at, "reason": nomination.reason,
        "protected_until": nomination.protected_until,
        "decided_by": (nomination.decided_by.username if nomination.decided_by else None) if staff else None,
        "protected_account": nomination.protected_account_id if staff else None,
    }


def account_out(account: ProtectedAccount) -> dict[str, Any]:
    return {
        "id": account.pk, "platform": account.platform, "account_url": account.account_url,
        "account_id": account.account_id, "handle": account.handle, "category": account.category,
        "status": account.status, "organisation": account.organisation.slug,
        "protected_since": account.protected_since, "expires_at": account.expires_at,
        "expired_at": account.expired_at,
    }


def _visible_or_404(request: ApiRequest) -> None:
    """Nominations exist only for partners who may nominate and for registry staff."""
    if not (request.auth.has(Perm.PROTECTION_NOMINATE) or _staff(request)):
        raise NotFound("Not found.")


@router.post(
    "/nominations",
    response={201: NominationOut},
    summary="Nominate an at-risk account for protection (partners)",
    description=(
        "Give the account's URL (canonicalised like reported URLs) or its platform id. Staff approve or reject "
        "with a reason; you are told through your notification channels (`protection.nomination_decided`)."
    ),
)
def nominate(request: ApiRequest, payload: NominationIn) -> Status[dict[str, Any]]:
    _visible_or_404(request)
    nomination = nomination_submit(actor=request.auth, **payload.model_dump())
    fresh = nomination_get(actor=request.auth, nomination_id=nomination.pk)
    return Status(201, nomination_out(fresh, staff=_staff(request)))


@router.get("/nominations", response=list[NominationOut],
            summary="Nominations: your organisation's, or (registry staff) all, newest first")
@paginate(LimitOffsetPagination)
def list_nominations(request: ApiRequest, filters: Query[NominationFilter]) -> Any:
    _visible_or_404(request)
    staff = _staff(request)
    qs = nomination_list(actor=request.auth, status=filters.status,
                         organisation=filters.organisation if staff else None)
    return Mapped(qs, partial(nomination_out, staff=staff))


@router.get("/nominations/{nomination_id}", response=NominationOut, summary="One nomination")
def get_nomination(request: ApiRequest, nomination_id: str) -> dict[str, Any]:
    return nomination_out(nomination_get(actor=request.auth, nomination_id=nomination_id), staff=_staff(request))


@router.post("/nominations/{nomination_id}/renew", response={201: NominationOut},
             summary="Ask to renew the protection an approved nomination of yours made (partners)")
def renew(request: ApiRequest, nomination_id: str, payload: RenewalIn) -> Status[dict[str, Any]]:
    _visible_or_404(request)
    renewal = nomination_renew(actor=request.auth, nomination_id=nomination_id, justification=payload.justification)
    fresh = nomination_get(actor=request.auth, nomination_id=renewal.pk)
    return Status(201, nomination_out(fresh, staff=_staff(request)))


@router.post("/nominations/{nomination_id}/decide", response=NominationOut,
             summary="Approve or reject a nomination with a reason (programme managers, escalation leads)")
def decide(request: ApiRequest, nomination_id: str, payload: DecisionIn) -> dict[str, Any]:
    nomination = nomination_decide(actor=request.auth, nomination_id=nomination_id, approve=payload.approve,
                                   reason=payload.reason, days=payload.days)
    return nomination_out(nomination, staff=True)


@router.get("/registry", response=list[ProtectedAccountOut],
            summary="The registry of protected accounts (programme managers, escalation leads)")
@paginate(LimitOffsetPagination)
def list_registry(request: ApiRequest, filters: Query[RegistryFilter]) -> Any:
    qs = registry_visible(actor=request.auth)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.q:
        qs = qs.filter(Q(account_url__icontains=filters.q) | Q(handle__icontains=filters.q.lstrip("@"))
                       | Q(account_id=filters.q))
    return Mapped(qs.order_by("status", "expires_at", "pk"), account_out)


@router.get("/registry/{account_id}", response=ProtectedAccountOut, summary="One protected account")
def get_registry_entry(request: ApiRequest, account_id: str) -> dict[str, Any]:
    return account_out(protected_account_get(actor=request.auth, account_id=account_id))
