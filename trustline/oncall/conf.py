"""Typed access to the app's settings, read from Django settings (``trustline/settings.py`` reads the environment).

* ``ONCALL_PAGERDUTY_URL``: where PagerDuty-shaped events are POSTed
  (default the PagerDuty Events API v2 endpoint; point it at a local receiver
  or another tool that speaks the same shape).
* ``ONCALL_SMS_WEBHOOK_URL``: the SMS/voice gateway webhook (empty: SMS and
  voice contacts are skipped and the page is recorded as undeliverable).
* ``ONCALL_SMS_WEBHOOK_TOKEN``: sent as ``Authorization: Bearer`` to the gateway.
* ``ONCALL_ACK_LINK_MINUTES``: how long an acknowledge link works (default 240).
* ``ONCALL_STEP_LATE_SECONDS``: the watchdog calls a step late after this (default 60).
* ``ONCALL_LAW_ENFORCEMENT_CHAIN``: the name of the escalation chain that pages
  for emergency law-enforcement requests (default empty: the default chain,
  the same one imminent-harm cases use).

Each function reads the setting at call time, so tests change it with
pytest-django's ``settings`` fixture. :data:`DEFAULTS` (the same values as
``trustline/settings.py``) covers a settings module that leaves one out.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"

DEFAULTS: dict[str, Any] = {
    "ONCALL_PAGERDUTY_URL": PAGERDUTY_EVENTS_URL,
    "ONCALL_SMS_WEBHOOK_URL": "",
    "ONCALL_SMS_WEBHOOK_TOKEN": "",
    "ONCALL_ACK_LINK_MINUTES": 240,
    "ONCALL_STEP_LATE_SECONDS": 60,
    "ONCALL_LAW_ENFORCEMENT_CHAIN": "",
}


def _get(name: str) -> Any:
    value = getattr(settings, name, None)
    return DEFAULTS[name] if value is None else value


def pagerduty_url() -> str:
    return str(_get("ONCALL_PAGERDUTY_URL"))


def sms_webhook_url() -> str:
    return str(_get("ONCALL_SMS_WEBHOOK_URL"))


def sms_webhook_token() -> str:
    return str(_get("ONCALL_SMS_WEBHOOK_TOKEN"))


def ack_link_minutes() -> int:
    return int(_get("ONCALL_ACK_LINK_MINUTES"))


def step_late_seconds() -> int:
    return int(_get("ONCALL_STEP_LATE_SECONDS"))


def law_enforcement_chain() -> str:
    return str(_get("ONCALL_LAW_ENFORCEMENT_CHAIN")).strip()
