"""Who may enter the law-enforcement area.

The area exists only for the platform's own staff: for partners (and anyone
not on the platform side) every object and every list answers "not found",
so a partner cannot even learn the area holds something. Staff without the
right role get 403 as elsewhere. Administrators hold every permission.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from trustline.accounts.permissions import Actor, Perm, require
from trustline.core.exceptions import NotFound

P = ParamSpec("P")
R = TypeVar("R")


def le_require(actor: Actor, perm: Perm, *alternatives: Perm) -> None:
    """NotFound for anyone outside the platform team; then the permission (any one of those given)."""
    if not actor.is_staff_side:
        raise NotFound("Not found.")
    if not any(actor.has(p) for p in (perm, *alternatives)):
        require(actor, perm)


def le_requires(perm: Perm, *alternatives: Perm) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``@requires`` for this area: partners get 404, staff without the role 403."""

    def decorator(func: Callable[P, R]) -> Callable[P, R]:
        @wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            request: Any = args[0]
            le_require(request.auth, perm, *alternatives)
            return func(*args, **kwargs)

        wrapper.required_perm = perm  # type: ignore[attr-defined]  # read by authorisation-matrix tests
        wrapper.required_perms = (perm, *alternatives)  # type: ignore[attr-defined]  # idem
        return wrapper

    return decorator
