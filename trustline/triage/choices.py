from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SlaTier(models.TextChoices):
    """What an SLA policy applies to: a severity tier, or imminent harm (whatever the tier)."""

    IMMINENT = "imminent", _("Imminent harm")
    TIER_1 = "1", _("Tier 1")
    TIER_2 = "2", _("Tier 2")
    TIER_3 = "3", _("Tier 3")


class BreachKind(models.TextChoices):
    ACK = "ack", _("Not acknowledged in time")
    DECIDE = "decide", _("Not decided in time")


# Report targets that make a case more urgent: people at particular risk when attacked online.
PROTECTED_TARGETS = frozenset(
    {
        "human_rights_defender",
        "journalist",
        "minor",
        "election_candidate",
        "election_official",
        "witness",
        "activist",
    }
)
