"""Managing rotas: schedules, participants, overrides, escalation chains, contact methods, imminent rules.

All need ``oncall.manage`` (escalation leads, administrators); partners get
NotFound. Each write validates every field (collecting the problems with
their paths), is audited, and runs in one transaction. Editing a chain never
touches running escalations: they run from their snapshot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from trustline.accounts.models import User
from trustline.accounts.permissions import Actor, Perm
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.exceptions import Conflict, ValidationFailed
from trustline.notifications.models import WebhookEndpoint
from trustline.oncall.choices import ContactKind, Rotation, StepTarget
from trustline.oncall.models import (
    ContactMethod,
    EscalationChain,
    EscalationStep,
    ImminentRule,
    Schedule,
    ScheduleOverride,
    ScheduleParticipant,
)
from trustline.oncall.rotation import valid_time_zone
from trustline.oncall.selectors import (
    chain_delete_blockers,
    chain_get,
    schedule_delete_blockers,
    schedule_get,
    staff_required,
    staff_user_get,
)

MAX_STEPS = 10
MAX_PARTICIPANTS = 50


class Problems:
    """Collects field problems; ``raise_if_any`` raises one ValidationFailed naming them all."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, reason: str) -> None:
        self.fields.setdefault(name, []).append(reason)

    def raise_if_any(self) -> None:
        if self.fields:
            first = next(iter(self.fields))
            raise ValidationFailed(f"{first}: {self.fields[first][0]}", fields=self.fields)


def _people(usernames: list[str], path: str, problems: Problems) -> list[User]:
    people = []
    for index, name in enumerate(usernames):
        user = staff_user_get(name)
        if user is None:
            problems.add(f"{path}.{index}", f"{name!r} is not an active person of the platform team")
        else:
            people.append(user)
    return people


@dataclass
class ScheduleData:
    name: str
    time_zone: str
    rotation: str = Rotation.WEEKLY
    handoff_time: dt.time = dt.time(9, 0)
    start_date: dt.date | None = None
    participants: list[str] = field(default_factory=list)
    is_active: bool = True


def schedule_save(*, actor: Actor, data: ScheduleData, schedule_id: int | None = None) -> Schedule:
    """Create or replace a schedule and its participants (in the order given)."""
    staff_required(actor, Perm.ONCALL_MANAGE)
    existing = schedule_get(actor=actor, schedule_id=schedule_id) if schedule_id is not None else None
    problems = Problems()
    name = data.name.strip()
    if not name:
        problems.add("name", "required")
    elif Schedule.objects.filter(name=name).exclude(pk=existing.pk if existing else -1).exists():
        problems.add("name", "another schedule has this name")
    if not valid_time_zone(data.time_zone):
        problems.add("time_zone", f"not an IANA time zone: {data.time_zone!r} (e.g. Europe/Berlin)")
    if data.rotation not in Rotation.values:
        problems.add("rotation", "daily or weekly")
    if len(data.participants) > MAX_PARTICIPANTS:
        problems.add("participants", f"at most {MAX_PARTICIPANTS}")
    if len(set(data.participants)) != len(data.participants):
        problems.add("participants", "each person once")
    people = _people(data.participants, "participants", problems)
    problems.raise_if_any()
    now = clock.now()
    with transaction.atomic():
        values: dict[str, Any] = {
            "name": name, "time_zone": data.time_zone, "rotation": data.rotation,
            "handoff_time": data.handoff_time, "is_active": data.is_active,
            "start_date": data.start_date or (existing.start_date if existing else now.date()),
        }
        if existing is None:
            schedule = Schedule.objects.create(created_at=now, **values)
        else:
            Schedule.objects.filter(pk=existing.pk).update(**values)
            schedule = Schedule.objects.get(pk=existing.pk)
            ScheduleParticipant.objects.filter(schedule=schedule).delete()
        ScheduleParticipant.objects.bulk_create(
            [ScheduleParticipant(schedule=schedule, user=u, position=i) for i, u in enumerate(people)]
        )
        audit_record(actor=actor, action=AuditAction.ONCALL_SCHEDULE_CHANGED, target=schedule, data={
            **{k: str(v) for k, v in values.items()}, "participants": [u.pk for u in people],
            "created": existing is None,
        })
    return schedule


