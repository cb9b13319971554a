"""The tamper-evident audit log.

Entries are append-only (database triggers refuse DELETE, and any UPDATE
except the one that seals an entry) and hash-chained: each entry's ``hash``
covers its content and the previous entry's hash, and ``seq`` numbers them
without gaps. Altering an entry breaks its hash; removing one leaves a gap or
breaks the next entry's link.

Writing and chaining are two steps (see ``services.py``): the change's own
transaction inserts the entry *unsealed* (``seq`` null, no hash), without any
global lock; the sealer then numbers and chains committed entries in the order
it finds them, a moment later. The only UPDATE the triggers allow is that one:
setting ``seq``, ``prev_hash`` and ``hash`` of an unsealed entry, with every
other column unchanged.
"""

from __future__ import annotations

from django.db import models


class AuditEntry(models.Model):
    """One state change (or sensitive read), written in the same transaction as the change."""

    # Null until the sealer chains the entry; then 1, 2, 3, ... in chain order.
    seq = models.BigIntegerField(unique=True, null=True, blank=True)
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
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        # Insertion order: ``seq`` is null until sealed, and sealing keeps the order of ids it finds.
        ordering = ["id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="audit_unsealed_idx"),
        ]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        number = f"#{self.seq}" if self.seq is not None else f"(unsealed id {self.pk})"
        return f"{number} {self.action} {self.target_type}:{self.target_id}"


class AuditChainHead(models.Model):
    """The single row holding the chain's last sequence number and hash.

    Only the sealer locks this row (``SELECT ... FOR UPDATE``), so at most one
    sealer extends the chain at a time; writers never touch it.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"head #{self.seq}"
