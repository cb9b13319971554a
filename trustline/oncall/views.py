"""Emergency pages: the board for staff (htmx refresh, acknowledge button) and the public acknowledge link.

The link page never acknowledges on GET: mail scanners and link previews
fetch links, so GET shows what the emergency is and a button; the POST acknowledges.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trustline.accounts.permissions import Actor, Perm
from trustline.accounts.views import portal_view
from trustline.core import clock
from trustline.core.exceptions import ApplicationError, Conflict, NotFound, ValidationFailed
from trustline.oncall.selectors import emergency_get, emergency_list, emergency_steps, who_is_on_call
from trustline.oncall.services import (
    ack_token_check,
    emergency_acknowledge,
    emergency_acknowledge_by_link,
    emergency_downgrade,
    emergency_hand_over,
    emergency_resolve,
)


def _board_context(actor: Actor) -> dict[str, object]:
    return {
        "emergencies": list(emergency_list(actor=actor)[:200]),
        "on_call": who_is_on_call(actor=actor, at=clock.now()),
        "can_respond": actor.has(Perm.EMERGENCY_RESPOND),
        "can_manage": actor.has(Perm.ONCALL_MANAGE),
        "now": clock.now(),
    }


@require_GET
@portal_view
def board(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The emergency board; htmx polls it every 10 s and gets only the table back."""
    context = _board_context(actor)
    if request.headers.get("HX-Request"):
        return render(request, "oncall/partials/board_rows.html", context)
    return render(request, "oncall/board.html", context)


@require_GET
@portal_view
def detail(request: HttpRequest, actor: Actor, emergency_id: str) -> HttpResponse:
    emergency = emergency_get(actor=actor, emergency_id=emergency_id)
    return render(request, "oncall/detail.html", {
        "emergency": emergency, "steps": emergency_steps(emergency), "can_respond": actor.has(Perm.EMERGENCY_RESPOND),
        "can_downgrade": actor.has(Perm.EMERGENCY_DOWNGRADE),
    })


@require_POST
@portal_view
def acknowledge(request: HttpRequest, actor: Actor, emergency_id: str) -> HttpResponse:
    try:
        taken = emergency_acknowledge(actor=actor, emergency_id=emergency_id, via="ui")
        messages.success(request, _("You have the emergency: paging stopped.") if taken.is_law_enforcement
                         else _("You have the emergency: paging stopped and the partner was told."))
    except Conflict as exc:
        messages.error(request, exc.message)
    if request.headers.get("HX-Request"):
        return render(request, "oncall/partials/board_rows.html", _board_context(actor))
    return redirect("oncall:board")


@require_POST
@portal_view
def resolve(request: HttpRequest, actor: Actor, emergency_id: str) -> HttpResponse:
    try:
        emergency_resolve(actor=actor, emergency_id=emergency_id, note=request.POST.get("note", "")[:2000])
        messages.success(request, _("Resolved."))
    except (Conflict, ValidationFailed) as exc:
        messages.error(request, exc.message)
    return redirect("oncall:detail", emergency_id=emergency_id)


@require_POST
@portal_view
def hand_over(request: HttpRequest, actor: Actor, emergency_id: str) -> HttpResponse:
    """Give the emergency to another responder; bad input (unknown person, same owner) comes back as a message.

    NotFound (other side, unknown id) and PermissionDenied (wrong role) propagate
    to ``portal_view``, which turns them into 404 and 403 pages like every other view.
    """
    to_username = request.POST.get("to", "").strip()[:150]
    try:
        emergency = emergency_hand_over(actor=actor, emergency_id=emergency_id, to_username=to_username,
                                        note=request.POST.get("note", "")[:2000])
        messages.success(request, _("Handed over to %(username)s: they were told.")
                         % {"username": emergency.owner.username if emergency.owner else to_username})
    except (Conflict, ValidationFailed) as exc:
        messages.error(request, exc.message)
    return redirect("oncall:detail", emergency_id=emergency_id)


@require_POST
@portal_view
def downgrade(request: HttpRequest, actor: Actor, emergency_id: str) -> HttpResponse:
    """Not imminent after all: a reason is required (it goes to the audit log), so an empty one is a message."""
    try:
        emergency_downgrade(actor=actor, emergency_id=emergency_id, reason=request.POST.get("reason", "")[:2000])
        messages.success(request, _("Downgraded: paging stopped and the case is back in the ordinary queue."))
    except (Conflict, ValidationFailed) as exc:
        messages.error(request, exc.message)
    return redirect("oncall:detail", emergency_id=emergency_id)


@never_cache
@require_http_methods(["GET", "POST"])
def ack_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET: show the emergency and a confirm button. POST: acknowledge as the person the page went to."""
    try:
        link = ack_token_check(token=token)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except Conflict as exc:
        return render(request, "oncall/ack_link.html", {"problem": exc.message}, status=409)
    if request.method == "GET":
        return render(request, "oncall/ack_link.html", {"link": link, "emergency": link.emergency})
    try:
        emergency = emergency_acknowledge_by_link(token=token)
    except ApplicationError as exc:
        return render(request, "oncall/ack_link.html", {"problem": exc.message}, status=exc.status)
    return render(request, "oncall/ack_link.html", {"done": True, "emergency": emergency})
