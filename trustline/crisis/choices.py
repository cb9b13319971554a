"""Crisis vocabularies: stable values. Append, never rename."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CrisisState(models.TextChoices):
    """Where a crisis stands at a moment: derived from its start and end, never stored as truth."""

    SCHEDULED = "scheduled", _("Scheduled (starts later)")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


# Priority points per crisis level (level 3 is the most severe, as in the IASC system-wide scale).
# The triage formula clamps the crisis component at CRISIS_MAX (300) whatever this says.
LEVEL_BOOST: dict[int, int] = {1: 100, 2: 200, 3: 300}

# The tighter SLA variant: a matching case's acknowledge and decide targets are multiplied by this.
LEVEL_SLA_FACTOR: dict[int, float] = {1: 0.75, 2: 0.5, 3: 0.25}
MIN_SLA_MINUTES = 5  # no crisis makes a target shorter than this

TAG_PREFIX = "crisis:"  # matching cases carry the label crisis:<slug> (trustline.routing tags)
