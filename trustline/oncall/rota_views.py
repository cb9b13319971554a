"""On-call pages: schedules (with their next 14 days and a quick override form) and escalation chains.

Thin, like every view: reads go through the oncall selectors, every write
through the rota services (which check ``oncall.manage``, validate, audit, in
one transaction), and a service's field problems come back onto the form
(``forms.errors_onto``). Who may do what is the API's rule: staff with
``oncall.view`` read, ``oncall.manage`` writes (403 otherwise), partners get
404 (``staff_required`` raises, ``portal_view`` maps).

The override form reads its times in the *schedule's* time zone, whatever the
viewer's own: "from 03:00" means 03:00 where the rota hands off.

Deleting a schedule or a chain asks first (GET), showing instead why it cannot
go while something still pages through it (the selectors' ``*_delete_blockers``,
which the services check again under a row lock before deleting).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.forms import BaseFormSet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trustline.accounts.permissions import Actor, Perm
from trustline.accounts.views import portal_view
from trustline.core import clock
from trustline.core.exceptions import Conflict, ValidationFailed
from trustline.core.htmx import is_htmx, refused_status, saved_redirect
from trustline.oncall import rota
from trustline.oncall.forms import (
    ChainForm,
    OverrideForm,
    ScheduleForm,
    StepForm,
    StepFormSet,
    chain_data,
    errors_onto,
)
from trustline.oncall.models import EscalationChain, Schedule
from trustline.oncall.rota import MAX_STEPS
from trustline.oncall.rotation import oncall_now
from trustline.oncall.selectors import (
    chain_delete_blockers,
    chain_get,
    chain_list,
    override_list,
    schedule_delete_blockers,
    schedule_get,
    schedule_list,
    schedule_upcoming,
    staff_people,
    staff_required,
)

UPCOMING_DAYS = 14
EXTRA_STEP_ROWS = 2


def _usernames(actor: Actor) -> list[str]:
    return list(staff_people(actor=actor).values_list("username", flat=True))


# --- Schedules ----------------------------------------------------------------------------------------------


@require_GET
@portal_view
def schedules(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Every schedule, who is on call on it now and when the next hand-off is."""
    now = clock.now()
    rows = [(s, oncall_now(s, now, participants=[p.user for p in s.participants.all()]))
            for s in schedule_list(actor=actor)]
    return render(request, "oncall/schedules.html", {
        "rows": rows, "now": now, "can_manage": actor.has(Perm.ONCALL_MANAGE),
    })


@require_GET
@portal_view
def schedule_detail(request: HttpRequest, actor: Actor, schedule_id: int) -> HttpResponse:
    schedule = schedule_get(actor=actor, schedule_id=schedule_id)
    now = clock.now()
    with timezone.override(ZoneInfo(schedule.time_zone)):
        return render(request, "oncall/schedule_detail.html", {
            "schedule": schedule, "now": now, "upcoming_days": UPCOMING_DAYS,
            "segments": schedule_upcoming(actor=actor, schedule=schedule, start=now, days=UPCOMING_DAYS),
            "overrides": [o for o in override_list(actor=actor, schedule_id=schedule.pk) if o.end_at > now],
            "can_manage": actor.has(Perm.ONCALL_MANAGE),
        })


def _schedule_initial(schedule: Schedule | None) -> dict[str, object]:
    if schedule is None:
        return {"rotation": "weekly", "handoff_time": dt.time(9, 0), "is_active": True}
    return {"name": schedule.name, "time_zone": schedule.time_zone, "rotation": schedule.rotation,
            "handoff_time": schedule.handoff_time, "start_date": schedule.start_date, "is_active": schedule.is_active,
            "participants": "\n".join(p.user.username for p in schedule.participants.all())}


@require_http_methods(["GET", "POST"])
@portal_view
def schedule_edit(request: HttpRequest, actor: Actor, schedule_id: int | None = None) -> HttpResponse:
    """Create (no id) or edit a schedule and its ordered participants."""
    staff_required(actor, Perm.ONCALL_MANAGE)
    schedule = schedule_get(actor=actor, schedule_id=schedule_id) if schedule_id is not None else None
    status = 200
    if request.method == "POST":
        form = ScheduleForm(request.POST)
        if form.is_valid():
            try:
                saved = rota.schedule_save(actor=actor, data=form.data_for_service(), schedule_id=schedule_id)
            except ValidationFailed as exc:
                errors_onto(form, exc)
            else:
                messages.success(request, _("Schedule saved."))
                return saved_redirect(request, reverse("oncall:schedule_detail", args=[saved.pk]))
        status = refused_status(request)
    else:
        form = ScheduleForm(initial=_schedule_initial(schedule))
    return render(request, "oncall/schedule_form.html", {
        "form": form, "schedule": schedule, "people": _usernames(actor),
    }, status=status)


