from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SpikeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DISMISSED = "dismissed", _("Dismissed as a false alarm")


class Signal(models.TextChoices):
    """Why a case joined an incident."""

    SAME_ACCOUNT = "same_account", _("Same account")
    SAME_GROUP = "same_group", _("Same group or page")
    SAME_DOMAIN = "same_domain", _("Same domain")
    NEAR_DUPLICATE = "near_duplicate", _("Near-duplicate text")
    FIRST = "first", _("First case of the incident")


class KeyKind(models.TextChoices):
    """Exact keys a case is indexed by for clustering (see ``clustering.py``)."""

    AUTHOR = "author", _("Author account")
    GROUP = "group", _("Group or page")
    DOMAIN = "domain", _("Domain")


class IncidentKind(models.TextChoices):
    INCIDENT = "incident", _("Incident")  # related cases from one account, group or site
    CAMPAIGN = "campaign", _("Campaign")  # the same text from several accounts: coordinated
