"""The on-call step of the demo programme: rotas for the demo staff, a default chain, a rule, emergencies.

1. Two schedules: a weekly Africa rota (Nairobi hand-off, Monday 09:00) and a
   daily follow-the-sun rota in Dublin; an override (a holiday cover) on the first.
2. The default escalation chain: Africa primary at once, its secondary after
   5 minutes, the escalation leads after 10 more, everyone after 10 more;
   twice more 15 minutes later. One imminent-harm keyword rule.
3. Emergencies: triage (run by the review step) has already opened one for
   every imminent-harm case of the demo; when there are none, the newest
   flagged cases get one here. The oldest is acknowledged by the primary on
   call (through the one path a person uses), the next resolved, the rest stay
   on the board, paging.
"""

from __future__ import annotations

import datetime as dt

from trustline.accounts.permissions import SYSTEM
from trustline.accounts.selectors import actor_for_user
from trustline.cases.models import Case
from trustline.core import clock
from trustline.demo.extensions import DemoContext
from trustline.oncall.choices import EmergencySource, EmergencyState
from trustline.oncall.models import Emergency
from trustline.oncall.paging import emergency_open
from trustline.oncall.rota import (
    ChainData,
    RuleData,
    ScheduleData,
    StepData,
    chain_save,
    override_create,
    rule_save,
    schedule_save,
)
from trustline.oncall.rotation import oncall_now
from trustline.oncall.services import emergency_acknowledge, emergency_resolve


def _usernames(ctx: DemoContext, role: str) -> list[str]:
    return [p["username"] for p in ctx.data.staff if role in p["roles"] and p["username"] in ctx.staff]


def demo_extend(*, ctx: DemoContext) -> list[str]:
    reviewers = _usernames(ctx, "reviewer")
    leads = _usernames(ctx, "escalation_lead")
    africa_people = [u for u in ("rayan.abdelrahim", "kelvin.mutua", "mariam.fahmy") if u in reviewers]
    dublin_people = [u for u in ("sana.mirza", "amandine.lefort", "haider.jabbar") if u in reviewers]
    if len(africa_people) < 2 or not leads:
        return ["On-call: skipped (the demo staff lacks reviewers or escalation leads)."]
    lead = actor_for_user(ctx.staff[leads[0]]) or SYSTEM
    today = ctx.now.date()
    monday = today - dt.timedelta(days=today.weekday())
    with clock.frozen_at(ctx.now - dt.timedelta(days=7)):
        africa = schedule_save(actor=lead, data=ScheduleData(
            name="Africa responders", time_zone="Africa/Nairobi", rotation="weekly", handoff_time=dt.time(9, 0),
            start_date=monday - dt.timedelta(days=28), participants=africa_people))
        dublin = schedule_save(actor=lead, data=ScheduleData(
            name="Follow-the-sun (Dublin)", time_zone="Europe/Dublin", rotation="daily",
            handoff_time=dt.time(8, 0), start_date=monday - dt.timedelta(days=28), participants=dublin_people))
        override_create(actor=lead, schedule_id=dublin.pk, username=dublin_people[-1],
                        start_at=ctx.now + dt.timedelta(days=2), end_at=ctx.now + dt.timedelta(days=3),
                        reason="Covering a public holiday")
        chain_save(actor=lead, data=ChainData(
            name="Imminent harm (default)", is_default=True, repeat_count=2, repeat_delay_minutes=15,
            steps=[StepData(target="schedule_primary", schedule_id=africa.pk, delay_minutes=0),
                   StepData(target="schedule_secondary", schedule_id=africa.pk, delay_minutes=5),
                   StepData(target="escalation_leads", delay_minutes=10),
                   StepData(target="everyone", delay_minutes=10)]))
        rule_save(actor=lead, data=RuleData(
            name="Threat to life (Arabic phrases)", language="ar",
            keywords=["سنقتل", "سنحرق المخيم", "will be killed tonight"]))

    emergencies = list(Emergency.objects.filter(case__isnull=False).select_related("case").order_by("opened_at", "pk"))
    if not emergencies:
        for case in Case.objects.filter(imminent_harm=True, is_open=True).order_by("-opened_at")[:3]:
            with clock.frozen_at(max(case.opened_at, ctx.now - dt.timedelta(hours=2))):
                opened = emergency_open(case=case, source=EmergencySource.PARTNER, reason="Flagged by the partner")
            if opened is not None:
                emergencies.append(opened)
    notes = [f"On-call: schedules \u201c{africa.name}\u201d (weekly, Nairobi) and \u201c{dublin.name}\u201d "
             f"(daily, Dublin), the default chain and an imminent-harm rule."]
    primary = oncall_now(africa, ctx.now).primary
    responder = (actor_for_user(primary) if primary is not None else None) or lead
    acknowledged = resolved = 0
    waiting = [e for e in emergencies if e.state == EmergencyState.OPEN]
    undecided = [e for e in waiting if e.case is not None and e.case.is_open
                 and e.case.status not in ("decided", "closed")]
    keep_paging = {e.pk for e in undecided[-2:]}  # the two newest undecided ones stay on the board, paging
    for emergency in waiting:
        if emergency.pk in keep_paging:
            continue
        if emergency in undecided:
            with clock.frozen_at(min(ctx.now, emergency.opened_at + dt.timedelta(minutes=4))):
                emergency_acknowledge(actor=responder, emergency_id=emergency.pk, via="ui")
            acknowledged += 1
        else:  # decided by the review step meanwhile: the responder closes it
            with clock.frozen_at(min(ctx.now, emergency.opened_at + dt.timedelta(minutes=35))):
                emergency_resolve(actor=responder, emergency_id=emergency.pk,
                                  note="Decided and actioned by the platform; the partner was told.")
            resolved += 1
    notes.append(f"Emergencies: {acknowledged} acknowledged by the person on call, {resolved} resolved.")
    still = Emergency.objects.filter(state=EmergencyState.OPEN).count()
    notes.append(f"Emergency board: {still} still paging (open /emergency/).")
    return notes
