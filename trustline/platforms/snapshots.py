"""Content snapshots: what the platform said about reported content, preserved (user need 12).

Reported content changes before anyone reviews it: the author edits or
deletes it, the platform removes it, its audience grows (the Haiti video drew
500,000 views before removal). The live description on the case page shows
only the present. A snapshot keeps what the platform said at a moment: the
text, the author account, reach, media, whether it was online, with a
SHA-256 of the whole, for the reviewer, a contest and a law-enforcement
referral. Its ``views`` also give triage the reach it scores on, which
nothing else tells Trustline.

When (the timer is data: ``Case.snapshot_due_at``, partial index):

* at triage (``triage._triage_claimed`` sets it to now), so within seconds
  of the report;
* again every ``SNAPSHOT_REFRESH_HOURS`` (default 6; 0: never) while the case
  is open and is imminent harm or of tier ``SNAPSHOT_REFRESH_MAX_TIER`` (2) or
  more severe, where growth and removal matter; a tier-3 backlog of many
  thousands is not asked about again and again;
* after an attempt the platform did not answer: 1, 5, 30 and 120 minutes
  later, then at the next regular refresh (if any);
* when a reviewer asks (:func:`snapshot_take`), at once.

:func:`snapshot_sweep` (every 5 s):

1. If the connector in force cannot describe anything (the manual
   connector), clear every planned snapshot and stop.
2. Claim due cases (``SKIP LOCKED``) in a short transaction: closed ones get
   no snapshot (nothing planned any more); open ones have their due time
   moved to a lease, so a worker that dies mid-call is replaced when the
   lease ends, and no other worker asks meanwhile.
3. Ask the connector, outside any transaction (a slow platform holds no
   lock). The connector never raises by contract; if one does, it counts as
   an answer that did not come.
4. Record, in one transaction: lock the case, check the lease is still ours
   (else another worker took over: drop the answer), store the snapshot (or,
   when the platform says exactly what the latest snapshot holds, only note
   that it was unchanged then), set the case's reach from it, plan the next
   one, audit ``content.snapshot_taken``, and when the reach moved its
   priority points recompute the priority (``triage.cases_rescore``).

Snapshots hold personal data (the author, the text): the payload is emptied
under the evidence retention rule (``intake.retention``), and only people
who may see evidence read it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from trustline.accounts.permissions import SYSTEM, Actor, Perm, require
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.conf import limit
from trustline.core.exceptions import Conflict, NotFound
from trustline.platforms.choices import SnapshotTrigger
from trustline.platforms.connectors import ContentDescription, ContentRef, PlatformConnector, get_connector
from trustline.platforms.models import ContentSnapshot
from trustline.platforms.selectors import parse_id

logger = logging.getLogger(__name__)

BATCH = 20
# How long a claimed batch is a worker's: a batch of BATCH describe calls, each at a timeout of up to 30 s,
# ends well within it; a worker that died mid-batch leaves its cases to the next sweeper after it.
LEASE = dt.timedelta(minutes=15)
RETRY_WAITS = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2))


@dataclasses.dataclass
class SweepResult:
    taken: int = 0
    unanswered: int = 0
    dropped: int = 0  # closed cases, or leases another worker took over
    cleared: int = 0  # planned snapshots forgotten because the connector cannot describe


@dataclasses.dataclass(frozen=True)
class _Claim:
    case_id: uuid.UUID
    lease: dt.datetime
    ref: ContentRef


def content_ref_of(case: Case) -> ContentRef:
    """The connector's view of a case's content, from its key (``url:<url>`` or ``id:<kind>:<platform id>``)."""
    key = case.canonical_key or ""
    if key.startswith("id:"):
        _prefix, kind, platform_id = key.split(":", 2)
        return ContentRef(platform_id=platform_id, kind=kind or case.item_kind or "other")
    return ContentRef(url=case.canonical_url or key.removeprefix("url:"), kind=case.item_kind or "other")


def canonical_payload(description: ContentDescription) -> tuple[dict[str, Any], str, str]:
    """The description as stored (JSON values), the SHA-256 of its canonical JSON, and that without the time."""
    payload: dict[str, Any] = json.loads(json.dumps(description.as_dict(), cls=DjangoJSONEncoder))
    timeless = {name: value for name, value in payload.items() if name != "fetched_at"}
    return payload, payload_sha256(payload), payload_sha256(timeless)


def payload_sha256(payload: dict[str, Any]) -> str:
    """SHA-256 of ``payload`` as canonical JSON: sorted keys, no spaces, UTF-8 (anyone can recompute it)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def refresh_after(case: Case, now: dt.datetime) -> dt.datetime | None:
    """When an open case's content is looked at again after a good snapshot (module docstring); None: not."""
    hours = max(0, limit("SNAPSHOT_REFRESH_HOURS"))
    if not hours or not case.is_open:
        return None
    if case.imminent_harm or (case.tier is not None and case.tier <= limit("SNAPSHOT_REFRESH_MAX_TIER")):
        return now + dt.timedelta(hours=hours)
    return None


