"""The top navigation (templates/base.html): partners get the partner portal's links, platform staff the
staff areas their role opens, and the brand leads each to their own home page."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from trustline.accounts.choices import Role
from trustline.accounts.models import Organisation, User
from trustline.conftest import make_person

pytestmark = pytest.mark.django_db

StaffClient = Callable[[User], Client]


def nav_of(client: Client, path: str) -> str:
    """The page's top navigation bar only (so a word elsewhere on the page does not count)."""
    response = client.get(path)
    assert response.status_code == 200, response.content
    found = re.search(r'<header class="site-nav">(.*?)</header>', response.content.decode(), re.S)
    assert found is not None
    return found.group(1)


def links(nav: str) -> dict[str, str]:
    """Link text -> href of every link in the bar."""
    return {text.strip(): href for href, text in re.findall(r'<a[^>]*href="([^"]*)"[^>]*>([^<]*)</a>', nav)}


def brand(nav: str) -> str:
    found = re.search(r'<a class="brand" href="([^"]*)"', nav)
    assert found is not None
    return found.group(1)


def current(nav: str) -> list[str]:
    return re.findall(r'<a href="([^"]*)" aria-current="page"', nav)


def test_a_partner_analyst_sees_the_partner_links_and_no_console(
    staff_client: StaffClient, analyst_amal: User
) -> None:
    nav = nav_of(staff_client(analyst_amal), "/portal/reports/")
    names = links(nav)
    for label in ("My reports", "New report", "Bulk upload", "API keys", "Questions", "Our figures", "Security"):
        assert label in names, label
    assert "Console" not in names and "Emergency board" not in names
    assert brand(nav) == "/portal/reports/"
    assert current(nav) == ["/portal/reports/"]


def test_a_reviewer_sees_the_staff_links_their_role_opens_and_no_partner_links(
    staff_client: StaffClient, reviewer_rita: User
) -> None:
    nav = nav_of(staff_client(reviewer_rita), "/emergency/")
    names = links(nav)
    assert names["Console"] == "/console/" and names["Emergency board"] == "/emergency/" and "Security" in names
    for label in ("My reports", "New report", "Bulk upload", "API keys", "Questions", "Our figures"):
        assert label not in names, label
    # A reviewer's role opens neither the metrics, the transparency exports nor the law-enforcement area.
    assert "Metrics" not in names and "Transparency" not in names and "Law enforcement" not in names
    assert brand(nav) == "/console/"
    assert current(nav) == ["/emergency/"]


def test_the_brand_leads_staff_and_partners_to_different_homes(
    staff_client: StaffClient, analyst_amal: User, reviewer_rita: User
) -> None:
    assert brand(nav_of(staff_client(analyst_amal), "/portal/reports/")) == "/portal/reports/"
    assert brand(nav_of(staff_client(reviewer_rita), "/emergency/")) == "/console/"
    assert brand(nav_of(Client(), "/accounts/login/")) == "/accounts/login/"


def test_each_staff_link_follows_the_permission_its_page_checks(
    staff_client: StaffClient, pm_pablo: User, kite: Organisation
) -> None:
    pablo = staff_client(pm_pablo)
    names = links(nav_of(pablo, "/metrics/"))
    # Programme managers also manage every organisation's API keys (apikey.manage_all).
    assert {"Console", "Emergency board", "Metrics", "Transparency", "API keys"} <= names.keys()
    assert "Law enforcement" not in names and "New report" not in names
    for label in ("Emergency board", "Metrics", "Transparency", "API keys"):
        assert pablo.get(names[label]).status_code == 200, label

    liaison = staff_client(make_person(kite, "lucas", "Lucas Liaison", Role.LAW_ENFORCEMENT_LIAISON))
    names = links(nav_of(liaison, "/law-enforcement/"))
    assert "Law enforcement" in names and "Console" in names
    assert "Emergency board" not in names and "Metrics" not in names and "New report" not in names


# --- The console's own bar (console/base_console.html replaces the staff links on console pages) ------------
# Console pages need a verified second factor: ``signed_in`` signs in with password and code.

CONSOLE_LINKS = ("Queue", "Second review", "Emergency board", "Dashboards", "Security")


def console_links(client: Client) -> dict[str, str]:
    """The console bar's links (of CONSOLE_LINKS) as shown on the queue page."""
    return {label: href for label, href in links(nav_of(client, "/console/")).items() if label in CONSOLE_LINKS}


def test_a_reviewer_sees_no_console_link_to_a_page_their_role_does_not_open(
    signed_in: StaffClient, reviewer_rita: User
) -> None:
    rita = signed_in(reviewer_rita)
    names = console_links(rita)
    # Reviewers have no dashboard.view: the dashboards answer 404 for them, so no link.
    assert set(names) == {"Queue", "Second review", "Emergency board", "Security"}
    assert rita.get("/console/dashboards/").status_code == 404
    for label, href in names.items():
        assert rita.get(href).status_code == 200, label


def test_a_programme_manager_sees_the_dashboards_and_the_board_but_not_second_review(
    signed_in: StaffClient, pm_pablo: User
) -> None:
    pablo = signed_in(pm_pablo)
    names = console_links(pablo)
    assert names == {"Queue": "/console/", "Emergency board": "/emergency/", "Dashboards": "/console/dashboards/",
                     "Security": "/console/security/"}
    assert pablo.get("/console/second-review/").status_code == 404  # no decision.second_review
    for label, href in names.items():
        assert pablo.get(href).status_code == 200, label
    assert current(nav_of(pablo, "/console/dashboards/")) == ["/console/dashboards/"]


def test_a_policy_analyst_gets_the_dashboards_without_the_emergency_board(
    signed_in: StaffClient, kite: Organisation
) -> None:
    """Policy analysts read the dashboards but not the board (no oncall.view: it answers 403)."""
    analyst = signed_in(make_person(kite, "paula", "Paula Policy", Role.POLICY_ANALYST))
    names = console_links(analyst)
    assert set(names) == {"Queue", "Dashboards", "Security"}
    assert analyst.get("/emergency/").status_code == 403
    for label, href in names.items():
        assert analyst.get(href).status_code == 200, label
