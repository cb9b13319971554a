"""A programme manager sets a peer platform's agreement on its page (password and code), audited.

Personas: Pablo, programme manager; Lena, escalation lead (shares signals,
does not set agreements); Amal, a partner; Otter Social (an agreement up to
AMBER) and a new peer, Kestrel Clips, with none yet.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.models import Organisation, User
from trustline.accounts.permissions import SYSTEM
from trustline.accounts.services import organisation_create
from trustline.audit.models import AuditEntry
from trustline.console.tests.conftest import signed_in  # noqa: F401 - fixture
from trustline.signals.models import SharingAgreement

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


@pytest.fixture
def kestrel(db: None) -> Organisation:
    return organisation_create(actor=SYSTEM, name="Kestrel Clips", kind=OrganisationKind.PEER_PLATFORM)


def page(peer: Organisation) -> str:
    return f"/signals/agreements/{peer.slug}/"


def test_a_new_peer_is_listed_and_gets_its_first_agreement(
    signed_in: SignedIn, pm_pablo: User, kestrel: Organisation,  # noqa: F811
):
    pablo = signed_in(pm_pablo)
    assert f'href="{page(kestrel)}"' in pablo.get("/signals/").content.decode()  # "without an agreement"
    form = pablo.get(page(kestrel)).content.decode()
    assert "No agreement yet" in form

    response = pablo.post(page(kestrel), {"max_tlp": "amber", "categories": ["incitement_violence", "doxxing"],
                                          "accepts_inbound": "on", "is_active": "on", "note": "Reviewed yearly"})

    assert response.status_code == 302 and response["Location"] == "/signals/"
    agreement = SharingAgreement.objects.get(peer=kestrel)
    assert (agreement.max_tlp, agreement.categories, agreement.accepts_inbound, agreement.is_active) == (
        "amber", ["doxxing", "incitement_violence"], True, True)
    entry = AuditEntry.objects.get(action="signal.agreement_set", target_id=str(kestrel.pk))
    assert entry.actor == f"user:{pm_pablo.pk}"
    assert entry.data["changes"]["max_tlp"] == {"from": None, "to": "amber"}


def test_an_agreement_is_narrowed_and_only_what_changed_is_audited(
    signed_in: SignedIn, pm_pablo: User, otter: Organisation,  # noqa: F811
):
    pablo = signed_in(pm_pablo)
    form = pablo.get(page(otter)).content.decode()
    assert 'value="amber" checked' in form or 'value="amber" selected' in form  # the current marking is shown

    pablo.post(page(otter), {"max_tlp": "green", "accepts_inbound": "on", "is_active": "on"})

    agreement = SharingAgreement.objects.get(peer=otter)
    assert (agreement.max_tlp, agreement.categories) == ("green", [])
    changes = AuditEntry.objects.filter(action="signal.agreement_set", actor=f"user:{pm_pablo.pk}").get().data
    assert changes == {"changes": {"max_tlp": {"from": "amber", "to": "green"}}}


def test_red_and_unknown_categories_are_refused_by_field_and_nothing_changes(
    signed_in: SignedIn, pm_pablo: User, otter: Organisation,  # noqa: F811
):
    response = signed_in(pm_pablo).post(page(otter), {"max_tlp": "red", "categories": ["no_such_thing"],
                                                      "is_active": "on"})

    assert response.status_code == 400
    body = response.content.decode()
    assert body.count('class="field-error"') == 2  # the marking and the category, each at its field
    assert SharingAgreement.objects.get(peer=otter).max_tlp == "amber"


def test_who_may_set_agreements(
    client: Client, signed_in: SignedIn, staff_client: SignedIn, pm_pablo: User, lead_lena: User,  # noqa: F811
    analyst_amal: User, otter: Organisation,
):
    assert client.get(page(otter)).status_code == 302  # anonymous: to sign in
    assert staff_client(analyst_amal).get(page(otter)).status_code == 404  # a partner
    lena = signed_in(lead_lena)
    assert lena.get(page(otter)).status_code == 404  # shares signals, does not set agreements
    assert lena.post(page(otter), {"max_tlp": "clear", "is_active": "on"}).status_code == 404
    assert f'href="{page(otter)}"' not in lena.get("/signals/").content.decode()
    assert signed_in(pm_pablo).get("/signals/agreements/no-such-peer/").status_code == 404
    assert SharingAgreement.objects.get(peer=otter).max_tlp == "amber"
