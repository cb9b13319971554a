"""Web portal views for accounts (API keys), and the wrapper every portal view goes through.

:func:`portal_view` is the web counterpart of the API's authentication: it
resolves the signed-in person to an :class:`Actor`, shows dates in their time
zone, and turns the application's errors into the same pages everywhere
(``NotFound`` -> 404, ``PermissionDenied`` -> a 403 page that says why).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from trustline.accounts import selectors, services
from trustline.accounts.context_processors import request_actor
from trustline.accounts.forms import ApiKeyCreateForm
from trustline.accounts.permissions import Actor, Perm
from trustline.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from trustline.core.forms import errors_onto

P = ParamSpec("P")
PortalView = Callable[Concatenate[HttpRequest, Actor, P], HttpResponseBase]


def user_zone(user: object) -> zoneinfo.ZoneInfo | None:
    """The person's chosen time zone, or None (site default) when unset or unknown."""
    name = str(getattr(user, "timezone", "") or "")
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def forbidden(request: HttpRequest, reason: str) -> HttpResponse:
    """A 403 page that tells the person why, so they know whom to ask."""
    response = render(request, "accounts/forbidden.html", {"reason": reason}, status=403)
    add_never_cache_headers(response)
    return response


def portal_view(view: PortalView[P]) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    """Sign-in required; pass the actor; map application errors to pages.

    A signed-in person without a membership (no partner, no platform team) is
    refused with a page that says so rather than an empty portal. Responses
    are never cached: they hold report content, and phones get shared.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        actor = request_actor(request)
        if actor is None:
            return forbidden(
                request,
                _(
                    "Your account is not linked to a trusted-partner organisation or to the platform team. "
                    "Ask your organisation's administrator (or the programme team) to add you."
                ),
            )
        with timezone.override(user_zone(request.user)):
            try:
                response = view(request, actor, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except PermissionDenied as exc:
                response = forbidden(request, exc.message)
        add_never_cache_headers(response)
        return response

    return login_required(wrapper)


def _can_manage_keys(actor: Actor) -> bool:
    return actor.has(Perm.APIKEY_MANAGE_OWN) or actor.has(Perm.APIKEY_MANAGE_ALL)


@require_http_methods(["GET", "POST"])
@portal_view
def apikey_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    """List the keys the actor manages; POST creates one and shows its secret exactly once.

    The new key is rendered in the POST response itself (never stored, not
    even in the session) and the page is not cached.
    """
    if not _can_manage_keys(actor):
        return forbidden(request, _("Only your organisation's partner admin can manage API keys."))
    manage_all = actor.has(Perm.APIKEY_MANAGE_ALL)
    new_key: services.NewApiKey | None = None
    if request.method == "POST":
        form = ApiKeyCreateForm(request.POST, choose_organisation=manage_all)
        if form.is_valid():
            organisation = form.cleaned_data.get("organisation") or actor.organisation
            if organisation is None:
                raise Http404
            try:
                new_key = services.apikey_create(actor=actor, organisation=organisation, name=form.cleaned_data["name"])
            except ValidationFailed as exc:
                errors_onto(form, exc)  # on its fields, or on the form when it names none
            else:
                form = ApiKeyCreateForm(choose_organisation=manage_all)
    else:
        form = ApiKeyCreateForm(choose_organisation=manage_all)
    keys = Paginator(selectors.apikey_list(actor=actor).select_related("revoked_by"), 50)
    context = {
        "form": form,
        "new_key": new_key,
        "page_obj": keys.get_page(request.GET.get("page")),
        "show_organisation": manage_all,
    }
    return render(request, "accounts/apikey_list.html", context)


@require_POST
@portal_view
def apikey_revoke(request: HttpRequest, actor: Actor, key_id: int) -> HttpResponse:
    if not _can_manage_keys(actor):
        return forbidden(request, _("Only your organisation's partner admin can manage API keys."))
    key = services.apikey_revoke(actor=actor, key=selectors.apikey_get(actor=actor, key_id=key_id))
    messages.success(
        request,
        _("The key “%(name)s” (%(prefix)s…) is revoked. Systems still using it will get 401 errors.")
        % {"name": key.name, "prefix": key.prefix},
    )
    return redirect("accounts:apikey_list")

