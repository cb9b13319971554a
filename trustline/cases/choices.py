from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    IN_REVIEW = "in_review", _("In review")
    ON_HOLD = "on_hold", _("On hold")
    DECIDED = "decided", _("Decided")
    CLOSED = "closed", _("Closed")
