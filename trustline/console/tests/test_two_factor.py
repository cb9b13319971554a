"""Two-factor sign-in: staff must enrol, partners may, a partner admin can require it for the organisation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.audit.models import AuditEntry
from trustline.conftest import PASSWORD, actor_of
from trustline.console import services
from trustline.console.selectors import organisation_requires_two_factor, two_factor_required
from trustline.console.tests.conftest import code, enrol, sign_in
from trustline.core.exceptions import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


def password_step(client: Client, user: User, next_url: str = "") -> str:
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    response = client.post("/accounts/login/", data)
    assert response.status_code == 302, response.content
    return str(response["Location"])


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


class TestStaffMustEnrol:
    def test_it_sends_staff_without_a_device_to_enrolment_before_any_session(self, reviewer_rita: User) -> None:
        client = Client()
        assert password_step(client, reviewer_rita) == "/console/2fa/enrol/"
        assert not is_signed_in(client)
        page = client.get("/console/2fa/enrol/")
        assert page.status_code == 200
        assert b"data:image/svg+xml" in page.content  # the QR code, as an <img> the CSP allows
        assert client.get("/console/").status_code == 302  # still not signed in: the console sends to login

    def test_it_signs_in_after_a_correct_code_at_enrolment(self, reviewer_rita: User) -> None:
        client = Client()
        password_step(client, reviewer_rita, next_url="/console/")
        client.get("/console/2fa/enrol/")  # shows the QR code of a new secret
        response = client.post("/console/2fa/enrol/", {"token": code(reviewer_rita)})
        assert response.status_code == 302 and response["Location"] == "/console/"
        assert is_signed_in(client)
        assert client.get("/console/").status_code == 200
        assert TOTPDevice.objects.get(user=reviewer_rita).confirmed
        assert AuditEntry.objects.filter(action="two_factor.enabled", target_id=str(reviewer_rita.pk)).exists()

    def test_it_refuses_a_wrong_code_at_enrolment(self, reviewer_rita: User) -> None:
        client = Client()
        password_step(client, reviewer_rita)
        client.get("/console/2fa/enrol/")
        wrong = "000000" if code(reviewer_rita) != "000000" else "111111"
        response = client.post("/console/2fa/enrol/", {"token": wrong})
        assert response.status_code == 200
        assert b"did not match" in response.content
        assert not is_signed_in(client)
        assert not TOTPDevice.objects.filter(user=reviewer_rita, confirmed=True).exists()

    def test_it_asks_enrolled_staff_for_a_code_and_refuses_a_wrong_one(self, reviewer_rita: User) -> None:
        enrol(reviewer_rita)
        client = Client()
        assert password_step(client, reviewer_rita) == "/console/2fa/verify/"
        assert not is_signed_in(client)
        wrong = client.post("/console/2fa/verify/", {"token": "12345"})
        assert wrong.status_code == 200 and not is_signed_in(client)

    def test_it_signs_in_with_password_and_code(self, reviewer_rita: User) -> None:
        enrol(reviewer_rita)
        client = sign_in(reviewer_rita)
        assert is_signed_in(client)
        assert client.get("/console/").status_code == 200

    def test_it_never_accepts_the_same_code_twice(self, reviewer_rita: User) -> None:
        enrol(reviewer_rita)
        token = code(reviewer_rita, 1)
        first = Client()
        password_step(first, reviewer_rita)
        assert first.post("/console/2fa/verify/", {"token": token}).status_code == 302
        second = Client()
        password_step(second, reviewer_rita)
        assert second.post("/console/2fa/verify/", {"token": token}).status_code == 200
        assert not is_signed_in(second)

    def test_it_sends_a_password_only_staff_session_to_the_code_step(self, reviewer_rita: User,
                                                                     staff_client: Callable[[User], Client]) -> None:
        """A session opened without the second factor (e.g. before the rule) cannot use the console."""
        enrol(reviewer_rita)
        response = staff_client(reviewer_rita).get("/console/")
        assert response.status_code == 302
        assert response["Location"].startswith("/console/2fa/verify/?next=")

    def test_it_sends_a_password_only_session_without_device_to_enrolment(
        self, reviewer_rita: User, staff_client: Callable[[User], Client]
    ) -> None:
        response = staff_client(reviewer_rita).get("/console/")
        assert response.status_code == 302
        assert response["Location"].startswith("/console/2fa/enrol/")

    def test_it_times_out_a_pending_sign_in(self, reviewer_rita: User, monkeypatch: pytest.MonkeyPatch) -> None:
        enrol(reviewer_rita)
        client = Client()
        password_step(client, reviewer_rita)
        session = client.session
        session["_trustline_2fa_pending"]["at"] -= 3600
        session.save()
        response = client.post("/console/2fa/verify/", {"token": code(reviewer_rita, 1)})
        assert response.status_code == 302 and response["Location"] == "/accounts/login/"
        assert not is_signed_in(client)

    def test_it_ignores_an_offsite_next(self, reviewer_rita: User) -> None:
        enrol(reviewer_rita)
        client = Client()
        password_step(client, reviewer_rita, next_url="https://evil.example/")
        response = client.post("/console/2fa/verify/", {"token": code(reviewer_rita, 1)})
        assert response["Location"] == "/portal/reports/"


class TestPartners:
    def test_it_signs_a_partner_in_with_the_password_alone_by_default(self, analyst_amal: User) -> None:
        client = Client()
        assert password_step(client, analyst_amal) == "/portal/reports/"
        assert is_signed_in(client)
        assert not two_factor_required(analyst_amal)

    def test_a_partner_can_switch_it_on_and_is_then_asked_for_a_code(
        self, analyst_amal: User, staff_client: Callable[[User], Client]
    ) -> None:
        client = staff_client(analyst_amal)
        assert b"Set up two-factor sign-in" in client.get("/console/security/").content
        assert client.get("/console/2fa/enrol/").status_code == 200
        response = client.post("/console/2fa/enrol/", {"token": code(analyst_amal)})
        assert response.status_code == 302
        assert TOTPDevice.objects.get(user=analyst_amal).confirmed
        assert password_step(Client(), analyst_amal) == "/console/2fa/verify/"

    def test_a_partner_can_switch_it_off_when_not_required(
        self, analyst_amal: User, staff_client: Callable[[User], Client]
    ) -> None:
        enrol(analyst_amal)
        response = staff_client(analyst_amal).post("/console/security/", {"form": "disable"})
        assert response.status_code == 302
        assert not TOTPDevice.objects.filter(user=analyst_amal).exists()
        assert AuditEntry.objects.filter(action="two_factor.removed").exists()

    def test_staff_cannot_switch_it_off(self, reviewer_rita: User) -> None:
        enrol(reviewer_rita)
        with pytest.raises(PermissionDenied):
            services.totp_device_remove(actor=actor_of(reviewer_rita), user=reviewer_rita)

    def test_nobody_confirms_someone_elses_device(self, analyst_amal: User, admin_omar: User) -> None:
        services.totp_device_pending(user=analyst_amal)
        with pytest.raises(PermissionDenied):
            services.totp_device_confirm(actor=actor_of(admin_omar), user=analyst_amal,
                                         token=code(analyst_amal, confirmed=False))

    def test_a_stale_code_is_refused_with_its_field(self, analyst_amal: User) -> None:
        services.totp_device_pending(user=analyst_amal)
        with pytest.raises(ValidationFailed) as caught:
            services.totp_device_confirm(actor=SYSTEM, user=analyst_amal, token="abc")
        assert "token" in caught.value.fields


class TestOrganisationPolicy:
    def test_a_partner_admin_requires_it_and_members_must_enrol(
        self, admin_omar: User, analyst_amal: User, staff_client: Callable[[User], Client]
    ) -> None:
        response = staff_client(admin_omar).post("/console/security/",
                                                 {"form": "policy", "require_two_factor": "on"})
        assert response.status_code == 302
        assert organisation_requires_two_factor(actor_of(admin_omar).organisation)  # type: ignore[arg-type]
        assert AuditEntry.objects.filter(action="security_policy.changed").exists()
        client = Client()
        assert password_step(client, analyst_amal) == "/console/2fa/enrol/"
        assert not is_signed_in(client)
        # a session opened before the rule cannot switch two-factor off either
        enrol(analyst_amal)
        off = staff_client(analyst_amal).post("/console/security/", {"form": "disable"})
        assert off.status_code == 302
        assert TOTPDevice.objects.filter(user=analyst_amal, confirmed=True).exists()

    def test_it_does_not_touch_another_organisation(self, admin_omar: User, analyst_bilal: User) -> None:
        services.security_policy_set(actor=actor_of(admin_omar), organisation=actor_of(admin_omar).organisation,  # type: ignore[arg-type]
                                     require_two_factor=True)
        assert not two_factor_required(analyst_bilal)
        with pytest.raises(PermissionDenied):
            services.security_policy_set(actor=actor_of(admin_omar),
                                         organisation=actor_of(analyst_bilal).organisation,  # type: ignore[arg-type]
                                         require_two_factor=False)

    def test_an_analyst_cannot_set_the_policy(self, analyst_amal: User, staff_client: Callable[[User], Client]) -> None:
        page = staff_client(analyst_amal).get("/console/security/")
        assert b"My organisation" not in page.content
        staff_client(analyst_amal).post("/console/security/", {"form": "policy", "require_two_factor": "on"})
        assert not organisation_requires_two_factor(actor_of(analyst_amal).organisation)  # type: ignore[arg-type]
        with pytest.raises(PermissionDenied):
            services.security_policy_set(actor=actor_of(analyst_amal),
                                         organisation=actor_of(analyst_amal).organisation,  # type: ignore[arg-type]
                                         require_two_factor=True)

    def test_anonymous_people_cannot_open_the_security_page(self, db: None) -> None:
        response = Client().get("/console/security/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_admin_sign_in_page_sends_to_the_two_factor_sign_in(db: None) -> None:
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert Client().post("/admin/login/", {"username": "x", "password": "y"}).status_code == 302
