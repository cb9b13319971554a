"""A session opened before the partner's organisation required a second factor stops at the code step everywhere.

Amal (partner analyst) is signed in with her password alone; then Omar, her
organisation's admin, switches the requirement on. Her old session must no
longer reach the portal pages or the session API, while her API key, the
sign-in pages and other organisations' people are unaffected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from trustline.accounts.models import User
from trustline.conftest import ApiClient, actor_of
from trustline.console import services
from trustline.console.middleware import CHECKED_KEY
from trustline.console.tests.conftest import enrol
from trustline.core import clock

pytestmark = pytest.mark.django_db


def require_for(admin: User) -> None:
    organisation = actor_of(admin).organisation
    assert organisation is not None
    services.security_policy_set(actor=actor_of(admin), organisation=organisation, require_two_factor=True)


def test_before_the_policy_the_old_session_works(analyst_amal: User, staff_client: Callable[[User], Client]) -> None:
    client = staff_client(analyst_amal)
    assert client.get("/portal/reports/").status_code == 200
    assert client.get("/api/v1/reports").status_code == 200


def test_after_the_policy_pages_send_to_enrolment_and_the_api_refuses(
    analyst_amal: User, admin_omar: User, staff_client: Callable[[User], Client],
) -> None:
    client = staff_client(analyst_amal)
    require_for(admin_omar)
    page = client.get("/portal/reports/?status=open")
    assert page.status_code == 302
    assert page["Location"] == "/console/2fa/enrol/?next=%2Fportal%2Freports%2F%3Fstatus%3Dopen"
    api = client.get("/api/v1/reports")
    assert api.status_code == 401
    assert api.json()["code"] == "second_factor_required"
    # The ways out stay open: enrolment, the security page, sign-out.
    assert client.get("/console/2fa/enrol/").status_code == 200
    assert client.get("/console/security/").status_code in (200, 302)
    assert client.post("/accounts/logout/").status_code == 302


def test_a_person_with_an_authenticator_is_sent_to_the_code_step(
    analyst_amal: User, admin_omar: User, staff_client: Callable[[User], Client],
) -> None:
    enrol(analyst_amal)
    client = staff_client(analyst_amal)
    require_for(admin_omar)
    page = client.get("/portal/reports/")
    assert page.status_code == 302 and page["Location"].startswith("/console/2fa/verify/")


def test_the_api_key_is_not_affected(admin_omar: User, sudan_api: ApiClient) -> None:
    require_for(admin_omar)
    assert sudan_api.get("/api/v1/reports").status_code == 200


def test_another_organisation_is_not_affected(
    analyst_bilal: User, admin_omar: User, staff_client: Callable[[User], Client],
) -> None:
    client = staff_client(analyst_bilal)
    require_for(admin_omar)
    assert client.get("/portal/reports/").status_code == 200


def test_an_unaffected_session_is_checked_again_after_a_minute(
    analyst_amal: User, admin_omar: User, staff_client: Callable[[User], Client],
) -> None:
    client = staff_client(analyst_amal)
    assert client.get("/portal/reports/").status_code == 200
    assert isinstance(client.session.get(CHECKED_KEY), int)
    require_for(admin_omar)
    # Within the minute the remembered answer stands; once it is older, the new policy applies.
    assert client.get("/portal/reports/").status_code == 200
    session = client.session
    session[CHECKED_KEY] = int((clock.now() - dt.timedelta(minutes=2)).timestamp())
    session.save()
    assert client.get("/portal/reports/").status_code == 302
