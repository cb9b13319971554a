"""Undoing on the platform what a replaced decision did: ``reinstate`` actions after a contest reversal.

When a contest replaces a decision (``appeals`` -> ``review.services.decision_apply``),
the new decision's enforcement (``services.decision_enforce``) first asks the
platform, through the connector in force, to undo each action of the
replaced decision that the new one does not keep: a removal reversed to
"not violating" puts the post back; a removal reduced to a geo-restriction
puts it back everywhere else. Each request is an ordinary enforcement action
(``platforms.services.action_request``: recorded, audited, idempotent) of
type ``reinstate`` naming the key of the action it undoes.
"""

from __future__ import annotations

import logging

from trustline.accounts.permissions import Actor
from trustline.cases.models import Case
from trustline.core.exceptions import ApplicationError
from trustline.platforms.choices import REINSTATABLE_ACTIONS, ActionStatus, ActionType
from trustline.platforms.connectors import ContentRef, EnforcementAction
from trustline.platforms.models import EnforcementActionRecord
from trustline.platforms.services import action_request
from trustline.review.choices import Outcome
from trustline.review.models import Decision

logger = logging.getLogger(__name__)


def platform_actions(decision: Decision) -> list[str]:
    """The decision's actions that change something on the platform."""
    return [a for a in decision.actions if a != ActionType.NO_ACTION]


def _to_reinstate(decision: Decision) -> list[EnforcementActionRecord]:
    """The platform actions of the decision(s) ``decision`` replaced that it does not keep.

    An action counts when the platform did it, or may have (``done``,
    ``queued``, waiting for a person's confirmation). It is kept when the new
    decision asks for the same thing again (same type, same countries, same
    label); anything else is undone.
    """
    replaced = [str(pk) for pk in Decision.objects.filter(superseded_by=decision).values_list("pk", flat=True)]
    if not replaced:
        return []
    kept = set(platform_actions(decision)) if decision.outcome == Outcome.VIOLATING else set()
    records = EnforcementActionRecord.objects.filter(
        decision_id__in=replaced, action_type__in=REINSTATABLE_ACTIONS,
        status__in=[ActionStatus.DONE, ActionStatus.QUEUED, ActionStatus.PENDING_CONFIRMATION],
    ).order_by("requested_at", "id")
    undo = []
    for record in records:
        same = record.action_type in kept and (
            record.action_type != ActionType.GEO_RESTRICT
            or sorted(record.territorial_scope) == sorted(decision.territorial_scope)
        ) and (record.action_type != ActionType.LABEL or record.label == decision.label_text)
        if not same:
            undo.append(record)
    return undo


def reinstate_replaced(*, actor: Actor, decision: Decision, case: Case) -> list[EnforcementActionRecord]:
    """Ask the platform to undo what a replaced decision did and ``decision`` does not keep (a reversal).

    Each reinstatement is keyed ``reinstate:<key of the action undone>``, so
    it is requested once however often this runs, whichever decision asks.
    """
    records = []
    for undone in _to_reinstate(decision):
        action = EnforcementAction(
            action_type=ActionType.REINSTATE,
            target=ContentRef(url=undone.target_url, platform_id=undone.target_platform_id,
                              kind=undone.target_kind),
            case_id=str(case.pk),
            idempotency_key=f"reinstate:{undone.idempotency_key}"[:200],
            decision_id=str(decision.pk),
            reason=f"Decision {undone.decision_id} was replaced by decision {decision.pk} "
                   f"({decision.get_outcome_display().lower()}) after a contest."[:2000],
            policy_code=decision.policy.code if decision.policy is not None else "",
            reverses_key=undone.idempotency_key,
            reverses_type=undone.action_type,
        )
        try:
            records.append(action_request(actor=actor, case=case, action=action))
        except ApplicationError:
            logger.exception("reinstating %s for decision %s was refused", undone.idempotency_key, decision.pk)
    return records
