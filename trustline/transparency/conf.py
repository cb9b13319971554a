"""Typed access to the transparency settings.

Configured by the optional ``TRUSTLINE_TDB`` settings dictionary, whose
keys default to environment variables, so a deployment needs no code change:

* ``SUBMIT`` (``TRUSTLINE_TDB_SUBMIT``, default off): send statements of
  reasons to the DSA Transparency Database. Off by default on purpose: the
  statements of a test install must never reach the Commission.
* ``BASE_URL`` (``TRUSTLINE_TDB_BASE_URL``): the TDB host, default the
  production host; use the sandbox host while onboarding.
* ``TOKEN`` (``TRUSTLINE_TDB_TOKEN``): the platform's API token (Bearer).
* ``TIMEOUT`` seconds per request (default 30).
* ``TRUSTED_FLAGGER_NEEDS_DSC`` (``TRUSTLINE_TDB_TF_NEEDS_DSC``, default
  off): count a partner's notices as ``SOURCE_TRUSTED_FLAGGER`` only when
  its accreditation names the awarding Digital Services Coordinator. Off,
  every accredited partner of the programme counts as a trusted flagger.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

DEFAULT_BASE_URL = "https://transparency.dsa.ec.europa.eu"


def _settings() -> dict[str, Any]:
    value: Any = getattr(settings, "TRUSTLINE_TDB", None) or {}
    return dict(value)


def _flag(key: str, env: str) -> bool:
    value = _settings().get(key)
    if value is None:
        value = os.environ.get(env, "")
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def submit_enabled() -> bool:
    return _flag("SUBMIT", "TRUSTLINE_TDB_SUBMIT") and bool(token())


def base_url() -> str:
    return str(_settings().get("BASE_URL") or os.environ.get("TRUSTLINE_TDB_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def token() -> str:
    return str(_settings().get("TOKEN") or os.environ.get("TRUSTLINE_TDB_TOKEN") or "")


def timeout() -> float:
    return float(_settings().get("TIMEOUT") or 30)


def trusted_flagger_needs_dsc() -> bool:
    return _flag("TRUSTED_FLAGGER_NEEDS_DSC", "TRUSTLINE_TDB_TF_NEEDS_DSC")
