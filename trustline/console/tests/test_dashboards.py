"""Programme dashboards: who may see them, what they count, CSV of every chart; RTL and time zones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from trustline.accounts.models import User
from trustline.conftest import actor_of
from trustline.console.dashboards import dashboard_data
from trustline.core import clock

pytestmark = pytest.mark.django_db


class TestAccess:
    def test_a_programme_manager_sees_them(self, pm_pablo: User, signed_in: Callable[[User], Client],
                                           analyst_amal: User, submit: Callable[..., Any]) -> None:
        submit(analyst_amal)
        page = signed_in(pm_pablo).get("/console/dashboards/")
        assert page.status_code == 200
        body = page.content.decode()
        assert "vendor/chartjs/chart.umd.js" in body
        assert 'data-chart="bar"' in body and "Download CSV" in body

    def test_a_reviewer_gets_not_found(self, reviewer_rita: User, signed_in: Callable[[User], Client]) -> None:
        assert signed_in(reviewer_rita).get("/console/dashboards/").status_code == 404

    def test_partners_and_anonymous_are_kept_out(self, analyst_amal: User,
                                                 staff_client: Callable[[User], Client]) -> None:
        assert staff_client(analyst_amal).get("/console/dashboards/").status_code == 404
        assert Client().get("/console/dashboards/").status_code == 302


class TestFigures:
    def test_backlog_counts_open_cases_by_country_and_language(
        self, pm_pablo: User, analyst_amal: User, analyst_bilal: User, submit: Callable[..., Any],
    ) -> None:
        submit(analyst_amal)
        submit(analyst_amal)
        submit(analyst_bilal, country="PK", language="ur")
        charts = {c.key: c for c in dashboard_data(actor=actor_of(pm_pablo), now=clock.now())}
        assert dict((r[0], r[1]) for r in charts["backlog_country"].rows) == {"SD": 2, "PK": 1}
        assert sum(r[1] for r in charts["backlog_tier"].rows) == 3
        names = [r[0] for r in charts["partners"].rows]
        assert len(names) == 2

    def test_sla_attainment_is_the_share_decided_in_time(self, pm_pablo: User, analyst_amal: User,
                                                          submit: Callable[..., Any]) -> None:
        submit(analyst_amal)
        later = clock.now() + dt.timedelta(days=30)
        with clock.frozen_at(later):
            charts = {c.key: c for c in dashboard_data(actor=actor_of(pm_pablo), now=clock.now())}
        rows = charts["sla"].rows
        assert sum(r[1] for r in rows) == 1 and rows[0][3] in {0.0, 100.0}

    def test_every_chart_has_a_csv(self, pm_pablo: User, signed_in: Callable[[User], Client],
                                   analyst_amal: User, submit: Callable[..., Any]) -> None:
        submit(analyst_amal, explanation="x")
        client = signed_in(pm_pablo)
        for key in ["sla", "backlog_tier", "backlog_country", "backlog_language", "partners"]:
            response = client.get(f"/console/dashboards/{key}.csv")
            assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
            assert response["Content-Disposition"].startswith("attachment")
        csv = client.get("/console/dashboards/backlog_country.csv").content.decode()
        assert csv.splitlines()[0] == "Country,Open cases" and "SD,1" in csv
        assert client.get("/console/dashboards/nothing.csv").status_code == 404


class TestInternationalisation:
    def test_arabic_renders_right_to_left(self, reviewer_rita: User, signed_in: Callable[[User], Client]) -> None:
        client = signed_in(reviewer_rita)
        page = client.get("/console/", HTTP_ACCEPT_LANGUAGE="ar")
        assert b'<html lang="ar" dir="rtl">' in page.content
        body = page.content.decode()
        assert "قائمة انتظار المراجعة" in body and "الحالة التالية" in body  # "Review queue", "Next case"
        assert "Review queue" not in body

    def test_the_console_in_spanish(self, reviewer_rita: User, signed_in: Callable[[User], Client]) -> None:
        body = signed_in(reviewer_rita).get("/console/", HTTP_ACCEPT_LANGUAGE="es-VE,es;q=0.9").content.decode()
        assert "Cola de revisión" in body and "Siguiente caso" in body

    def test_dates_are_in_the_persons_time_zone(self, reviewer_rita: User, signed_in: Callable[[User], Client],
                                                analyst_amal: User, submit: Callable[..., Any]) -> None:
        from trustline.console.tests.conftest import case_of

        case = case_of(submit(analyst_amal))
        type(reviewer_rita).objects.filter(pk=reviewer_rita.pk).update(timezone="Africa/Khartoum")
        client = signed_in(reviewer_rita)
        body = client.get(f"/console/cases/{case.pk}/").content.decode()
        assert "+02:00" in body  # the <time datetime> of Khartoum (UTC+2)
