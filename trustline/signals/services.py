"""Writes of the signal exchange: agreements, sharing and withdrawing our signals, receiving a peer's.

Why a hub shares signals: content that incites violence in Sudan is rarely
on one platform only. Peers exchange indicators (a URL, a file's hash, a
phrase) under explicit rules: which peer, which categories, and how far each
signal may travel (TLP 2.0). Signals are not proof: a peer's signal never
decides anything here; it is shown to the reviewers of the matching case.

Every write is audited in its transaction. Nothing is pushed: peers pull
their feed (:func:`trustline.signals.selectors.feed_for_peer`), so there is
no side effect to send after commit.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.models import Organisation
from trustline.accounts.permissions import Actor, Perm, require
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from trustline.intake.canonical import UrlRejected, canonicalize_url
from trustline.review.choices import DecisionStatus, Outcome
from trustline.review.models import Decision
from trustline.signals.choices import Direction, Opinion, SignalStatus, SignalType, Tlp, tlp_rank
from trustline.signals.models import MatchSweep, SharingAgreement, Signal, SignalFeedback, SignalMatch
from trustline.signals.selectors import active_agreement_of, feed_allowed
from trustline.taxonomy.selectors import active_categories

MAX_TEXT = 2000
MAX_TAGS = 20
MAX_TAG = 64
MAX_DESCRIPTION = 1000
_HEX = {SignalType.URL_MD5: 32, SignalType.VIDEO_MD5: 32, SignalType.VIDEO_SHA256: 64, SignalType.PDQ: 64}
_HEX_RE = re.compile(r"^[0-9a-f]+$")


@dataclass(frozen=True)
class Checked:
    """A signal's value in its stored form, and the case key of a URL."""

    value: str
    key_hash: str


def signal_value_check(signal_type: str, value: str) -> Checked:
    """The stored form of ``value`` for ``signal_type``, or a 422 naming ``value`` and why.

    URLs are canonicalised like reported URLs (so a peer's ``m.`` link finds
    our case); hashes are lowercase hexadecimal of their type's length;
    texts are trimmed and bounded.
    """
    text = (value or "").strip()
    if not text:
        raise ValidationFailed.field("value", "required")
    if signal_type == SignalType.URL:
        try:
            canonical = canonicalize_url(text)
        except UrlRejected as exc:
            raise ValidationFailed.field("value", str(exc)) from exc
        return Checked(canonical.url, canonical.key_hash)
    if signal_type in _HEX:
        digits = text.lower()
        if len(digits) != _HEX[SignalType(signal_type)] or not _HEX_RE.match(digits):
            raise ValidationFailed.field(
                "value", f"a {signal_type} is {_HEX[SignalType(signal_type)]} hexadecimal digits")
        return Checked(digits, "")
    if len(text) > MAX_TEXT:
        raise ValidationFailed.field("value", f"at most {MAX_TEXT} characters")
    return Checked(text, "")


def _check_marking(tlp: str, opinion: str, *, field: str = "tlp") -> None:
    """A TLP 2.0 level other than RED, and an opinion by its ThreatExchange name; else a 422 naming the field."""
    if tlp not in Tlp.values:
        raise ValidationFailed.field(field, f"one of {', '.join(t for t in Tlp.values if t != Tlp.RED)}")
    if tlp == Tlp.RED:
        raise ValidationFailed.field(field, "TLP:RED names individual recipients; it never goes into a feed")
    if opinion not in Opinion.values:
        raise ValidationFailed.field("opinion", f"one of {', '.join(Opinion.values)}")


def _check_category(category: str, *, field: str = "category") -> str:
    code = (category or "").strip()
    if code and code not in active_categories():
        raise ValidationFailed.field(field, f"unknown category {code!r} (GET /api/v1/taxonomy lists them)")
    return code


