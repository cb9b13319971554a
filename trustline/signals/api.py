"""Signal exchange API: peer platforms pull their feed and send their signals; staff share, withdraw and read.

* ``/signals/feed`` and ``/signals/feed/stix``: a peer platform's key
  (role ``peer_exchange``) reads what its agreement allows, by cursor.
* ``/signals/inbound``: a peer sends its own signals; a URL is matched
  against our open cases at once.
* ``/signals``, ``/signals/{id}``, ``/signals/matches``, ``/signals/agreements``:
  staff only; anyone else gets 404, as for something that does not exist.
"""


import uuid
from typing import Any

from django.http import JsonResponse
from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from trustline.accounts.permissions import Perm, requires
from trustline.core.types import ApiRequest
from trustline.review.paging import Mapped
from trustline.signals.choices import Opinion
from trustline.signals.models import SharingAgreement, Signal, SignalFeedback, SignalMatch
from trustline.signals.schemas import (
    AgreementIn,
    AgreementOut,
    BatchOut,
    FeedbackIn,
    FeedbackOut,
    FeedOut,
    InboundBatchIn,
    InboundIn,
    MatchOut,
    ReceivedOut,
    ShareIn,
    SignalFilter,
    SignalOut,
    WithdrawIn,
    WithdrawnOut,
)
from trustline.signals.selectors import (
    agreements_visible,
    feed_for_peer,
    matches_visible,
    platform_organisation,
    signal_get,
    signals_visible,
)
from trustline.signals.services import (
    agreement_set,
    signal_feedback_give,
    signal_receive,
    signal_share,
    signal_withdraw,
    signals_receive_many,
)
from trustline.signals.stix import bundle_of

router = Router(tags=["signals"])


def feed_out(signal: Signal) -> dict[str, Any]:
    return {
        "id": signal.pk, "signal_type": signal.signal_type, "value": signal.value, "category": signal.category,
        "tlp": signal.tlp, "opinion": signal.opinion, "tags": list(signal.tags), "description": signal.description,
        "status": signal.status, "created_at": signal.created_at, "updated_at": signal.updated_at,
        "withdrawn_reason": signal.withdrawn_reason,
    }


def feedback_out(feedback: SignalFeedback) -> dict[str, Any]:
    return {"signal_id": feedback.signal_id, "peer": feedback.peer.slug, "opinion": feedback.opinion,
            "note": feedback.note, "created_at": feedback.created_at, "updated_at": feedback.updated_at}


def signal_out(signal: Signal) -> dict[str, Any]:
    """Staff's view of a signal; ``.all()`` so that a list's ``prefetch_related`` serves every row."""
    feedback = [feedback_out(f) for f in sorted(signal.feedback.all(), key=lambda f: f.created_at)]
    return {
        **feed_out(signal), "direction": signal.direction, "organisation": signal.organisation.slug,
        "case_id": signal.case_id, "external_id": signal.external_id,
        "matched_case_ids": [m.case_id for m in sorted(signal.matches.all(), key=lambda m: m.matched_at)],
        "feedback": feedback, "disputed": any(f["opinion"] == Opinion.NEGATIVE_CLASS for f in feedback),
    }


def agreement_out(agreement: SharingAgreement) -> dict[str, Any]:
    return {
        "peer": agreement.peer.slug, "peer_name": agreement.peer.name, "categories": list(agreement.categories),
        "max_tlp": agreement.max_tlp, "accepts_inbound": agreement.accepts_inbound,
        "is_active": agreement.is_active, "note": agreement.note,
        "created_at": agreement.created_at, "updated_at": agreement.updated_at,
    }


def match_out(match: SignalMatch) -> dict[str, Any]:
    signal = match.signal
    return {
        "signal_id": signal.pk, "case_id": match.case_id, "peer": signal.organisation.slug,
        "signal_type": signal.signal_type, "value": signal.value, "tlp": signal.tlp, "opinion": signal.opinion,
        "matched_at": match.matched_at,
    }


# --- Peer platforms -------------------------------------------------------------------------


@router.get("/feed", response=FeedOut, summary="Signals shared with your platform, changed since your cursor")
@requires(Perm.SIGNAL_EXCHANGE)
def feed(request: ApiRequest, cursor: str = "", limit: int = 100) -> dict[str, Any]:
    page = feed_for_peer(actor=request.auth, cursor=cursor, limit=limit)
    return {"items": [feed_out(s) for s in page.signals], "next_cursor": page.next_cursor,
            "has_more": page.has_more}


@router.get(
    "/feed/stix",
    summary="The same page of your feed as a STIX 2.1 bundle",
    description="The next cursor is in the `Trustline-Next-Cursor` header (and `Trustline-Has-More`).",
)
@requires(Perm.SIGNAL_EXCHANGE)
def feed_stix(request: ApiRequest, cursor: str = "", limit: int = 100) -> JsonResponse:
    page = feed_for_peer(actor=request.auth, cursor=cursor, limit=limit)
    response = JsonResponse(bundle_of(page.signals, source=platform_organisation()),
                            content_type="application/stix+json;version=2.1")
    response["Trustline-Next-Cursor"] = page.next_cursor
    response["Trustline-Has-More"] = "true" if page.has_more else "false"
    return response


