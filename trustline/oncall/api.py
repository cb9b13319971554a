"""On-call schedules, escalation chains, paging and the emergency lane (API).

Everything here is the platform team's working space: partners get 404 for
every operation, as for something that does not exist; staff whose role
lacks the permission get 403 (the selectors and services decide, as in
``trustline.routing``). The one public operation is acknowledging with the
one-time link a page carried (``acknowledge-link``): the token is the credential.

An emergency of a law-enforcement request has ``kind`` ``law_enforcement_request``,
no ``case_id`` and a ``le_request`` with only the agency, its reference, the
type, the country and the deadline (and the link to the request page, which
only liaisons, legal reviewers and administrators open).
"""

import datetime as dt
from typing import Any

from ninja import Query, Router, Status

from trustline.accounts.models import User
from trustline.core import clock
from trustline.core.types import ApiRequest
from trustline.oncall import rota
from trustline.oncall.models import ContactMethod, Emergency, EscalationChain, ImminentRule, Schedule
from trustline.oncall.models import ScheduleOverride as Override
from trustline.oncall.pagetext import le_request_brief
from trustline.oncall.schemas import (
    AckLinkIn,
    ChainIn,
    ChainOut,
    ContactIn,
    ContactOut,
    EmergencyFilter,
    EmergencyOut,
    HandOverIn,
    HealthOut,
    NoteIn,
    OnCallFilter,
    OnCallOut,
    OverrideIn,
    OverrideOut,
    ReasonIn,
    RuleIn,
    RuleOut,
    ScheduleIn,
    ScheduleOut,
)
from trustline.oncall.selectors import (
    chain_get,
    chain_list,
    contact_list,
    emergency_get,
    emergency_list,
    emergency_steps,
    override_list,
    rule_list,
    schedule_get,
    schedule_list,
    staff_required,
    who_is_on_call,
)
from trustline.oncall.services import (
    emergency_acknowledge,
    emergency_acknowledge_by_link,
    emergency_downgrade,
    emergency_hand_over,
    emergency_resolve,
)
from trustline.oncall.watchdog import paging_health

router = Router(tags=["oncall"])


def _person(user: User | None) -> dict[str, Any] | None:
    return {"id": user.pk, "username": user.username} if user is not None else None


def emergency_out(e: Emergency, *, steps: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": e.pk, "kind": "law_enforcement_request" if e.is_law_enforcement else "case", "case_id": e.case_id,
        "le_request": le_request_brief(e.le_request) if e.le_request is not None else None,
        "state": e.state, "source": e.source, "reason": e.reason, "rule_name": e.rule_name, "opened_at": e.opened_at,
        "category": e.case.category_code if e.case is not None else "",
        "country": e.case.country if e.case is not None else (e.le_request.country if e.le_request else ""),
        "owner": e.owner.username if e.owner else None,
        "acknowledged_at": e.acknowledged_at,
        "acknowledged_by": e.acknowledged_by.username if e.acknowledged_by else None,
        "acknowledged_via": e.acknowledged_via, "closed_at": e.closed_at,
        "closed_by": e.closed_by.username if e.closed_by else None, "close_reason": e.close_reason,
        "chain": e.chain_snapshot,
    }
    if steps:
        out["steps"] = [
            {"sequence": s.sequence, "round": s.round + 1, "step": s.step_index + 1,
             "target": str(s.target.get("target", "")), "due_at": s.due_at, "fired_at": s.fired_at,
             "cancelled_at": s.cancelled_at, "paged_user_ids": s.paged_user_ids, "message_count": s.message_count}
            for s in emergency_steps(e)
        ]
    return out


def _detail(request: ApiRequest, emergency: Emergency) -> dict[str, Any]:
    return emergency_out(emergency_get(actor=request.auth, emergency_id=emergency.pk), steps=True)


# --- The board --------------------------------------------------------------------------------------------


@router.get("/emergencies", response=list[EmergencyOut],
            summary="The emergency board: active emergencies, oldest first")
def list_emergencies(request: ApiRequest, filters: Query[EmergencyFilter]) -> list[dict[str, Any]]:
    rows = emergency_list(actor=request.auth, active_only=not filters.all)[:500]
    return [emergency_out(e) for e in rows]


