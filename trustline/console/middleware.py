"""Sessions that lack a second factor their organisation now requires stop at the code step, everywhere.

Sign-in never opens a session without the second factor when one is
required (:mod:`trustline.console.twofactor`). What it cannot catch is a
session opened *before* a partner admin switched the requirement on: until
now only console pages re-checked (``views.console_view``), so such a
session kept the partner portal and the session-authenticated API. This
middleware checks every request of a signed-in, unverified person:

1. Skip: no session user, a verified session (``is_verified()``, set by
   django-otp's middleware from the session: no query), a request carrying
   a partner API key (``Authorization: Bearer``; the key is the credential),
   the pages that lead out of the state (sign-in, code step, enrolment,
   the security page, sign-out, static files, ``/healthz``), and platform
   staff (see below; the actor is the per-request one views use anyway).
2. Ask whether an organisation's policy requires the second factor
   (one query), remembered in the session for ``RECHECK_SECONDS`` when it
   does not, so an unaffected person pays one query a minute.
3. If it does: a session API call gets 401 ``second_factor_required``; a
   page redirects to the code step (or enrolment when no authenticator is
   confirmed yet), coming back afterwards.

Platform staff always need the second factor, so their sessions only ever
come from the two-step sign-in; the staff console keeps its own check too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from trustline.accounts.context_processors import request_actor
from trustline.accounts.models import User
from trustline.console.models import OrganisationSecurityPolicy
from trustline.console.selectors import confirmed_device

RECHECK_SECONDS = 60
CHECKED_KEY = "trustline_second_factor_not_required_at"
EXEMPT_PREFIXES = ("/accounts/login/", "/accounts/logout/", "/console/2fa/", "/console/security/", "/static/",
                   "/healthz")


def _policy_requires(user: User) -> bool:
    return OrganisationSecurityPolicy.objects.filter(
        organisation__memberships__user=user, require_two_factor=True).exists()


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        stop = self._check(request)
        return stop if stop is not None else self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponseBase | None:
        user = getattr(request, "user", None)
        if not isinstance(user, User) or getattr(user, "is_verified", lambda: True)():
            return None
        if request.headers.get("Authorization", "").startswith("Bearer ") or request.path.startswith(EXEMPT_PREFIXES):
            return None
        actor = request_actor(request)  # computed once per request: the view reuses it
        if actor is None or actor.is_staff_side:
            return None  # no organisation (refused by every page), or staff (two-step sign-in, console checks)
        checked = request.session.get(CHECKED_KEY)
        if isinstance(checked, int) and time.time() - checked < RECHECK_SECONDS:
            return None
        if not _policy_requires(user):
            request.session[CHECKED_KEY] = int(time.time())
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"message": "Your organisation requires a second factor: sign in again with your "
                                 "authenticator app.", "code": "second_factor_required", "fields": {}}, status=401)
        target = "console:two_factor_verify" if confirmed_device(user) is not None else "console:two_factor_enrol"
        response: HttpResponse = redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return response
