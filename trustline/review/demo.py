"""The review step of the demo programme: two months of triage, claims, decisions and contests.

Runs after the partners' reports are in (``trustline.demo.extensions``), only
through the services, with the clock frozen at plausible moments so every
timeline, audit entry and SLA clock looks like real work:

1. **Skills.** The programme manager gives every reviewer and escalation
   lead the skills of ``demo/data/staff.json`` (languages, countries, policy
   areas, clearances, time zone) through ``routing.reviewers``; the file
   names categories, which become their policy areas.
2. **A simulated working day, two months long.** Events are replayed in time
   order from a heap, and the partners' reports arrive among them, each at
   its planned moment (``ctx.reports.until``). A report of content whose
   case was decided meanwhile opens a new case, as it would in production;
   when every report was submitted first, a case reported again weeks later
   was triaged only then, and the demo showed fifty cases overdue by weeks:

   * the triage job runs a few minutes after each half hour in which reports
     arrived and triages the cases reported by then (so no partner's
     timeline shows "triaged" before "received"); an imminent-harm case goes
     to the emergency board, off the ordinary queue, and an escalation lead
     decides it within half an hour, except the newest :data:`LEFT_ON_BOARD`,
     which the on-call step leaves there;
   * on weekdays each reviewer takes a few turns in their own working hours
     (their time zone): a turn is ``case_claim_next`` at that moment, so a
     case can only be taken once it is triaged, and the most urgent case
     the reviewer may take is the one they get; they decide it a quarter of
     an hour later. The team keeps up: every turn is taken until the last
     :data:`RECENT_WORKDAYS` working days, and only some after, so the
     queue holds recent cases, as a programme that meets its deadlines
     would, plus those no reviewer has the skills for;
   * the outcome is drawn from a seeded mix (violating with actions fitting
     the category, not violating, needs more information, out of scope,
     referred to policy review); the second-review rules decide by
     themselves which decisions wait for a cross-check, and another
     reviewer confirms them a couple of hours later, except in the last
     days, so a few still wait;
   * a question to a partner is answered a day or two later (the case goes
     back to the queue and is decided later), except those of the last
     :data:`UNANSWERED_FROM`, where the first claimed case always gets one;
     in the last days a few claims end on hold instead, waiting for the
     partner.
3. **Contests.** One removal is contested and reversed (Kite puts the post
   back), one decision is contested and upheld, each handled by a reviewer
   who had no part in it.
4. **Policy.** Two partners send policy feedback; referrals to policy review
   join the policy queue.

Enforcement goes to Kite, the demo platform (the demo's content lives
there), whatever connector the installation is configured with. Deterministic:
the same seed gives the same work, only the dates move with "now".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import itertools
import random
import zoneinfo
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.test.utils import override_settings

from trustline.accounts.choices import Role
from trustline.accounts.models import Membership, Organisation, User
from trustline.accounts.permissions import SYSTEM, Actor
from trustline.accounts.selectors import actor_for_user
from trustline.appeals.services import appeal_claim_next, appeal_decide, appeal_submit
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.exceptions import ApplicationError
from trustline.demo.extensions import DemoContext
from trustline.oncall.choices import EmergencyState
from trustline.oncall.models import Emergency
from trustline.platforms.choices import VERIFIED_ACTIONS, ActionStatus
from trustline.platforms.connectors import get_connector
from trustline.platforms.models import EnforcementActionRecord
from trustline.platforms.snapshots import content_ref_of, snapshot_run
from trustline.platforms.verification import VERIFY_AFTER, verification_sweep
from trustline.policy.services import policy_feedback_submit, policy_referrals_pick_up
from trustline.review.choices import DecisionStatus, Outcome
from trustline.review.information import information_request_answer
from trustline.review.models import Decision, InformationRequest
from trustline.review.services import decision_confirm, decision_enforce, decision_record
from trustline.review.validation import DecisionInput
from trustline.routing.reviewers import reviewer_skills_set
from trustline.routing.services import case_claim_next, case_hold
from trustline.taxonomy.models import Category
from trustline.triage.services import triage_pending

REPLAYS_REPORTS = True  # the partners' reports arrive during the simulation (trustline.demo.extensions)
SEED = 20261206
TURN_HOURS = (9.5, 11.5, 14.0, 16.0)  # local time of a reviewer's turns
RECENT_WORKDAYS = 2  # the queue holds the cases of about the last two working days...
RECENT_TURN_SHARE = 0.05  # ...because reviewers take only this share of their turns in them
DECIDE_AFTER = dt.timedelta(minutes=14)
TRIAGE_AFTER = dt.timedelta(minutes=4)
CONFIRM_AFTER = dt.timedelta(hours=2)
KEEP_PENDING_WORKDAYS = 3  # cross-checks of the last working days still wait
HOLD_WORKDAYS = 3  # claims in the last working days may end on hold (counted in calendar days instead, a demo
# loaded early on a Wednesday found only one turn to put on hold)
HOLDS = 3
UNANSWERED_FROM = dt.timedelta(days=5)  # questions to partners asked since then are not answered yet
EMERGENCY_DECIDE_AFTER = dt.timedelta(minutes=12)  # a lead decides an emergency-board case after 12-24 minutes
LEFT_ON_BOARD = 3  # the newest imminent-harm cases stay on the emergency board (the on-call step)
DEMO_CONNECTOR = {"BACKEND": "trustline.platforms.connectors.DemoPlatformConnector", "OPTIONS": {}}
GROUND = "DECISION_GROUND_INCOMPATIBLE_CONTENT"

# What reviewers do about violating content, by category (the first listed is the usual one).
ACTIONS: dict[str, list[tuple[str, ...]]] = {
    "misinformation": [("label",)],
    "election_integrity": [("label",), ("restrict_visibility",)],
    "coordinated_inauthentic": [("suspend_account",), ("remove",)],
    "impersonation": [("suspend_account",)],
    "blasphemy_allegation": [("geo_restrict",), ("remove",)],
    "scams_fraud": [("remove", "restrict_account")],
    "threat_to_life": [("remove", "suspend_account"), ("remove",)],
    "child_sexual_exploitation": [("remove", "suspend_account")],
    "terrorism": [("remove", "suspend_account")],
    "hateful_conduct": [("remove",), ("restrict_visibility",)],
    "self_harm": [("age_restrict",), ("restrict_visibility",)],
}
LABEL = "Missing context: independent fact-checkers dispute this claim"
QUESTIONS = (
    "Can you share the original video or a screenshot that shows the full post before it was edited?",
    "Do you know whether the people named in the post have been contacted or threatened since?",
    "Which neighbourhood does the post refer to? The place name is ambiguous in the excerpt.",
)
ANSWER = "Yes: our field team confirmed the address is the family's home; screenshots are attached to the report."
HOLD_REASONS = (
    "Asked the partner for the original video before deciding.",
    "Waiting for the partner's field team to confirm the location.",
    "Partner checking whether the account belongs to the same person.",
)
FEEDBACK = (
    ("Coded slurs against displaced people are not covered",
     "Reports of the term used in Darfur are found not violating because the policy lists only the common slur. "
     "The coded form means the same and is used to mark targets.", "hateful_conduct", "SD"),
    ("Election misinformation labels arrive after the vote",
     "Labels on false polling-station closures were applied two days after election day. Could such reports get "
     "a tighter deadline in the week of an election?", "election_integrity", "VE"),
)


@dataclasses.dataclass
class _Work:
    """What the simulation did, for the notes and the later steps."""

    skills: int = 0
    triaged: int = 0
    decided: Counter[str] = dataclasses.field(default_factory=Counter)
    confirmed: int = 0
    answered: int = 0
    held: int = 0
    waiting_question: bool = False  # a question to a partner in the last days, left unanswered
    refused: int = 0
    contests: list[str] = dataclasses.field(default_factory=list)
    feedback: int = 0
    policy_items: int = 0


def demo_extend(*, ctx: DemoContext) -> list[str]:
    """Steps 1-4 of the module docstring; returns the notes printed by ``seed_demo``."""
    work = _Work()
    rng = random.Random(SEED)
    with override_settings(PLATFORM_CONNECTOR=DEMO_CONNECTOR):
        reviewers = _skills_load(ctx, work)
        _simulate(ctx, work, rng, reviewers)
        _contests(ctx, work, reviewers)
        _policy(ctx, work)
    ctx.extra["review"] = work
    pending = Decision.objects.filter(status=DecisionStatus.PENDING_SECOND_REVIEW).count()
    decided = sum(work.decided.values())
    mix = ", ".join(f"{n} {Outcome(o).label.lower()}" for o, n in work.decided.most_common())
    return [
        f"Review: {work.skills} reviewers with skills (languages, countries, policy areas, clearances, time zone); "
        f"{work.triaged} cases triaged.",
        f"Review: {decided} decisions ({mix}); {work.confirmed} cross-checked, {pending} waiting for a second "
        f"reviewer; {work.answered} questions answered by partners; {work.held} cases on hold.",
        f"Contests: {', '.join(work.contests) or 'none'}. Policy: {work.feedback} feedback items from partners, "
        f"{work.policy_items} referrals in the policy queue.",
    ]


# --------------------------------------------------------------------------------------------
# 1. Skills
# --------------------------------------------------------------------------------------------


def _actor(user: User) -> Actor:
    actor = actor_for_user(user)
    if actor is None:
        raise RuntimeError(f"demo person {user.username} has no organisation")
    return actor


def _skills_load(ctx: DemoContext, work: _Work) -> dict[str, tuple[Actor, zoneinfo.ZoneInfo]]:
    """Every reviewer's skills from ``staff.json``, set by the programme manager; returns the reviewers."""
    manager = next(_actor(ctx.staff[p["username"]]) for p in ctx.data.staff if Role.PROGRAMME_MANAGER in p["roles"])
    reviewers: dict[str, tuple[Actor, zoneinfo.ZoneInfo]] = {}
    # staff.json names the categories each person knows; routing keys skills by their policy areas.
    area_of = dict(Category.objects.values_list("code", "policy_area"))
    with clock.frozen_at(ctx.now - dt.timedelta(days=69)):
        for person in ctx.data.staff:
            if not {Role.REVIEWER, Role.ESCALATION_LEAD} & set(person["roles"]):
                continue
            user = ctx.staff[person["username"]]
            reviewer_skills_set(
                actor=manager, user_id=user.pk, languages=person["languages"], countries=person["countries"],
                policy_areas=list(dict.fromkeys(area_of.get(code, code) for code in person["policy_areas"])),
                clearances=person["clearances"], timezone=person["timezone"],
            )
            reviewers[user.username] = (_actor(user), zoneinfo.ZoneInfo(person["timezone"]))
            work.skills += 1
    return reviewers


