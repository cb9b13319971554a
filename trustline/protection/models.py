"""Protected people: partners' nominations and the registry of protected accounts.

Written only by ``protection.services``. The registry is staff-only: partners
see their own nominations (and outcomes), never a ``ProtectedAccount``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from trustline.accounts.models import Organisation, User
from trustline.core.ids import uuid7
from trustline.protection.choices import NominationKind, NominationStatus, PersonCategory, ProtectionStatus


class ProtectedAccount(models.Model):
    """An account on the platform whose owner is at particular risk, protected until ``expires_at``.

    ``account_key`` is the intake's canonical key of the account (``url:<canonical
    URL>`` or ``id:account:<platform id>``, from ``intake.canonical``), so a
    report of the account, or of content under its address, finds it with an
    indexed equality test. ``account_id`` and ``handle`` (when known) let the
    review app match the author the platform connector names. At most one
    active protection per key (partial unique index); the periodic sweeper
    expires it with a conditional UPDATE when ``expires_at`` passes.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    platform = models.CharField(max_length=64)
    account_key = models.CharField(max_length=2100)
    account_url = models.TextField(blank=True, help_text="canonical URL of the account")
    account_id = models.CharField(max_length=256, blank=True, help_text="the platform's id of the account")
    handle = models.CharField(max_length=256, blank=True, help_text="lower case, without @")
    category = models.CharField(max_length=32, choices=PersonCategory.choices)
    status = models.CharField(max_length=16, choices=ProtectionStatus.choices, default=ProtectionStatus.ACTIVE)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                     help_text="the partner whose nomination made it")
    protected_since = models.DateTimeField()
    expires_at = models.DateTimeField()
    expired_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["expires_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["account_key"], condition=Q(status=ProtectionStatus.ACTIVE),
                                    name="protected_account_one_active_per_key"),
        ]
        indexes = [
            models.Index(fields=["account_key", "status"], name="protected_key_idx"),
            models.Index(fields=["expires_at"], condition=Q(status=ProtectionStatus.ACTIVE),
                         name="protected_expiry_idx"),
            models.Index(fields=["account_id"], condition=~Q(account_id=""), name="protected_account_id_idx"),
            models.Index(fields=["handle"], condition=~Q(handle=""), name="protected_handle_idx"),
        ]

    def __str__(self) -> str:
        return self.account_url or self.account_key


class Nomination(models.Model):
    """A partner's request to protect an account (or to renew a protection), and the staff decision on it.

    ``protected_account`` is set when approved (and, for a renewal, from the
    start: the protection the partner's earlier nomination made). ``reason``
    is the decision's reason, which the partner is told.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted_by_actor = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=NominationKind.choices, default=NominationKind.NEW)
    renews = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               help_text="the partner's earlier nomination this renews")
    platform = models.CharField(max_length=64)
    account_key = models.CharField(max_length=2100)
    account_url = models.TextField(blank=True)
    account_id = models.CharField(max_length=256, blank=True)
    handle = models.CharField(max_length=256, blank=True)
    category = models.CharField(max_length=32, choices=PersonCategory.choices)
    justification = models.TextField()
    status = models.CharField(max_length=16, choices=NominationStatus.choices, default=NominationStatus.PENDING)
    submitted_at = models.DateTimeField()
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="why approved or rejected; the partner is told")
    protected_account = models.ForeignKey(ProtectedAccount, null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="nominations")
    protected_until = models.DateTimeField(null=True, blank=True, help_text="set when approved")

    class Meta:
        ordering = ["-submitted_at", "pk"]
        indexes = [
            models.Index(fields=["organisation", "-submitted_at"], name="nomination_org_idx"),
            models.Index(fields=["status", "submitted_at"], name="nomination_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "account_key"],
                                    condition=Q(status=NominationStatus.PENDING),
                                    name="nomination_one_pending_per_partner_key"),
        ]

    def __str__(self) -> str:
        return f"Nomination of {self.account_url or self.account_key}"
