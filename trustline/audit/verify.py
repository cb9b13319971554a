"""Walk the audit chain and find the first entry that was altered or removed.

1. Read entries in ``seq`` order, streaming (the log can be millions of rows).
2. A sequence gap means an entry was removed.
3. ``prev_hash`` must equal the previous entry's hash (catches removal of the
   last entries before a later one, and re-linking).
4. The stored hash must equal the recomputed hash (catches any edit).
5. The chain head must point at the last entry (catches truncation).
6. Entries not sealed yet are counted; one older than the grace period means
   the sealer is not running, and is reported as a problem.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from trustline.audit.models import AuditChainHead, AuditEntry
from trustline.audit.services import GENESIS_HASH, entry_hash
from trustline.core import clock
from trustline.core.conf import limit


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    problem: ChainProblem | None
    unsealed: int = 0

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain() -> ChainReport:
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    for entry in AuditEntry.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            return ChainReport(checked, ChainProblem(expected_seq, f"entry #{expected_seq} is missing"))
        if entry.prev_hash != prev_hash:
            return ChainReport(
                checked, ChainProblem(entry.seq, "link to the previous entry is broken (entry removed or moved)")
            )
        digest = entry_hash(
            seq=entry.seq,
            prev_hash=entry.prev_hash,
            at_iso=entry.at.isoformat(),
            actor=entry.actor,
            organisation_id=entry.organisation_id,
            action=entry.action,
            target_type=entry.target_type,
            target_id=entry.target_id,
            data=entry.data,
        )
        if digest != entry.hash:
            return ChainReport(checked, ChainProblem(entry.seq, "content was altered (hash does not match)"))
        prev_hash = entry.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq = head.seq if head else 0
    if head_seq != checked:
        return ChainReport(
            checked,
            ChainProblem(checked + 1, f"the chain head says {head_seq} entries but {checked} were found"),
        )
    if head is not None and head.hash != prev_hash:
        return ChainReport(checked, ChainProblem(checked, "the chain head does not match the last entry"))
    return _unsealed_report(checked)


def _unsealed_report(checked: int) -> ChainReport:
    unsealed = AuditEntry.objects.filter(seq__isnull=True)
    oldest = unsealed.order_by("id").values_list("id", "at").first()
    count = unsealed.count() if oldest else 0
    grace = dt.timedelta(seconds=limit("AUDIT_SEAL_GRACE_SECONDS"))
    if oldest is not None and clock.now() - oldest[1] > grace:
        age = int((clock.now() - oldest[1]).total_seconds())
        return ChainReport(checked, ChainProblem(
            checked + 1,
            f"{count} entries are not sealed into the chain; the oldest (id {oldest[0]}) was written {age} s ago "
            "(is the worker running the audit seal job?)",
        ), unsealed=count)
    return ChainReport(checked, None, unsealed=count)