# --------------------------------------------------------------------------------------------
# 2. The simulation
# --------------------------------------------------------------------------------------------


_order = itertools.count()
Event = tuple[dt.datetime, int, Callable[[dt.datetime], None]]


def _push(heap: list[Event], at: dt.datetime, run: Callable[[dt.datetime], None]) -> None:
    heapq.heappush(heap, (at, next(_order), run))


def _turns(ctx: DemoContext, start: dt.datetime, zone: zoneinfo.ZoneInfo) -> list[dt.datetime]:
    """A reviewer's turns: weekdays from ``start`` to yesterday, at ``TURN_HOURS`` local time."""
    turns = []
    day = start.astimezone(zone).date()
    last = (ctx.now - dt.timedelta(hours=1)).astimezone(zone)
    while day <= last.date():
        if day.weekday() < 5:
            for hour in TURN_HOURS:
                local = dt.datetime.combine(day, dt.time(int(hour), int(hour % 1 * 60)), tzinfo=zone)
                if start < local < last:
                    turns.append(local.astimezone(dt.UTC))
        day += dt.timedelta(days=1)
    return turns


def _simulate(ctx: DemoContext, work: _Work, rng: random.Random,
              reviewers: dict[str, tuple[Actor, zoneinfo.ZoneInfo]]) -> None:
    heap: list[Event] = []
    # The triage job's runs: a few minutes after each half hour in which a report arrives.
    runs = {_next_half_hour(at) + TRIAGE_AFTER for at in ctx.reports.arrivals()}
    # Triage puts every imminent-harm case on the emergency board; an escalation lead decides it there, except
    # the cases of the newest few imminent-harm reports, which the on-call step leaves on the board (paging, or
    # acknowledged).
    board = _Board(leads=[p["username"] for p in ctx.data.staff
                          if Role.ESCALATION_LEAD in p["roles"] and p["username"] in reviewers],
                   left_from=_left_from(ctx))
    for at in sorted(runs):
        _push(heap, min(at, ctx.now - dt.timedelta(minutes=1)), _triage(ctx, work, rng, heap, reviewers, board))
    first = min((at for at, _, _ in heap), default=ctx.now)
    turns = [(turn, username) for username, (_, zone) in sorted(reviewers.items())
             for turn in _turns(ctx, first, zone)]
    # The team keeps up until the last working days, which are only partly worked through.
    recent = _workdays_before(ctx.now, RECENT_WORKDAYS)
    for turn, username in turns:
        if turn < recent or rng.random() < RECENT_TURN_SHARE:
            _push(heap, turn + dt.timedelta(minutes=rng.randint(0, 40)),
                  _turn(ctx, work, rng, heap, reviewers, username))
    while heap:
        at, _, run = heapq.heappop(heap)
        ctx.reports.until(at)  # the reports that arrived meanwhile, each at its own time
        with clock.frozen_at(at):
            run(at)
    ctx.reports.until(ctx.now)


