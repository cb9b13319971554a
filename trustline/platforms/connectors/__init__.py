"""Platform connectors: the interface, the three built-in connectors, and the one in force.

The connector in force is configured in settings::

    PLATFORM_CONNECTOR = {
        "BACKEND": "trustline.platforms.connectors.WebhookConnector",
        "OPTIONS": {"URL": "https://...", "SECRET": "whsec_...", "DESCRIBE_URL": "https://..."},
    }

``BACKEND`` is the dotted path of a :class:`PlatformConnector` subclass (an
operator may point it at their own); ``OPTIONS`` are passed to its
constructor. Without the setting: the demo platform when ``DEBUG`` is on,
the manual connector otherwise (never a fake platform in production).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from trustline.platforms.connectors.base import (
    AccountInfo,
    ActionOutcome,
    ContentDescription,
    ContentRef,
    EnforcementAction,
    MediaInfo,
    PlatformConnector,
    Reach,
)
from trustline.platforms.connectors.demo import DemoPlatformConnector
from trustline.platforms.connectors.manual import ManualConnector
from trustline.platforms.connectors.webhook import WebhookConnector

__all__ = [
    "AccountInfo",
    "ActionOutcome",
    "ContentDescription",
    "ContentRef",
    "DemoPlatformConnector",
    "EnforcementAction",
    "ManualConnector",
    "MediaInfo",
    "PlatformConnector",
    "Reach",
    "WebhookConnector",
    "get_connector",
]

DEMO_BACKEND = "trustline.platforms.connectors.DemoPlatformConnector"
MANUAL_BACKEND = "trustline.platforms.connectors.ManualConnector"


def connector_settings() -> tuple[str, dict[str, Any]]:
    """``(BACKEND, OPTIONS)`` from settings, with the default described in the module docstring."""
    config: Any = getattr(settings, "PLATFORM_CONNECTOR", None) or {}
    if not isinstance(config, dict):
        raise ImproperlyConfigured("PLATFORM_CONNECTOR must be a dict with BACKEND and OPTIONS")
    backend = str(config.get("BACKEND") or (DEMO_BACKEND if settings.DEBUG else MANUAL_BACKEND))
    options = config.get("OPTIONS") or {}
    if not isinstance(options, dict):
        raise ImproperlyConfigured("PLATFORM_CONNECTOR OPTIONS must be a dict")
    return backend, dict(options)


def get_connector() -> PlatformConnector:
    """The connector in force (built once per configuration, so cheap to call per request)."""
    backend, options = connector_settings()
    return _build(backend, json.dumps(options, sort_keys=True, default=str))


@lru_cache(maxsize=8)
def _build(backend: str, options_json: str) -> PlatformConnector:
    try:
        cls = import_string(backend)
    except ImportError as exc:
        raise ImproperlyConfigured(f"PLATFORM_CONNECTOR BACKEND {backend!r} cannot be imported: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, PlatformConnector)):
        raise ImproperlyConfigured(f"PLATFORM_CONNECTOR BACKEND {backend!r} is not a PlatformConnector subclass")
    connector: PlatformConnector = cls(**json.loads(options_json))
    return connector
