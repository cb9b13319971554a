"""Reviewer console pages: my queue, next case, the case page, deciding, releasing, second review.

Thin: each view translates the form, calls the owning app's service (routing
for claims and releases, review for decisions) and renders. ``console_view``
adds what every staff page needs on top of the portal's ``portal_view``:
staff only (others get the 404 of something that does not exist), and a
verified second factor (a session opened before two-factor applied is sent
to the code step or to enrolment first).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trustline.accounts.models import User
from trustline.accounts.permissions import Actor, Perm
from trustline.accounts.views import portal_view
from trustline.cases.models import Case
from trustline.console.banners import crisis_banner
from trustline.console.case_page import case_page
from trustline.console.forms import DecisionForm, ReasonForm, ViewingPreferenceForm
from trustline.console.selectors import confirmed_device, two_factor_required, viewing_preference_of
from trustline.console.services import viewing_preference_set
from trustline.core import clock
from trustline.core.exceptions import ApplicationError, Conflict
from trustline.core.forms import errors_onto, split_list
from trustline.platforms.services import action_ask_again, action_retry
from trustline.platforms.snapshots import snapshot_take
from trustline.review import services as review_services
from trustline.review.selectors import review_cases_visible, second_review_queue
from trustline.review.validation import DecisionInput
from trustline.routing import services as routing_services
from trustline.routing.selectors import queue_list
from trustline.signals.choices import SHAREABLE_TLP

P = ParamSpec("P")
QUEUE_PAGE = 50


def needs_second_factor(request: HttpRequest) -> HttpResponseBase | None:
    """A redirect to the code step or enrolment when this session lacks a required second factor."""
    user = request.user
    if not isinstance(user, User) or not two_factor_required(user):
        return None
    if getattr(user, "is_verified", lambda: False)():
        return None
    target = "console:two_factor_verify" if confirmed_device(user) is not None else "console:two_factor_enrol"
    return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")


def console_view(
    view: Callable[Concatenate[HttpRequest, Actor, P], HttpResponseBase],
) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    """``portal_view`` + staff only + a verified second factor."""

    @wraps(view)
    def inner(request: HttpRequest, actor: Actor, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not actor.has(Perm.CASE_VIEW) or not actor.is_staff_side:
            raise Http404("Not found.")
        gate = needs_second_factor(request)
        if gate is not None:
            return gate
        return view(request, actor, *args, **kwargs)

    return portal_view(inner)


def _held_cases(actor: Actor) -> list[Case]:
    if actor.user is None:
        return []
    return list(
        review_cases_visible(actor=actor)
        .filter(is_open=True, assigned_to=actor.user, lease_expires_at__gt=clock.now())
        .order_by("lease_expires_at")
    )


@require_GET
@console_view
def queue(request: HttpRequest, actor: Actor) -> HttpResponse:
    """My cases, then the open queue in claim order; the 'next case' button claims for me."""
    now = clock.now()
    cases = list(queue_list(actor=actor, filters={}, now=now)[:QUEUE_PAGE]) if actor.has(Perm.QUEUE_VIEW) else []
    pending_second = second_review_queue(actor=actor).count() if actor.has(Perm.DECISION_SECOND_REVIEW) else 0
    return render(request, "console/queue.html", {
        "held": _held_cases(actor),
        "cases": cases,
        "now": now,
        "can_claim": actor.has(Perm.CASE_CLAIM),
        "pending_second": pending_second,
        "crises": crisis_banner(actor=actor, now=now),
    })


@require_POST
@console_view
def next_case(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Claim the most urgent case I am qualified for (routing's ``case_claim_next``)."""
    try:
        case = routing_services.case_claim_next(actor=actor)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("console:queue")
    if case is None:
        messages.info(request, _("Nothing is waiting for you right now."))
        return redirect("console:queue")
    return redirect("console:case", case_id=case.pk)


def decision_input(data: dict[str, Any]) -> DecisionInput:
    """The form's cleaned data as review's input (review validates it)."""
    return DecisionInput(
        outcome=data["outcome"],
        policy=data.get("policy") or "",
        actions=list(data.get("actions") or []),
        territorial_scope=split_list(data.get("territorial_scope")),
        label_text=data.get("label_text") or "",
        decision_ground=data.get("decision_ground") or "",
        illegal_content_legal_ground=data.get("illegal_content_legal_ground") or "",
        illegal_content_explanation=data.get("illegal_content_explanation") or "",
        incompatible_content_ground=data.get("incompatible_content_ground") or "",
        incompatible_content_explanation=data.get("incompatible_content_explanation") or "",
        automated_decision=data.get("automated_decision") or "",
        explanation=data.get("explanation") or "",
        language=data.get("language") or "",
        internal_note=data.get("internal_note") or "",
        question=data.get("question") or "",
    )


def _render_case(request: HttpRequest, actor: Actor, case_id: uuid.UUID, form: DecisionForm | None = None,
                 status: int = 200) -> HttpResponse:
    now = clock.now()
    page = case_page(actor=actor, case_id=case_id, now=now)
    if form is None:
        form = DecisionForm(initial={"policy": page.case.category_code})
    return render(request, "console/case.html", {
        "page": page, "case": page.case, "form": form, "now": now,
        "release_form": ReasonForm(), "crises": crisis_banner(actor=actor, now=now, case=page.case),
        "tlps": SHAREABLE_TLP, "viewing": viewing_preference_of(actor.user),
    }, status=status)


@require_GET
@console_view
def case_detail(request: HttpRequest, actor: Actor, case_id: uuid.UUID) -> HttpResponse:
    return _render_case(request, actor, case_id)