def _left_from(ctx: DemoContext) -> dt.datetime:
    """When the imminent-harm reports whose cases stay on the board begin: the newest, up to LEFT_ON_BOARD items.

    Counted in items, not reports: one report of several posts opens a case
    for each, and the board should hold a few cases, not every case of the
    last few reports.
    """
    left_from, items = ctx.now, 0
    for report in sorted((r for r in ctx.reports.plan if r.payload["imminent_harm"]), key=lambda r: r.at,
                         reverse=True):
        items += len(report.payload["items"])
        if items > LEFT_ON_BOARD and left_from < ctx.now:
            break
        left_from = report.at
    return left_from


def _workdays_before(now: dt.datetime, days: int) -> dt.datetime:
    """``now`` moved back over ``days`` weekdays (reviewers take no turns at weekends, see :func:`_turns`).

    A plain "3 days" left a demo loaded on a Monday with no cross-check
    waiting: the weekend had no decisions to wait.
    """
    at, counted = now, 0
    while counted < days:
        at -= dt.timedelta(days=1)
        if at.weekday() < 5:
            counted += 1
    return at


def _next_half_hour(at: dt.datetime) -> dt.datetime:
    floor = at.replace(minute=30 if at.minute >= 30 else 0, second=0, microsecond=0)
    return floor + dt.timedelta(minutes=30)


