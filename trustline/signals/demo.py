"""The signal-exchange step of the demo programme: two peer platforms, what we shared, what they sent.

* Otter Social receives up to TLP:AMBER in every category and sends us
  signals; Heron Video receives TLP:GREEN about incitement and threats only.
* An escalation lead shares the URLs of some cases decided as violating,
  and one phrase of a campaign; one shared URL is withdrawn again.
* Otter sends URL signals: one names content of an open case (shown on
  that case's page), one content we have no case about; and it gives its
  opinion of two of ours, disputing one.

Everything goes through the services, a few hours before now, so the feeds
(which serve changes after 30 s) already carry it.
"""

from __future__ import annotations

import datetime as dt

from trustline.accounts.choices import OrganisationKind, Role
from trustline.accounts.models import Membership
from trustline.accounts.permissions import Actor
from trustline.accounts.selectors import actor_for_api_key, actor_for_user
from trustline.accounts.services import apikey_create, organisation_create
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.core import clock
from trustline.demo.extensions import DemoContext
from trustline.review.choices import DecisionStatus, Outcome
from trustline.review.models import Decision
from trustline.signals.choices import Opinion, Tlp
from trustline.signals.services import (
    agreement_set,
    signal_feedback_give,
    signal_receive,
    signal_share,
    signal_withdraw,
)

SHARED_CASES = 5
CAMPAIGN_PHRASE = "كل من يساعد النازحين في الفاشر خائن ويجب تأديبه"  # a campaign's slogan (invented)


def _staff_actor(ctx: DemoContext, role: Role) -> Actor | None:
    membership = (Membership.objects.filter(organisation=ctx.platform, role=role).select_related("user")
                  .order_by("pk").first())
    return actor_for_user(membership.user) if membership is not None else None


def demo_extend(*, ctx: DemoContext) -> list[str]:
    manager, lead = _staff_actor(ctx, Role.PROGRAMME_MANAGER), _staff_actor(ctx, Role.ESCALATION_LEAD)
    if manager is None or lead is None:
        return []
    at = ctx.now - dt.timedelta(hours=6)
    with clock.frozen_at(at - dt.timedelta(days=20)):
        otter = organisation_create(actor=manager, name="Otter Social", kind=OrganisationKind.PEER_PLATFORM,
                                    contact_email="trust-exchange@otter.example")
        heron = organisation_create(actor=manager, name="Heron Video", kind=OrganisationKind.PEER_PLATFORM,
                                    contact_email="integrity@heron.example")
        agreement_set(actor=manager, peer_slug=otter.slug, max_tlp=Tlp.AMBER,
                      note="Data-sharing agreement DSA-2026-03")
        agreement_set(actor=manager, peer_slug=heron.slug, max_tlp=Tlp.GREEN, accepts_inbound=False,
                      categories=["incitement_violence", "threat_to_life"], note="Memorandum of 12 May 2026")
        otter_key = apikey_create(actor=manager, organisation=otter, name="Otter exchange")
    violating = (Decision.objects.filter(status=DecisionStatus.EFFECTIVE, outcome=Outcome.VIOLATING,
                                         case__canonical_url__gt="")
                 .order_by("effective_at").values_list("case_id", flat=True))
    shared = []
    with clock.frozen_at(at):
        for index, case_id in enumerate(list(dict.fromkeys(violating))[:SHARED_CASES]):
            signal, _new = signal_share(actor=lead, case_id=case_id, tlp=Tlp.AMBER if index == 0 else Tlp.GREEN,
                                        tags=["demo"])
            shared.append(signal)
        signal_share(actor=lead, signal_type="raw_text", value=CAMPAIGN_PHRASE, category="incitement_violence",
                     tlp=Tlp.GREEN, tags=["el-fasher", "campaign"],
                     description="Slogan of a coordinated campaign against aid workers in El Fasher.")
    if shared:
        with clock.frozen_at(at + dt.timedelta(hours=1)):
            signal_withdraw(actor=lead, signal_id=shared[-1].pk,
                            reason="On a second look the post quotes the threat to condemn it.")
    peer = actor_for_api_key(otter_key.raw)
    open_case = Case.objects.filter(is_open=True, canonical_url__gt="").exclude(
        status__in=[CaseStatus.DECIDED, CaseStatus.CLOSED]).order_by("-priority", "opened_at").first()
    received = 0
    with clock.frozen_at(at + dt.timedelta(hours=2)):
        if open_case is not None:
            signal_receive(actor=peer, signal_type="url", value=open_case.canonical_url, tlp=Tlp.AMBER,
                           category=open_case.category_code, tags=["coordinated"], external_id="otter-ux-20931",
                           description="The same text was posted by 40 accounts created this week.")
            received += 1
        signal_receive(actor=peer, signal_type="url", value="https://kite.example/posts/otter-mirror-8812",
                       tlp=Tlp.GREEN, category="incitement_violence", external_id="otter-ux-20944")
        received += 1
        for signal, opinion, note in zip(shared[:2], (Opinion.POSITIVE_CLASS, Opinion.NEGATIVE_CLASS),
                                         ("Same account removed on our side.",
                                          "Our reviewers read it as satire of the account it names."), strict=False):
            signal_feedback_give(actor=peer, signal_id=signal.pk, opinion=opinion, note=note)
    return [f"Signal exchange: 2 peer platforms (Otter Social, Heron Video); {len(shared) + 1} signals shared, "
            f"{received} received from Otter ({1 if open_case else 0} on an open case). Otter's exchange key: "
            f"{otter_key.raw}"]
