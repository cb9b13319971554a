"""Later capabilities grow the demo programme here.

:func:`demo_extend` runs each step below in order. A step is
``trustline.<app>.demo.demo_extend(*, ctx: DemoContext) -> list[str]``: it
adds what its app brings (decided cases, crises, on-call rotas, ...) through
that app's services, and returns notes for the summary printed at start.
Steps run inside the demo's transaction with the demo's fast password hasher.

The partners' reports are not all in when the first step starts. A step that
replays the programme's two months (``REPLAYS_REPORTS = True`` in its module:
the review step) submits them as its clock moves, through
``ctx.reports.until(moment)``; before any other step, every report is in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trustline.accounts.models import Organisation, User
    from trustline.demo.services import ReportReplay

# Order matters: review work first (cases get decided), then what builds on it.
STEPS: list[str] = [
    # --- steps: each app uncomments its own line when its demo.py exists ---
    "trustline.review.demo",  # reviewer skills, triage, claims, decisions, contests (issue 3)
    "trustline.protection.demo",
    "trustline.crisis.demo",
    "trustline.oncall.demo",
    "trustline.lawenforcement.demo",
    "trustline.trends.demo",
    "trustline.signals.demo",
    # "trustline.metrics.demo",
    # "trustline.transparency.demo",
    # "trustline.console.demo",
    # --- end steps ---
]


@dataclass
class DemoContext:
    """What the earlier demo steps made, for the later ones to build on."""

    now: dt.datetime
    platform: Organisation
    staff: dict[str, User]  # by username; roles and skills are in demo/data/staff.json
    partners: dict[str, Organisation]  # by slug
    data: Any  # trustline.demo.plan.DemoData
    reports: ReportReplay  # the partners' planned reports, submitted as a replay's clock reaches them
    extra: dict[str, Any] = field(default_factory=dict)  # steps may leave things for later steps


def demo_extend(ctx: DemoContext) -> list[str]:
    """Run every step in order and collect their notes."""
    notes: list[str] = []
    for dotted in STEPS:
        module = import_module(dotted)
        if not getattr(module, "REPLAYS_REPORTS", False):
            ctx.reports.until(ctx.now)
        notes.extend(module.demo_extend(ctx=ctx))
    return notes
