"""Routing vocabularies: stable string values, stored in rows and audit entries. Append; never rename."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LanguageSource(models.TextChoices):
    PARTNER = "partner", _("Given by the partner")
    DETECTED = "detected", _("Detected from the text")


class RoutingPool(models.TextChoices):
    """Why the reviewer holding a case got it, from the narrowest pool to the widest.

    The first four widen with the case's waiting time (see ``trustline.routing.eligibility``);
    ``manual`` is an escalation lead's reassignment.
    """

    EXACT = "exact", _("Exact language (with dialect)")
    LANGUAGE = "language", _("Same language, any dialect")
    REGIONAL = "regional", _("Covers the case's country or region")
    TRANSLATION = "translation", _("Translation needed")
    MANUAL = "manual", _("Assigned by an escalation lead")


class AssignmentEnd(models.TextChoices):
    """How a reviewer's hold on a case ended."""

    RELEASED = "released", _("Released")
    EXPIRED = "expired", _("Lease expired")
    REASSIGNED = "reassigned", _("Reassigned")
    HELD = "held", _("Put on hold")
    DECIDED = "decided", _("Decided")
