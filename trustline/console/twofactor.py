"""Two-factor sign-in (TOTP, django-otp): the sign-in page, the code step, enrolment and settings.

Design: the password alone never creates a session for someone who needs a
second factor. After the password is right, the person is *pending* (their
id in the session, for ``PENDING_SECONDS``) and is sent to the code step, or,
when their organisation requires two-factor and they have no authenticator
yet, to enrolment; only a correct code logs them in (``django.contrib.auth``
then ``django_otp.login``, which makes ``request.user.is_verified()`` true).
The console also checks ``is_verified()`` on every staff page
(``views.console_view``), which catches sessions opened before a policy
changed.

Steps of a sign-in:
1. password form (Django's ``AuthenticationForm``: its rate of failure is the
   same page for unknown user and wrong password);
2. the person has a confirmed device -> pending, code step;
3. else their organisation requires one -> pending, enrolment (scan, confirm);
4. else log in directly.
"""

from __future__ import annotations

import time
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from trustline.accounts.context_processors import request_actor
from trustline.accounts.models import User
from trustline.accounts.permissions import Actor, Perm
from trustline.accounts.selectors import actor_for_user
from trustline.console import services
from trustline.console.forms import SecurityPolicyForm, TokenForm
from trustline.console.selectors import (
    confirmed_device,
    organisation_requires_two_factor,
    two_factor_required,
)
from trustline.core.exceptions import ApplicationError, PermissionDenied, ValidationFailed

PENDING_KEY = "_trustline_2fa_pending"
PENDING_SECONDS = 300


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return reverse("intake:report_list")


def _set_pending(request: HttpRequest, user: Any, next_url: str) -> None:
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk, "backend": user.backend, "next": next_url, "at": int(time.time()),
    }


def _pending_user(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    """The person between password and code, or None when none or expired."""
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict) or int(time.time()) - int(data.get("at", 0)) > PENDING_SECONDS:
        return None
    user = get_user_model().objects.filter(pk=int(data.get("user") or 0), is_active=True).first()
    if user is None:
        return None
    assert isinstance(user, User)
    return user, data


def _finish_login(request: HttpRequest, user: User, backend: str, device: TOTPDevice) -> None:
    request.session.pop(PENDING_KEY, None)
    auth_login(request, user, backend=backend)
    otp_login(request, device)


def _actor(request: HttpRequest, user: User) -> Actor:
    """The actor for audit during enrolment: the person (signed in or pending) themself."""
    actor = request_actor(request) if request.user.is_authenticated else actor_for_user(user)
    return actor or Actor(kind="user", organisation=None, user=user)


@sensitive_post_parameters()
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponseBase:
    """Step 1 (password), then the code step or enrolment when a second factor applies."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST":
        form = AuthenticationForm(request, data=request.POST)
        if form.is_valid():
            user = form.get_user()
            if confirmed_device(user) is not None:
                _set_pending(request, user, next_url)
                return redirect("console:two_factor_verify")
            if two_factor_required(user):
                _set_pending(request, user, next_url)
                return redirect("console:two_factor_enrol")
            auth_login(request, user)
            return redirect(next_url)
    else:
        form = AuthenticationForm(request)
    return render(request, "registration/login.html",
                  {"form": form, "next": request.GET.get("next", "")})


@sensitive_post_parameters()
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponseBase:
    """Step 2: the six-digit code. Also verifies a signed-in session that is not yet verified."""
    pending = _pending_user(request)
    if pending is not None:
        user, data = pending
        backend, next_url = str(data["backend"]), str(data["next"])
    elif request.user.is_authenticated:
        assert isinstance(request.user, User)
        user = request.user  # a signed-in person re-verifying
        backend = str(request.session.get(BACKEND_SESSION_KEY, ""))
        next_url = _safe_next(request, request.GET.get("next") or request.POST.get("next"))
    else:
        messages.info(request, _("Your sign-in took too long; please sign in again."))
        return redirect("login")
    device = confirmed_device(user)
    if device is None:
        return redirect("console:two_factor_enrol")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _info = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["token"].strip().replace(" ", "")):
            if pending is not None:
                _finish_login(request, user, backend, device)
            else:
                otp_login(request, device)
            return redirect(next_url)
        form.add_error("token", _("The code did not match. Wait for the next code and try again.")
                       if allowed else _("Too many wrong codes: wait a little and try again."))
    return render(request, "console/two_factor_verify.html", {"form": form, "next": next_url})


def _qr_svg(device: TOTPDevice) -> str:
    """The provisioning URI as an SVG data URI (an <img>, allowed by the CSP's img-src data:)."""
    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2))


@sensitive_post_parameters()
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponseBase:
    """Set up an authenticator app: scan the QR code (or type the key), confirm with a code.

    Reached while pending (a sign-in that requires two-factor) or signed in
    (a partner switching it on, or staff caught by the console's check).
    """
    pending = _pending_user(request)
    if pending is not None:
        user, data = pending
    elif request.user.is_authenticated:
        assert isinstance(request.user, User)
        user, data = request.user, {}  # signed-in enrolment
    else:
        return redirect("login")
    if confirmed_device(user) is not None:
        return redirect("console:two_factor_verify")
    device = services.totp_device_pending(user=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.totp_device_confirm(actor=_actor(request, user), user=user,
                                                  token=form.cleaned_data["token"])
        except ValidationFailed as exc:
            for reason in exc.fields.get("token", [exc.message]):
                form.add_error("token", reason)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            if pending is not None:
                _finish_login(request, user, str(data["backend"]), device)
                next_url = str(data["next"])
            else:
                otp_login(request, device)
                next_url = reverse("console:security")
            messages.success(request, _("Two-factor sign-in is on. You will be asked for a code at each sign-in."))
            return redirect(next_url)
    secret = device.config_url.split("secret=")[1].split("&")[0]
    context = {
        "form": form,
        "qr": _qr_svg(device),
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "required": pending is not None,
    }
    response = render(request, "console/two_factor_enrol.html", context)
    add_never_cache_headers(response)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def security(request: HttpRequest) -> HttpResponseBase:
    """The person's two-factor status; a partner admin also sets the organisation's requirement."""
    user = request.user
    assert isinstance(user, User)
    actor = request_actor(request)
    device = confirmed_device(user)
    required = two_factor_required(user)
    manages = actor is not None and actor.has(Perm.SECURITY_POLICY_MANAGE_OWN) and actor.organisation is not None
    policy_form = None
    if manages and actor is not None and actor.organisation is not None:
        org_required = organisation_requires_two_factor(actor.organisation)
        policy_form = SecurityPolicyForm(
            request.POST if request.POST.get("form") == "policy" else None,
            initial={"require_two_factor": org_required},
        )
    if request.method == "POST":
        action = request.POST.get("form")
        try:
            if action == "policy" and policy_form is not None and actor is not None and policy_form.is_valid():
                assert actor.organisation is not None
                services.security_policy_set(actor=actor, organisation=actor.organisation,
                                             require_two_factor=policy_form.cleaned_data["require_two_factor"])
                messages.success(request, _("Your organisation's sign-in policy is saved."))
                return redirect("console:security")
            if action == "disable" and actor is not None:
                services.totp_device_remove(actor=actor, user=user)
                messages.success(request, _("Two-factor sign-in is off."))
                return redirect("console:security")
        except PermissionDenied as exc:
            messages.error(request, exc.message)
            return redirect("console:security")
    response = render(request, "console/security.html", {
        "device": device, "required": required, "policy_form": policy_form,
        "verified": bool(getattr(user, "is_verified", lambda: False)()),
    })
    add_never_cache_headers(response)
    return response