def schedule_switch_off(*, actor: Actor, schedule_id: int) -> None:
    """Switch a schedule off (kept: running escalations and the audit log refer to it); the API's DELETE."""
    staff_required(actor, Perm.ONCALL_MANAGE)
    schedule = schedule_get(actor=actor, schedule_id=schedule_id)
    with transaction.atomic():
        Schedule.objects.filter(pk=schedule.pk).update(is_active=False)
        audit_record(actor=actor, action=AuditAction.ONCALL_SCHEDULE_CHANGED, target=schedule,
                     data={"is_active": False})


def schedule_delete(*, actor: Actor, schedule_id: int) -> None:
    """Delete a schedule with its participants and overrides, unless a chain step or an open emergency uses it.

    Refused with ``Conflict`` (nothing changed) for the reasons of
    ``schedule_delete_blockers``: a step's ``on_delete=PROTECT`` would
    otherwise fail, or a running escalation would find nobody on call. The
    audit entry keeps what was deleted (name, rota, overrides).
    """
    staff_required(actor, Perm.ONCALL_MANAGE)
    found = schedule_get(actor=actor, schedule_id=schedule_id)
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().get(pk=found.pk)
        blockers = schedule_delete_blockers(schedule)
        if blockers:
            raise Conflict(" ".join(blockers), code="in_use")
        audit_record(actor=actor, action=AuditAction.ONCALL_SCHEDULE_CHANGED, target=schedule, data={
            "deleted": True, "name": schedule.name, "time_zone": schedule.time_zone, "rotation": schedule.rotation,
            "participants": list(schedule.participants.order_by("position").values_list("user_id", flat=True)),
            "overrides": schedule.overrides.count(),
        })
        schedule.delete()


def override_create(*, actor: Actor, schedule_id: int, username: str, start_at: dt.datetime,
                    end_at: dt.datetime, reason: str = "") -> ScheduleOverride:
    """``username`` is primary on call from ``start_at`` to ``end_at`` (holiday cover, swap)."""
    staff_required(actor, Perm.ONCALL_MANAGE)
    schedule = schedule_get(actor=actor, schedule_id=schedule_id)
    problems = Problems()
    people = _people([username], "user", problems)
    if start_at.tzinfo is None or end_at.tzinfo is None:
        problems.add("start_at", "give a time zone offset (e.g. 2026-12-24T09:00:00+01:00)")
    elif end_at <= start_at:
        problems.add("end_at", "must be after start_at")
    elif end_at - start_at > dt.timedelta(days=92):
        problems.add("end_at", "an override lasts at most 92 days")
    if len(reason) > 300:
        problems.add("reason", "at most 300 characters")
    problems.raise_if_any()
    with transaction.atomic():
        override = ScheduleOverride.objects.create(
            schedule=schedule, user=people[0], start_at=start_at, end_at=end_at, reason=reason.strip(),
            created_by=actor.user, created_at=clock.now(),
        )
        audit_record(actor=actor, action=AuditAction.ONCALL_OVERRIDE_CHANGED, target=override, data={
            "schedule": schedule.pk, "user": people[0].pk, "start_at": start_at.isoformat(),
            "end_at": end_at.isoformat(), "reason": reason, "created": True,
        })
    return override


def override_delete(*, actor: Actor, schedule_id: int, override_id: int) -> None:
    staff_required(actor, Perm.ONCALL_MANAGE)
    schedule = schedule_get(actor=actor, schedule_id=schedule_id)
    override = ScheduleOverride.objects.filter(schedule=schedule, pk=override_id).first()
    if override is None:
        from trustline.core.exceptions import NotFound

        raise NotFound("Override not found.")
    with transaction.atomic():
        audit_record(actor=actor, action=AuditAction.ONCALL_OVERRIDE_CHANGED, target=override,
                     data={"deleted": True, "user": override.user_id, "start_at": override.start_at.isoformat()})
        override.delete()


@dataclass
class StepData:
    target: str
    schedule_id: int | None = None
    username: str | None = None
    delay_minutes: int = 0


