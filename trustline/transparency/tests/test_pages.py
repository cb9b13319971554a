"""The /transparency/ page: partners see their own annual report, staff the export links, others nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from trustline.accounts.models import User
from trustline.transparency.tests.conftest import REMOVE, Decide

StaffClient = Callable[[User], Client]


def test_anonymous_people_are_sent_to_sign_in(client: Client) -> None:
    response = client.get("/transparency/")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_partner_sees_only_its_own_annual_report(
    decided: Decide, analyst_bilal: User, analyst_amal: User, staff_client: StaffClient
) -> None:
    decided(REMOVE)
    decided(REMOVE, reporter=analyst_bilal, category="hateful_conduct", country="PK", language="ur")
    page = staff_client(analyst_amal).get("/transparency/", {"year": 2026})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Sudan Digital Rights Monitor · Kite Trust &amp; Safety" in text
    assert "Pakistan Media Watch" not in text
    assert "1 notice" in text
    assert "content_removed_or_disabled" in text
    assert "DSA exports" not in text  # staff links are not shown to partners


def test_staff_see_the_export_links(pm_pablo: User, staff_client: StaffClient) -> None:
    page = staff_client(pm_pablo).get("/transparency/", {"from": "2026-03-01", "to": "2026-03-31"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "/api/v1/transparency/statements?from=2026-03-01&amp;to=2026-03-31" in text
    assert "Trusted-flagger annual report" not in text


def test_wrong_roles_and_outsiders_are_refused(
    reviewer_rami: User, outsider_charlie: User, staff_client: StaffClient, settings: Any
) -> None:
    assert staff_client(reviewer_rami).get("/transparency/").status_code == 403
    assert staff_client(outsider_charlie).get("/transparency/").status_code == 403