@require_http_methods(["GET", "POST"])
@portal_view
def override_new(request: HttpRequest, actor: Actor, schedule_id: int) -> HttpResponse:
    """"X covers for Y from ... to ...": the 3 a.m. action, one form, prefilled from the board's line.

    ``?covering=<username>`` (the board's link passes the person on call now)
    prefills the reason; the default window is from now to the end of the
    current shift, in the schedule's time zone.
    """
    staff_required(actor, Perm.ONCALL_MANAGE)
    schedule = schedule_get(actor=actor, schedule_id=schedule_id)
    tz = ZoneInfo(schedule.time_zone)
    now = clock.now()
    current = oncall_now(schedule, now, participants=[p.user for p in schedule.participants.all()])
    people = _usernames(actor)
    status = 200
    with timezone.override(tz):  # the form's naive local times are the schedule's
        if request.method == "POST":
            form = OverrideForm(request.POST, people=people)
            if form.is_valid():
                c = form.cleaned_data
                try:
                    rota.override_create(actor=actor, schedule_id=schedule.pk, username=c["user"],
                                         start_at=c["start_at"], end_at=c["end_at"], reason=c["reason"])
                except ValidationFailed as exc:
                    errors_onto(form, exc)
                else:
                    messages.success(request, _("Override saved: %(user)s is on call from %(start)s.") % {
                        "user": c["user"], "start": c["start_at"].astimezone(tz).strftime("%Y-%m-%d %H:%M")})
                    return saved_redirect(request, reverse("oncall:schedule_detail", args=[schedule.pk]))
            status = refused_status(request)
        else:
            covering = request.GET.get("covering", "")[:150] or (current.primary.username if current.primary else "")
            start = now.astimezone(tz).replace(second=0, microsecond=0)
            end = current.shift_end.astimezone(tz) if current.shift_end and current.shift_end > now \
                else start + dt.timedelta(hours=12)
            form = OverrideForm(people=people, initial={
                "start_at": start.replace(tzinfo=None), "end_at": end.replace(tzinfo=None),
                "reason": _("covers for %(username)s") % {"username": covering} if covering else "",
            })
        template = "oncall/partials/override_form.html" if is_htmx(request) \
            else "oncall/override_form.html"
        return render(request, template, {"form": form, "schedule": schedule, "current": current}, status=status)


@require_POST
@portal_view
def override_remove(request: HttpRequest, actor: Actor, schedule_id: int, override_id: int) -> HttpResponse:
    rota.override_delete(actor=actor, schedule_id=schedule_id, override_id=override_id)
    messages.success(request, _("Override removed."))
    return redirect("oncall:schedule_detail", schedule_id=schedule_id)


@require_http_methods(["GET", "POST"])
@portal_view
def schedule_delete(request: HttpRequest, actor: Actor, schedule_id: int) -> HttpResponse:
    """Confirm (GET) and delete (POST) a schedule; while a chain step or an open emergency uses it, say why not."""
    staff_required(actor, Perm.ONCALL_MANAGE)
    schedule = schedule_get(actor=actor, schedule_id=schedule_id)
    page = {
        "name": schedule.name, "back_url": reverse("oncall:schedule_detail", args=[schedule.pk]),
        "consequence": _("Its rota (%(people)d people) and its %(overrides)d overrides are deleted with it; the audit "
                         "log keeps a record.") % {"people": len(schedule.participants.all()),
                                                    "overrides": schedule.overrides.count()},
        "button": _("Delete the schedule"),
    }
    if request.method == "POST":
        try:
            rota.schedule_delete(actor=actor, schedule_id=schedule.pk)
        except Conflict as exc:
            blockers = schedule_delete_blockers(schedule) or [exc.message]
            return _delete_page(request, page, blockers, refused=True)
        messages.success(request, _("Schedule “%(name)s” deleted.") % {"name": schedule.name})
        return saved_redirect(request, reverse("oncall:schedules"))
    return _delete_page(request, page, schedule_delete_blockers(schedule))


def _delete_page(request: HttpRequest, page: Mapping[str, object], blockers: list[str], *,
                 refused: bool = False) -> HttpResponse:
    """The confirmation page, or the reasons it cannot be deleted (409 after a refused POST: nothing changed)."""
    return render(request, "oncall/confirm_delete.html", {**page, "blockers": blockers, "refused": refused},
                  status=409 if refused else 200)


# --- Escalation chains --------------------------------------------------------------------------------------


@require_GET
@portal_view
def chains(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "oncall/chains.html", {
        "chains": list(chain_list(actor=actor)), "can_manage": actor.has(Perm.ONCALL_MANAGE),
    })