@dataclass
class ChainData:
    name: str
    steps: list[StepData]
    is_default: bool = False
    repeat_count: int = 2
    repeat_delay_minutes: int = 5


def chain_save(*, actor: Actor, data: ChainData, chain_id: int | None = None) -> EscalationChain:
    """Create or replace a chain and its steps; running escalations keep their snapshot."""
    staff_required(actor, Perm.ONCALL_MANAGE)
    existing = chain_get(actor=actor, chain_id=chain_id) if chain_id is not None else None
    problems = Problems()
    name = data.name.strip()
    if not name:
        problems.add("name", "required")
    elif EscalationChain.objects.filter(name=name).exclude(pk=existing.pk if existing else -1).exists():
        problems.add("name", "another chain has this name")
    if not data.steps:
        problems.add("steps", "at least one step")
    if len(data.steps) > MAX_STEPS:
        problems.add("steps", f"at most {MAX_STEPS} steps")
    if not 0 <= data.repeat_count <= 9:
        problems.add("repeat_count", "0 to 9")
    if not 1 <= data.repeat_delay_minutes <= 24 * 60:
        problems.add("repeat_delay_minutes", "1 to 1440")
    rows = []
    for index, step in enumerate(data.steps):
        path = f"steps.{index}"
        if step.target not in StepTarget.values:
            problems.add(f"{path}.target", f"one of {', '.join(StepTarget.values)}")
            continue
        if not 0 <= step.delay_minutes <= 24 * 60:
            problems.add(f"{path}.delay_minutes", "0 to 1440")
        schedule = user = None
        if step.target in (StepTarget.SCHEDULE_PRIMARY, StepTarget.SCHEDULE_SECONDARY):
            schedule = Schedule.objects.filter(pk=step.schedule_id).first() if step.schedule_id else None
            if schedule is None:
                problems.add(f"{path}.schedule_id", "a schedule is required for this target")
        if step.target == StepTarget.USER:
            found = _people([step.username or ""], f"{path}.username", problems)
            user = found[0] if found else None
        rows.append(EscalationStep(position=index + 1, target=step.target, schedule=schedule, user=user,
                                   delay_minutes=step.delay_minutes))
    problems.raise_if_any()
    now = clock.now()
    with transaction.atomic():
        if data.is_default:
            EscalationChain.objects.filter(is_default=True).exclude(pk=existing.pk if existing else -1).update(
                is_default=False)
        values = {"name": name, "is_default": data.is_default, "repeat_count": data.repeat_count,
                  "repeat_delay_minutes": data.repeat_delay_minutes}
        if existing is None:
            chain = EscalationChain.objects.create(created_at=now, **values)
        else:
            EscalationChain.objects.filter(pk=existing.pk).update(**values)
            chain = EscalationChain.objects.get(pk=existing.pk)
            EscalationStep.objects.filter(chain=chain).delete()
        for row in rows:
            row.chain = chain
        EscalationStep.objects.bulk_create(rows)
        audit_record(actor=actor, action=AuditAction.ONCALL_CHAIN_CHANGED, target=chain, data={
            **values, "created": existing is None,
            "steps": [{"target": r.target, "schedule": r.schedule_id, "user": r.user_id,
                       "delay_minutes": r.delay_minutes} for r in rows],
        })
    return chain


def chain_delete(*, actor: Actor, chain_id: int) -> None:
    """Delete a chain and its steps, unless new or open emergencies are paged through it.

    Refused with ``Conflict`` (nothing changed) for the reasons of
    ``chain_delete_blockers``: the default chain, the one
    ``ONCALL_LAW_ENFORCEMENT_CHAIN`` names, a chain an open emergency copied.
    The row is locked first, so it cannot become the default meanwhile.
    """
    staff_required(actor, Perm.ONCALL_MANAGE)
    found = chain_get(actor=actor, chain_id=chain_id)
    with transaction.atomic():
        chain = EscalationChain.objects.select_for_update().get(pk=found.pk)
        blockers = chain_delete_blockers(chain)
        if blockers:
            raise Conflict(" ".join(blockers), code="in_use")
        audit_record(actor=actor, action=AuditAction.ONCALL_CHAIN_CHANGED, target=chain, data={
            "deleted": True, "name": chain.name,
            "steps": [{"target": s.target, "schedule": s.schedule_id, "user": s.user_id,
                       "delay_minutes": s.delay_minutes} for s in chain.steps.order_by("position")],
        })
        chain.delete()


