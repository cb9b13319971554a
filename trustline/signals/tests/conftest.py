"""Signal-exchange fixtures.

Personas: two peer platforms, each with its API key and agreement:

* ``otter``, Otter Social: receives up to TLP:AMBER in every category and
  may send us signals;
* ``heron``, Heron Video: receives TLP:CLEAR and GREEN about incitement
  only, and may not send.

Staff from the shared conftest: Lena (escalation lead) shares, Pablo
(programme manager) sets agreements, Rita (reviewer) and Aziz (auditor)
read. ``violating_case()`` is a case Lena decided as violating at ``T0``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.models import Organisation, User
from trustline.accounts.permissions import SYSTEM
from trustline.accounts.services import apikey_create, organisation_create
from trustline.appeals.tests.conftest import REMOVE  # a removal for incitement, decided by a lead
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of
from trustline.core.clock import frozen_at
from trustline.intake.choices import Channel
from trustline.intake.schemas import ReportIn
from trustline.intake.services import report_submit
from trustline.review.services import decision_record
from trustline.review.validation import DecisionInput
from trustline.signals.choices import Tlp
from trustline.signals.services import agreement_set
from trustline.triage.services import triage_pending

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
SETTLED = T0 + dt.timedelta(minutes=1)  # past the feed's settle time for writes at T0



@pytest.fixture(autouse=True)
def _demo_platform(settings: Any) -> None:
    settings.PLATFORM_CONNECTOR = {"BACKEND": "trustline.platforms.connectors.DemoPlatformConnector", "OPTIONS": {}}


def peer(name: str, *, max_tlp: str, categories: list[str] | None = None, inbound: bool = True) -> Organisation:
    organisation = organisation_create(actor=SYSTEM, name=name, kind=OrganisationKind.PEER_PLATFORM)
    agreement_set(actor=SYSTEM, peer_slug=organisation.slug, max_tlp=max_tlp, categories=categories or [],
                  accepts_inbound=inbound)
    return organisation


@pytest.fixture
def otter(db: None) -> Organisation:
    return peer("Otter Social", max_tlp=Tlp.AMBER)


@pytest.fixture
def heron(db: None) -> Organisation:
    return peer("Heron Video", max_tlp=Tlp.GREEN, categories=["incitement_violence"], inbound=False)


@pytest.fixture
def otter_api(otter: Organisation) -> ApiClient:
    return ApiClient(key=apikey_create(actor=SYSTEM, organisation=otter, name="exchange").raw)


@pytest.fixture
def heron_api(heron: Organisation) -> ApiClient:
    return ApiClient(key=apikey_create(actor=SYSTEM, organisation=heron, name="exchange").raw)


ViolatingCase = Callable[..., Case]


@pytest.fixture
def violating_case(analyst_amal: User, lead_lena: User, report_payload: Callable[..., dict[str, Any]],
                   kite: Organisation) -> ViolatingCase:
    """``violating_case(decision=REMOVE, **report_overrides)``: Amal reports, Lena decides at ``T0``."""

    def make(decision: DecisionInput = REMOVE, **overrides: Any) -> Case:
        with frozen_at(T0):
            result = report_submit(actor=actor_of(analyst_amal), data=ReportIn(**report_payload(**overrides)),
                                   channel=Channel.API)
            triage_pending()
            decision_record(actor=actor_of(lead_lena), case_id=result.items[0].case_id, data=decision)
        return Case.objects.get(pk=result.items[0].case_id)

    return make


@pytest.fixture
def open_case(analyst_amal: User, report_payload: Callable[..., dict[str, Any]]) -> Callable[[str], Case]:
    """``open_case(url)``: Amal reports ``url``; the new case, undecided."""

    def make(url: str) -> Case:
        result = report_submit(actor=actor_of(analyst_amal),
                               data=ReportIn(**report_payload(items=[{"url": url, "kind": "post"}])),
                               channel=Channel.API)
        return Case.objects.get(pk=result.items[0].case_id)

    return make
