"""Trends fixtures: reports through the real intake service at chosen moments.

Extra persona: ``policy_polly`` (a policy analyst, who may read and dismiss
spikes and read incidents, but not decide cases).

``submit(user, at=..., **overrides)`` submits one report as ``user`` with the
clock frozen at ``at``; ``item(url, excerpt)`` builds an item.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.choices import Role
from trustline.accounts.models import Organisation, User
from trustline.conftest import actor_of, make_person
from trustline.core import clock
from trustline.intake.choices import Channel
from trustline.intake.schemas import ReportIn
from trustline.intake.services import SubmitResult, report_submit

# A Monday; detection tests count whole UTC days from here.
T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)

Submit = Callable[..., SubmitResult]


@pytest.fixture
def policy_polly(kite: Organisation) -> User:
    return make_person(kite, "polly", "Polly Policy-Analyst", Role.POLICY_ANALYST)


@pytest.fixture
def submit(report_payload: Callable[..., dict[str, Any]]) -> Submit:
    def make(user: User, *, at: dt.datetime = T0, **overrides: Any) -> SubmitResult:
        with clock.frozen_at(at):
            return report_submit(actor=actor_of(user), data=ReportIn(**report_payload(**overrides)),
                                 channel=Channel.API)

    return make


def item(url: str, excerpt: str = "", kind: str = "post") -> dict[str, str]:
    return {"url": url, "kind": kind, "excerpt": excerpt}


@pytest.fixture
def demo_platform(settings: Any) -> None:
    """The platform connector is the demo platform Kite: it knows authors of /@handle/... addresses."""
    settings.PLATFORM_CONNECTOR = {"BACKEND": "trustline.platforms.connectors.DemoPlatformConnector", "OPTIONS": {}}
