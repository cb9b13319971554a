"""Protection fixtures: nominations through the real services at a fixed clock.

``nominate(user, **fields)`` has a partner person nominate an account
(a Kite journalist by default); ``decide(user, nomination, approve, reason)``
has staff decide it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from trustline.accounts.models import User
from trustline.conftest import actor_of
from trustline.core import clock
from trustline.protection.models import Nomination
from trustline.protection.services import nomination_decide, nomination_submit

T0 = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
AMNA = "https://www.kite.example/@amna.journalist"

Nominate = Callable[..., Nomination]
Decide = Callable[..., Nomination]


@pytest.fixture
def at_t0() -> Iterator[dt.datetime]:
    with clock.frozen_at(T0):
        yield T0


@pytest.fixture
def nominate() -> Nominate:
    def make(user: User, **fields: Any) -> Nomination:
        data: dict[str, Any] = {"platform": "kite", "account_url": AMNA, "category": "journalist",
                                "justification": "Investigates militia abuses in Darfur; threatened after a report."}
        data.update(fields)
        return nomination_submit(actor=actor_of(user), **data)

    return make


@pytest.fixture
def decide() -> Decide:
    def make(user: User, nomination: Nomination, approve: bool = True, reason: str = "Verified with the partner.",
             **extra: Any) -> Nomination:
        return nomination_decide(actor=actor_of(user), nomination_id=nomination.pk, approve=approve, reason=reason,
                                 **extra)

    return make