@dataclasses.dataclass
class _Board:
    """The escalation leads who decide emergency-board cases, and what they leave there."""

    leads: list[str]
    left_from: dt.datetime  # a case last reported since then stays on the board
    seen: set[Any] = dataclasses.field(default_factory=set)  # emergency ids


def _triage(ctx: DemoContext, work: _Work, rng: random.Random, heap: list[Event],
            reviewers: dict[str, tuple[Actor, zoneinfo.ZoneInfo]], board: _Board) -> Callable[[dt.datetime], None]:
    """A run of the triage job: every case whose reports are all in by now (see the module docstring).

    An imminent-harm case it puts on the emergency board is off the ordinary
    queue: an escalation lead decides it a quarter of an hour later (the
    on-call step then closes the emergency), unless it is one of the newest.
    """
    def run(at: dt.datetime) -> None:
        work.triaged += triage_pending(actor=SYSTEM, batch_size=200, reported_until=at).triaged
        snapshot_run(now=at)  # the platform is asked about the new cases' content, as the 5-second job would
        verification_sweep(now=at, batch_size=500)  # and whether what was removed is gone, as the 1-minute job would
        opened = (Emergency.objects.filter(case__isnull=False, state=EmergencyState.OPEN)
                  .exclude(pk__in=board.seen).select_related("case").order_by("opened_at", "pk"))
        for emergency in opened:
            board.seen.add(emergency.pk)
            case = emergency.case
            if case is None or case.last_reported_at >= board.left_from or not board.leads:
                continue
            lead = board.leads[len(board.seen) % len(board.leads)]
            data = _decision_for(case, rng)
            while data.outcome not in (Outcome.VIOLATING, Outcome.NOT_VIOLATING):  # no waiting on a life at risk
                data = _decision_for(case, rng)
            _push(heap, at + EMERGENCY_DECIDE_AFTER + dt.timedelta(minutes=rng.randint(0, 12)),
                  _decide(ctx, work, rng, heap, reviewers, lead, case.pk, data))
    return run


def _turn(ctx: DemoContext, work: _Work, rng: random.Random, heap: list[Event],
          reviewers: dict[str, tuple[Actor, zoneinfo.ZoneInfo]], username: str) -> Callable[[dt.datetime], None]:
    """One reviewer's turn: claim the next case, then hold it or decide it a little later."""
    def run(at: dt.datetime) -> None:
        actor = reviewers[username][0]
        case = case_claim_next(actor=actor)
        if case is None:
            return
        if work.held < HOLDS and at > _workdays_before(ctx.now, HOLD_WORKDAYS):
            case_hold(actor=actor, case_id=case.pk, reason=HOLD_REASONS[work.held % len(HOLD_REASONS)])
            work.held += 1
            return
        data = _decision_for(case, rng)
        if not work.waiting_question and at > ctx.now - UNANSWERED_FROM:
            # At least one question waits for its answer, whatever the seeded mix drew in the last days.
            data = DecisionInput(outcome=Outcome.NEEDS_MORE_INFORMATION, question=QUESTIONS[0])
            work.waiting_question = True
        _push(heap, at + DECIDE_AFTER + dt.timedelta(minutes=rng.randint(0, 4)),
              _decide(ctx, work, rng, heap, reviewers, username, case.pk, data))
    return run