@router.get("/emergencies/{emergency_id}", response=EmergencyOut, summary="One emergency with its paging steps")
def get_emergency(request: ApiRequest, emergency_id: str) -> dict[str, Any]:
    return emergency_out(emergency_get(actor=request.auth, emergency_id=emergency_id), steps=True)


@router.post("/emergencies/{emergency_id}/acknowledge", response=EmergencyOut,
             summary="Take an emergency: paging stops, the partner sees that a person has the case")
def acknowledge(request: ApiRequest, emergency_id: str) -> dict[str, Any]:
    return _detail(request, emergency_acknowledge(actor=request.auth, emergency_id=emergency_id, via="api"))


@router.post("/emergencies/{emergency_id}/acknowledge-link", response=EmergencyOut, auth=None,
             summary="Acknowledge with the one-time link token of a page (no other credential)",
             description="404 `ack_link_invalid` for a token that is not this emergency's; 409 `ack_link_used` "
                         "or `ack_link_expired`.")
def acknowledge_link(request: ApiRequest, emergency_id: str, payload: AckLinkIn) -> dict[str, Any]:
    emergency = emergency_acknowledge_by_link(token=payload.token, emergency_id=emergency_id)
    return emergency_out(Emergency.objects.select_related("case", "le_request__agency", "owner", "acknowledged_by",
                                                          "closed_by").get(pk=emergency.pk))


@router.post("/emergencies/{emergency_id}/resolve", response=EmergencyOut, summary="The danger is dealt with")
def resolve(request: ApiRequest, emergency_id: str, payload: NoteIn) -> dict[str, Any]:
    return _detail(request, emergency_resolve(actor=request.auth, emergency_id=emergency_id, note=payload.note))


@router.post("/emergencies/{emergency_id}/hand-over", response=EmergencyOut, summary="Give it to another person")
def hand_over(request: ApiRequest, emergency_id: str, payload: HandOverIn) -> dict[str, Any]:
    return _detail(request, emergency_hand_over(actor=request.auth, emergency_id=emergency_id,
                                                to_username=payload.to, note=payload.note))


@router.post("/emergencies/{emergency_id}/downgrade", response=EmergencyOut,
             summary="Not imminent after all (escalation leads): back to the ordinary queue",
             description="409 `emergency_not_downgradable` for a law-enforcement request's emergency.")
def downgrade(request: ApiRequest, emergency_id: str, payload: ReasonIn) -> dict[str, Any]:
    return _detail(request, emergency_downgrade(actor=request.auth, emergency_id=emergency_id,
                                                reason=payload.reason))


@router.get("/now", response=list[OnCallOut], summary="Who is on call (now, or at `at`) on every active schedule")
def on_call_now(request: ApiRequest, filters: Query[OnCallFilter]) -> list[dict[str, Any]]:
    at = filters.at or clock.now()
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return [
        {"schedule_id": s.pk, "schedule": s.name, "time_zone": s.time_zone, "primary": _person(on.primary),
         "secondary": _person(on.secondary), "shift_start": on.shift_start, "shift_end": on.shift_end,
         "override_id": on.override.pk if on.override else None}
        for s, on in who_is_on_call(actor=request.auth, at=at)
    ]


@router.get("/health", response=HealthOut, summary="Paging health: late steps and the sweeper (for monitors)")
def health(request: ApiRequest) -> dict[str, Any]:
    staff_required(request.auth)
    h = paging_health(clock.now())
    return {"ok": h.ok, "late_steps": h.late_steps, "oldest_late_due_at": h.oldest_late_due_at,
            "sweeper_last_finished_at": h.sweeper_last_finished_at, "sweeper_problem": h.sweeper_problem,
            "message": h.message}


# --- Schedules and overrides ------------------------------------------------------------------------------


def schedule_out(s: Schedule) -> dict[str, Any]:
    return {"id": s.pk, "name": s.name, "time_zone": s.time_zone, "rotation": s.rotation,
            "handoff_time": s.handoff_time, "start_date": s.start_date, "is_active": s.is_active,
            "participants": [_person(p.user) for p in s.participants.all()]}