@router.post("/inbound", response={200: ReceivedOut, 201: ReceivedOut},
             summary="Send us a signal (201 new, 200 the same type and value again)")
@requires(Perm.SIGNAL_EXCHANGE)
def inbound(request: ApiRequest, payload: InboundIn) -> Status[dict[str, Any]]:
    received = signal_receive(actor=request.auth, **payload.model_dump())
    body = {**feed_out(received.signal), "external_id": received.signal.external_id, "new": received.created}
    return Status(201 if received.created else 200, body)


@router.post(
    "/inbound/batch", response=BatchOut, summary="Send us up to 500 signals at once (all stored, or none)",
    description="Every bad signal is named (`signals.3.value`) and then nothing is stored, so the batch can be "
                "sent again once fixed. The same type and value again updates the signal, as one by one.",
)
@requires(Perm.SIGNAL_EXCHANGE)
def inbound_batch(request: ApiRequest, payload: InboundBatchIn) -> dict[str, Any]:
    received = signals_receive_many(actor=request.auth, items=[s.model_dump() for s in payload.signals])
    out = [{**feed_out(r.signal), "external_id": r.signal.external_id, "new": r.created} for r in received]
    created = sum(1 for r in received if r.created)
    return {"received": out, "new": created, "updated": len(received) - created}


@router.post("/{signal_id}/feedback", response={200: FeedbackOut, 201: FeedbackOut},
             summary="Tell us what you found about one of our signals (201 first time, 200 replaced)")
@requires(Perm.SIGNAL_EXCHANGE)
def give_feedback(request: ApiRequest, signal_id: uuid.UUID, payload: FeedbackIn) -> Status[dict[str, Any]]:
    feedback, created = signal_feedback_give(actor=request.auth, signal_id=signal_id, **payload.model_dump())
    return Status(201 if created else 200, feedback_out(feedback))


# --- Staff ------------------------------------------------------------------------------------


@router.get("/agreements", response=list[AgreementOut], summary="Agreements with peer platforms (staff)")
def list_agreements(request: ApiRequest) -> list[dict[str, Any]]:
    return [agreement_out(a) for a in agreements_visible(actor=request.auth)]


@router.put("/agreements/{peer}", response=AgreementOut,
            summary="Set what a peer platform receives and whether it may send (programme managers)")
@requires(Perm.SIGNAL_AGREEMENT_MANAGE)
def put_agreement(request: ApiRequest, peer: str, payload: AgreementIn) -> dict[str, Any]:
    return agreement_out(agreement_set(actor=request.auth, peer_slug=peer, **payload.model_dump()))


@router.post("", response={200: SignalOut, 201: SignalOut},
             summary="Share a signal with peer platforms (201 new, 200 updated)")
@requires(Perm.SIGNAL_SHARE)
def share(request: ApiRequest, payload: ShareIn) -> Status[dict[str, Any]]:
    data = payload.model_dump()
    data["signal_type"] = data["signal_type"] or ""
    signal, created = signal_share(actor=request.auth, **data)
    return Status(201 if created else 200, signal_out(signal))


@router.get("", response=list[SignalOut], summary="Every signal, ours and peers' (staff)")
@paginate(LimitOffsetPagination)
def list_signals(request: ApiRequest, filters: Query[SignalFilter]) -> Any:
    signals = signals_visible(actor=request.auth).prefetch_related("matches", "feedback__peer")
    for name in ("direction", "status", "signal_type"):
        if getattr(filters, name) is not None:
            signals = signals.filter(**{name: getattr(filters, name)})
    if filters.organisation:
        signals = signals.filter(organisation__slug=filters.organisation)
    return Mapped(signals, signal_out)


@router.get("/matches", response=list[MatchOut], summary="Our cases that peers' signals name (staff)")
@paginate(LimitOffsetPagination)
def list_matches(request: ApiRequest) -> Any:
    return Mapped(matches_visible(actor=request.auth), match_out)


@router.get("/{signal_id}", response=SignalOut, summary="One signal (staff)")
def get_signal(request: ApiRequest, signal_id: uuid.UUID) -> dict[str, Any]:
    return signal_out(signal_get(actor=request.auth, signal_id=signal_id))


@router.post("/{signal_id}/withdraw", response=WithdrawnOut,
             summary="Withdraw a signal: staff ours, a peer its own; peers see it withdrawn in their feed")
def withdraw(request: ApiRequest, signal_id: uuid.UUID, payload: WithdrawIn) -> dict[str, Any]:
    signal = signal_withdraw(actor=request.auth, signal_id=signal_id, reason=payload.reason)
    return {**feed_out(signal), "direction": signal.direction}
