"""The crisis step of the demo programme: one past crisis and one active one, through the services.

1. A past crisis: Sudan, level 3, designated by the programme manager two
   months ago and ended three weeks later (the clock is frozen at each moment,
   so the audit log reads like the real sequence).
2. An active crisis: the El Fasher siege (Sudan, Arabic, threats to life
   and incitement, level 2),
   designated five days ago with its shared queue; its re-score runs now, so
   the open Sudanese cases carry the boost, the tighter SLA and the label.
"""

from __future__ import annotations

import datetime as dt

from trustline.accounts.choices import Role
from trustline.accounts.selectors import actor_for_user
from trustline.core import clock
from trustline.crisis.rescore import crisis_rescore
from trustline.crisis.services import CrisisInput, crisis_designate, crisis_end
from trustline.demo.extensions import DemoContext


def demo_extend(*, ctx: DemoContext) -> list[str]:
    manager_name = next(p["username"] for p in ctx.data.staff if Role.PROGRAMME_MANAGER in p["roles"])
    manager = actor_for_user(ctx.staff[manager_name])
    if manager is None:
        return ["Crises: skipped (no programme manager in the demo staff)."]
    past_start = ctx.now - dt.timedelta(days=60)
    with clock.frozen_at(past_start):
        past = crisis_designate(actor=manager, data=CrisisInput(
            name="Sudan: Khartoum fighting", countries=["SD"], level=3, starts_at=past_start,
            notes="Fighting in Khartoum and Omdurman; displacement towards Wad Madani.",
        ))
    with clock.frozen_at(past_start + dt.timedelta(days=21)):
        crisis_end(actor=manager, crisis_id=past.pk, reason="Fighting moved out of the capital; back to normal.")
    active_start = ctx.now - dt.timedelta(days=5)
    with clock.frozen_at(active_start):
        active = crisis_designate(actor=manager, data=CrisisInput(
            name="Sudan: El Fasher siege", countries=["SD"], languages=["ar"], level=2, starts_at=active_start,
            categories=["threat_to_life", "incitement_violence"],
            notes="RSF siege of El Fasher; threats against shelters and aid workers in North Darfur.",
        ))
    with clock.frozen_at(ctx.now):
        crisis_rescore(crisis_id=past.pk)
        result = crisis_rescore(crisis_id=active.pk)
    return [
        f"Crises: \u201c{past.name}\u201d (past, level 3) and \u201c{active.name}\u201d (active, level 2): "
        f"{result.rescored} open cases boosted, {result.tagged} labelled crisis:{active.slug}.",
    ]
