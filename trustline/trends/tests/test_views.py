"""The trends pages: who sees what, dismissing through htmx, hostile text escaped, the report download."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from trustline.accounts.models import User
from trustline.conftest import kite_url
from trustline.trends.clustering import incidents_cluster_new
from trustline.trends.detection import spikes_detect
from trustline.trends.models import Incident, Spike
from trustline.trends.tests.conftest import T0, Submit, item

StaffClient = Callable[[User], Client]
HOSTILE = "<script>alert('x')</script> burn the houses of the traitors in block twelve before dawn tonight"


@pytest.fixture
def spike(submit: Submit, analyst_amal: User) -> Spike:
    for n in range(6):
        submit(analyst_amal, at=T0 + dt.timedelta(minutes=n))
    spikes_detect(day_from=T0.date(), day_to=T0.date())
    return Spike.objects.get()


@pytest.fixture
def incident(submit: Submit, analyst_amal: User) -> Incident:
    submit(analyst_amal, items=[item(kite_url(), HOSTILE)])
    submit(analyst_amal, items=[item(kite_url(), HOSTILE + "!!")])
    incidents_cluster_new()
    return Incident.objects.get()


def test_pages_refuse_anonymous_outsiders_partners_and_wrong_roles(
    spike: Spike, incident: Incident, staff_client: StaffClient, outsider_charlie: User, analyst_amal: User,
    reviewer_rita: User,
) -> None:
    pages = ["/trends/spikes/", f"/trends/spikes/{spike.pk}/", "/trends/incidents/",
             f"/trends/incidents/{incident.pk}/"]
    for page in pages:
        assert Client().get(page).status_code == 302  # to the sign-in page
        assert staff_client(outsider_charlie).get(page).status_code == 403
        assert staff_client(analyst_amal).get(page).status_code in (403, 404)
    assert staff_client(reviewer_rita).get("/trends/spikes/").status_code == 403
    assert staff_client(reviewer_rita).get(f"/trends/spikes/{spike.pk}/").status_code == 404
    assert staff_client(reviewer_rita).get("/trends/incidents/").status_code == 200


def test_a_programme_manager_reads_and_dismisses_a_spike(
    spike: Spike, staff_client: StaffClient, pm_pablo: User,
) -> None:
    client = staff_client(pm_pablo)
    listing = client.get("/trends/spikes/")
    assert listing.status_code == 200 and f"/trends/spikes/{spike.pk}/" in listing.content.decode()
    fragment = client.get("/trends/spikes/?status=dismissed", headers={"HX-Request": "true"})
    assert "No spike matches" in fragment.content.decode() and "<html" not in fragment.content.decode()
    detail = client.get(f"/trends/spikes/{spike.pk}/").content.decode()
    assert "Dismiss as a false alarm" in detail
    refused = client.post(f"/trends/spikes/{spike.pk}/", {"reason": ""}, headers={"HX-Request": "true"})
    assert "say why" in refused.content.decode()
    done = client.post(f"/trends/spikes/{spike.pk}/", {"reason": "Backlog re-sent"}, headers={"HX-Request": "true"})
    assert "Backlog re-sent" in done.content.decode()
    spike.refresh_from_db()
    assert spike.status == "dismissed" and spike.dismissed_by == pm_pablo


def test_the_incident_page_escapes_what_partners_copied(
    incident: Incident, staff_client: StaffClient, reviewer_rita: User,
) -> None:
    page = staff_client(reviewer_rita).get(f"/trends/incidents/{incident.pk}/").content.decode()
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    assert "2 cases can be decided together" in page


def test_partners_download_their_insight_report(staff_client: StaffClient, analyst_amal: User) -> None:
    client = staff_client(analyst_amal)
    form = client.get("/trends/insight/")
    assert form.status_code == 200 and 'name="partner"' not in form.content.decode()
    pdf = client.get("/trends/insight/", {"period_from": "2026-03-01", "period_to": "2026-03-07", "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    bad = client.get("/trends/insight/", {"period_from": "2026-03-07", "period_to": "2026-03-01", "format": "html"})
    assert bad.status_code == 200 and "the end is before the start" in bad.content.decode()


def test_wrong_roles_cannot_download_the_insight_report(
    staff_client: StaffClient, reviewer_rita: User, outsider_charlie: User,
) -> None:
    assert staff_client(reviewer_rita).get("/trends/insight/").status_code == 403
    assert staff_client(outsider_charlie).get("/trends/insight/").status_code == 403
    assert Client().get("/trends/insight/").status_code == 302