def _schedule_data(payload: ScheduleIn) -> rota.ScheduleData:
    return rota.ScheduleData(name=payload.name, time_zone=payload.time_zone, rotation=payload.rotation,
                             handoff_time=payload.handoff_time, start_date=payload.start_date,
                             participants=payload.participants, is_active=payload.is_active)


@router.get("/schedules", response=list[ScheduleOut], summary="On-call schedules")
def list_schedules(request: ApiRequest) -> list[dict[str, Any]]:
    return [schedule_out(s) for s in schedule_list(actor=request.auth)]


@router.post("/schedules", response={201: ScheduleOut}, summary="Create a schedule (escalation leads)")
def create_schedule(request: ApiRequest, payload: ScheduleIn) -> Status[dict[str, Any]]:
    schedule = rota.schedule_save(actor=request.auth, data=_schedule_data(payload))
    return Status(201, schedule_out(schedule_get(actor=request.auth, schedule_id=schedule.pk)))


@router.get("/schedules/{schedule_id}", response=ScheduleOut, summary="One schedule")
def get_schedule(request: ApiRequest, schedule_id: int) -> dict[str, Any]:
    return schedule_out(schedule_get(actor=request.auth, schedule_id=schedule_id))


@router.put("/schedules/{schedule_id}", response=ScheduleOut, summary="Replace a schedule and its participants")
def update_schedule(request: ApiRequest, schedule_id: int, payload: ScheduleIn) -> dict[str, Any]:
    rota.schedule_save(actor=request.auth, data=_schedule_data(payload), schedule_id=schedule_id)
    return schedule_out(schedule_get(actor=request.auth, schedule_id=schedule_id))


@router.delete("/schedules/{schedule_id}", response={204: None}, summary="Switch a schedule off")
def delete_schedule(request: ApiRequest, schedule_id: int) -> Status[None]:
    rota.schedule_switch_off(actor=request.auth, schedule_id=schedule_id)
    return Status(204, None)


def override_out(o: Override) -> dict[str, Any]:
    return {"id": o.pk, "user": _person(o.user), "start_at": o.start_at, "end_at": o.end_at, "reason": o.reason}


@router.get("/schedules/{schedule_id}/overrides", response=list[OverrideOut], summary="A schedule's overrides")
def list_overrides(request: ApiRequest, schedule_id: int) -> list[dict[str, Any]]:
    return [override_out(o) for o in override_list(actor=request.auth, schedule_id=schedule_id)]


@router.post("/schedules/{schedule_id}/overrides", response={201: OverrideOut},
             summary="Someone else is primary for a while (holiday cover, swap)")
def create_override(request: ApiRequest, schedule_id: int, payload: OverrideIn) -> Status[dict[str, Any]]:
    override = rota.override_create(actor=request.auth, schedule_id=schedule_id, username=payload.user,
                                    start_at=payload.start_at, end_at=payload.end_at, reason=payload.reason)
    return Status(201, override_out(override))


@router.delete("/schedules/{schedule_id}/overrides/{override_id}", response={204: None}, summary="Remove an override")
def delete_override(request: ApiRequest, schedule_id: int, override_id: int) -> Status[None]:
    rota.override_delete(actor=request.auth, schedule_id=schedule_id, override_id=override_id)
    return Status(204, None)


# --- Escalation chains ------------------------------------------------------------------------------------


def chain_out(c: EscalationChain) -> dict[str, Any]:
    return {"id": c.pk, "name": c.name, "is_default": c.is_default, "repeat_count": c.repeat_count,
            "repeat_delay_minutes": c.repeat_delay_minutes,
            "steps": [{"position": s.position, "target": s.target, "schedule_id": s.schedule_id,
                       "user": s.user.username if s.user else None, "delay_minutes": s.delay_minutes}
                      for s in c.steps.all()]}


def _chain_data(payload: ChainIn) -> rota.ChainData:
    return rota.ChainData(
        name=payload.name, is_default=payload.is_default, repeat_count=payload.repeat_count,
        repeat_delay_minutes=payload.repeat_delay_minutes,
        steps=[rota.StepData(target=s.target, schedule_id=s.schedule_id, username=s.user,
                             delay_minutes=s.delay_minutes) for s in payload.steps],
    )