def describe_safely(connector: PlatformConnector, ref: ContentRef) -> ContentDescription:
    """``connector.describe``; a connector that raises (breaking its contract) gives an unanswered description."""
    try:
        return connector.describe(ref)
    except Exception as exc:  # a connector broke its contract; record the failed attempt, never crash the sweep
        logger.exception("platform connector %s raised in describe(%s)", connector.name, ref.key)
        return ContentDescription.unavailable(item=ref, source=connector.name, fetched_at=clock.now(),
                                              error=f"the connector failed: {type(exc).__name__}")


def snapshot_sweep(*, now: dt.datetime | None = None, batch_size: int = BATCH) -> SweepResult:
    """One pass of the sweeper (the module's steps 1-4)."""
    now = now or clock.now()
    result = SweepResult()
    connector = get_connector()
    if not connector.can_describe():
        result.cleared = Case.objects.filter(snapshot_due_at__isnull=False).update(snapshot_due_at=None)
        return result
    for claim in _claim(now=now, batch_size=batch_size, result=result):
        description = describe_safely(connector, claim.ref)
        snapshot = _record(claim=claim, description=description, actor=SYSTEM)
        if snapshot is None:
            result.dropped += 1
        elif snapshot.available:
            result.taken += 1
        else:
            result.unanswered += 1
    return result


def snapshot_run(*, now: dt.datetime | None = None, max_batches: int = 50) -> SweepResult:
    """Sweep batch after batch until nothing is due (the demo's replay; a backlog after an outage)."""
    total = SweepResult()
    for _ in range(max_batches):
        result = snapshot_sweep(now=now)
        for name in ("taken", "unanswered", "dropped", "cleared"):
            setattr(total, name, getattr(total, name) + getattr(result, name))
        if result.taken + result.unanswered + result.dropped == 0:
            break
    return total


def _claim(*, now: dt.datetime, batch_size: int, result: SweepResult) -> list[_Claim]:
    lease = now + LEASE
    with transaction.atomic():
        due = list(
            Case.objects.select_for_update(skip_locked=True)
            .filter(snapshot_due_at__lte=now)
            .order_by("snapshot_due_at", "pk")
            .only("pk", "is_open", "canonical_key", "canonical_url", "item_kind")[:batch_size]
        )
        closed = [case.pk for case in due if not case.is_open]
        if closed:
            Case.objects.filter(pk__in=closed).update(snapshot_due_at=None)
            result.dropped += len(closed)
        claimed = [case for case in due if case.is_open]
        Case.objects.filter(pk__in=[case.pk for case in claimed]).update(snapshot_due_at=lease)
    return [_Claim(case_id=case.pk, lease=lease, ref=content_ref_of(case)) for case in claimed]


