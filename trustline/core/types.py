"""Shared types."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from trustline.accounts.permissions import Actor


class ApiRequest(HttpRequest):
    """A request that passed API authentication: ``auth`` is the acting :class:`Actor`."""

    auth: Actor
