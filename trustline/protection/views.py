"""The protected-people page: partners nominate and follow their nominations; registry staff decide.

One page, two audiences: a partner sees its own nominations (never the
registry); a programme manager or escalation lead sees the pending
nominations with approve/reject forms and the registry. Anyone else gets 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from trustline.accounts.permissions import Actor, Perm
from trustline.accounts.views import portal_view
from trustline.core.exceptions import Conflict, ValidationFailed
from trustline.protection.choices import NominationStatus, PersonCategory
from trustline.protection.selectors import nomination_list, registry_visible
from trustline.protection.services import nomination_decide, nomination_renew, nomination_submit

SHOWN = 200


def _staff(actor: Actor) -> bool:
    return actor.is_staff_side and actor.has(Perm.PROTECTION_REGISTRY_VIEW)


@require_http_methods(["GET", "POST"])
@portal_view
def protection_index(request: HttpRequest, actor: Actor) -> HttpResponse:
    staff = _staff(actor)
    if not staff and not actor.has(Perm.PROTECTION_NOMINATE):
        raise Http404("Not found.")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            nomination_submit(
                actor=actor, platform=request.POST.get("platform", ""), category=request.POST.get("category", ""),
                justification=request.POST.get("justification", ""),
                account_url=request.POST.get("account_url", ""), account_id=request.POST.get("account_id", ""),
                handle=request.POST.get("handle", ""),
            )
        except (ValidationFailed, Conflict) as exc:
            errors = exc.fields or {"__all__": [exc.message]}
        else:
            messages.success(request, _("Nomination sent. You will be told the outcome."))
            return redirect("protection:index")
    context = {
        "staff": staff,
        "can_nominate": actor.has(Perm.PROTECTION_NOMINATE) and not actor.is_staff_side,
        "can_decide": staff and actor.has(Perm.PROTECTION_DECIDE),
        "nominations": list(nomination_list(actor=actor)[:SHOWN]),
        "pending": list(nomination_list(actor=actor, status=NominationStatus.PENDING)[:SHOWN]) if staff else [],
        "registry": list(registry_visible(actor=actor).order_by("status", "expires_at")[:SHOWN]) if staff else [],
        "categories": PersonCategory.choices,
        "errors": errors,
        "form": request.POST,
    }
    return render(request, "protection/index.html", context, status=422 if errors else 200)


@require_POST
@portal_view
def decide_view(request: HttpRequest, actor: Actor, nomination_id: str) -> HttpResponse:
    try:
        nomination_decide(actor=actor, nomination_id=nomination_id, approve=request.POST.get("approve") == "1",
                          reason=request.POST.get("reason", ""))
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Decision recorded; the partner is told."))
    return redirect("protection:index")


@require_POST
@portal_view
def renew_view(request: HttpRequest, actor: Actor, nomination_id: str) -> HttpResponse:
    try:
        nomination_renew(actor=actor, nomination_id=nomination_id,
                         justification=request.POST.get("justification", ""))
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Renewal requested. You will be told the outcome."))
    return redirect("protection:index")