def _record(*, claim: _Claim, description: ContentDescription, actor: Actor) -> ContentSnapshot | None:
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=claim.case_id, snapshot_due_at=claim.lease).first()
        if case is None:
            return None  # the lease ran out and another worker took the case over
        # The latest snapshots, read once: why this one is taken, whether it repeats the latest, and how many
        # attempts in a row the platform left unanswered.
        recent = list(ContentSnapshot.objects.filter(case=case).order_by("-taken_at", "-id")[:len(RETRY_WAITS) + 1])
        return _store(case=case, description=description, trigger=_trigger_for(recent), actor=actor, recent=recent)


def _trigger_for(recent: list[ContentSnapshot]) -> SnapshotTrigger:
    if not recent:
        return SnapshotTrigger.TRIAGE
    return SnapshotTrigger.REFRESH if recent[0].available else SnapshotTrigger.RETRY


def _unanswered_in_a_row(recent: list[ContentSnapshot]) -> int:
    """Attempts the platform left unanswered since its last answer, among ``recent`` (newest first)."""
    count = 0
    for snapshot in recent:
        if snapshot.available:
            break
        count += 1
    return count


def _store(*, case: Case, description: ContentDescription, trigger: SnapshotTrigger, actor: Actor,
           recent: list[ContentSnapshot] | None) -> ContentSnapshot:
    """Write what the platform said about a locked case (step 4).

    ``recent`` (the case's latest snapshots, newest first) is given by the
    sweeper, which also plans the next look; without it nothing is planned.

    A planned look whose answer equals the latest snapshot's (same
    ``content_sha256``: nothing changed but the time) stores no copy; it
    moves that snapshot's ``unchanged_until``. A reviewer's request always
    stores one: they asked for a record of now.
    """
    from trustline.intake.retention import first_check_at  # intake's rule, applied to snapshots too
    from trustline.triage.priority import reach_points
    from trustline.triage.services import cases_rescore  # triage plans snapshots; we feed it reach

    now = clock.now()
    payload, sha256, content_sha256 = canonical_payload(description)
    plan = recent is not None
    latest = recent[0] if recent else None
    if (latest is not None and description.available and latest.available and latest.purged_at is None
            and latest.content_sha256 == content_sha256):
        latest.unchanged_until = description.fetched_at
        latest.save(update_fields=["unchanged_until"])
        snapshot, stored = latest, False
    else:
        reach = description.reach if description.available else None
        snapshot = ContentSnapshot.objects.create(
            case=case, taken_at=description.fetched_at, trigger=trigger, requested_by=actor.audit_id,
            source=description.source[:64], available=description.available, error=description.error,
            online=description.online if description.available else None,
            views=reach.views if reach is not None else None, shares=reach.shares if reach is not None else None,
            payload=payload, sha256=sha256, content_sha256=content_sha256, retention_check_at=first_check_at(now),
        )
        stored = True
    changes: dict[str, Any] = {}
    if plan:
        if snapshot.available:
            changes["snapshot_due_at"] = refresh_after(case, now)
        else:
            failures = 1 + _unanswered_in_a_row(recent or [])  # this attempt and those before it
            changes["snapshot_due_at"] = (
                now + RETRY_WAITS[failures - 1] if failures <= len(RETRY_WAITS) else refresh_after(case, now)
            )
    reach_changed = snapshot.views is not None and snapshot.views != case.reach
    # Views move at every look while content is up; the priority is recomputed (and audited) only when they
    # move its reach points (about +10 %), so the case's history is not one "reprioritised" per look.
    rescore = reach_changed and reach_points(snapshot.views) != reach_points(case.reach)
    if reach_changed:
        changes["reach"] = snapshot.views
    if changes:
        Case.objects.filter(pk=case.pk).update(**changes)
        for name, value in changes.items():
            setattr(case, name, value)
    next_at = changes.get("snapshot_due_at")
    audit_record(
        actor=actor, action=AuditAction.CONTENT_SNAPSHOT_TAKEN, target=snapshot,
        data={"case": str(case.pk), "trigger": trigger.value, "stored": stored, "available": snapshot.available,
              "error": description.error, "online": snapshot.online, "views": snapshot.views,
              "sha256": sha256, "next_at": next_at.isoformat() if next_at else None},
    )
    if rescore:
        cases_rescore(actor=actor, cases=[case], now=now)
    return snapshot


