"""Transparency vocabularies: stable string values. Append, never rename.

The ``TDB_*`` maps translate Trustline's own vocabularies (review actions,
intake item kinds) into the exact enumerations of the DSA Transparency
Database (TDB), so the statement builder holds no string literals of its own.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from trustline.intake.choices import ItemKind
from trustline.platforms.choices import ActionType


class SubmissionStatus(models.TextChoices):
    """Where one statement is on its way to the TDB (``StatementSubmission.status``)."""

    PENDING = "pending", _("Waiting to be sent")
    SUBMITTED = "submitted", _("Stored by the Transparency Database")
    REJECTED = "rejected", _("Rejected by the Transparency Database (422): needs a person")
    UNMAPPABLE = "unmappable", _("Cannot be expressed as a valid statement: needs a person")


class SkipReason(models.TextChoices):
    """Why a restriction decision produced no statement (reported, never silently dropped)."""

    MISSING_GROUND = "missing_ground", _("The decision has no decision_ground")
    MISSING_GROUND_TEXT = "missing_ground_text", _("The legal or contractual ground or its explanation is empty")
    MISSING_CATEGORY = "missing_category", _("The policy has no DSA category")
    NO_RESTRICTION = "no_restriction", _("None of the actions is a restriction the TDB knows")
    OUTSIDE_EEA = "outside_eea", _("A geo-restriction only outside the EU/EEA: no statement is owed")


class SourceType(models.TextChoices):
    """TDB ``source_type``."""

    ARTICLE_16 = "SOURCE_ARTICLE_16", _("Notice under Art. 16")
    TRUSTED_FLAGGER = "SOURCE_TRUSTED_FLAGGER", _("Notice by a trusted flagger (Art. 22)")
    OTHER_NOTIFICATION = "SOURCE_TYPE_OTHER_NOTIFICATION", _("Other notification")
    VOLUNTARY = "SOURCE_VOLUNTARY", _("Own initiative")


# What each review action restricts, in the TDB's four restriction families. A geo-restriction disables
# access in the territories listed (``territorial_scope``); restricting an account (without suspending it)
# is a partial suspension of the service to that recipient.
TDB_VISIBILITY: dict[str, str] = {
    ActionType.REMOVE: "DECISION_VISIBILITY_CONTENT_REMOVED",
    ActionType.GEO_RESTRICT: "DECISION_VISIBILITY_CONTENT_DISABLED",
    ActionType.RESTRICT_VISIBILITY: "DECISION_VISIBILITY_CONTENT_DEMOTED",
    ActionType.AGE_RESTRICT: "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    ActionType.LABEL: "DECISION_VISIBILITY_CONTENT_LABELLED",
}
TDB_ACCOUNT: dict[str, str] = {ActionType.SUSPEND_ACCOUNT: "DECISION_ACCOUNT_SUSPENDED"}
TDB_PROVISION: dict[str, str] = {ActionType.RESTRICT_ACCOUNT: "DECISION_PROVISION_PARTIAL_SUSPENSION"}

# Trustline item kinds -> TDB content types. Kinds whose medium Trustline does not know (a post may be text,
# image or video) are CONTENT_TYPE_OTHER with the kind spelled out, rather than a guess.
TDB_CONTENT_TYPE: dict[str, tuple[str, str]] = {
    ItemKind.COMMENT: ("CONTENT_TYPE_TEXT", ""),
    ItemKind.MESSAGE: ("CONTENT_TYPE_TEXT", ""),
    ItemKind.POST: ("CONTENT_TYPE_OTHER", "Social media post (medium not recorded)"),
    ItemKind.MEDIA: ("CONTENT_TYPE_OTHER", "Media file (image, audio or video)"),
    ItemKind.ACCOUNT: ("CONTENT_TYPE_OTHER", "User account or profile"),
    ItemKind.GROUP: ("CONTENT_TYPE_OTHER", "Group or page"),
    ItemKind.AD: ("CONTENT_TYPE_OTHER", "Advertisement"),
    ItemKind.OTHER: ("CONTENT_TYPE_OTHER", "Other online content"),
}
