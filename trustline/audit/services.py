"""Writing to the audit log, and sealing it into a hash chain.

Writing (:func:`audit_record`, :func:`audit_record_many`):

1. The caller is inside the transaction that makes the change (checked).
2. The entry is inserted unsealed; it commits or rolls back with the change.

Sealing (:func:`audit_seal`, the periodic ``audit.tasks.seal`` job, a few
seconds behind): committed entries get their sequence number and hash, each
hash covering the entry's canonical JSON and the previous hash.

Why two steps: chaining at write time meant every writer locked the single
chain head until its COMMIT (including the WAL fsync), so all writes in the
system took turns; that lock capped intake at a few hundred reports a second
whatever the CPU (docs/performance.md). Entries are just as durable and
append-only before they are sealed (the triggers protect their content); what
waits a few seconds is only the chain that makes removal detectable.
``audit_verify`` reports entries left unsealed for longer than
``TRUSTLINE["AUDIT_SEAL_GRACE_SECONDS"]``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

from trustline.accounts.permissions import Actor
from trustline.audit.choices import AuditAction
from trustline.audit.models import AuditChainHead, AuditEntry
from trustline.core import clock
from trustline.core.rows import Rows, insert_rows, model_defaults

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditEvent:
    action: AuditAction
    target_type: str
    target_id: str
    data: Mapping[str, Any]


def entry_hash(
    *,
    seq: int,
    prev_hash: str,
    at_iso: str,
    actor: str,
    organisation_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    data: Any,
) -> str:
    payload = json.dumps(
        [seq, prev_hash, at_iso, actor, organisation_id, action, target_type, target_id, data],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _target(target: Model | tuple[str, str]) -> tuple[str, str]:
    if isinstance(target, tuple):
        return target
    return target._meta.label_lower, str(target.pk)


def audit_record(
    *,
    actor: Actor,
    action: AuditAction,
    target: Model | tuple[str, str],
    data: Mapping[str, Any] | None = None,
) -> AuditEntry:
    target_type, target_id = _target(target)
    return audit_record_many(
        actor=actor, events=[AuditEvent(action, target_type, target_id, dict(data or {}))]
    )[0]


def audit_record_many(*, actor: Actor, events: Iterable[AuditEvent]) -> list[AuditEntry]:
    """Append several entries, unsealed, in the caller's transaction (bulk intake writes thousands at once).

    No lock is taken: concurrent writers insert side by side, and the entries
    commit or roll back with the change they record. :func:`audit_seal`
    chains them after commit.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction that makes the change")
    at = clock.now()
    entries = [
        AuditEntry(
            at=at,
            actor=actor.audit_id,
            actor_label=actor.label[:200],
            organisation_id=actor.organisation_id,
            action=event.action,
            target_type=event.target_type,
            target_id=event.target_id,
            # Round-trip through JSON so the stored form is exactly what the database returns later.
            data=json.loads(json.dumps(event.data, default=str)),
        )
        for event in events
    ]
    if entries:
        AuditEntry.objects.bulk_create(entries)
    return entries


AUDIT_COLUMNS = ("at", "actor", "actor_label", "organisation_id", "action", "target_type", "target_id", "data")


def audit_append(*, actor: Actor, events: Iterable[AuditEvent]) -> None:
    """:func:`audit_record_many` without entry objects: for paths that write entries per report.

    The same rows, unsealed, in the caller's transaction; it returns nothing,
    so it needs no model instances and no ids read back
    (:func:`trustline.core.rows.insert_rows`: a statement compiled once, or
    ``COPY`` for a bulk upload's thousands of entries).
    """
    batch = audit_rows(actor=actor, events=events)
    insert_rows(batch.model, batch.columns, batch.rows)


def audit_rows(*, actor: Actor, events: Iterable[AuditEvent], one_statement: bool = False) -> Rows:
    """The rows :func:`audit_append` inserts, for a caller that inserts them with its own (``insert_rows_together``).

    Like every audit write, only inside the transaction that makes the change,
    or, with ``one_statement``, in the very statement that makes it (atomic
    by itself: ``insert_rows_unless_conflict``).
    """
    if not (one_statement or connection.in_atomic_block):
        raise RuntimeError("audit_record must run inside the transaction that makes the change")
    at = clock.now()
    actor_id, label, organisation_id = actor.audit_id, actor.label[:200], actor.organisation_id
    names, defaults = _audit_defaults()
    rows = [
        (at, actor_id, label, organisation_id, str(event.action), event.target_type, event.target_id,
         # Round-trip through JSON so the stored form is exactly what the database returns later.
         json.loads(json.dumps(event.data, default=str)), *defaults)
        for event in events
    ]
    return Rows(AuditEntry, AUDIT_COLUMNS + names, rows)


@functools.cache
def _audit_defaults() -> tuple[tuple[str, ...], tuple[object, ...]]:
    """The unsealed state (no seq, empty hashes): the model's defaults, read once."""
    return model_defaults(AuditEntry, exclude=("id", *AUDIT_COLUMNS))


@dataclass(frozen=True)
class SealResult:
    sealed: int
    head_seq: int


def audit_seal(*, limit: int = 20_000) -> SealResult:
    """Chain committed, unsealed entries onto the end of the log.

    1. Lock the chain head (one sealer at a time; writers never wait for it).
    2. Read up to ``limit`` unsealed entries that have committed, in id order.
       An entry whose transaction commits later, with a smaller id, is simply
       sealed by a later run: the chain's order is the order of sealing.
    3. Number each entry after the head and hash it over its content and the
       previous hash (:func:`entry_hash`).
    4. Write ``seq``, ``prev_hash`` and ``hash`` (the one UPDATE the triggers
       allow) and move the head, in the same transaction.
    """
    with transaction.atomic():
        head = _locked_head()
        pending = list(AuditEntry.objects.filter(seq__isnull=True).order_by("id")[:limit])
        prev_hash, seq = head.hash, head.seq
        for entry in pending:
            seq += 1
            entry.seq, entry.prev_hash = seq, prev_hash
            entry.hash = prev_hash = entry_hash(
                seq=seq,
                prev_hash=entry.prev_hash,
                at_iso=entry.at.isoformat(),
                actor=entry.actor,
                organisation_id=entry.organisation_id,
                action=entry.action,
                target_type=entry.target_type,
                target_id=entry.target_id,
                data=entry.data,
            )
        if pending:
            AuditEntry.objects.bulk_update(pending, ["seq", "prev_hash", "hash"], batch_size=500)
            AuditChainHead.objects.filter(pk=head.pk).update(seq=seq, hash=prev_hash)
        return SealResult(sealed=len(pending), head_seq=seq)


def audit_seal_all() -> int:
    """Seal until nothing is pending (commands, the demo loader, tests)."""
    total = 0
    while (sealed := audit_seal().sealed) > 0:
        total += sealed
    return total


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # First entry ever: create the head inside a savepoint; a concurrent
        # creator wins the race and we lock theirs.
        try:
            with transaction.atomic():
                AuditChainHead.objects.create(pk=1, seq=0, hash=GENESIS_HASH)
        except Exception:  # noqa: S110 - IntegrityError from a concurrent creator; locked below
            pass
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head
