"""Emergency law-enforcement requests for the lane's tests, made through the law-enforcement services.

The ``police`` and ``legal_leila`` fixtures in conftest use these; tests call :func:`receive`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from trustline.accounts.models import User
from trustline.conftest import actor_of
from trustline.core import clock
from trustline.lawenforcement.directory import AgencyData, ContactData, agency_create, agency_set_status, contact_add
from trustline.lawenforcement.inbound import RequestData, request_receive
from trustline.lawenforcement.models import Agency, InboundRequest

# What an emergency request carries that must never leave the law-enforcement area in a page or on the board.
SECRETS = ("kite-user-4711", "SECRET-REASON", "a.osman@police.gov.sd", "Lt. Amna Osman", "SECRET-BASIS",
           "+1 555 0100")
AGENCY = "Khartoum State Police: Cybercrime Unit"
REFERENCE = "KSP/2026/88"


def police_agency(liaison: User, *, at: dt.datetime) -> Agency:
    """A complete directory agency with a 24/7 desk (for the call-back that verifies a request)."""
    actor = actor_of(liaison)
    with clock.frozen_at(at):
        agency = agency_create(actor=actor, data=AgencyData(
            name=AGENCY, country="SD", region="Khartoum", topics=("threat_to_life",), email_domains=("police.gov.sd",),
        ))
        contact_add(actor=actor, agency_id=agency.pk, data=ContactData(
            name="Duty desk", role="24/7 operations", phone="+249 100 000 001", emergency_line=True))
        contact_add(actor=actor, agency_id=agency.pk, data=ContactData(
            name="Head of unit", role="Major", phone="+249 100 000 002", email="head@police.gov.sd"))
        return agency_set_status(actor=actor, agency_id=agency.pk, status="complete")


def receive(liaison: User, agency: Agency, *, at: dt.datetime, **overrides: Any) -> InboundRequest:
    """An emergency disclosure request received at ``at``, due two hours later."""
    data = RequestData(
        request_type="emergency_disclosure", agency_name="Khartoum State Police", country="SD",
        officer_name="Lt. Amna Osman", officer_email="a.osman@police.gov.sd", officer_phone="+1 555 0100",
        legal_basis="SECRET-BASIS emergency disclosure", identifiers=[{"kind": "account", "value": "kite-user-4711"}],
        data_types=["basic_subscriber", "location"], agency_id=str(agency.pk), reference=REFERENCE,
        emergency_reason="SECRET-REASON a kidnapped journalist", deadline_hours=2,
    )
    with clock.frozen_at(at):
        return request_receive(actor=actor_of(liaison), data=dataclasses.replace(data, **overrides))
