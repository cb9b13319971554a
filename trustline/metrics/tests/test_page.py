"""The /metrics/ page: staff with metrics.view see the table; others are refused; htmx gets the fragment."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from trustline.accounts.models import User
from trustline.metrics.tests.conftest import Programme

pytestmark = pytest.mark.django_db

StaffClient = Callable[[User], Client]


def test_anonymous_is_sent_to_sign_in(client: Client) -> None:
    response = client.get("/metrics/")
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("persona", ["reviewer_rita", "analyst_amal", "analyst_bilal"])
def test_people_without_metrics_view_are_refused(staff_client: StaffClient, request: pytest.FixtureRequest,
                                                 persona: str) -> None:
    response = staff_client(request.getfixturevalue(persona)).get("/metrics/")
    assert response.status_code == 403


def test_the_table_and_its_fragment(programme: Programme, staff_client: StaffClient, pm_pablo: User) -> None:
    client = staff_client(pm_pablo)
    page = client.get("/metrics/", {"period": "week", "date": "2026-03-02", "group_by": "country"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "2026-W10" in html and "<th scope=\"row\">PK</th>" in html and "75.0" in html and "(+75.0)" in html
    fragment = client.get("/metrics/", {"period": "week", "date": "2026-03-02"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.content.decode() and "metrics-table" in fragment.content.decode()


def test_bad_input_is_shown_not_crashed(staff_client: StaffClient, pm_pablo: User) -> None:
    page = staff_client(pm_pablo).get("/metrics/", {"period": "month", "tz": "Nowhere/Town"})
    assert page.status_code == 200 and "IANA" in page.content.decode()
