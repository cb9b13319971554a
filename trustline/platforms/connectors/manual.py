"""The manual connector: for platforms Trustline cannot call.

The reviewer carries out the action in the platform's own tools and then
confirms it in Trustline with the platform's reference
(:func:`trustline.platforms.services.action_confirm`). ``describe`` knows
only what Trustline already has: the address of the content.
"""

from __future__ import annotations

from trustline.core import clock
from trustline.platforms.choices import ActionType, OutcomeStatus
from trustline.platforms.connectors.base import (
    ActionOutcome,
    ContentDescription,
    ContentRef,
    EnforcementAction,
    PlatformConnector,
)


class ManualConnector(PlatformConnector):
    """Nothing is fetched and nothing is sent: a person acts and confirms."""

    name = "manual"

    def can_describe(self) -> bool:
        return False

    def describe(self, item: ContentRef) -> ContentDescription:
        return ContentDescription.unavailable(
            item=item,
            source=self.name,
            fetched_at=clock.now(),
            error="No platform connector is configured: open the item in the platform's own tools.",
        )

    def apply(self, action: EnforcementAction) -> ActionOutcome:
        if action.action_type == ActionType.NO_ACTION:
            return ActionOutcome(status=OutcomeStatus.DONE, message="No action on the platform.")
        if action.action_type == ActionType.REINSTATE:
            undone = ActionType(action.reverses_type).label if action.reverses_type in ActionType.values else "?"
            return ActionOutcome(
                status=OutcomeStatus.PENDING_CONFIRMATION,
                message=(
                    f"A contest reversed the decision: undo '{undone}' (sent as {action.reverses_key}) in the "
                    "platform's own tools, then confirm it here with the platform's reference."
                ),
            )
        return ActionOutcome(
            status=OutcomeStatus.PENDING_CONFIRMATION,
            message=(
                f"Carry out '{ActionType(action.action_type).label}' in the platform's own tools, "
                "then confirm it here with the platform's reference."
            ),
        )
