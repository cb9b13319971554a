"""The app's settings come from Django settings (``trustline/settings.py`` reads the environment once)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from trustline.cases.models import Case
from trustline.oncall import conf
from trustline.oncall.models import AckToken, Emergency
from trustline.oncall.tests.conftest import T0

pytestmark = pytest.mark.usefixtures("chain")


def test_the_defaults_are_the_documented_ones(settings: Any) -> None:
    for name in conf.DEFAULTS:
        delattr(settings, name)  # a settings module that leaves them all out
    assert (conf.pagerduty_url(), conf.sms_webhook_url(), conf.sms_webhook_token()) == (
        "https://events.pagerduty.com/v2/enqueue", "", "")
    assert (conf.ack_link_minutes(), conf.step_late_seconds(), conf.law_enforcement_chain()) == (240, 60, "")


def test_an_acknowledge_link_lives_as_long_as_the_setting_says(
    settings: Any, open_imminent: Callable[..., Case],
) -> None:
    settings.ONCALL_ACK_LINK_MINUTES = 5
    emergency = Emergency.objects.get(case=open_imminent())
    [link] = AckToken.objects.filter(emergency=emergency)
    assert link.expires_at == T0 + dt.timedelta(minutes=5)