def snapshot_store(*, case: Case, description: ContentDescription, trigger: SnapshotTrigger,
                   actor: Actor) -> ContentSnapshot:
    """Keep a description asked for another reason (enforcement verification), for a case the caller locked."""
    return _store(case=case, description=description, trigger=trigger, actor=actor, recent=None)


def snapshot_take(*, actor: Actor, case_id: str | uuid.UUID) -> ContentSnapshot:
    """A reviewer preserves the content now (before acting on it, or when it is changing).

    Needs ``case.view`` (else NotFound, as for a missing case) and
    ``evidence.view`` (auditors read snapshots' figures, never take them).
    The platform is asked outside any transaction; the next planned snapshot
    is left as it is. Without a connector that can describe (the manual
    one), Conflict: there is nobody to ask.
    """
    pk = parse_id(case_id, "Case")
    if not actor.has(Perm.CASE_VIEW):
        raise NotFound("Case not found.")
    require(actor, Perm.EVIDENCE_VIEW)
    case = Case.objects.filter(pk=pk).first()
    if case is None:
        raise NotFound("Case not found.")
    connector = get_connector()
    if not connector.can_describe():
        raise Conflict("No platform connection is configured, so the platform cannot be asked for a snapshot; "
                       "save a screenshot as evidence instead.", code="snapshot_unavailable")
    description = describe_safely(connector, content_ref_of(case))
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=pk)
        return _store(case=locked, description=description, trigger=SnapshotTrigger.REVIEWER, actor=actor,
                      recent=None)


def snapshot_retention_sweep(*, now: dt.datetime | None = None, batch_size: int = 200) -> dict[str, int]:
    """Empty the payload of snapshots whose case closed ``EVIDENCE_RETENTION_DAYS`` ago (intake's rule).

    The row stays with its time, figures, error and hash: reach over time can
    still be counted, and a copy of the payload given to an investigator can
    still be checked against the hash. Locked with ``SKIP LOCKED`` like the
    evidence sweep, so several workers share the work.
    """
    from trustline.intake.retention import Verdict, cases_retention_verdict, retention_days

    now = now or clock.now()
    done = {"purged": 0, "kept": 0}
    days = retention_days()
    if days == 0:
        return done
    with transaction.atomic():
        due = list(ContentSnapshot.objects.select_for_update(skip_locked=True)
                   .filter(purged_at__isnull=True, retention_check_at__lte=now)
                   .order_by("retention_check_at")[:batch_size])
        verdicts: dict[uuid.UUID, Verdict] = {}
        for snapshot in due:
            if snapshot.case_id not in verdicts:
                verdicts[snapshot.case_id] = cases_retention_verdict([snapshot.case_id], now=now, days=days)
            verdict = verdicts[snapshot.case_id]
            if not verdict.purge:
                snapshot.retention_check_at = verdict.next_check
                snapshot.save(update_fields=["retention_check_at"])
                done["kept"] += 1
                continue
            snapshot.payload = {}
            snapshot.purged_at = now
            snapshot.retention_check_at = None
            snapshot.save(update_fields=["payload", "purged_at", "retention_check_at"])
            audit_record(actor=SYSTEM, action=AuditAction.CONTENT_SNAPSHOT_PURGED, target=snapshot,
                         data={"case": str(snapshot.case_id), "sha256": snapshot.sha256, "days": days,
                               "last_closed_at": verdict.closed_at.isoformat() if verdict.closed_at else None})
            done["purged"] += 1
    return done


def snapshot_retention_run() -> dict[str, int]:
    """Sweep batch after batch until nothing is due (a kept snapshot is always rescheduled later)."""
    from trustline.intake.retention import sweep_until_done

    return sweep_until_done(lambda: snapshot_retention_sweep(now=clock.now()))


def snapshot_recheck_all(*, now: dt.datetime) -> int:
    """Make every snapshot not yet purged due now (after the retention period was shortened)."""
    return ContentSnapshot.objects.filter(purged_at__isnull=True).update(retention_check_at=now)