def _check_tags(tags: Sequence[str]) -> list[str]:
    cleaned = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    if len(cleaned) > MAX_TAGS or any(len(t) > MAX_TAG for t in cleaned):
        raise ValidationFailed.field("tags", f"at most {MAX_TAGS} tags of at most {MAX_TAG} characters")
    return cleaned


def _check_description(description: str, *, field: str = "description") -> str:
    text = (description or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise ValidationFailed.field(field, f"at most {MAX_DESCRIPTION} characters")
    return text


# --------------------------------------------------------------------------------------------
# Agreements
# --------------------------------------------------------------------------------------------


def _peer(slug: str) -> Organisation:
    peer = Organisation.objects.filter(slug=slug, kind=OrganisationKind.PEER_PLATFORM).first()
    if peer is None:
        raise NotFound("No peer platform with this slug.")
    return peer


@transaction.atomic
def agreement_set(
    *, actor: Actor, peer_slug: str, categories: Sequence[str] = (), max_tlp: str = Tlp.GREEN,
    accepts_inbound: bool = True, is_active: bool = True, note: str = "",
) -> SharingAgreement:
    """Create or replace the agreement with one peer platform; audited with what changed."""
    require(actor, Perm.SIGNAL_AGREEMENT_MANAGE)
    peer = _peer(peer_slug)
    _check_marking(max_tlp, Opinion.POSITIVE_CLASS, field="max_tlp")
    codes = sorted({_check_category(c, field="categories") for c in categories} - {""})
    now = clock.now()
    wanted = {"categories": codes, "max_tlp": str(max_tlp), "accepts_inbound": accepts_inbound,
              "is_active": is_active, "note": note.strip()[:2000]}
    agreement = SharingAgreement.objects.select_for_update().filter(peer=peer).first()
    if agreement is None:
        agreement = SharingAgreement.objects.create(peer=peer, created_at=now, updated_at=now, **wanted)
        changes = {name: {"from": None, "to": value} for name, value in wanted.items()}
    else:
        changes = {name: {"from": getattr(agreement, name), "to": value}
                   for name, value in wanted.items() if getattr(agreement, name) != value}
        for name, change in changes.items():
            setattr(agreement, name, change["to"])
        agreement.updated_at = now
        agreement.save()
    if changes:
        audit_record(actor=actor, action=AuditAction.SIGNAL_AGREEMENT_SET, target=peer, data={"changes": changes})
    return agreement


# --------------------------------------------------------------------------------------------
# Our signals
# --------------------------------------------------------------------------------------------


def _violating_case(case_id: uuid.UUID) -> Case:
    """A case whose effective decision found it violating: the only cases we vouch for to peers."""
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        raise NotFound("Case not found.")
    decision = (Decision.objects.filter(case=case, status=DecisionStatus.EFFECTIVE)
                .order_by("-effective_at").only("outcome").first())
    if decision is None or decision.outcome != Outcome.VIOLATING:
        raise Conflict("Only a case decided as violating can be shared with peer platforms.",
                       code="not_violating", fields={"case_id": ["not decided as violating"]})
    if not case.canonical_url:
        raise ValidationFailed.field("case_id", "this case is about a platform id, not a URL; share its value")
    return case


@transaction.atomic
def signal_share(
    *, actor: Actor, tlp: str, case_id: uuid.UUID | None = None, signal_type: str = "", value: str = "",
    category: str = "", opinion: str = Opinion.POSITIVE_CLASS, tags: Sequence[str] = (), description: str = "",
) -> tuple[Signal, bool]:
    """Share a signal with the peers whose agreements allow it; returns it and whether it is new.

    From a case (``case_id``): its canonical URL and category, once it is
    decided as violating. Otherwise ``signal_type``, ``value`` and
    ``category`` as given (a campaign's phrase, a video's hash). The same
    type and value again updates the one signal (and brings back a withdrawn
    one); its TLP may only become less strict, since peers may already hold it.
    """
    require(actor, Perm.SIGNAL_SHARE)
    if actor.organisation is None or not actor.organisation.is_platform:
        raise PermissionDenied("Signals are shared by the platform's team.")
    _check_marking(tlp, opinion)
    case = None
    if case_id is not None:
        case = _violating_case(case_id)
        signal_type, checked = SignalType.URL, signal_value_check(SignalType.URL, case.canonical_url)
        category = _check_category(category or case.category_code)
    else:
        if signal_type not in SignalType.values:
            raise ValidationFailed.field("signal_type", f"one of {', '.join(SignalType.values)}")
        checked = signal_value_check(signal_type, value)
        category = _check_category(category)
        if not category:
            raise ValidationFailed.field("category", "required for a signal that is not taken from a case")
    fields: dict[str, object] = {
        "tlp": str(tlp), "category": category, "opinion": str(opinion), "tags": _check_tags(tags),
        "description": _check_description(description), "key_hash": checked.key_hash}
    if case is not None:
        fields["case"] = case
    signal, created = _store(actor=actor, direction=Direction.OUTBOUND, organisation=actor.organisation,
                             signal_type=signal_type, value=checked.value, fields=fields)
    audit_record(actor=actor, action=AuditAction.SIGNAL_SHARED, target=signal, data={
        "signal_type": signal_type, "tlp": tlp, "category": category, "case": str(case.pk) if case else None,
        "new": created})
    return signal, created


def _store(
    *, actor: Actor, direction: str, organisation: Organisation, signal_type: str, value: str,
    fields: dict[str, object],
) -> tuple[Signal, bool]:
    """Create the one signal of (source, type, value), or update it and make it active again.

    1. Lock the existing row, if any. Ours may not become stricter nor
       change category (peers may already hold it, and one whose agreement
       no longer covers it would never hear of the change); a peer's own
       update is taken as sent.
    2. Insert or update inside a savepoint. The same value sent twice at once:
       the second INSERT fails on ``signal_one_per_source`` once the first
       commits, and is retried as an update of that row.
    """
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _store_once(actor, direction, organisation, signal_type, value, fields)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _store_once(actor: Actor, direction: str, organisation: Organisation, signal_type: str, value: str,
                fields: dict[str, object]) -> tuple[Signal, bool]:
    now = clock.now()
    signal = Signal.objects.select_for_update().filter(organisation=organisation, signal_type=signal_type,
                                                       value=value).first()
    if signal is None:
        created = Signal.objects.create(direction=direction, organisation=organisation, signal_type=signal_type,
                                        value=value, created_by=actor.user, created_by_actor=actor.audit_id,
                                        created_at=now, updated_at=now, **fields)
        return created, True
    if direction == Direction.OUTBOUND and tlp_rank(str(fields["tlp"])) > tlp_rank(signal.tlp):
        raise Conflict(f"This signal was shared as {signal.get_tlp_display()}; peers may already hold it, so "
                       "its marking cannot become stricter.", code="tlp_stricter", fields={"tlp": ["stricter"]})
    if direction == Direction.OUTBOUND and signal.category and fields["category"] != signal.category:
        # A peer whose agreement covers only the old category would never see the change, and keep its copy.
        raise Conflict(f"This signal was shared under {signal.category}; withdraw it rather than move it.",
                       code="category_changed", fields={"category": ["differs from the shared signal's"]})
    for name, new in fields.items():
        setattr(signal, name, new)
    signal.status, signal.withdrawn_at, signal.withdrawn_reason = SignalStatus.ACTIVE, None, ""
    signal.updated_at = now
    signal.save()
    return signal, False


@transaction.atomic
def signal_withdraw(*, actor: Actor, signal_id: uuid.UUID, reason: str) -> Signal:
    """Take a signal back: peers see it as withdrawn in their next feed and should drop it.

    Staff withdraw ours; a peer withdraws only its own. Withdrawing twice is
    a no-op that returns the signal.
    """
    signal = Signal.objects.select_for_update().filter(pk=signal_id).first()
    own_peer_signal = signal is not None and actor.has(Perm.SIGNAL_EXCHANGE) and \
        signal.direction == Direction.INBOUND and signal.organisation_id == actor.organisation_id
    staff_signal = signal is not None and actor.has(Perm.SIGNAL_SHARE) and actor.is_staff_side and \
        signal.direction == Direction.OUTBOUND
    if signal is None or not (own_peer_signal or staff_signal):
        raise NotFound("Signal not found.")
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed.field("reason", "required: peers and auditors read why")
    if signal.status == SignalStatus.WITHDRAWN:
        return signal
    now = clock.now()
    signal.status, signal.withdrawn_at, signal.withdrawn_reason, signal.updated_at = (
        SignalStatus.WITHDRAWN, now, text[:2000], now)
    signal.save(update_fields=["status", "withdrawn_at", "withdrawn_reason", "updated_at"])
    audit_record(actor=actor, action=AuditAction.SIGNAL_WITHDRAWN, target=signal, data={"reason": text[:2000]})
    return signal


# --------------------------------------------------------------------------------------------
# A peer's signals
# --------------------------------------------------------------------------------------------


def _open_cases_by_key(key_hashes: set[str]) -> dict[str, list[uuid.UUID]]:
    """The open cases of each content key, in one query (a batch of signals asks once, not once per signal)."""
    found: dict[str, list[uuid.UUID]] = {}
    for key_hash, case_id in Case.objects.filter(key_hash__in=key_hashes - {""}, is_open=True).values_list(
            "key_hash", "id"):
        found.setdefault(key_hash, []).append(case_id)
    return found


def _matches_for(signal: Signal, now: dt.datetime, actor: Actor,
                 open_cases: dict[str, list[uuid.UUID]] | None = None) -> list[SignalMatch]:
    """Record (once) each open case about the content an inbound URL signal names; audited per case.

    ``open_cases`` (from :func:`_open_cases_by_key`) saves the lookup when the caller has them already.
    """
    if not signal.key_hash or signal.status != SignalStatus.ACTIVE:
        return []
    if open_cases is None:
        open_cases = _open_cases_by_key({signal.key_hash})
    made = []
    for case_id in open_cases.get(signal.key_hash, []):
        match, new = SignalMatch.objects.get_or_create(signal=signal, case_id=case_id,
                                                       defaults={"matched_at": now})
        if new:
            audit_record(actor=actor, action=AuditAction.SIGNAL_MATCHED, target=("cases.case", str(case_id)),
                         data={"signal": str(signal.pk), "peer": signal.organisation_id, "tlp": signal.tlp})
            made.append(match)
    return made


@dataclass(frozen=True)
class Received:
    signal: Signal
    created: bool
    matches: list[SignalMatch]


MAX_BATCH = 500


def _inbound_checked(item: dict[str, Any]) -> tuple[str, Checked, dict[str, object]]:
    """One peer signal's type, stored value and fields, or a 422 naming the field."""
    signal_type, tlp = str(item.get("signal_type", "")), str(item.get("tlp", ""))
    opinion = str(item.get("opinion") or Opinion.POSITIVE_CLASS)
    _check_marking(tlp, opinion)
    if signal_type not in SignalType.values:
        raise ValidationFailed.field("signal_type", f"one of {', '.join(SignalType.values)}")
    checked = signal_value_check(signal_type, str(item.get("value", "")))
    fields: dict[str, object] = {
        "tlp": tlp, "category": _check_category(str(item.get("category") or "")), "opinion": opinion,
        "tags": _check_tags(list(item.get("tags") or [])),
        "description": _check_description(str(item.get("description") or "")), "key_hash": checked.key_hash,
        "external_id": str(item.get("external_id") or "").strip()[:200]}
    return signal_type, checked, fields


def _receiving_peer(actor: Actor) -> Organisation:
    require(actor, Perm.SIGNAL_EXCHANGE)
    agreement = active_agreement_of(actor.organisation)
    if agreement is None or not agreement.accepts_inbound:
        raise PermissionDenied("Your organisation has no agreement to send us signals.", code="no_agreement")
    return agreement.peer


def _receive_checked(actor: Actor, peer: Organisation, signal_type: str, checked: Checked,
                     fields: dict[str, object], open_cases: dict[str, list[uuid.UUID]] | None = None) -> Received:
    signal, created = _store(actor=actor, direction=Direction.INBOUND, organisation=peer, signal_type=signal_type,
                             value=checked.value, fields=fields)
    audit_record(actor=actor, action=AuditAction.SIGNAL_RECEIVED, target=signal, data={
        "signal_type": signal_type, "tlp": fields["tlp"], "category": fields["category"], "new": created})
    return Received(signal, created, _matches_for(signal, clock.now(), actor, open_cases))


@transaction.atomic
def signal_receive(
    *, actor: Actor, signal_type: str, value: str, tlp: str, category: str = "",
    opinion: str = Opinion.POSITIVE_CLASS, tags: Sequence[str] = (), description: str = "", external_id: str = "",
) -> Received:
    """Store a peer platform's signal (or update it: the same type and value from the same peer is one signal).

    The peer needs an active agreement that accepts inbound signals. A URL
    is canonicalised and matched against our open cases at once; cases
    opened later are matched by :func:`signals_match_new_cases`.
    """
    peer = _receiving_peer(actor)
    signal_type, checked, fields = _inbound_checked({
        "signal_type": signal_type, "value": value, "tlp": tlp, "category": category, "opinion": opinion,
        "tags": list(tags), "description": description, "external_id": external_id})
    return _receive_checked(actor, peer, signal_type, checked, fields)


@transaction.atomic
def signals_receive_many(*, actor: Actor, items: Sequence[dict[str, Any]]) -> list[Received]:
    """A peer's batch (a bank's sync): every signal stored, or none, with every bad one named.

    1. The agreement, once; at most :data:`MAX_BATCH` signals.
    2. Check every signal as :func:`signal_receive` does; collect each
       problem under ``signals.<index>.<field>``.
    3. Any problem: a 422 naming all of them, and nothing is stored (a
       retry after fixing them cannot half-duplicate the batch).
    4. Otherwise store each, in order, in this one transaction.
    """
    peer = _receiving_peer(actor)
    if not 1 <= len(items) <= MAX_BATCH:
        raise ValidationFailed.field("signals", f"1 to {MAX_BATCH} signals per request")
    checked_items = []
    problems: dict[str, list[str]] = {}
    for index, item in enumerate(items):
        try:
            checked_items.append(_inbound_checked(item))
        except ValidationFailed as exc:
            for field, reasons in exc.fields.items():
                problems[f"signals.{index}.{field}"] = reasons
    if problems:
        first = next(iter(problems))
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ValidationFailed(f"{first}: {problems[first][0]}{more}; nothing was stored", fields=problems)
    open_cases = _open_cases_by_key({checked.key_hash for _type, checked, _fields in checked_items})
    return [_receive_checked(actor, peer, signal_type, checked, fields, open_cases)
            for signal_type, checked, fields in checked_items]


def signals_match_new_cases(*, actor: Actor, now: dt.datetime | None = None) -> int:
    """Match cases opened since the last sweep against active inbound URL signals; returns matches made.

    1. Take the sweep row (locked, so two workers do not both sweep).
    2. Find cases opened after ``swept_until`` and up to now whose key an
       active inbound signal carries; record each match once.
    3. Move ``swept_until`` to now. A case opened in a transaction that
       commits later than this sweep is caught by the signal's own
       matching at receipt or the next sweep's overlap (one minute back).
    """
    now = now or clock.now()
    made = 0
    with transaction.atomic():
        # The first sweep starts at the oldest active inbound signal: no case opened since then is missed.
        oldest = Signal.objects.filter(direction=Direction.INBOUND, status=SignalStatus.ACTIVE).order_by(
            "created_at").values_list("created_at", flat=True).first()
        MatchSweep.objects.get_or_create(pk=1, defaults={"swept_until": min(oldest or now, now)})
        sweep = MatchSweep.objects.select_for_update().get(pk=1)
        since = sweep.swept_until - dt.timedelta(minutes=1)
        signals = Signal.objects.filter(direction=Direction.INBOUND, status=SignalStatus.ACTIVE).exclude(key_hash="")
        keys = Case.objects.filter(opened_at__gt=since, opened_at__lte=now, is_open=True).values("key_hash")
        matching = list(signals.filter(key_hash__in=keys))
        open_cases = _open_cases_by_key({signal.key_hash for signal in matching})
        for signal in matching:
            made += len(_matches_for(signal, now, actor, open_cases))
        sweep.swept_until = now
        sweep.save(update_fields=["swept_until"])
    return made


REVERSED_REASON = "The decision this signal was taken from no longer stands (reversed on contest or superseded)."


def signals_withdraw_reversed(*, actor: Actor) -> int:
    """Withdraw our signals whose case is no longer decided as violating; returns how many.

    Why: a shared URL says "we found this violating". When a contest
    reverses the decision (a news quote, not a threat), peers still holding
    the signal would act on content we now say is fine. Run every minute, so
    the next feed carries the withdrawal.

    1. Our active signals taken from a case, with the outcome of the case's
       latest effective decision.
    2. Each whose outcome is another than violating is withdrawn, audited,
       with :data:`REVERSED_REASON`.
    """
    standing = (Decision.objects.filter(case=OuterRef("case_id"), status=DecisionStatus.EFFECTIVE)
                .order_by("-effective_at").values("outcome")[:1])
    stale = (Signal.objects.filter(direction=Direction.OUTBOUND, status=SignalStatus.ACTIVE, case__isnull=False)
             .annotate(standing=Subquery(standing)).filter(standing__isnull=False)
             .exclude(standing=Outcome.VIOLATING).values_list("pk", flat=True))
    withdrawn = 0
    for signal_id in list(stale):
        signal_withdraw(actor=actor, signal_id=signal_id, reason=REVERSED_REASON)
        withdrawn += 1
    return withdrawn


@transaction.atomic
def signal_feedback_give(
    *, actor: Actor, signal_id: uuid.UUID, opinion: str, note: str = "",
) -> tuple[SignalFeedback, bool]:
    """A peer's opinion of one of our signals it may receive; replaces its earlier one. Returns it and whether new.

    A signal the peer's agreement does not let it see answers 404, as one
    that does not exist.
    """
    require(actor, Perm.SIGNAL_EXCHANGE)
    agreement = active_agreement_of(actor.organisation)
    if agreement is None:
        raise PermissionDenied("Your organisation has no active agreement.", code="no_agreement")
    signal = Signal.objects.filter(feed_allowed(agreement), pk=signal_id).first()
    if signal is None:
        raise NotFound("Signal not found.")
    if opinion not in Opinion.values:
        raise ValidationFailed.field("opinion", f"one of {', '.join(Opinion.values)}")
    text = _check_description(note, field="note")
    now = clock.now()
    feedback, created = SignalFeedback.objects.select_for_update().get_or_create(
        signal=signal, peer=agreement.peer,
        defaults={"opinion": opinion, "note": text, "created_at": now, "updated_at": now})
    if not created:
        feedback.opinion, feedback.note, feedback.updated_at = opinion, text, now
        feedback.save(update_fields=["opinion", "note", "updated_at"])
    audit_record(actor=actor, action=AuditAction.SIGNAL_FEEDBACK_GIVEN, target=signal,
                 data={"peer": agreement.peer.pk, "opinion": opinion, "new": created})
    return feedback, created
