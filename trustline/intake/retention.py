"""Evidence retention: files are deleted a set time after the cases they back are closed.

Evidence is the most sensitive thing Trustline holds (screenshots that show
victims, addresses, faces). Keeping it for ever helps nobody and breaks the
storage-limitation rule of data-protection law, so each file is deleted
``EVIDENCE_RETENTION_DAYS`` (default 365; 0 keeps files for ever) after the
**last** case it backs was closed, and never while:

* any of those cases is open (a contest that reopens a case reopens this);
* a contest of one of them is waiting or in review;
* a legal hold covers one of those cases or the report (a preservation
  request, a CyberTipline report: ``lawenforcement.holds``); the file is
  looked at again when the hold lapses.

What stays: the row with the file's name, type, size and SHA-256, so the
report, the audit log and an investigator can still say what was attached
and prove a copy held elsewhere is the same file. The partner's timeline
shows the deletion; a download answers 410 with the date.

The timer is data: ``Evidence.retention_check_at`` says when the sweeper
next looks at a file (set at upload; partial index on files not purged).
:func:`evidence_retention_sweep`, every hour:

1. Lock a batch of due files (``SKIP LOCKED``: sweepers in several worker
   processes share the work, never the same row).
2. For each, decide: keep until a later instant (reschedule), or purge.
3. Purge: in one transaction mark the row, add the partner's timeline
   event and the audit entry.
4. After commit (never before: a rolled-back purge must find its file),
   delete the bytes of every purged file still in storage and empty its
   ``file``; this also finishes deletions an earlier run could not do
   (storage down, a crash between commit and delete).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from trustline.accounts.permissions import SYSTEM
from trustline.appeals.choices import ACTIVE_STATUSES
from trustline.appeals.models import Appeal
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.conf import limit
from trustline.intake.choices import TimelineKind
from trustline.intake.models import Evidence, ReportItem, TimelineEvent
from trustline.lawenforcement.choices import HoldSubject
from trustline.lawenforcement.selectors import hold_until

logger = logging.getLogger(__name__)

#: How soon a file whose cases are still open (or contested) is looked at again.
RECHECK = dt.timedelta(days=1)
BATCH = 200


def retention_days() -> int:
    return max(0, limit("EVIDENCE_RETENTION_DAYS"))


def first_check_at(uploaded_at: dt.datetime) -> dt.datetime:
    """When a new file is first looked at: no case it backs can have been closed for the period before then."""
    return uploaded_at + dt.timedelta(days=retention_days())


@dataclasses.dataclass
class Verdict:
    purge: bool
    next_check: dt.datetime | None = None
    cases: list[uuid.UUID] = dataclasses.field(default_factory=list)
    closed_at: dt.datetime | None = None


def _cases_of(evidence: Evidence) -> list[uuid.UUID]:
    """The cases a file backs: its item's, or every item's of its report when it is about the whole report."""
    items = ReportItem.objects.filter(report_id=evidence.report_id)
    if evidence.item_id is not None:
        items = items.filter(pk=evidence.item_id)
    return sorted({case_id for case_id in items.values_list("case_id", flat=True) if case_id is not None})


def retention_verdict(evidence: Evidence, *, now: dt.datetime, days: int) -> Verdict:
    """Purge now, or the instant to look again (the numbered rules of the module's docstring)."""
    return cases_retention_verdict(
        _cases_of(evidence), now=now, days=days, also_held=[(HoldSubject.REPORT.value, str(evidence.report_id))]
    )


def cases_retention_verdict(
    cases: list[uuid.UUID], *, now: dt.datetime, days: int, also_held: Sequence[tuple[str, str]] = (),
) -> Verdict:
    """The rule for anything kept because of some cases (evidence files, content snapshots).

    Purge ``days`` after the last of ``cases`` closed, unless one is open,
    contested, or under a legal hold (on a case, or on one of ``also_held``).
    """
    states = list(Case.objects.filter(pk__in=cases).values_list("is_open", "closed_at"))
    if not states or any(is_open or closed_at is None for is_open, closed_at in states):
        return Verdict(purge=False, next_check=now + RECHECK, cases=cases)
    closed_at = max(closed_at for _open, closed_at in states if closed_at is not None)
    due = closed_at + dt.timedelta(days=days)
    if due > now:
        return Verdict(purge=False, next_check=due, cases=cases, closed_at=closed_at)
    if Appeal.objects.filter(case_id__in=cases, status__in=ACTIVE_STATUSES).exists():
        return Verdict(purge=False, next_check=now + RECHECK, cases=cases, closed_at=closed_at)
    subjects = [(HoldSubject.CASE.value, str(c)) for c in cases] + list(also_held)
    held_until = hold_until(subjects=subjects, at=now)
    if held_until is not None:
        return Verdict(purge=False, next_check=held_until, cases=cases, closed_at=closed_at)
    return Verdict(purge=True, cases=cases, closed_at=closed_at)


def evidence_retention_sweep(*, now: dt.datetime | None = None, batch_size: int = BATCH) -> dict[str, int]:
    """One pass of the sweeper (see the module's steps); returns what it did, for the task's result."""
    now = now or clock.now()
    done = {"purged": 0, "kept": 0, "deleted": 0}
    # Bytes go only once the rows saying "purged" are committed: at once when this runs in no outer
    # transaction (the hourly job), at the outer commit otherwise. This also finishes deletions an earlier
    # run could not do (storage down, a crash between commit and delete).
    transaction.on_commit(lambda: done.__setitem__("deleted", done["deleted"] + _delete_pending_files()))
    days = retention_days()
    if days == 0:
        return done
    with transaction.atomic():
        due = list(Evidence.objects.select_for_update(skip_locked=True)
                   .filter(purged_at__isnull=True, retention_check_at__lte=now)
                   .order_by("retention_check_at")[:batch_size])
        for evidence in due:
            verdict = retention_verdict(evidence, now=now, days=days)
            if not verdict.purge:
                evidence.retention_check_at = verdict.next_check
                evidence.save(update_fields=["retention_check_at"])
                done["kept"] += 1
                continue
            _purge(evidence, verdict, now=now, days=days)
            done["purged"] += 1
    if done["purged"]:
        transaction.on_commit(lambda: done.__setitem__("deleted", done["deleted"] + _delete_pending_files()))
    return done


def evidence_retention_run() -> dict[str, int]:
    """Sweep batch after batch until nothing is due (a backlog after an upgrade clears in one run)."""
    return sweep_until_done(lambda: evidence_retention_sweep(now=clock.now()))


def sweep_until_done(sweep: Callable[[], dict[str, int]]) -> dict[str, int]:
    """Run a retention sweep until a pass purges and keeps nothing; the counts added up.

    It ends: a kept row is always rescheduled to a later instant than the pass's.
    """
    totals: dict[str, int] = {}
    while True:
        done = sweep()
        for name, count in done.items():
            totals[name] = totals.get(name, 0) + count
        if done["purged"] + done["kept"] == 0:
            return totals


def evidence_recheck_all(*, now: dt.datetime) -> int:
    """Make every file not yet deleted due now (after the retention period was shortened); returns how many."""
    return Evidence.objects.filter(purged_at__isnull=True).update(retention_check_at=now)


def _purge(evidence: Evidence, verdict: Verdict, *, now: dt.datetime, days: int) -> None:
    evidence.purged_at = now
    evidence.purge_reason = f"retention: {days} days after the last case it backs closed"
    evidence.retention_check_at = None
    evidence.save(update_fields=["purged_at", "purge_reason", "retention_check_at"])
    TimelineEvent.objects.create(
        report_id=evidence.report_id, item_id=evidence.item_id, kind=TimelineKind.EVIDENCE_PURGED, at=now,
        data={"evidence_id": str(evidence.pk), "sha256": evidence.sha256, "days": days},
    )
    audit_record(
        actor=SYSTEM, action=AuditAction.EVIDENCE_PURGED, target=evidence,
        data={"report": str(evidence.report_id), "sha256": evidence.sha256, "size": evidence.size,
              "cases": [str(c) for c in verdict.cases],
              "last_closed_at": verdict.closed_at.isoformat() if verdict.closed_at else None, "days": days},
    )


def _delete_pending_files() -> int:
    """Delete the bytes of purged files still in storage, then empty their ``file`` (safe to run twice)."""
    deleted = 0
    for pk, name in (Evidence.objects.filter(purged_at__isnull=False).exclude(file="")
                     .values_list("pk", "file")[:BATCH]):
        storage = Evidence._meta.get_field("file").storage
        try:
            storage.delete(name)  # a missing file is not an error for Django's storages
        except OSError:
            logger.exception("evidence %s: the file could not be deleted; the next sweep retries", pk)
            continue
        Evidence.objects.filter(pk=pk, file=name).update(file="")
        deleted += 1
    return deleted


def purged_message(evidence: Evidence) -> str:
    """What a reader of a deleted file is told (API 410, portal, case page)."""
    return _("This file was deleted on %(date)s under the retention policy. Its SHA-256 was %(sha256)s.") % {
        "date": f"{evidence.purged_at:%Y-%m-%d}", "sha256": evidence.sha256}
