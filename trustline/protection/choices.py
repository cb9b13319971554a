"""Protected-people vocabularies: stable values. Append, never rename."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PersonCategory(models.TextChoices):
    """Why the account's owner is at particular risk."""

    HUMAN_RIGHTS_DEFENDER = "human_rights_defender", _("Human-rights defender")
    JOURNALIST = "journalist", _("Journalist")
    ELECTION_CANDIDATE = "election_candidate", _("Election candidate")
    ACTIVIST = "activist", _("Activist")
    WITNESS = "witness", _("Witness")
    OTHER = "other", _("Other")


class NominationKind(models.TextChoices):
    NEW = "new", _("New protection")
    RENEWAL = "renewal", _("Renewal")


class NominationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ProtectionStatus(models.TextChoices):
    ACTIVE = "active", _("Protected")
    EXPIRED = "expired", _("Expired")


# Partner-facing event types sent through the outbox (trustline.notifications.notification_send).
EVENT_NOMINATION_DECIDED = "protection.nomination_decided"
EVENT_PROTECTION_EXPIRED = "protection.expired"
