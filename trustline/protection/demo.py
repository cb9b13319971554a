"""The protected-people step of the demo programme: nominations approved, pending and rejected.

Partners nominate through ``nomination_submit``; the programme manager and
an escalation lead decide through ``nomination_decide``, so partners find
the outcome (and its reason) in their outbox.
"""

from __future__ import annotations

import datetime as dt

from trustline.accounts.choices import Role
from trustline.accounts.models import Membership
from trustline.accounts.permissions import Actor
from trustline.accounts.selectors import actor_for_user
from trustline.core import clock
from trustline.demo.extensions import DemoContext
from trustline.protection.services import nomination_decide, nomination_submit

# (partner slug, account URL, category, justification, decision: None pending / (approve, reason), days ago)
NOMINATIONS = [
    ("red-araguaney", "https://kite.example/@red_araguaney_oficial", "journalist",
     "Network of independent journalists; coordinated mass reporting against its account before each election.",
     (True, "Verified: an established journalists' network, repeatedly targeted."), 40),
    ("nilein-watch", "https://kite.example/@nour.elfasher.hrd", "human_rights_defender",
     "Documents attacks on shelters in El Fasher; her account is reported by militia supporters to silence her.",
     (True, "Confirmed with two partners; at risk during the siege."), 4),
    ("nilein-watch", "https://kite.example/@zamzam.witness", "witness",
     "Filmed the Zamzam camp attack; the videos are evidence and are being reported as graphic content.",
     None, 1),
    ("red-araguaney", "https://kite.example/@consulta.cne.ve", "election_candidate",
     "Electoral information page under attack.", (False, "An institutional page, not a person at risk."), 10),
]


def _partner_actor(ctx: DemoContext, slug: str) -> Actor | None:
    organisation = ctx.partners.get(slug)
    membership = Membership.objects.filter(organisation=organisation).select_related("user").order_by("pk").first()
    return actor_for_user(membership.user) if membership is not None else None


def demo_extend(*, ctx: DemoContext) -> list[str]:
    deciders = [actor_for_user(ctx.staff[p["username"]]) for p in ctx.data.staff
                if Role.PROGRAMME_MANAGER in p["roles"] or Role.ESCALATION_LEAD in p["roles"]]
    staff = [a for a in deciders if a is not None]
    counts = {"approved": 0, "pending": 0, "rejected": 0}
    for index, (slug, url, category, why, decision, days_ago) in enumerate(NOMINATIONS):
        partner = _partner_actor(ctx, slug)
        if partner is None or not staff:
            continue
        at = ctx.now - dt.timedelta(days=days_ago)
        with clock.frozen_at(at):
            nomination = nomination_submit(actor=partner, platform="kite", account_url=url, category=category,
                                           justification=why)
        if decision is None:
            counts["pending"] += 1
            continue
        approve, reason = decision
        with clock.frozen_at(at + dt.timedelta(hours=5)):
            nomination_decide(actor=staff[index % len(staff)], nomination_id=nomination.pk, approve=approve,
                              reason=reason)
        counts["approved" if approve else "rejected"] += 1
    return [f"Protected people: {counts['approved']} nominations approved, {counts['pending']} pending, "
            f"{counts['rejected']} rejected (registry at /protection/)."]
