"""The protected-people page: partners nominate and follow; registry staff decide; everyone else gets 404."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from trustline.accounts.models import User
from trustline.protection.models import Nomination, ProtectedAccount
from trustline.protection.tests.conftest import Nominate

pytestmark = pytest.mark.django_db

StaffClient = Callable[[User], Client]


def test_partners_nominate_and_staff_decide_on_the_page(
    analyst_amal: User, analyst_bilal: User, pm_pablo: User, reviewer_rita: User, auditor_aziz: User,
    staff_client: StaffClient, at_t0: dt.datetime,
):
    amal = staff_client(analyst_amal)
    assert amal.post("/protection/", {"platform": "kite", "account_url": "nope", "category": "journalist",
                                      "justification": "x"}).status_code == 422
    sent = amal.post("/protection/", {"platform": "kite", "account_url": "https://kite.example/@hrd.h",
                                      "category": "human_rights_defender", "justification": "Threatened."})
    assert sent.status_code == 302
    nomination = Nomination.objects.get()
    assert "https://kite.example/@hrd.h" in amal.get("/protection/").content.decode()
    assert "https://kite.example/@hrd.h" not in staff_client(analyst_bilal).get("/protection/").content.decode()
    for stranger in (reviewer_rita, auditor_aziz):
        assert staff_client(stranger).get("/protection/").status_code == 404
    assert Client().get("/protection/").status_code == 302

    pablo = staff_client(pm_pablo)
    page = pablo.get("/protection/").content.decode()
    assert "Waiting for a decision" in page and "Threatened." in page
    assert amal.post(f"/protection/nominations/{nomination.pk}/decide", {"approve": "1", "reason": "ok"}
                     ).status_code == 404
    decided = pablo.post(f"/protection/nominations/{nomination.pk}/decide", {"approve": "1", "reason": "Checked."})
    assert decided.status_code == 302
    assert ProtectedAccount.objects.get().status == "active"
    assert "Approved" in amal.get("/protection/").content.decode()
    renewed = amal.post(f"/protection/nominations/{nomination.pk}/renew", {"justification": "Still at risk."})
    assert renewed.status_code == 302
    assert Nomination.objects.filter(kind="renewal", status="pending").count() == 1


def test_the_registry_page_is_not_shown_to_partners(
    analyst_amal: User, pm_pablo: User, nominate: Nominate, staff_client: StaffClient, at_t0: dt.datetime,
):
    from trustline.conftest import actor_of
    from trustline.protection.services import nomination_decide

    nomination = nominate(analyst_amal)
    nomination_decide(actor=actor_of(pm_pablo), nomination_id=nomination.pk, approve=True, reason="ok")

    page = staff_client(analyst_amal).get("/protection/").content.decode()
    assert "Registry" not in page and "Nominated by" not in page