@require_POST
@console_view
def decide(request: HttpRequest, actor: Actor, case_id: uuid.UUID) -> HttpResponse:
    """Record a decision through review's ``decision_record``; its field errors come back on the form."""
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            decision = review_services.decision_record(actor=actor, case_id=case_id,
                                                       data=decision_input(form.cleaned_data))
        except ApplicationError as exc:
            errors_onto(form, exc)
        else:
            messages.success(request, _("Decision recorded: %(outcome)s.") % {
                "outcome": decision.get_outcome_display()})
            return redirect("console:queue")
    return _render_case(request, actor, case_id, form=form, status=400)


@require_POST
@console_view
def release(request: HttpRequest, actor: Actor, case_id: uuid.UUID) -> HttpResponse:
    """Give the case back to the queue (routing's ``case_release``)."""
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        routing_services.case_release(actor=actor, case_id=case_id, reason=reason)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("console:case", case_id=case_id)
    messages.success(request, _("The case is back in the queue."))
    return redirect("console:queue")


@require_POST
@console_view
def retry_action(request: HttpRequest, actor: Actor, case_id: uuid.UUID, action_id: uuid.UUID) -> HttpResponse:
    """"Retry now" on a failed enforcement action (platforms' ``action_retry``); back to the case page."""
    try:
        record = action_retry(actor=actor, action_record_id=action_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if record.status == "failed":
            messages.error(request, _("The platform failed again: %(error)s") % {"error": record.result_message})
        else:
            messages.success(request, _("Asked the platform again: %(status)s.") % {
                "status": record.get_status_display()})
    return redirect("console:case", case_id=case_id)


@require_POST
@console_view
def ask_again(request: HttpRequest, actor: Actor, case_id: uuid.UUID, action_id: uuid.UUID) -> HttpResponse:
    """"Ask the platform again" after a check found an action not in effect (platforms' ``action_ask_again``)."""
    try:
        record = action_ask_again(actor=actor, action_record_id=action_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Asked the platform again: %(status)s; it will be checked again.") % {
            "status": record.get_status_display()})
    return redirect("console:case", case_id=case_id)


@require_POST
@console_view
def take_snapshot(request: HttpRequest, actor: Actor, case_id: uuid.UUID) -> HttpResponse:
    """"Preserve now": ask the platform and keep its answer (platforms' ``snapshot_take``); back to the case."""
    try:
        snapshot = snapshot_take(actor=actor, case_id=case_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if snapshot.available:
            messages.success(request, _("Preserved what the platform shows now (SHA-256 %(sha256)s).") % {
                "sha256": snapshot.sha256[:12]})
        else:
            messages.error(request, _("The platform did not answer: %(error)s") % {"error": snapshot.error})
    return redirect(reverse("console:case", kwargs={"case_id": case_id}) + "#h-content")


@require_GET
@console_view
def second_review(request: HttpRequest, actor: Actor) -> HttpResponse:
    if not actor.has(Perm.DECISION_SECOND_REVIEW):
        raise Http404("Not found.")
    decisions = list(second_review_queue(actor=actor).select_related("case", "policy", "decided_by")[:QUEUE_PAGE])
    return render(request, "console/second_review.html", {"decisions": decisions, "form": ReasonForm()})


@require_POST
@console_view
def second_review_act(request: HttpRequest, actor: Actor, decision_id: uuid.UUID, verdict: str) -> HttpResponse:
    """Confirm or reject someone else's decision (review's ``decision_confirm`` / ``decision_reject``)."""
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        if verdict == "confirm":
            review_services.decision_confirm(actor=actor, decision_id=decision_id, note=reason)
            messages.success(request, _("Decision confirmed: it takes effect."))
        else:
            review_services.decision_reject(actor=actor, decision_id=decision_id, reason=reason)
            messages.success(request, _("Decision rejected: the case goes back to review."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("console:second_review")


@require_http_methods(["GET"])
def leave(request: HttpRequest) -> HttpResponse:
    """A warning page before opening an external (reported, possibly hostile) link.

    Only http(s) URLs get a link; anything else (javascript:, data:) is shown
    as text. The link opens with ``rel="noopener noreferrer"`` so the site
    never learns where the reviewer came from.
    """
    url = request.GET.get("url", "")
    parts = urlsplit(url)
    safe = parts.scheme in {"http", "https"} and bool(parts.netloc)
    return render(request, "console/leave.html", {"url": url, "safe": safe, "host": parts.hostname or ""})


@require_http_methods(["GET", "POST"])
@console_view
def viewing(request: HttpRequest, actor: Actor) -> HttpResponseBase:
    """The reviewer's own choice of how evidence images are shown (blurred, clear or not at all; grey or not)."""
    preference = viewing_preference_of(actor.user)
    form = ViewingPreferenceForm(request.POST or None, initial={
        "image_previews": preference.image_previews, "grayscale": preference.grayscale,
    })
    if request.method == "POST" and form.is_valid():
        try:
            viewing_preference_set(actor=actor, image_previews=form.cleaned_data["image_previews"],
                                   grayscale=form.cleaned_data["grayscale"])
        except ApplicationError as exc:
            errors_onto(form, exc)
        else:
            messages.success(request, _("Your viewing preference is saved."))
            return redirect(_safe_back(request) or reverse("console:viewing"))
    return render(request, "console/viewing.html", {"form": form, "back": _safe_back(request)})


def _safe_back(request: HttpRequest) -> str | None:
    """A page of this site to return to (the case page the reviewer came from), never another host."""
    candidate = request.POST.get("back") or request.GET.get("back")
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return None
