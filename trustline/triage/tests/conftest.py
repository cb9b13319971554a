"""Triage fixtures: submitting through the real intake service, and a fixed clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.core import clock
from trustline.intake.choices import Channel
from trustline.intake.schemas import ReportIn
from trustline.intake.services import SubmitResult, report_submit

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

Submit = Callable[..., SubmitResult]


@pytest.fixture
def at_t0() -> Iterator[dt.datetime]:
    """Freeze the clock at ``T0`` (a Monday, 09:00 UTC) so due times are exact."""
    with clock.frozen_at(T0):
        yield T0


@pytest.fixture
def submit(report_payload: Callable[..., dict[str, Any]]) -> Submit:
    """``submit(user, **overrides)``: a report through ``intake.services.report_submit`` as that partner person."""

    def make(user: User, **overrides: Any) -> SubmitResult:
        return report_submit(actor=actor_of(user), data=ReportIn(**report_payload(**overrides)), channel=Channel.API)

    return make


def case_of(result: SubmitResult, position: int = 0) -> Case:
    return Case.objects.get(pk=result.items[position].case_id)
