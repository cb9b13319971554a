"""The agency directory: completeness, staleness, suggestions and the public page."""

from __future__ import annotations

import datetime as dt

import pytest

from trustline.accounts.models import User
from trustline.conftest import actor_of
from trustline.core.clock import frozen_at
from trustline.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from trustline.lawenforcement.directory import (
    AgencyData,
    ContactData,
    agency_create,
    agency_set_status,
    agency_suggestions,
    contact_add,
    contact_update,
    contact_verify,
    contacts_stale,
    contacts_stale_remind,
    public_directory,
)
from trustline.lawenforcement.models import Agency
from trustline.lawenforcement.tests.conftest import T0, make_agency
from trustline.notifications.models import OutboxMessage


def test_it_refuses_to_complete_an_agency_with_fewer_than_two_contacts(liaison_lucas: User) -> None:
    actor = actor_of(liaison_lucas)
    agency = agency_create(actor=actor, data=AgencyData(name="Nairobi Police", country="KE", topics=["general"]))
    contact_add(actor=actor, agency_id=agency.pk, data=ContactData(name="Desk", phone="+254 1"))
    with pytest.raises(ValidationFailed) as err:
        agency_set_status(actor=actor, agency_id=agency.pk, status="complete")
    assert err.value.code == "too_few_contacts"
    contact_add(actor=actor, agency_id=agency.pk, data=ContactData(name="Officer", email="o@police.go.ke"))
    assert agency_set_status(actor=actor, agency_id=agency.pk, status="complete").status == "complete"


def test_it_keeps_two_active_contacts_on_a_complete_agency(sudan_police: Agency, liaison_lucas: User) -> None:
    contact = sudan_police.contacts.get(name="Major Hassan Idris")
    with pytest.raises(Conflict) as err:
        contact_update(actor=actor_of(liaison_lucas), contact_id=contact.pk,
                       data=ContactData(name=contact.name, email=contact.email), active=False)
    assert err.value.code == "too_few_contacts"


def test_it_validates_every_agency_field_at_once(liaison_lucas: User) -> None:
    with pytest.raises(ValidationFailed) as err:
        agency_create(actor=actor_of(liaison_lucas), data=AgencyData(
            name=" ", country="XX", topics=["astrology"], email_domains=["not a domain"]))
    assert set(err.value.fields) == {"name", "country", "topics.0", "email_domains.0"}


def test_it_lists_contacts_not_verified_for_90_days_and_clears_them_when_verified(
    liaison_lucas: User, sudan_police: Agency
) -> None:
    actor = actor_of(liaison_lucas)
    with frozen_at(T0 + dt.timedelta(days=89)):
        assert list(contacts_stale(actor=actor)) == []
    with frozen_at(T0 + dt.timedelta(days=91)):
        stale = list(contacts_stale(actor=actor))
        assert {c.name for c in stale} == {"Duty desk", "Major Hassan Idris"}
        contact_verify(actor=actor, contact_id=stale[0].pk)
        assert len(list(contacts_stale(actor=actor))) == 1


def test_it_makes_the_stale_period_configurable(liaison_lucas: User, sudan_police: Agency, settings: object) -> None:
    settings.LAW_ENFORCEMENT = {"STALE_CONTACT_DAYS": 10}  # type: ignore[attr-defined]  # pytest-django settings
    with frozen_at(T0 + dt.timedelta(days=11)):
        assert len(list(contacts_stale(actor=actor_of(liaison_lucas)))) == 2


def test_it_sends_one_stale_digest_per_liaison_per_day(liaison_lucas: User, sudan_police: Agency) -> None:
    with frozen_at(T0 + dt.timedelta(days=100)):
        assert contacts_stale_remind(now=T0 + dt.timedelta(days=100)) == 1
        contacts_stale_remind(now=T0 + dt.timedelta(days=100, hours=1))
    messages = OutboxMessage.objects.filter(recipient=liaison_lucas.email)
    assert messages.count() == 1
    assert "Major Hassan Idris" in messages.get().body


def test_it_suggests_regional_agencies_with_the_right_topic_first(liaison_lucas: User) -> None:
    with frozen_at(T0):
        national = make_agency(liaison_lucas, name="Sudan Police Force HQ", region="", topics=("general",),
                               domains=("interior.gov.sd",))
        regional = make_agency(liaison_lucas)
        make_agency(liaison_lucas, name="Darfur Police", region="North Darfur", domains=("darfur.gov.sd",))
        make_agency(liaison_lucas, name="Kenya CID", country="KE", region="", domains=("cid.go.ke",))
        suggestions = agency_suggestions(actor=actor_of(liaison_lucas), country="SD", region="Khartoum",
                                         category="threat_to_life", imminent_harm=True)
    assert [s.agency.pk for s in suggestions] == [regional.pk, national.pk]
    assert suggestions[0].score == 30 + 40 + 25 + 10
    assert any("24/7" in r for r in suggestions[0].reasons)


def test_the_public_page_shows_only_public_agencies_contacts_and_fields(liaison_lucas: User) -> None:
    with frozen_at(T0):
        make_agency(liaison_lucas)
        make_agency(liaison_lucas, name="Secret Unit", public=False, domains=("secret.gov.sd",))
    listing = public_directory()
    assert [c["country"] for c in listing] == ["SD"]
    agencies = listing[0]["agencies"]
    assert [a["name"] for a in agencies] == ["Khartoum State Police: Cybercrime Unit"]
    assert agencies[0]["contacts"] == [{"role": "24/7 operations", "phone": "+249 100 000 001",
                                        "emergency_line": True}]
    text = str(listing)
    assert "Hassan" not in text and "internal" not in text and "police.gov.sd" not in text


def test_partners_do_not_find_the_directory_and_other_staff_may_not_edit(
    analyst_amal: User, reviewer_rita: User
) -> None:
    with pytest.raises(NotFound):
        agency_create(actor=actor_of(analyst_amal), data=AgencyData(name="X", country="SD", topics=["general"]))
    with pytest.raises(PermissionDenied):
        agency_create(actor=actor_of(reviewer_rita), data=AgencyData(name="X", country="SD", topics=["general"]))
