"""Law-enforcement personas and fixtures.

* ``liaison_lucas`` and ``liaison_lina``: law-enforcement liaisons at Kite.
* ``legal_leila``: legal reviewer at Kite.
* ``sudan_police``: a complete agency (Khartoum State police, cybercrime
  unit) with two contacts, one a 24/7 line, registered domain ``police.gov.sd``.
* ``child_case`` / ``threat_case``: cases opened by real reports (Amal, the
  Sudan partner) in the child-safety and threat-to-life categories.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.choices import Role
from trustline.accounts.models import Organisation, User
from trustline.cases.models import Case
from trustline.conftest import actor_of, make_person
from trustline.core.clock import frozen_at
from trustline.intake.choices import Channel
from trustline.intake.schemas import ReportIn
from trustline.intake.services import report_submit
from trustline.lawenforcement.directory import AgencyData, ContactData, agency_create, agency_set_status, contact_add
from trustline.lawenforcement.models import Agency

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
LE = "/law-enforcement"


@pytest.fixture
def liaison_lucas(kite: Organisation) -> User:
    return make_person(kite, "lucas", "Lucas Liaison", Role.LAW_ENFORCEMENT_LIAISON)


@pytest.fixture
def liaison_lina(kite: Organisation) -> User:
    return make_person(kite, "lina", "Lina Liaison", Role.LAW_ENFORCEMENT_LIAISON)


@pytest.fixture
def legal_leila(kite: Organisation) -> User:
    return make_person(kite, "leila", "Leila Legal", Role.LEGAL_REVIEWER)


def make_agency(user: User, *, name: str = "Khartoum State Police: Cybercrime Unit", country: str = "SD",
                region: str = "Khartoum", topics: tuple[str, ...] = ("threat_to_life", "cybercrime"),
                domains: tuple[str, ...] = ("police.gov.sd",), complete: bool = True, public: bool = True,
                verified_on: dt.date | None = None) -> Agency:
    actor = actor_of(user)
    agency = agency_create(actor=actor, data=AgencyData(
        name=name, country=country, region=region, topics=topics, email_domains=domains, public=public,
        public_notes="Call 999 in an emergency.", notes="internal: ask for the duty officer",
    ))
    contact_add(actor=actor, agency_id=agency.pk, data=ContactData(
        name="Duty desk", role="24/7 operations", phone="+249 100 000 001", email="duty@" + domains[0],
        emergency_line=True, public=True, public_fields=("role", "phone", "emergency_line"),
        last_verified_on=verified_on,
    ))
    contact_add(actor=actor, agency_id=agency.pk, data=ContactData(
        name="Major Hassan Idris", role="Head of unit", email="h.idris@" + domains[0], phone="+249 100 000 002",
        public=False, last_verified_on=verified_on,
    ))
    if complete:
        agency = agency_set_status(actor=actor, agency_id=agency.pk, status="complete")
    return agency


@pytest.fixture
def sudan_police(liaison_lucas: User) -> Agency:
    with frozen_at(T0):
        return make_agency(liaison_lucas)


MakeCase = Callable[..., Case]


@pytest.fixture
def make_case(analyst_amal: User, report_payload: Callable[..., dict[str, Any]]) -> MakeCase:
    def make(category: str = "threat_to_life", imminent: bool = True, platform_id: str = "",
             **overrides: Any) -> Case:
        """A post by URL; with ``platform_id``, an account item identified on the platform instead."""
        payload = report_payload(category=category, imminent_harm=imminent,
                                 imminent_harm_reason="A named person is threatened tonight." if imminent else "",
                                 **overrides)
        if platform_id:
            payload["items"] = [{"kind": "account", "platform_id": platform_id}]
        payload["items"][0]["excerpt"] = "SECRET-EXCERPT the reported words"
        with frozen_at(T0):
            result = report_submit(actor=actor_of(analyst_amal), data=ReportIn(**payload), channel=Channel.API)
        return Case.objects.get(pk=result.items[0].case_id)

    return make


@pytest.fixture
def child_case(make_case: MakeCase) -> Case:
    return make_case(category="child_sexual_exploitation", imminent=True)


@pytest.fixture
def threat_case(make_case: MakeCase) -> Case:
    return make_case()
