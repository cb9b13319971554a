"""Agreements with peer platforms, and peer platforms' API keys."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command

from trustline.accounts.choices import OrganisationKind, Role
from trustline.accounts.models import Organisation, User
from trustline.accounts.permissions import SYSTEM
from trustline.accounts.services import apikey_create, organisation_create
from trustline.audit.models import AuditEntry
from trustline.conftest import ApiClient, assert_error
from trustline.signals.models import SharingAgreement

pytestmark = pytest.mark.django_db

SessionApi = Callable[[User], ApiClient]


@pytest.fixture
def magpie(db: None) -> Organisation:
    """A peer platform with no agreement yet."""
    return organisation_create(actor=SYSTEM, name="Magpie Forums", kind=OrganisationKind.PEER_PLATFORM)


def test_a_programme_manager_sets_an_agreement_and_it_is_audited(
    session_api: SessionApi, pm_pablo: User, magpie: Organisation,
):
    response = session_api(pm_pablo).put(f"/signals/agreements/{magpie.slug}", {
        "categories": ["incitement_violence", "threat_to_life"], "max_tlp": "amber+strict",
        "accepts_inbound": False, "note": "DSA-2026-17"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["peer"], body["max_tlp"], body["accepts_inbound"]) == (magpie.slug, "amber+strict", False)
    assert body["categories"] == ["incitement_violence", "threat_to_life"]
    entry = AuditEntry.objects.get(action="signal.agreement_set")
    assert entry.target_id == str(magpie.pk)
    assert entry.data["changes"]["max_tlp"] == {"from": None, "to": "amber+strict"}


def test_an_agreement_refuses_red_unknown_categories_and_organisations_that_are_not_peers(
    session_api: SessionApi, pm_pablo: User, magpie: Organisation, sudan_partner: Organisation,
):
    pablo = session_api(pm_pablo)

    assert_error(pablo.put(f"/signals/agreements/{magpie.slug}", {"max_tlp": "red"}), 422, "invalid", "max_tlp")
    assert_error(pablo.put(f"/signals/agreements/{magpie.slug}", {"categories": ["not_a_category"]}),
                 422, "invalid", "categories")
    assert_error(pablo.put(f"/signals/agreements/{magpie.slug}", {"max_tlp": "orange"}), 422, "invalid")
    # A partner is not a peer platform.
    assert_error(pablo.put(f"/signals/agreements/{sudan_partner.slug}", {"max_tlp": "green"}), 404, "not_found")
    assert not SharingAgreement.objects.exists()


def test_agreements_authorisation(
    api: ApiClient, session_api: SessionApi, sudan_api: ApiClient, lead_lena: User, auditor_aziz: User,
    magpie: Organisation,
):
    path = f"/signals/agreements/{magpie.slug}"
    assert_error(api.put(path, {}), 401, "unauthenticated")
    assert_error(sudan_api.put(path, {}), 403, "forbidden")
    assert_error(session_api(lead_lena).put(path, {}), 403, "forbidden")  # leads share; managers agree
    # Reading: staff who may see the exchange; a partner gets 404, as for something that does not exist.
    assert session_api(auditor_aziz).get("/signals/agreements").status_code == 200
    assert_error(sudan_api.get("/signals/agreements"), 404, "not_found")
    assert_error(api.get("/signals/agreements"), 401, "unauthenticated")


def test_a_peer_platforms_key_exchanges_signals_and_nothing_else(
    magpie: Organisation, otter_api: ApiClient, report_payload: Callable[..., dict[str, object]],
):
    new = apikey_create(actor=SYSTEM, organisation=magpie, name="exchange")

    assert new.key.role == Role.PEER_EXCHANGE
    assert_error(otter_api.post("/reports", report_payload()), 403, "forbidden")
    assert_error(otter_api.get("/reports"), 403, "forbidden")
    assert_error(otter_api.get("/signals"), 404, "not_found")  # staff's list


def test_peer_create_makes_the_peer_and_its_agreement_from_the_command_line(capsys: pytest.CaptureFixture[str]):
    call_command("peer_create", "--name", "Magpie Forums", "--max-tlp", "amber+strict",
                 "--categories", "threat_to_life,incitement_violence", "--no-inbound", "--note", "MoU 2026-11")

    slug = capsys.readouterr().out.strip()
    agreement = SharingAgreement.objects.get(peer__slug=slug)
    assert agreement.peer.kind == OrganisationKind.PEER_PLATFORM
    assert (agreement.max_tlp, agreement.accepts_inbound, agreement.note) == ("amber+strict", False, "MoU 2026-11")
    assert agreement.categories == ["incitement_violence", "threat_to_life"]
    with pytest.raises(CommandError, match="unknown category 'gossip'"):
        call_command("peer_create", "--name", "Jay Video", "--categories", "gossip")
    assert not Organisation.objects.filter(name="Jay Video").exists()  # nothing half-made