def contact_create(*, actor: Actor, username: str, kind: str, address: str = "",
                   endpoint_id: str | None = None) -> ContactMethod:
    """Add a way to page a person (e-mail, signed webhook endpoint, PagerDuty routing key, phone)."""
    staff_required(actor, Perm.ONCALL_MANAGE)
    problems = Problems()
    people = _people([username], "user", problems)
    endpoint = None
    if kind not in ContactKind.values:
        problems.add("kind", f"one of {', '.join(ContactKind.values)}")
    elif kind == ContactKind.WEBHOOK:
        endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, organisation__kind="platform",
                                                  is_active=True).first() if endpoint_id else None
        if endpoint is None:
            problems.add("endpoint_id", "an active webhook endpoint of the platform organisation")
    elif not address.strip():
        problems.add("address", "required (e-mail address, PagerDuty routing key or phone number)")
    elif kind == ContactKind.EMAIL and "@" not in address:
        problems.add("address", "not an e-mail address")
    if len(address) > 300:
        problems.add("address", "at most 300 characters")
    problems.raise_if_any()
    with transaction.atomic():
        contact = ContactMethod.objects.create(user=people[0], kind=kind, address=address.strip(),
                                               endpoint=endpoint, created_at=clock.now())
        audit_record(actor=actor, action=AuditAction.ONCALL_CONTACT_CHANGED, target=contact,
                     data={"user": people[0].pk, "kind": kind, "created": True})
    return contact


def contact_delete(*, actor: Actor, contact_id: int) -> None:
    staff_required(actor, Perm.ONCALL_MANAGE)
    contact = ContactMethod.objects.filter(pk=contact_id).first()
    if contact is None:
        from trustline.core.exceptions import NotFound

        raise NotFound("Contact method not found.")
    with transaction.atomic():
        audit_record(actor=actor, action=AuditAction.ONCALL_CONTACT_CHANGED, target=contact,
                     data={"user": contact.user_id, "kind": contact.kind, "deleted": True})
        contact.delete()


@dataclass
class RuleData:
    name: str
    category_code: str = ""
    language: str = ""
    keywords: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    is_active: bool = True


def rule_save(*, actor: Actor, data: RuleData, rule_id: int | None = None) -> ImminentRule:
    """Create or replace an imminent-harm triage rule; it applies to cases triaged from now on."""
    staff_required(actor, Perm.ONCALL_MANAGE)
    from trustline.taxonomy.models import Category

    existing = ImminentRule.objects.filter(pk=rule_id).first() if rule_id is not None else None
    if rule_id is not None and existing is None:
        from trustline.core.exceptions import NotFound

        raise NotFound("Rule not found.")
    problems = Problems()
    if not data.name.strip():
        problems.add("name", "required")
    if data.category_code and not Category.objects.filter(code=data.category_code).exists():
        problems.add("category_code", f"unknown category {data.category_code!r}")
    keywords = [k.strip() for k in data.keywords if k.strip()]
    if len(keywords) > 200 or any(len(k) > 200 for k in keywords):
        problems.add("keywords", "at most 200 phrases of at most 200 characters")
    if not (data.category_code or data.language or keywords or data.targets):
        problems.add("keywords", "a rule needs at least one condition (category, language, keywords or targets)")
    problems.raise_if_any()
    values = {"name": data.name.strip(), "category_code": data.category_code, "language": data.language.strip(),
              "keywords": keywords, "targets": list(data.targets), "is_active": data.is_active}
    with transaction.atomic():
        if existing is None:
            rule = ImminentRule.objects.create(created_at=clock.now(), **values)
        else:
            ImminentRule.objects.filter(pk=existing.pk).update(**values)
            rule = ImminentRule.objects.get(pk=existing.pk)
        audit_record(actor=actor, action=AuditAction.ONCALL_RULE_CHANGED, target=rule,
                     data={**values, "created": existing is None})
    return rule
