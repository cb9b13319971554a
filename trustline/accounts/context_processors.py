from __future__ import annotations

from django.http import HttpRequest

from trustline.accounts.permissions import Actor
from trustline.accounts.selectors import actor_for_user


def request_actor(request: HttpRequest) -> Actor | None:
    """The signed-in person's actor, computed once per request."""
    cached: Actor | None = getattr(request, "_trustline_actor", None)
    if cached is None and request.user.is_authenticated:
        cached = actor_for_user(request.user)
        request._trustline_actor = cached  # type: ignore[attr-defined]  # per-request cache
    return cached


def actor(request: HttpRequest) -> dict[str, Actor | None]:
    return {"actor": request_actor(request)}
