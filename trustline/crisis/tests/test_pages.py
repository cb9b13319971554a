"""Crisis pages: who sees them, designating through the form, the crisis view and its htmx fragment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from trustline.accounts.models import User
from trustline.crisis.models import Crisis
from trustline.crisis.tests.conftest import Designate

pytestmark = pytest.mark.django_db

StaffClient = Callable[[User], Client]


def test_who_sees_the_crisis_pages(
    designate: Designate, at_t0: dt.datetime, staff_client: StaffClient, analyst_amal: User, liaison_leo: User,
    reviewer_rita: User,
):
    crisis = designate()
    pages = ["/crises/", f"/crises/{crisis.pk}"]
    for page in pages:
        assert Client().get(page).status_code == 302  # to sign-in
        assert staff_client(analyst_amal).get(page).status_code == 404
        assert staff_client(liaison_leo).get(page).status_code == 403
        response = staff_client(reviewer_rita).get(page)
        assert response.status_code == 200
        assert "Sudan: El Fasher siege" in response.content.decode()
    assert "Designate a crisis" not in staff_client(reviewer_rita).get("/crises/").content.decode()
    ended = staff_client(reviewer_rita).post(f"/crises/{crisis.pk}/end", {"reason": "x"})
    assert ended.status_code == 403


def test_a_programme_manager_designates_through_the_form(
    pm_pablo: User, staff_client: StaffClient, at_t0: dt.datetime,
):
    client = staff_client(pm_pablo)
    bad = client.post("/crises/", {"name": "", "countries": "XX", "level": "2"})
    assert bad.status_code == 422
    assert "countries.0" in bad.content.decode()

    response = client.post("/crises/", {"name": "Sudan escalation", "countries": "SD, SS", "languages": "ar",
                                        "level": "3", "notes": "<script>alert(1)</script>"})
    crisis = Crisis.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/crises/{crisis.pk}"
    assert (crisis.countries, crisis.level) == (["SD", "SS"], 3)
    page = client.get(f"/crises/{crisis.pk}").content.decode()
    assert "&lt;script&gt;" in page and "<script>alert" not in page

    fragment = client.get(f"/crises/{crisis.pk}?bucket=hour", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "Incoming per hour" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()

    ended = client.post(f"/crises/{crisis.pk}/end", {"reason": "Truce"})
    assert ended.status_code == 302
