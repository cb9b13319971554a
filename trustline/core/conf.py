"""Typed access to the ``TRUSTLINE`` settings dictionary."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def limit(name: str) -> int:
    value: Any = settings.TRUSTLINE[name]
    return int(value)


def option(name: str) -> str:
    value: Any = settings.TRUSTLINE.get(name, "")
    return str(value)
