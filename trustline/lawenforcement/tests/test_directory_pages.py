"""The directory's edit pages: add and change agencies and contacts through the directory services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.conftest import actor_of
from trustline.lawenforcement.directory import AgencyData, ContactData, agency_create, contact_add
from trustline.lawenforcement.models import Agency, AgencyContact

pytestmark = pytest.mark.django_db

StaffClient = Callable[[User], Client]
LE = "/law-enforcement"

AGENCY_FORM = {
    "name": "Nairobi Police: Cybercrime Unit", "country": "ke", "region": "Nairobi", "city": "",
    "topics": ["cybercrime", "fraud"], "email_domains": "police.go.ke\n@Cyber.Police.go.ke",
    "website": "https://police.go.ke", "public": "on", "public_notes": "Call 999 in an emergency.",
    "notes": "ask for the duty officer",
}
CONTACT_FORM = {
    "name": "Duty desk", "role": "24/7 operations", "email": "duty@police.go.ke", "phone": "+254 20 000 001",
    "portal_url": "", "emergency_line": "on", "last_verified_on": "", "public": "on",
    "public_fields": ["role", "phone"],
}


def audit_actions(target: Any) -> list[str]:
    return list(AuditEntry.objects.filter(target_id=str(target.pk)).order_by("id").values_list("action", flat=True))


def field_error(page: str, field: str) -> str:
    """The error block the shared field include renders for ``field`` (empty when there is none)."""
    marker = f'id="id_{field}_error"'
    if marker not in page:
        return ""
    return page.split(marker, 1)[1].split("</div>", 1)[0]


@pytest.fixture
def contact(sudan_police: Agency) -> AgencyContact:
    return sudan_police.contacts.get(name="Duty desk")


PAGES = [
    "/directory/new",
    "/directory/{agency}/edit",
    "/directory/{agency}/contacts/new",
    "/contacts/{contact}/edit",
]


@pytest.mark.parametrize("page", PAGES)
def test_the_edit_pages_are_behind_the_area_gate_and_the_manage_permission(
    page: str, client: Client, staff_client: StaffClient, analyst_amal: User, reviewer_rita: User,
    legal_leila: User, liaison_lucas: User, sudan_police: Agency, contact: AgencyContact,
) -> None:
    path = LE + page.format(agency=sudan_police.pk, contact=contact.pk)
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert staff_client(analyst_amal).get(path).status_code == 404  # partners: the area does not exist
    assert staff_client(reviewer_rita).get(path).status_code == 403  # staff outside the area
    assert staff_client(legal_leila).get(path).status_code == 403  # reads the directory, does not edit it
    assert staff_client(liaison_lucas).get(path).status_code == 200


def test_refused_posts_change_nothing(
    staff_client: StaffClient, analyst_amal: User, reviewer_rita: User, legal_leila: User, sudan_police: Agency,
    contact: AgencyContact,
) -> None:
    before = AuditEntry.objects.count()
    assert staff_client(analyst_amal).post(f"{LE}/directory/new", AGENCY_FORM).status_code == 404
    assert staff_client(reviewer_rita).post(f"{LE}/directory/{sudan_police.pk}/edit", AGENCY_FORM).status_code == 403
    assert staff_client(legal_leila).post(f"{LE}/contacts/{contact.pk}/edit", CONTACT_FORM).status_code == 403
    assert staff_client(legal_leila).post(f"{LE}/directory/{sudan_police.pk}/status",
                                          {"status": "retired"}).status_code == 403
    assert Agency.objects.count() == 1 and AuditEntry.objects.count() == before
    sudan_police.refresh_from_db()
    assert sudan_police.name.startswith("Khartoum") and sudan_police.status == "complete"


def test_a_liaison_adds_an_agency_and_it_is_audited(staff_client: StaffClient, liaison_lucas: User) -> None:
    response = staff_client(liaison_lucas).post(f"{LE}/directory/new", AGENCY_FORM)
    agency = Agency.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{LE}/directory/{agency.pk}"
    assert (agency.name, agency.country, agency.region, agency.status) == (
        "Nairobi Police: Cybercrime Unit", "KE", "Nairobi", "draft")
    assert agency.topics == ["cybercrime", "fraud"]
    assert agency.email_domains == ["cyber.police.go.ke", "police.go.ke"]
    assert agency.public and agency.notes == "ask for the duty officer"
    entry = AuditEntry.objects.get(action="le_agency.created", target_id=str(agency.pk))
    assert entry.actor == f"user:{liaison_lucas.pk}"


def test_a_liaison_edits_an_agency_and_the_audit_names_the_change(
    staff_client: StaffClient, liaison_lucas: User, sudan_police: Agency
) -> None:
    lucas = staff_client(liaison_lucas)
    form = lucas.get(f"{LE}/directory/{sudan_police.pk}/edit").content.decode()
    assert 'value="Khartoum State Police: Cybercrime Unit"' in form and "police.gov.sd" in form
    response = lucas.post(f"{LE}/directory/{sudan_police.pk}/edit", {
        **AGENCY_FORM, "name": "Khartoum State Police", "country": "SD", "region": "Khartoum",
        "email_domains": "police.gov.sd\ninterior.gov.sd",
    })
    assert response.status_code == 302
    sudan_police.refresh_from_db()
    assert sudan_police.name == "Khartoum State Police"
    assert sudan_police.email_domains == ["interior.gov.sd", "police.gov.sd"]
    assert sudan_police.status == "complete"  # editing the details leaves the status alone
    changed = AuditEntry.objects.filter(action="le_agency.changed", target_id=str(sudan_police.pk)).last()
    assert changed is not None and changed.data["changed"]["name"] == "Khartoum State Police"


def test_bad_agency_input_is_shown_on_its_fields_and_nothing_is_saved(
    staff_client: StaffClient, liaison_lucas: User, sudan_police: Agency
) -> None:
    lucas = staff_client(liaison_lucas)
    before = AuditEntry.objects.count()
    bad = {**AGENCY_FORM, "country": "XX", "topics": [], "email_domains": "police.go.ke\nnot a domain",
           "website": "not a web address"}
    response = lucas.post(f"{LE}/directory/new", bad)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved" in page
    # The form's own check (a web address) ...
    assert "Enter a valid URL." in field_error(page, "website")
    assert Agency.objects.count() == 1
    # ... and, once the form is satisfied, the service's checks, each next to its field.
    response = lucas.post(f"{LE}/directory/new", {**bad, "website": ""})
    page = response.content.decode()
    assert response.status_code == 400
    assert "ISO 3166-1 alpha-2" in field_error(page, "country")
    assert "name at least one topic" in field_error(page, "topics")
    assert "Line 2: not a domain name" in field_error(page, "email_domains")
    assert 'value="Nairobi Police: Cybercrime Unit"' in page  # what was typed stays in the form
    assert Agency.objects.count() == 1 and AuditEntry.objects.count() == before

    response = lucas.post(f"{LE}/directory/{sudan_police.pk}/edit", {**AGENCY_FORM, "name": "  "})
    assert response.status_code == 400 and "required" in field_error(response.content.decode(), "name")
    sudan_police.refresh_from_db()
    assert sudan_police.name == "Khartoum State Police: Cybercrime Unit" and AuditEntry.objects.count() == before


def test_an_htmx_form_with_errors_comes_back_as_200_and_a_save_as_a_redirect_header(
    staff_client: StaffClient, liaison_lucas: User
) -> None:
    lucas = staff_client(liaison_lucas)
    refused = lucas.post(f"{LE}/directory/new", {**AGENCY_FORM, "country": ""}, headers={"HX-Request": "true"})
    assert refused.status_code == 200 and "ISO 3166-1" in field_error(refused.content.decode(), "country")
    saved = lucas.post(f"{LE}/directory/new", AGENCY_FORM, headers={"HX-Request": "true"})
    assert saved.status_code == 204 and saved["HX-Redirect"] == f"{LE}/directory/{Agency.objects.get().pk}"


def test_a_liaison_adds_and_edits_contacts_and_both_are_audited(
    staff_client: StaffClient, liaison_lucas: User, sudan_police: Agency, contact: AgencyContact
) -> None:
    lucas = staff_client(liaison_lucas)
    response = lucas.post(f"{LE}/directory/{sudan_police.pk}/contacts/new", {
        **CONTACT_FORM, "name": "Legal office", "emergency_line": "", "phone": "", "email": "legal@police.gov.sd"})
    assert response.status_code == 302 and response["Location"] == f"{LE}/directory/{sudan_police.pk}"
    added = sudan_police.contacts.get(name="Legal office")
    assert added.email == "legal@police.gov.sd" and added.public_fields == ["role", "phone"]
    assert audit_actions(added) == ["le_contact.added"]

    form = lucas.get(f"{LE}/contacts/{contact.pk}/edit").content.decode()
    assert 'value="Duty desk"' in form and "last_verified_on" not in form
    response = lucas.post(f"{LE}/contacts/{contact.pk}/edit", {
        **CONTACT_FORM, "phone": "+249 100 000 009", "active": "on"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.phone == "+249 100 000 009" and contact.active
    assert audit_actions(contact)[-1] == "le_contact.changed"


def test_bad_contact_input_is_shown_on_its_fields_and_nothing_is_saved(
    staff_client: StaffClient, liaison_lucas: User, sudan_police: Agency, contact: AgencyContact
) -> None:
    lucas = staff_client(liaison_lucas)
    before = AuditEntry.objects.count()
    response = lucas.post(f"{LE}/directory/{sudan_police.pk}/contacts/new", {
        **CONTACT_FORM, "name": "", "email": "", "phone": "", "emergency_line": "on"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "required" in field_error(page, "name")
    assert "needs its phone number" in field_error(page, "phone")
    assert "at least one way to reach them" in page  # about several fields: shown above the form
    assert sudan_police.contacts.count() == 2

    response = lucas.post(f"{LE}/directory/{sudan_police.pk}/contacts/new", {**CONTACT_FORM, "email": "nope"})
    assert response.status_code == 400 and "valid email" in field_error(response.content.decode(), "email")

    # A complete agency keeps two active contacts: switching one off is refused, on the form.
    response = lucas.post(f"{LE}/contacts/{contact.pk}/edit", {**CONTACT_FORM, "active": ""})
    assert response.status_code == 400 and "at least 2 active contacts" in response.content.decode()
    contact.refresh_from_db()
    assert contact.active and sudan_police.contacts.count() == 2 and AuditEntry.objects.count() == before


def test_a_liaison_marks_an_agency_complete_only_with_two_contacts(
    staff_client: StaffClient, liaison_lucas: User
) -> None:
    actor = actor_of(liaison_lucas)
    agency = agency_create(actor=actor, data=AgencyData(name="Nairobi Police", country="KE", topics=["general"]))
    contact_add(actor=actor, agency_id=agency.pk, data=ContactData(name="Desk", phone="+254 1"))
    lucas = staff_client(liaison_lucas)
    page = lucas.post(f"{LE}/directory/{agency.pk}/status", {"status": "complete"}, follow=True).content.decode()
    assert "at least 2 active contacts" in page
    agency.refresh_from_db()
    assert agency.status == "draft"
    contact_add(actor=actor, agency_id=agency.pk, data=ContactData(name="Officer", email="o@police.go.ke"))
    lucas.post(f"{LE}/directory/{agency.pk}/status", {"status": "complete"})
    agency.refresh_from_db()
    assert agency.status == "complete" and audit_actions(agency)[-1] == "le_agency.changed"


def test_the_directory_and_agency_pages_link_the_edit_pages_for_those_who_may_edit(
    staff_client: StaffClient, liaison_lucas: User, legal_leila: User, sudan_police: Agency, contact: AgencyContact
) -> None:
    lucas, leila = staff_client(liaison_lucas), staff_client(legal_leila)
    assert f'href="{LE}/directory/new"' in lucas.get(f"{LE}/directory/").content.decode()
    assert f'href="{LE}/directory/new"' not in leila.get(f"{LE}/directory/").content.decode()
    page = lucas.get(f"{LE}/directory/{sudan_police.pk}").content.decode()
    for href in (f"{LE}/directory/{sudan_police.pk}/edit", f"{LE}/directory/{sudan_police.pk}/contacts/new",
                 f"{LE}/contacts/{contact.pk}/edit", f"{LE}/directory/{sudan_police.pk}/status"):
        assert href in page, href
    assert "/edit" not in leila.get(f"{LE}/directory/{sudan_police.pk}").content.decode()