@router.get("/chains", response=list[ChainOut], summary="Escalation chains")
def list_chains(request: ApiRequest) -> list[dict[str, Any]]:
    return [chain_out(c) for c in chain_list(actor=request.auth)]


@router.post("/chains", response={201: ChainOut}, summary="Create a chain (escalation leads)")
def create_chain(request: ApiRequest, payload: ChainIn) -> Status[dict[str, Any]]:
    chain = rota.chain_save(actor=request.auth, data=_chain_data(payload))
    return Status(201, chain_out(chain_get(actor=request.auth, chain_id=chain.pk)))


@router.get("/chains/{chain_id}", response=ChainOut, summary="One chain")
def get_chain(request: ApiRequest, chain_id: int) -> dict[str, Any]:
    return chain_out(chain_get(actor=request.auth, chain_id=chain_id))


@router.put("/chains/{chain_id}", response=ChainOut,
            summary="Replace a chain's steps (running escalations keep their copy)")
def update_chain(request: ApiRequest, chain_id: int, payload: ChainIn) -> dict[str, Any]:
    rota.chain_save(actor=request.auth, data=_chain_data(payload), chain_id=chain_id)
    return chain_out(chain_get(actor=request.auth, chain_id=chain_id))


@router.delete("/chains/{chain_id}", response={204: None},
               summary="Delete a chain (409 for the default or law-enforcement chain, or one an open emergency uses)")
def delete_chain(request: ApiRequest, chain_id: int) -> Status[None]:
    rota.chain_delete(actor=request.auth, chain_id=chain_id)
    return Status(204, None)


# --- Contact methods and imminent-harm rules --------------------------------------------------------------


def contact_out(c: ContactMethod) -> dict[str, Any]:
    return {"id": c.pk, "user": _person(c.user), "kind": c.kind, "address": c.address,
            "endpoint_id": c.endpoint_id, "is_active": c.is_active}


@router.get("/contacts", response=list[ContactOut], summary="How people are paged")
def list_contacts(request: ApiRequest) -> list[dict[str, Any]]:
    return [contact_out(c) for c in contact_list(actor=request.auth)]


@router.post("/contacts", response={201: ContactOut}, summary="Add a way to page a person")
def create_contact(request: ApiRequest, payload: ContactIn) -> Status[dict[str, Any]]:
    contact = rota.contact_create(actor=request.auth, username=payload.user, kind=payload.kind,
                                  address=payload.address, endpoint_id=payload.endpoint_id)
    return Status(201, contact_out(contact))


@router.delete("/contacts/{contact_id}", response={204: None}, summary="Remove a contact method")
def delete_contact(request: ApiRequest, contact_id: int) -> Status[None]:
    rota.contact_delete(actor=request.auth, contact_id=contact_id)
    return Status(204, None)


def rule_out(r: ImminentRule) -> dict[str, Any]:
    return {"id": r.pk, "name": r.name, "category_code": r.category_code, "language": r.language,
            "keywords": r.keywords, "targets": r.targets, "is_active": r.is_active}


def _rule_data(payload: RuleIn) -> rota.RuleData:
    return rota.RuleData(name=payload.name, category_code=payload.category_code, language=payload.language,
                         keywords=payload.keywords, targets=payload.targets, is_active=payload.is_active)


@router.get("/rules", response=list[RuleOut], summary="Imminent-harm triage rules")
def list_rules(request: ApiRequest) -> list[dict[str, Any]]:
    return [rule_out(r) for r in rule_list(actor=request.auth)]


@router.post("/rules", response={201: RuleOut}, summary="Add an imminent-harm rule (applies to cases triaged next)")
def create_rule(request: ApiRequest, payload: RuleIn) -> Status[dict[str, Any]]:
    return Status(201, rule_out(rota.rule_save(actor=request.auth, data=_rule_data(payload))))


@router.put("/rules/{rule_id}", response=RuleOut, summary="Replace an imminent-harm rule")
def update_rule(request: ApiRequest, rule_id: int, payload: RuleIn) -> dict[str, Any]:
    return rule_out(rota.rule_save(actor=request.auth, data=_rule_data(payload), rule_id=rule_id))
