"""Contest vocabularies: stable string values, stored in rows, audit entries and transparency reports.

Append; never rename. The outcomes are the DSA transparency report's
complaint outcomes (decision upheld, reversed, partially reversed, omitted).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppealStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a reviewer")
    IN_REVIEW = "in_review", _("In review")
    DECIDED = "decided", _("Decided")
    WITHDRAWN = "withdrawn", _("Withdrawn by the partner")


# A partner may have one contest of a decision in these statuses at a time.
ACTIVE_STATUSES = (AppealStatus.OPEN, AppealStatus.IN_REVIEW)


class AppealOutcome(models.TextChoices):
    UPHELD = "upheld", _("Decision upheld")
    REVERSED = "reversed", _("Decision reversed")
    PARTIALLY_REVERSED = "partially_reversed", _("Decision partially reversed")
    OMITTED = "omitted", _("Omitted (withdrawn by the partner)")


# What a reviewer may decide; ``omitted`` only comes from the partner withdrawing.
REVIEWER_OUTCOMES = frozenset({AppealOutcome.UPHELD, AppealOutcome.REVERSED, AppealOutcome.PARTIALLY_REVERSED})
# Outcomes that replace the contested decision with a new one.
REPLACING_OUTCOMES = frozenset({AppealOutcome.REVERSED, AppealOutcome.PARTIALLY_REVERSED})

# Notification event types (also in ``notifications.choices.EventType``).
EVENT_APPEAL_RECEIVED = "appeal.received"
EVENT_APPEAL_DECIDED = "appeal.decided"
