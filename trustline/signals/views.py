"""The signal-exchange pages (staff): what we shared, what peers sent, the agreements; share, withdraw, agree.

Staff only, behind the console's second factor; anyone else gets 404. The
case page's "Share with peer platforms" form posts to :func:`share_case`.
A programme manager sets each peer's agreement at :func:`agreement_edit`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from trustline.accounts.permissions import Actor, Perm
from trustline.console.views import console_view
from trustline.core.exceptions import ApplicationError
from trustline.core.forms import errors_onto, split_list
from trustline.signals.choices import SHAREABLE_TLP, Direction, Opinion, SignalType
from trustline.signals.forms import AgreementForm
from trustline.signals.selectors import agreements_visible, peer_platforms, signals_visible
from trustline.signals.services import agreement_set, signal_share, signal_withdraw

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
    agreements = list(agreements_visible(actor=actor))
    agreed = {a.peer_id for a in agreements}
    return render(request, "signals/index.html", {
        "ours": list(signals.filter(direction=Direction.OUTBOUND)[:SHOWN]),
        "theirs": list(signals.filter(direction=Direction.INBOUND)[:SHOWN]),
        "agreements": agreements,
        "peers_without": [p for p in peer_platforms(actor=actor) if p.pk not in agreed],
        "can_share": actor.has(Perm.SIGNAL_SHARE),
        "can_agree": actor.has(Perm.SIGNAL_AGREEMENT_MANAGE),
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


@require_http_methods(["GET", "POST"])
@console_view
def agreement_edit(request: HttpRequest, actor: Actor, peer_slug: str) -> HttpResponse:
    """Set what one peer platform receives and whether it may send (``services.agreement_set``; audited)."""
    if not actor.has(Perm.SIGNAL_AGREEMENT_MANAGE):
        raise Http404("Not found.")
    peer = peer_platforms(actor=actor).filter(slug=peer_slug).first()
    if peer is None:
        raise Http404("Not found.")
    current = agreements_visible(actor=actor).filter(peer=peer).first()
    initial: dict[str, Any] = {"max_tlp": "green", "accepts_inbound": False, "is_active": True}
    if current is not None:
        initial = {"max_tlp": current.max_tlp, "categories": current.categories,
                   "accepts_inbound": current.accepts_inbound, "is_active": current.is_active, "note": current.note}
    form = AgreementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            agreement_set(actor=actor, peer_slug=peer.slug, **form.cleaned_data)
        except ApplicationError as exc:
            errors_onto(form, exc)
        else:
            messages.success(request, _("The agreement with %(peer)s is saved.") % {"peer": peer.name})
            return redirect("signals:index")
    return render(request, "signals/agreement.html", {"form": form, "peer": peer, "current": current},
                  status=400 if form.errors else 200)
