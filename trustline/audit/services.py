"""Writing to the audit log.

1. The caller is inside the transaction that makes the change (checked).
2. The chain head row is locked, so concurrent writers take turns.
3. Each entry's hash is computed over its canonical JSON and the previous hash.
4. Entries and the new head are written; all of it commits or rolls back with
   the change it records.
"""

from __future__ import annotations

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
    """Append several entries under one lock (bulk intake writes thousands at once)."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction that makes the change")
    events = list(events)
    if not events:
        return []
    head = _locked_head()
    at = clock.now()
    at_iso = at.isoformat()
    entries: list[AuditEntry] = []
    prev_hash, seq = head.hash, head.seq
    for event in events:
        seq += 1
        # Round-trip through JSON so the hashed form is exactly what the database returns later.
        data = json.loads(json.dumps(event.data, default=str))
        digest = entry_hash(
            seq=seq,
            prev_hash=prev_hash,
            at_iso=at_iso,
            actor=actor.audit_id,
            organisation_id=actor.organisation_id,
            action=str(event.action),
            target_type=event.target_type,
            target_id=event.target_id,
            data=data,
        )
        entries.append(
            AuditEntry(
                seq=seq,
                at=at,
                actor=actor.audit_id,
                actor_label=actor.label[:200],
                organisation_id=actor.organisation_id,
                action=event.action,
                target_type=event.target_type,
                target_id=event.target_id,
                data=data,
                prev_hash=prev_hash,
                hash=digest,
            )
        )
        prev_hash = digest
    AuditEntry.objects.bulk_create(entries)
    AuditChainHead.objects.filter(pk=head.pk).update(seq=seq, hash=prev_hash)
    return entries


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