def _decision_for(case: Case, rng: random.Random) -> DecisionInput:
    """A plausible decision on ``case``: the seeded outcome mix, actions that fit its category."""
    roll = rng.random()
    category = case.category_code or "other"
    if roll < 0.55 and category != "other":
        actions = rng.choice(ACTIONS.get(category, [("remove",)]))
        return DecisionInput(
            outcome=Outcome.VIOLATING, policy=category, actions=actions,
            territorial_scope=[case.country] if "geo_restrict" in actions and case.country else [],
            label_text=LABEL if "label" in actions else "",
            decision_ground=GROUND,
            incompatible_content_ground=f"Kite Community Guidelines: {category.replace('_', ' ')}",
            incompatible_content_explanation="The content breaks the guidelines the partner cited.",
            internal_note="Checked the account's other posts; consistent pattern.",
        )
    if roll < 0.74:
        return DecisionInput(outcome=Outcome.NOT_VIOLATING,
                             internal_note="Reporting on the event, not endorsing it.")
    if roll < 0.83:
        return DecisionInput(outcome=Outcome.NEEDS_MORE_INFORMATION, question=rng.choice(QUESTIONS))
    if roll < 0.92:
        return DecisionInput(outcome=Outcome.OUT_OF_SCOPE, internal_note="Off-platform conduct only.")
    return DecisionInput(outcome=Outcome.REFERRED_TO_POLICY_REVIEW,
                         internal_note="Borderline: the policy does not say how to treat coded terms.")


def _decide(ctx: DemoContext, work: _Work, rng: random.Random, heap: list[Event],
            reviewers: dict[str, tuple[Actor, zoneinfo.ZoneInfo]], username: str, case_id: Any,
            data: DecisionInput) -> Callable[[dt.datetime], None]:
    def run(at: dt.datetime) -> None:
        try:
            decision = decision_record(actor=reviewers[username][0], case_id=case_id, data=data)
        except ApplicationError:
            work.refused += 1  # e.g. a geo-restriction on a case without a country: the reviewer moves on
            return
        work.decided[decision.outcome] += 1
        if decision.status == DecisionStatus.PENDING_SECOND_REVIEW and at < _workdays_before(ctx.now,
                                                                                              KEEP_PENDING_WORKDAYS):
            checker = rng.choice(sorted(set(reviewers) - {username}))
            _push(heap, at + CONFIRM_AFTER, _confirm(work, reviewers[checker][0], decision.pk))
        if decision.outcome == Outcome.NEEDS_MORE_INFORMATION and at < ctx.now - UNANSWERED_FROM:
            # Partners answer within a day or two; the questions of the last days still wait.
            _push(heap, at + dt.timedelta(hours=rng.randint(20, 50)), _answer(work, decision.pk))
    return run


def _confirm(work: _Work, actor: Actor, decision_id: Any) -> Callable[[dt.datetime], None]:
    def run(at: dt.datetime) -> None:
        decision_confirm(actor=actor, decision_id=decision_id, note="Agree: the target is named and at risk.")
        work.confirmed += 1
    return run


def _partner_analyst(organisation: Organisation) -> Actor:
    membership = (Membership.objects.filter(organisation=organisation, role=Role.PARTNER_ANALYST)
                  .select_related("user").order_by("created_at", "pk").first())
    if membership is None:
        raise RuntimeError(f"demo partner {organisation.slug} has no analyst")
    return _actor(membership.user)


def _answer(work: _Work, decision_id: Any) -> Callable[[dt.datetime], None]:
    def run(at: dt.datetime) -> None:
        request = InformationRequest.objects.filter(decision_id=decision_id).select_related("organisation").first()
        if request is None:
            return
        information_request_answer(actor=_partner_analyst(request.organisation), request_id=request.pk,
                                   answer=ANSWER)
        work.answered += 1
    return run


# --------------------------------------------------------------------------------------------
# 3. Contests, 4. Policy
# --------------------------------------------------------------------------------------------


