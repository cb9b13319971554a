"""Settings of the law-enforcement channel: ``settings.LAW_ENFORCEMENT`` over these defaults.

Kept in the app (read with ``getattr``) so a deployment overrides only what it
needs, e.g. ``LAW_ENFORCEMENT = {"STALE_CONTACT_DAYS": 60}``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "STALE_CONTACT_DAYS": 90,  # a contact not verified for this long is listed for re-verification
    "HOLD_DAYS": 90,  # §2703(f) preservation period
    "HOLD_EXTENSION_DAYS": 90,  # one renewal of the same length
    "NCMEC_HOLD_DAYS": 365,  # §2258A(h): a CyberTipline report is a one-year preservation request
    "HOLD_REMINDER_DAYS": 14,  # remind liaisons this long before a hold expires
    "EMERGENCY_DEADLINE_HOURS": 2,  # default answer deadline of an emergency disclosure request
    "EMERGENCY_MAX_HOURS": 72,  # an emergency deadline further out than this is a mistake
    "DEFAULT_DEADLINE_DAYS": 14,  # other requests, when the request names no deadline
    "PRESERVATION_DEADLINE_DAYS": 2,  # preserve promptly
    "NCMEC": {
        "ENABLED": False,  # the submission client is off unless a deployment turns it on
        "BASE_URL": "https://exttest.cybertip.org/ispws",
        "USERNAME": "",
        "PASSWORD": "",
        "TIMEOUT_SECONDS": 30,
        "REPORTER_EMAIL": "",
        "REPORTER_FIRST_NAME": "",
        "REPORTER_LAST_NAME": "",
        "PLATFORM": "",
    },
}


def le_setting(name: str) -> Any:
    """One setting, the deployment's value first; for ``NCMEC`` the dictionaries are merged."""
    configured: dict[str, Any] = getattr(settings, "LAW_ENFORCEMENT", {}) or {}
    if name == "NCMEC":
        return {**DEFAULTS["NCMEC"], **(configured.get("NCMEC") or {})}
    return configured.get(name, DEFAULTS[name])


def le_int(name: str) -> int:
    return int(le_setting(name))
