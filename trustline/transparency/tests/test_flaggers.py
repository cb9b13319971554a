"""Trusted flaggers' precision and the DSA Art. 22(6) communication, through the API and the page.

March 2026: Amal (Sudan partner) sends three notices; Lena decides one
violating and two not violating. Bilal (Pakistan partner) sends one, found
violating. With the thresholds set to 3 decided items and 50 %, Sudan
(33.3 %) is marked for Pablo, the programme manager, to look at.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from trustline.accounts.models import Organisation, User
from trustline.audit.models import AuditEntry
from trustline.conftest import ApiClient, assert_error, said_in
from trustline.core.clock import frozen_at
from trustline.metrics.facts import facts_refresh
from trustline.notifications.models import OutboxMessage
from trustline.transparency.models import DscCommunication
from trustline.transparency.tests.conftest import HOUR, NOT_VIOLATING, REMOVE, T0, Decide

pytestmark = pytest.mark.django_db

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
SessionApi = Callable[[User], ApiClient]


@pytest.fixture
def march(decided: Decide, analyst_bilal: User, settings: Any) -> None:
    settings.TRUSTLINE = {**settings.TRUSTLINE, "ART22_MIN_DECIDED": 3, "ART22_PRECISION_BELOW_PCT": 50}
    decided(REMOVE)
    decided(NOT_VIOLATING, reported_at=T0 + HOUR)
    decided(NOT_VIOLATING, reported_at=T0 + 2 * HOUR, category="doxxing")
    decided(REMOVE, reported_at=T0 + 3 * HOUR, reporter=analyst_bilal, country="PK", language="ur")
    with frozen_at(T0 + dt.timedelta(days=2)):
        facts_refresh()


def test_the_list_marks_the_imprecise_partner_first(march: None, session_api: SessionApi, pm_pablo: User,
                                                     sudan_partner: Organisation) -> None:
    rows = session_api(pm_pablo).get("/transparency/flaggers", MARCH).json()

    first = rows[0]
    assert (first["organisation"], first["marked"]) == (sudan_partner.slug, True)
    assert {k: first[k] for k in ("decided", "violating", "not_violating", "precision_pct")} == {
        "decided": 3, "violating": 1, "not_violating": 2, "precision_pct": 33.3}
    pakistan = next(r for r in rows if r["organisation"] != sudan_partner.slug and r["decided"])
    assert (pakistan["precision_pct"], pakistan["marked"]) == (100.0, False)


def test_the_dossier_lists_the_notices_found_not_violating_with_the_reasons(
    march: None, session_api: SessionApi, pm_pablo: User, sudan_partner: Organisation,
) -> None:
    response = session_api(pm_pablo).get(f"/transparency/flaggers/{sudan_partner.slug}/dossier", MARCH)

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    dossier = json.loads(response.content)
    assert dossier["article"] == "DSA Art. 22(6)"
    assert dossier["totals"]["precision_pct"] == 33.3
    assert {c["category_code"]: c["not_found_violating"] for c in dossier["by_category"]} == {
        "doxxing": 1, "incitement_violence": 1}
    assert [n["explanation"] for n in dossier["notices_not_found_violating"]] == ["We found no violation."] * 2
    assert "INTERNAL" not in response.content.decode()  # the reviewers' internal notes never leave


def test_recording_a_communication_needs_a_dsc_and_a_note_then_keeps_the_figures_sent(
    march: None, session_api: SessionApi, pm_pablo: User, sudan_partner: Organisation, analyst_amal: User,
    analyst_bilal: User, staff_client: Callable[[User], Client],
) -> None:
    amal, bilal = staff_client(analyst_amal), staff_client(analyst_bilal)
    client = session_api(pm_pablo)
    path = f"/transparency/flaggers/{sudan_partner.slug}/communications"

    missing = assert_error(client.post(path, {**MARCH, "note": " "}), 422, "invalid")
    assert set(missing["fields"]) == {"dsc", "note"}  # the accreditation names no DSC, and the note is empty
    assert not DscCommunication.objects.exists()

    response = client.post(path, {**MARCH, "dsc": "Coimisiún na Meán (IE)",
                                  "note": "Letter of 2 April 2026 with the figures attached; ref. TF-2026-07."})

    assert response.status_code == 201, response.content
    sent = DscCommunication.objects.get()
    assert (sent.dsc, str(sent.period_start), str(sent.period_end)) == ("Coimisiún na Meán (IE)", "2026-03-01",
                                                                       "2026-03-31")
    assert sent.figures["totals"]["decided"] == 3
    entry = AuditEntry.objects.get(action="transparency.dsc_communication_recorded")
    assert entry.actor == f"user:{pm_pablo.pk}" and entry.data["totals"]["precision_pct"] == 33.3
    listed = next(r for r in client.get("/transparency/flaggers", MARCH).json() if r["organisation"] ==
                  sudan_partner.slug)
    assert listed["last_communication_at"] is not None
    # The partner hears it from the platform, in its language (the Sudanese partner reads Arabic), not from the DSC.
    told = OutboxMessage.objects.get(event_type="trusted_flagger.dsc_informed", channel="email",
                                     organisation=sudan_partner)
    assert told.subject == said_in("ar", "We informed %(dsc)s about the precision of your notices",
                                   dsc="Coimisiún na Meán (IE)")
    assert "33.3" in told.body
    assert "Coimisiún na Meán (IE)" in amal.get("/console/portal/figures/").content.decode()  # and on its own page
    assert "Coimisiún na Meán" not in bilal.get("/console/portal/figures/").content.decode()  # not on another's


def test_the_awarding_dsc_given_at_onboarding_is_the_default_addressee(
    session_api: SessionApi, pm_pablo: User,
) -> None:
    out = io.StringIO()
    call_command("partner_create", "--name", "Vigie Test", "--country", "FR", "--dsc", "Arcom (FR)", stdout=out)
    slug = out.getvalue().strip()

    response = session_api(pm_pablo).post(f"/transparency/flaggers/{slug}/communications",
                                          {**MARCH, "note": "Figures sent by e-mail, ref. 2026-11."})

    assert response.status_code == 201, response.content
    assert response.json()["dsc"] == "Arcom (FR)"
    rows = session_api(pm_pablo).get("/transparency/flaggers", MARCH).json()
    assert next(r for r in rows if r["organisation"] == slug)["awarding_dsc"] == "Arcom (FR)"


def test_a_bad_period_is_named(session_api: SessionApi, pm_pablo: User) -> None:
    assert_error(session_api(pm_pablo).get("/transparency/flaggers", {"from": "2026-03-31", "to": "2026-03-01"}),
                 422, "invalid")


class TestWhoMay:
    def test_anonymous(self, api: ApiClient, sudan_partner: Organisation) -> None:
        assert_error(api.get("/transparency/flaggers", MARCH), 401, "unauthenticated")
        assert_error(api.post(f"/transparency/flaggers/{sudan_partner.slug}/communications",
                              {**MARCH, "note": "x", "dsc": "y"}), 401, "unauthenticated")

    def test_a_partner_sees_no_other_partner(self, sudan_api: ApiClient, pakistan_partner: Organisation) -> None:
        assert_error(sudan_api.get("/transparency/flaggers", MARCH), 403, "forbidden")
        assert_error(sudan_api.get(f"/transparency/flaggers/{pakistan_partner.slug}/dossier", MARCH), 403,
                     "forbidden")

    @pytest.mark.parametrize("persona", ["auditor_aziz", "lead_lena", "reviewer_rita"])
    def test_staff_other_than_programme_managers(self, session_api: SessionApi, request: pytest.FixtureRequest,
                                                 persona: str, sudan_partner: Organisation) -> None:
        client = session_api(request.getfixturevalue(persona))
        assert_error(client.get("/transparency/flaggers", MARCH), 403, "forbidden")
        assert_error(client.post(f"/transparency/flaggers/{sudan_partner.slug}/communications",
                                 {**MARCH, "note": "x", "dsc": "y"}), 403, "forbidden")

    def test_an_unknown_partner_is_404(self, session_api: SessionApi, pm_pablo: User) -> None:
        assert_error(session_api(pm_pablo).get("/transparency/flaggers/nobody/dossier", MARCH), 404, "not_found")


class TestPage:
    def test_the_manager_reads_and_records_on_the_page(
        self, march: None, staff_client: Callable[[User], Client], pm_pablo: User, sudan_partner: Organisation,
    ) -> None:
        client = staff_client(pm_pablo)
        page = client.get("/transparency/flaggers/", MARCH).content.decode()
        assert "Marked" in page and "33.3" in page
        assert f"/api/v1/transparency/flaggers/{sudan_partner.slug}/dossier?from=2026-03-01" in page

        response = client.post("/transparency/flaggers/", {**MARCH, "organisation": sudan_partner.slug,
                                                            "dsc": "Coimisiún na Meán (IE)", "note": "Sent by post."})

        assert response.status_code == 302
        assert DscCommunication.objects.filter(organisation=sudan_partner).count() == 1
        assert "Sent to Coimisiún na Meán (IE)" in client.get(response["Location"]).content.decode()

    def test_an_auditor_is_refused(self, staff_client: Callable[[User], Client], auditor_aziz: User) -> None:
        assert staff_client(auditor_aziz).get("/transparency/flaggers/").status_code == 403