def _contestable(ctx: DemoContext, keep: Callable[[Decision], bool] = lambda _d: True,
                 **filters: Any) -> Decision | None:
    window = (ctx.now - dt.timedelta(days=30), ctx.now - dt.timedelta(days=6))
    candidates = (Decision.objects.filter(status=DecisionStatus.EFFECTIVE, effective_at__range=window, **filters)
                  .select_related("case").order_by("effective_at", "pk"))
    return next((d for d in candidates[:50] if keep(d)), None)


def _only_removed(decision: Decision) -> bool:
    """The content is down by this decision's removal alone: undoing it brings the post back.

    Content that another decision also removed (the same post reported
    again after its first case closed), or whose author another decision
    suspended, stays down when this removal is undone, and the enforcement
    check rightly says "still offline"; the demo's reversed contest is meant
    to show a post restored.
    """
    case = decision.case
    removed_elsewhere = EnforcementActionRecord.objects.filter(
        target_url=case.canonical_url or "", action_type__in=VERIFIED_ACTIONS, status=ActionStatus.DONE,
    ).exclude(decision_id=str(decision.pk)).exists()
    described = get_connector().describe(content_ref_of(case))
    return not removed_elsewhere and described.available and "account suspended" not in described.restrictions


def _contests(ctx: DemoContext, work: _Work, reviewers: dict[str, tuple[Actor, zoneinfo.ZoneInfo]]) -> None:
    """One removal contested and reversed, one decision contested and upheld (see the module docstring)."""
    removal = _contestable(ctx, _only_removed, outcome=Outcome.VIOLATING, actions=["remove"])
    kept = _contestable(ctx, outcome=Outcome.NOT_VIOLATING)
    for decision, reverse in ((removal, True), (kept, False)):
        if decision is None or decision.effective_at is None:
            continue
        organisation = Organisation.objects.filter(reports__items__case_id=decision.case_id).order_by("pk").first()
        if organisation is None:
            continue
        with clock.frozen_at(decision.effective_at + dt.timedelta(days=2, hours=3)):
            appeal = appeal_submit(actor=_partner_analyst(organisation), decision_id=decision.pk, reasons=(
                "The post quotes the threat in order to condemn it; our monitors read the whole thread."
                if reverse else "The account keeps posting the shelter's address; please look again."))
        handled = None
        for username in sorted(reviewers):
            with clock.frozen_at(decision.effective_at + dt.timedelta(days=3)):
                handled = appeal_claim_next(actor=reviewers[username][0])
            if handled is not None:
                break
        if handled is None:
            continue
        actor = actor_for_user(handled.assigned_to) if handled.assigned_to else None
        if actor is None:
            continue
        with clock.frozen_at(decision.effective_at + dt.timedelta(days=3, hours=2)):
            if reverse:
                decided = appeal_decide(
                    actor=actor, appeal_id=appeal.pk, outcome="reversed",
                    explanation="Read in full, the post condemns the threat it quotes; we have restored it.",
                    new_decision=DecisionInput(outcome=Outcome.NOT_VIOLATING,
                                               explanation="The post condemns the threat it quotes."),
                )
                if decided.new_decision is not None:  # reinstate on Kite now, at this moment of the demo
                    decision_enforce(actor=actor, decision=decided.new_decision)
                checked_at = clock.now() + VERIFY_AFTER
                with clock.frozen_at(checked_at):  # the 1-minute job checks that the post is back
                    verification_sweep(now=checked_at, batch_size=500)  # with whatever else is due by then
                work.contests.append("1 removal reversed (the post is back on Kite, checked)")
            else:
                appeal_decide(actor=actor, appeal_id=appeal.pk, outcome="upheld",
                              explanation="We looked again: the post does not name the shelter or its address.")
                work.contests.append("1 decision upheld")


def _policy(ctx: DemoContext, work: _Work) -> None:
    for n, (topic, body, category, country) in enumerate(FEEDBACK):
        organisation = next((ctx.partners[p["slug"]] for p in ctx.data.partners if country in p["countries"]), None)
        if organisation is None:
            continue
        with clock.frozen_at(ctx.now - dt.timedelta(days=12 - 5 * n, hours=3)):
            policy_feedback_submit(actor=_partner_analyst(organisation), topic=topic, body=body,
                                   category=category, country=country)
        work.feedback += 1
    with clock.frozen_at(ctx.now - dt.timedelta(minutes=30)):
        work.policy_items = policy_referrals_pick_up(actor=SYSTEM)
