"""The demo platform connector: talks to Kite, the demo platform that lives inside Trustline.

Kite's content and state are in :mod:`trustline.platforms.demo`; this class
only puts the connector interface in front of it. ``apply`` changes Kite's
state for real and answers ``done``; ``describe`` shows the change.
"""

from __future__ import annotations

from trustline.platforms.connectors.base import (
    ActionOutcome,
    ContentDescription,
    ContentRef,
    EnforcementAction,
    PlatformConnector,
)


class DemoPlatformConnector(PlatformConnector):
    """The connector of the demo programme and the end-to-end tests: the whole loop, locally."""

    name = "demo"

    def describe(self, item: ContentRef) -> ContentDescription:
        from trustline.platforms.demo import demo_describe  # the platform's models load with the app registry

        return demo_describe(item)

    def apply(self, action: EnforcementAction) -> ActionOutcome:
        from trustline.platforms.demo import demo_apply

        return demo_apply(action)
