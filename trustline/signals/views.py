"""The signal-exchange page (staff): what we shared, what peers sent, the agreements; share and withdraw.

Staff only, behind the console's second factor; anyone else gets 404. The
case page's "Share with peer platforms" form posts to :func:`share_case`.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from trustline.accounts.permissions import Actor, Perm
from trustline.console.views import console_view
from trustline.core.exceptions import ApplicationError
from trustline.core.forms import split_list
from trustline.signals.choices import SHAREABLE_TLP, Direction, Opinion, SignalType
from trustline.signals.selectors import agreements_visible, signals_visible
from trustline.signals.services import signal_share, signal_withdraw

SHOWN = 200


@require_http_methods(["GET", "POST"])
@console_view
def signals_index(request: HttpRequest, actor: Actor) -> HttpResponse:
    if not actor.has(Perm.SIGNAL_VIEW):
        raise Http404("Not found.")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            _signal, created = signal_share(
                actor=actor, signal_type=request.POST.get("signal_type", ""), value=request.POST.get("value", ""),
                category=request.POST.get("category", ""), tlp=request.POST.get("tlp", ""),
                opinion=request.POST.get("opinion", Opinion.POSITIVE_CLASS), tags=split_list(request.POST.get("tags")),
                description=request.POST.get("description", ""))
        except ApplicationError as exc:
            errors = exc.fields or {"form": [exc.message]}
        else:
            messages.success(request, (_("Signal shared.") if created else _("Signal updated.")))
            return redirect("signals:index")
    signals = signals_visible(actor=actor).prefetch_related("matches", "feedback__peer")
    return render(request, "signals/index.html", {
        "ours": list(signals.filter(direction=Direction.OUTBOUND)[:SHOWN]),
        "theirs": list(signals.filter(direction=Direction.INBOUND)[:SHOWN]),
        "agreements": list(agreements_visible(actor=actor)),
        "can_share": actor.has(Perm.SIGNAL_SHARE),
        "signal_types": SignalType.choices, "tlps": SHAREABLE_TLP, "opinions": Opinion.choices,
        "errors": errors, "form": request.POST,
    }, status=400 if errors else 200)


@require_POST
@console_view
def withdraw(request: HttpRequest, actor: Actor, signal_id: uuid.UUID) -> HttpResponse:
    try:
        signal_withdraw(actor=actor, signal_id=signal_id, reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Signal withdrawn: peers see it withdrawn in their next feed."))
    return redirect("signals:index")


@require_POST
@console_view
def share_case(request: HttpRequest, actor: Actor, case_id: uuid.UUID) -> HttpResponse:
    """Share a case decided as violating, from its page; back to the case with what happened."""
    try:
        signal, created = signal_share(actor=actor, case_id=case_id, tlp=request.POST.get("tlp", ""),
                                       tags=split_list(request.POST.get("tags")),
                                       description=request.POST.get("description", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Shared with peer platforms as %(tlp)s.") % {"tlp": signal.get_tlp_display()}
                         if created else _("Signal updated (%(tlp)s).") % {"tlp": signal.get_tlp_display()})
    return redirect("console:case", case_id=case_id)
