"""Console fixtures: authenticator codes, signed-in-with-two-factor clients, triaged cases.

``code(user, ahead=0)`` is the code the person's authenticator app shows now
(``ahead=1``: the next one; django-otp accepts one step of drift and never the
same step twice, so a second sign-in in one test uses ``ahead=1``).
``enrol(user)`` switches two-factor on through the console's services.
``signed_in(user)`` signs in through the real pages (password, then code) and
returns the client. ``submit(user, **overrides)`` reports and triages.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.cases.models import Case
from trustline.conftest import PASSWORD, actor_of
from trustline.console import services
from trustline.intake.choices import Channel
from trustline.intake.schemas import ReportIn
from trustline.intake.services import SubmitResult, report_submit
from trustline.review.models import Decision, InformationRequest
from trustline.routing.services import case_reassign
from trustline.triage.services import triage_pending


def code(user: User, ahead: int = 0, *, confirmed: bool | None = None) -> str:
    """The six digits the person's (only, or pending) device shows now, ``ahead`` steps later."""
    qs = TOTPDevice.objects.filter(user=user)
    if confirmed is not None:
        qs = qs.filter(confirmed=confirmed)
    device = qs.order_by("-pk").first()
    assert device is not None, f"{user} has no authenticator"
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(user: User) -> TOTPDevice:
    services.totp_device_pending(user=user)
    return services.totp_device_confirm(actor=SYSTEM, user=user, token=code(user, confirmed=False))


def sign_in(user: User, *, ahead: int = 1) -> Client:
    """Password, then the code step, through the real pages; the client ends signed in and verified."""
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    assert response["Location"] == "/console/2fa/verify/"
    response = client.post("/console/2fa/verify/", {"token": code(user, ahead)})
    assert response.status_code == 302, response.content
    return client


@pytest.fixture
def signed_in() -> Callable[[User], Client]:
    """``signed_in(user)`` -> a client signed in with password and code (enrolling the person first if needed)."""

    def make(user: User) -> Client:
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            enrol(user)
        return sign_in(user)

    return make


@pytest.fixture
def submit(report_payload: Callable[..., dict[str, Any]]) -> Callable[..., SubmitResult]:
    def make(user: User, **overrides: Any) -> SubmitResult:
        result = report_submit(actor=actor_of(user), data=ReportIn(**report_payload(**overrides)),
                               channel=Channel.API)
        triage_pending()
        return result

    return make


def case_of(result: SubmitResult) -> Case:
    return Case.objects.get(pk=result.items[0].case_id)


@pytest.fixture
def reviewer_rafael(kite: Any) -> User:
    from trustline.accounts.choices import Role
    from trustline.conftest import make_person

    return make_person(kite, "rafael", "Rafael Second-Reviewer", Role.REVIEWER)


@pytest.fixture
def demo_platform(settings: Any) -> None:
    """Enforcement goes to the demo platform Kite, which acts at once."""
    settings.PLATFORM_CONNECTOR = {"BACKEND": "trustline.platforms.connectors.DemoPlatformConnector", "OPTIONS": {}}


VIOLATING_FORM = {
    "outcome": "violating",
    "policy": "incitement_violence",
    "actions": ["remove"],
    "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
    "incompatible_content_ground": "Community Guidelines §4 (violence and incitement)",
    "incompatible_content_explanation": "The post calls for attacks on a named shelter.",
    "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
}


@pytest.fixture
def decided(analyst_amal: User, reviewer_rita: User, submit: Callable[..., Any],
            signed_in: Callable[[User], Client], demo_platform: None) -> tuple[Case, Decision]:
    """Amal's report, decided violating by Rita on the case page: ``(case, decision)``."""
    case = case_of(submit(analyst_amal))
    case_reassign(actor=SYSTEM, case_id=case.pk, reviewer=reviewer_rita.pk, reason="test")
    response = signed_in(reviewer_rita).post(f"/console/cases/{case.pk}/decide/", VIOLATING_FORM)
    assert response.status_code == 302
    return case, Decision.objects.get(case=case)


@pytest.fixture
def asked(analyst_amal: User, reviewer_rita: User, submit: Callable[..., Any],
          signed_in: Callable[[User], Client]) -> InformationRequest:
    """Rita asked Amal's organisation a question on the case page: the ``InformationRequest``."""
    case = case_of(submit(analyst_amal))
    case_reassign(actor=SYSTEM, case_id=case.pk, reviewer=reviewer_rita.pk, reason="test")
    response = signed_in(reviewer_rita).post(f"/console/cases/{case.pk}/decide/", {
        "outcome": "needs_more_information", "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
        "question": "Is the shelter <b>named</b> in the post the one in El Fasher?",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    return InformationRequest.objects.get(case=case)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives Debian's Chromium through Playwright against a live server (skipped without it)"
    )