@require_GET
@portal_view
def chain_detail(request: HttpRequest, actor: Actor, chain_id: int) -> HttpResponse:
    return render(request, "oncall/chain_detail.html", {
        "chain": chain_get(actor=actor, chain_id=chain_id), "can_manage": actor.has(Perm.ONCALL_MANAGE),
    })


def _chain_initial(chain: EscalationChain | None) -> tuple[dict[str, object], list[dict[str, object]]]:
    if chain is None:
        return {"repeat_count": 2, "repeat_delay_minutes": 5}, []
    return (
        {"name": chain.name, "is_default": chain.is_default, "repeat_count": chain.repeat_count,
         "repeat_delay_minutes": chain.repeat_delay_minutes},
        [{"target": s.target, "schedule_id": s.schedule_id, "username": s.user.username if s.user else "",
          "delay_minutes": s.delay_minutes} for s in chain.steps.all()],
    )


@require_http_methods(["GET", "POST"])
@portal_view
def chain_edit(request: HttpRequest, actor: Actor, chain_id: int | None = None) -> HttpResponse:
    """Create or edit a chain and its steps (empty rows are ignored); running escalations keep their copy."""
    staff_required(actor, Perm.ONCALL_MANAGE)
    chain = chain_get(actor=actor, chain_id=chain_id) if chain_id is not None else None
    step_kwargs = {"schedules": [(s.pk, s.name) for s in schedule_list(actor=actor)], "people": _usernames(actor)}
    status = 200
    if request.method == "POST" and "add_step" in request.POST:
        form, formset = _chain_form_again(request.POST, step_kwargs)
    elif request.method == "POST":
        form = ChainForm(request.POST)
        formset = StepFormSet(request.POST, prefix="steps", form_kwargs=step_kwargs)
        if form.is_valid() and formset.is_valid():
            rows: list[StepForm] = [f for f in formset.forms if not f.is_blank]
            try:
                saved = rota.chain_save(actor=actor, data=chain_data(form, rows), chain_id=chain_id)
            except ValidationFailed as exc:
                errors_onto(form, exc, rows=rows)
            else:
                messages.success(request, _("Chain saved. Emergencies already paging keep the chain they started "
                                            "with."))
                return saved_redirect(request, reverse("oncall:chain_detail", args=[saved.pk]))
        status = refused_status(request)
    else:
        initial, steps = _chain_initial(chain)
        form = ChainForm(initial=initial)
        formset = StepFormSet(prefix="steps", form_kwargs=step_kwargs,
                              initial=steps + [{} for _row in range(EXTRA_STEP_ROWS)])
    return render(request, "oncall/chain_form.html", {
        "form": form, "formset": formset, "chain": chain, "can_add_step": formset.total_form_count() < MAX_STEPS,
    }, status=status)


def _chain_form_again(data: QueryDict, step_kwargs: dict[str, Any]) -> tuple[ChainForm, BaseFormSet[StepForm]]:
    """"Add a step": the posted values back, unsaved and unchecked (no errors yet), with one more empty row.

    A plain submit button, so it works without JavaScript; the rows are read
    back as initial values, so nothing typed so far is lost.
    """
    try:
        total = int(data.get("steps-TOTAL_FORMS") or 0)
    except ValueError:
        total = 0
    total = max(0, min(total, MAX_STEPS + EXTRA_STEP_ROWS))
    rows: list[dict[str, object]] = [
        {name: data.get(f"steps-{i}-{name}", "") for name in StepForm.base_fields} for i in range(total)]
    if total < MAX_STEPS:
        rows.append({})
    form = ChainForm(initial={name: data.get(name) for name in ChainForm.base_fields})
    return form, StepFormSet(prefix="steps", form_kwargs=step_kwargs, initial=rows)


@require_http_methods(["GET", "POST"])
@portal_view
def chain_delete(request: HttpRequest, actor: Actor, chain_id: int) -> HttpResponse:
    """Confirm (GET) and delete (POST) a chain; the default, the law-enforcement chain and one an open emergency
    uses are refused, with the reasons."""
    staff_required(actor, Perm.ONCALL_MANAGE)
    chain = chain_get(actor=actor, chain_id=chain_id)
    page = {
        "name": chain.name, "back_url": reverse("oncall:chain_detail", args=[chain.pk]),
        "consequence": _("Its %(steps)d steps are deleted with it; the audit log keeps a record.") % {
            "steps": len(chain.steps.all())},
        "button": _("Delete the chain"),
    }
    if request.method == "POST":
        try:
            rota.chain_delete(actor=actor, chain_id=chain.pk)
        except Conflict as exc:
            return _delete_page(request, page, chain_delete_blockers(chain) or [exc.message], refused=True)
        messages.success(request, _("Chain “%(name)s” deleted.") % {"name": chain.name})
        return saved_redirect(request, reverse("oncall:chains"))
    return _delete_page(request, page, chain_delete_blockers(chain))
