"""Enforcement vocabularies: stable string values. Append, never rename.

These are plain choices with no ORM dependency, so connectors (which never
touch the database models) can use them too.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ActionType(models.TextChoices):
    """What a decision asks the platform to do (the DSA statement-of-reasons restriction types)."""

    REMOVE = "remove", _("Remove")
    RESTRICT_VISIBILITY = "restrict_visibility", _("Restrict visibility")
    GEO_RESTRICT = "geo_restrict", _("Restrict in some countries")
    LABEL = "label", _("Label")
    AGE_RESTRICT = "age_restrict", _("Age-restrict")
    RESTRICT_ACCOUNT = "restrict_account", _("Restrict the account")
    SUSPEND_ACCOUNT = "suspend_account", _("Suspend the account")
    NO_ACTION = "no_action", _("No action")
    # Not a decision's action: what Trustline asks when a contest reverses an earlier action.
    REINSTATE = "reinstate", _("Reinstate (undo an earlier action)")


# Actions aimed at the author's account rather than at the piece of content.
ACCOUNT_ACTIONS = frozenset({ActionType.RESTRICT_ACCOUNT, ActionType.SUSPEND_ACCOUNT})

# What a decision may ask for (``reinstate`` is only ever requested by Trustline itself).
DECISION_ACTIONS = frozenset(set(ActionType) - {ActionType.REINSTATE})

# Actions that change something on the platform, so a reinstatement can undo them.
REINSTATABLE_ACTIONS = frozenset(set(ActionType) - {ActionType.NO_ACTION, ActionType.REINSTATE})


class OutcomeStatus(models.TextChoices):
    """What a connector says happened when it was asked to carry out an action."""

    DONE = "done", _("Done")
    PENDING_CONFIRMATION = "pending_confirmation", _("Waiting for a reviewer to confirm")
    QUEUED = "queued", _("Sent to the platform")
    FAILED = "failed", _("Failed")


class ActionStatus(models.TextChoices):
    """Where an :class:`~trustline.platforms.models.EnforcementActionRecord` is.

    ``requested`` is the short window between recording the request and
    hearing back from the connector; a record left there (the process died
    in between) is driven again by the next request with the same key.
    The others are the connector's :class:`OutcomeStatus`; a confirmation
    moves ``pending_confirmation`` or ``queued`` to ``done``.
    """

    REQUESTED = "requested", _("Requested")
    DONE = "done", _("Done")
    PENDING_CONFIRMATION = "pending_confirmation", _("Waiting for a reviewer to confirm")
    QUEUED = "queued", _("Sent to the platform")
    FAILED = "failed", _("Failed")


CONFIRMABLE_STATUSES = frozenset({ActionStatus.PENDING_CONFIRMATION, ActionStatus.QUEUED})

# The outbox event type of an enforcement request sent to the platform.
ENFORCEMENT_EVENT_TYPE = "enforcement.requested"


class SnapshotTrigger(models.TextChoices):
    """Why a content snapshot was taken (:class:`~trustline.platforms.models.ContentSnapshot`)."""

    TRIAGE = "triage", _("When the case was triaged")
    REFRESH = "refresh", _("Regular look while the case is open")
    RETRY = "retry", _("The platform did not answer before")
    REVIEWER = "reviewer", _("Asked for by a reviewer")
    VERIFICATION = "verification", _("Checking that an enforcement action took effect")


class Verification(models.TextChoices):
    """Whether an action took effect on the platform (``EnforcementActionRecord.verification``).

    A removal or suspension should leave the content offline; the
    reinstatement that undoes one should bring it back online.
    """

    NOT_CHECKED = "", _("Not checked")
    OFFLINE = "offline", _("Checked: offline")
    STILL_ONLINE = "still_online", _("Checked: still online")
    UNKNOWN = "unknown", _("The platform could not say")
    BACK_ONLINE = "back_online", _("Checked: back online")
    STILL_OFFLINE = "still_offline", _("Checked: still offline")


# Actions after which the content should be offline: these are checked a few minutes after they are done.
VERIFIED_ACTIONS = frozenset({ActionType.REMOVE, ActionType.SUSPEND_ACCOUNT})

# Findings that say the platform did not do what it answered it did: the team is told and may ask again.
NOT_IN_EFFECT = frozenset({Verification.STILL_ONLINE, Verification.STILL_OFFLINE})


def is_checked(action_type: str, reverses_type: str = "") -> bool:
    """Whether an action is checked once done: a take-down, or the reinstatement that undoes one."""
    if action_type == ActionType.REINSTATE:
        return reverses_type in VERIFIED_ACTIONS
    return action_type in VERIFIED_ACTIONS
