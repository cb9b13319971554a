"""The tamper-evident audit log.

Entries are append-only (database triggers refuse UPDATE and DELETE) and
hash-chained: each entry's ``hash`` covers its content and the previous
entry's hash, and ``seq`` numbers them without gaps. Altering an entry breaks
its hash; removing one leaves a gap or breaks the next entry's link.
"""

from __future__ import annotations

from django.db import models


class AuditEntry(models.Model):
    """One state change (or sensitive read), written in the same transaction as the change."""

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=64, help_text="user:<id>, api_key:<id> or system")
    actor_label = models.CharField(max_length=200, blank=True)
    organisation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # Values come from AuditAction; no ``choices=`` here so that adding an action
    # (append-only, see choices.py) never needs a schema migration.
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_type}:{self.target_id}"


class AuditChainHead(models.Model):
    """The single row holding the chain's last sequence number and hash.

    Writers lock this row (``SELECT ... FOR UPDATE``) as the last step of
    their transaction, which orders concurrent writers without a global lock
    on the whole table.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"head #{self.seq}"
