"""The pages: the public guide without sign-in, the staff pages behind the area gate, htmx actions."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.lawenforcement.inbound import request_receive
from trustline.lawenforcement.models import Agency, InboundRequest, LeReferral
from trustline.lawenforcement.tests.test_inbound import request_data

StaffClient = Callable[[User], Client]


@pytest.fixture
def inbound_request(liaison_lucas: User, sudan_police: Agency) -> InboundRequest:
    return request_receive(actor=actor_of(liaison_lucas), data=request_data(sudan_police))


def test_the_public_guide_needs_no_sign_in_and_hides_private_fields(client: Client, sudan_police: Agency) -> None:
    response = client.get("/law-enforcement/contact/?country=SD")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Khartoum State Police" in page and "+249 100 000 001" in page
    assert "Hassan" not in page and "internal" not in page


@pytest.mark.parametrize("path", ["/law-enforcement/", "/law-enforcement/directory/", "/law-enforcement/referrals/",
                                  "/law-enforcement/referrals/new", "/law-enforcement/holds/",
                                  "/law-enforcement/ncmec/"])
def test_staff_pages_are_behind_the_area_gate(
    path: str, client: Client, staff_client: StaffClient, analyst_amal: User, reviewer_rita: User,
    liaison_lucas: User, legal_leila: User, sudan_police: Agency,
) -> None:
    assert client.get(path).status_code == 302  # to sign-in
    assert staff_client(analyst_amal).get(path).status_code == 404
    assert staff_client(reviewer_rita).get(path).status_code == 403
    assert staff_client(liaison_lucas).get(path).status_code == 200


def test_a_partner_cannot_see_or_act_on_a_request(
    inbound_request: InboundRequest, staff_client: StaffClient, analyst_amal: User
) -> None:
    partner = staff_client(analyst_amal)
    assert partner.get(f"/law-enforcement/requests/{inbound_request.pk}").status_code == 404
    assert partner.post(f"/law-enforcement/requests/{inbound_request.pk}/verify").status_code == 404


def test_a_liaison_verifies_a_request_through_htmx(
    inbound_request: InboundRequest, sudan_police: Agency, staff_client: StaffClient, liaison_lucas: User
) -> None:
    lucas = staff_client(liaison_lucas)
    page = lucas.get(f"/law-enforcement/requests/{inbound_request.pk}")
    assert page.status_code == 200 and "Not verified" in page.content.decode()
    duty = sudan_police.contacts.get(name="Duty desk")
    headers = {"HX-Request": "true"}
    lucas.post(f"/law-enforcement/requests/{inbound_request.pk}/callback",
               {"contact_id": str(duty.pk), "confirmed": "yes"}, headers=headers)
    panel = lucas.post(f"/law-enforcement/requests/{inbound_request.pk}/verify", headers=headers)
    assert panel.status_code == 200 and "Verified" in panel.content.decode()
    inbound_request.refresh_from_db()
    assert inbound_request.verified


def test_the_referral_builder_suggests_agencies_and_builds_a_minimised_package(
    threat_case: Case, sudan_police: Agency, staff_client: StaffClient, liaison_lucas: User
) -> None:
    lucas = staff_client(liaison_lucas)
    page = lucas.get(f"/law-enforcement/referrals/new?case_id={threat_case.pk}")
    assert sudan_police.name in page.content.decode()
    response = lucas.post("/law-enforcement/referrals/new", {
        "case_id": str(threat_case.pk), "agency_id": str(sudan_police.pk), "facts": "Threat tonight.",
        "fields": ["category"], "why_category": "kind of harm", "why_content_url": "not ticked, so not included",
    })
    referral = LeReferral.objects.get()
    assert response.status_code == 302
    assert [f["name"] for f in referral.package["fields"]] == ["category"]
    detail = lucas.get(f"/law-enforcement/referrals/{referral.pk}")
    assert detail.status_code == 200 and "Threat tonight." in detail.content.decode()


def test_holds_are_extended_once_from_the_page(staff_client: StaffClient, legal_leila: User,
                                               liaison_lucas: User) -> None:
    from trustline.lawenforcement.holds import hold_create

    hold = hold_create(actor=actor_of(liaison_lucas), subject_kind="account", subject_value="u-1", note="counsel")
    leila = staff_client(legal_leila)
    assert "u-1" in leila.get("/law-enforcement/holds/").content.decode()
    leila.post(f"/law-enforcement/holds/{hold.pk}/extend")
    leila.post(f"/law-enforcement/holds/{hold.pk}/extend")
    hold.refresh_from_db()
    assert hold.extension_count == 1


def test_a_cybertipline_report_is_generated_from_the_page(
    child_case: Case, staff_client: StaffClient, liaison_lucas: User, settings: object
) -> None:
    from trustline.lawenforcement.models import NcmecReport

    settings.LAW_ENFORCEMENT = {"NCMEC": {"REPORTER_EMAIL": "cybertip@kite.example"}}  # type: ignore[attr-defined]
    lucas = staff_client(liaison_lucas)
    lucas.post("/law-enforcement/ncmec/", {"case_id": str(child_case.pk)})
    report = NcmecReport.objects.get()
    page = lucas.get("/law-enforcement/ncmec/").content.decode()
    assert "switched off" in page and "incidentSummary" in page
    assert report.status == "draft"


def test_a_liaison_records_an_emergency_request_from_the_page(
    sudan_police: Agency, staff_client: StaffClient, liaison_lucas: User, legal_leila: User
) -> None:
    assert staff_client(legal_leila).get("/law-enforcement/requests/new").status_code == 403
    lucas = staff_client(liaison_lucas)
    assert lucas.get("/law-enforcement/requests/new").status_code == 200
    response = lucas.post("/law-enforcement/requests/new", {
        "request_type": "emergency_disclosure", "agency_id": str(sudan_police.pk), "officer_name": "Lt. Osman",
        "officer_email": "osman@police.gov.sd", "legal_basis": "danger to life",
        "identifiers": "account: kite-user-1\nkite-user-2", "data_types": ["basic_subscriber"],
        "deadline_hours": "3", "emergency_reason": "hostage",
    })
    request = InboundRequest.objects.get()
    assert response.status_code == 302
    assert request.emergency and request.country == "SD" and request.agency == sudan_police
    assert request.identifiers == [{"kind": "account", "value": "kite-user-1"},
                                   {"kind": "account", "value": "kite-user-2"}]
    assert (request.due_at - request.received_at).total_seconds() == 3 * 3600
