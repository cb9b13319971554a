"""The crisis banner of the console: active crises, and whether the open case falls under one.

``trustline.crisis`` is built in parallel; it is read only through its
selectors (``crisis_list`` with ``state="active"``, ``crises_matching``).
Any application error (e.g. a role that may not see crises) shows no banner
rather than breaking the reviewer's page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from trustline.accounts.permissions import Actor
from trustline.cases.models import Case
from trustline.core.exceptions import ApplicationError


@dataclasses.dataclass(frozen=True)
class CrisisBanner:
    name: str
    level: str
    covers_case: bool


def crisis_banner(*, actor: Actor, now: dt.datetime, case: Case | None = None) -> list[CrisisBanner]:
    from trustline.crisis.selectors import crises_matching, crisis_list  # crisis reads cases; imported late
    try:
        active = list(crisis_list(actor=actor, state="active", now=now)[:5])
        matching = {c.pk for c in crises_matching(case, now=now)} if case is not None else set()
    except ApplicationError:
        return []
    return [
        CrisisBanner(name=str(c.name), level=str(getattr(c, "get_level_display", lambda: "")()),
                     covers_case=c.pk in matching)
        for c in active
    ]
