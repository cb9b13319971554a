"""The demo programme: what a new user sees after ``make run``."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.test import Client

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.models import Organisation
from trustline.audit.models import AuditEntry
from trustline.audit.verify import verify_chain
from trustline.cases.models import Case
from trustline.demo.plan import CRISIS_COUNTRY, CRISIS_DAYS_AGO, load_data, plan_reports
from trustline.demo.services import DEMO_PASSWORD
from trustline.intake.models import Report

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--url", "http://127.0.0.1:8030", stdout=out)
    return out.getvalue()


def test_it_loads_a_programme_a_new_user_can_sign_in_to_and_call_and_only_once() -> None:
    output = seed()

    assert Organisation.objects.filter(kind=OrganisationKind.PLATFORM, slug="kite-ts").count() == 1
    assert Organisation.objects.filter(kind=OrganisationKind.PARTNER).count() == 10
    reports = Report.objects.all()
    assert 300 <= reports.count() <= 400
    assert set(reports.values_list("channel", flat=True)) == {"api", "web", "bulk"}
    assert reports.filter(imminent_harm=True).exists()
    # Deduplication visibly at work: items merged into cases, some across partners,
    # and the mobile host and tracking parameters folded away. Loaded as of each day of a week (and a Wednesday
    # at 05:00), the demo had 27-41 merged cases and 3-8 reported by two partners: reports arrive among the
    # team's decisions, so content reported again after its case was decided opens a new case.
    assert Case.objects.filter(partner_count__gte=2).count() >= 3
    assert Case.objects.filter(item_count__gte=2).count() >= 20
    assert not Case.objects.filter(canonical_url__contains="m.kite.example").exists()
    assert not Case.objects.filter(canonical_url__contains="utm_").exists()
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()  # the loader seals its history
    assert verify_chain().problem is None

    assert DEMO_PASSWORD in output
    assert "http://127.0.0.1:8030/admin/" in output
    client = Client()
    assert client.login(username="mohanad.babiker", password=DEMO_PASSWORD)
    assert Client().login(username="admin", password=DEMO_PASSWORD)

    key = re.search(r"\b(tl_[A-Za-z0-9_-]{20,})\b", output)
    assert key is not None, output
    response = Client().get("/api/v1/reports?limit=500", HTTP_AUTHORIZATION=f"Bearer {key.group(1)}")
    assert response.status_code == 200
    body = response.json()
    nilein = Organisation.objects.get(slug="nilein-watch")
    assert body["count"] == Report.objects.filter(organisation=nilein).count() > 0

    # Run again (a second `make run`): refused, nothing added. Here, not in a test of its own: a load takes
    # about two minutes on PostgreSQL in CI.
    before = Report.objects.count()
    again = seed()
    assert "already loaded" in again
    assert Report.objects.count() == before


def test_the_plan_is_seeded_busy_in_the_crisis_week_and_quiet_at_weekends() -> None:
    data = load_data()
    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)

    plan = plan_reports(data, now=now)

    assert [r.payload for r in plan] == [r.payload for r in plan_reports(data, now=now)]
    assert all(now - dt.timedelta(days=60) < r.at < now for r in plan)
    per_day = Counter((now.date() - r.at.date()).days for r in plan if r.payload["country"] == CRISIS_COUNTRY)
    crisis = sum(per_day[d] for d in CRISIS_DAYS_AGO)
    week_before = sum(per_day[d + 7] for d in CRISIS_DAYS_AGO)
    assert crisis > 3 * max(week_before, 1)
    weekday = [r for r in plan if r.at.weekday() < 5]
    weekend = [r for r in plan if r.at.weekday() >= 5]
    assert len(weekend) / 2 < len(weekday) / 5
