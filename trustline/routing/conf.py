"""Typed access to the ``ROUTING`` settings, with the defaults documented in ``trustline/settings.py``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "LANGUAGE_WAIT_MINUTES": 30,
    "REGIONAL_WAIT_MINUTES": 30,
    "TRANSLATION_WAIT_MINUTES": 30,
    "IMMINENT_WAIT_MINUTES": 2,
    "LEASE_MINUTES": 20,
    "REASSIGN_LEASE_MINUTES": 240,
    "MAX_HELD": 1,
    "CANDIDATES_PER_KEY": 16,
    "DETECT_LANGUAGES": [
        "ar", "en", "fr", "es", "pt", "ur", "hi", "bn", "fa", "tr", "ru", "uk", "sw", "so",
        "id", "ms", "tl", "zh", "de", "it", "ka", "hy", "az",
    ],
    "DETECT_MIN_CONFIDENCE": 0.7,
    "DETECT_MAX_CHARS": 2000,
    "PREPARE_CLAIM_QUERY": True,
}


@dataclasses.dataclass(frozen=True)
class RoutingSettings:
    language_wait: dt.timedelta
    regional_wait: dt.timedelta
    translation_wait: dt.timedelta
    imminent_wait: dt.timedelta
    lease: dt.timedelta
    reassign_lease: dt.timedelta
    max_held: int
    candidates_per_key: int
    detect_languages: tuple[str, ...]
    detect_min_confidence: float
    detect_max_chars: int
    prepare_claim_query: bool


def routing_settings() -> RoutingSettings:
    """Read ``settings.ROUTING`` each call (tests override it), falling back to :data:`DEFAULTS`."""
    raw: dict[str, Any] = {**DEFAULTS, **getattr(settings, "ROUTING", {})}

    def minutes(name: str) -> dt.timedelta:
        value = int(raw[name])
        if value < 0:
            raise ValueError(f"ROUTING[{name!r}] must not be negative")
        return dt.timedelta(minutes=value)

    return RoutingSettings(
        language_wait=minutes("LANGUAGE_WAIT_MINUTES"),
        regional_wait=minutes("REGIONAL_WAIT_MINUTES"),
        translation_wait=minutes("TRANSLATION_WAIT_MINUTES"),
        imminent_wait=minutes("IMMINENT_WAIT_MINUTES"),
        lease=max(dt.timedelta(minutes=1), minutes("LEASE_MINUTES")),
        reassign_lease=max(dt.timedelta(minutes=1), minutes("REASSIGN_LEASE_MINUTES")),
        max_held=max(1, int(raw["MAX_HELD"])),
        candidates_per_key=max(1, int(raw["CANDIDATES_PER_KEY"])),
        detect_languages=tuple(str(code).lower() for code in raw["DETECT_LANGUAGES"]),
        detect_min_confidence=float(raw["DETECT_MIN_CONFIDENCE"]),
        detect_max_chars=max(50, int(raw["DETECT_MAX_CHARS"])),
        prepare_claim_query=bool(raw["PREPARE_CLAIM_QUERY"]),
    )
