"""Reads of the signal exchange: a peer's feed, and what staff may see.

The feed is pulled with a cursor, like ThreatExchange's ``threat_updates``:
each page holds the signals changed since the cursor (new, updated or
withdrawn), oldest change first, and the cursor to ask with next. A peer
that keeps its last cursor sees every change once.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.models import Organisation
from trustline.accounts.permissions import Actor, Perm, require
from trustline.core import clock
from trustline.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from trustline.signals.choices import TLP_ORDER, Direction, SignalStatus, Tlp, tlp_rank
from trustline.signals.models import SharingAgreement, Signal, SignalMatch

# A change becomes visible in feeds this long after it was written. Why: ``updated_at`` is set before
# COMMIT, so a transaction that commits late could carry an instant a reader has already passed; no
# signal write takes this long, so a peer never skips one.
SETTLE = dt.timedelta(seconds=30)
MAX_PAGE = 1000


@dataclass(frozen=True)
class FeedPage:
    signals: list[Signal]
    next_cursor: str
    has_more: bool


def _cursor_encode(signal: Signal) -> str:
    return base64.urlsafe_b64encode(f"{signal.updated_at.isoformat()}|{signal.pk}".encode()).decode().rstrip("=")


def _cursor_decode(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _sep, pk = raw.partition("|")
        moment = dt.datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment, uuid.UUID(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed.field("cursor", "not a cursor this feed gave out; start without one") from exc


def active_agreement_of(organisation: Organisation | None) -> SharingAgreement | None:
    """The peer platform's agreement when it is active (``None`` for any other organisation)."""
    if organisation is None or organisation.kind != OrganisationKind.PEER_PLATFORM:
        return None
    return SharingAgreement.objects.filter(peer=organisation, is_active=True).first()


def platform_organisation() -> Organisation | None:
    """The platform's own team (the source of our signals in a STIX bundle); the first if there are several."""
    return Organisation.objects.filter(kind=OrganisationKind.PLATFORM).order_by("pk").first()


def feed_allowed(agreement: SharingAgreement) -> Q:
    """The outbound signals an agreement lets its peer receive: TLP at most its ``max_tlp`` (never RED),
    in its categories (all when it names none)."""
    allowed = [level for level in TLP_ORDER if tlp_rank(level) <= tlp_rank(agreement.max_tlp) and level != Tlp.RED]
    condition = Q(direction=Direction.OUTBOUND, tlp__in=allowed)
    if agreement.categories:
        condition &= Q(category__in=agreement.categories)
    return condition


def feed_for_peer(*, actor: Actor, cursor: str = "", limit: int = 100) -> FeedPage:
    """One page of the signals shared with the actor's peer platform, changed after ``cursor``."""
    require(actor, Perm.SIGNAL_EXCHANGE)
    agreement = active_agreement_of(actor.organisation)
    if agreement is None:
        raise PermissionDenied("Your organisation has no active agreement to receive signals.", code="no_agreement")
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed.field("limit", f"between 1 and {MAX_PAGE}")
    signals = Signal.objects.filter(feed_allowed(agreement), updated_at__lte=clock.now() - SETTLE)
    if cursor:
        at, pk = _cursor_decode(cursor)
        signals = signals.filter(Q(updated_at__gt=at) | Q(updated_at=at, pk__gt=pk))
    page = list(signals.order_by("updated_at", "id")[: limit + 1])
    has_more = len(page) > limit
    page = page[:limit]
    return FeedPage(signals=page, next_cursor=_cursor_encode(page[-1]) if page else cursor, has_more=has_more)


def _sees_exchange(actor: Actor) -> bool:
    """Staff who may see the exchange (signals, agreements, matches); everyone else sees nothing of it."""
    return actor.has(Perm.SIGNAL_VIEW) and actor.is_staff_side


def signals_visible(*, actor: Actor) -> QuerySet[Signal]:
    """Every signal, ours and peers', for staff who may see the exchange; nothing for anyone else."""
    if not _sees_exchange(actor):
        raise NotFound("Not found.")
    return Signal.objects.select_related("organisation").order_by("-updated_at", "-id")


def signal_get(*, actor: Actor, signal_id: uuid.UUID) -> Signal:
    signal = signals_visible(actor=actor).filter(pk=signal_id).first()
    if signal is None:
        raise NotFound("Signal not found.")
    return signal


def agreements_visible(*, actor: Actor) -> QuerySet[SharingAgreement]:
    if not _sees_exchange(actor):
        raise NotFound("Not found.")
    return SharingAgreement.objects.select_related("peer").order_by("peer__slug")


def peer_platforms(*, actor: Actor) -> QuerySet[Organisation]:
    """Every peer platform organisation, with or without an agreement (staff who see the exchange)."""
    if not _sees_exchange(actor):
        raise NotFound("Not found.")
    return Organisation.objects.filter(kind=OrganisationKind.PEER_PLATFORM).order_by("name")


def matches_visible(*, actor: Actor) -> QuerySet[SignalMatch]:
    """Which of our cases peers' signals name, newest first (staff)."""
    if not _sees_exchange(actor):
        raise NotFound("Not found.")
    return SignalMatch.objects.select_related("signal", "signal__organisation").order_by("-matched_at", "-id")


def case_peer_signals(*, actor: Actor, case_id: uuid.UUID) -> list[SignalMatch]:
    """The peers' active signals that name this case's content, for its page (empty if the actor may not see)."""
    if not _sees_exchange(actor):
        return []
    return list(SignalMatch.objects.filter(case_id=case_id, signal__status=SignalStatus.ACTIVE)
                .select_related("signal", "signal__organisation").order_by("matched_at"))


def case_shared_signal(*, actor: Actor, case_id: uuid.UUID) -> Signal | None:
    """Our signal taken from this case, if any (for its page; ``None`` if the actor may not see the exchange)."""
    if not _sees_exchange(actor):
        return None
    return Signal.objects.filter(case_id=case_id, direction=Direction.OUTBOUND).order_by("-updated_at").first()
