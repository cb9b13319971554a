"""The daily digest: yesterday's steps, once per organisation per day, only for those who asked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.models import Organisation, User
from trustline.accounts.permissions import SYSTEM
from trustline.conftest import actor_of
from trustline.core.clock import frozen_at
from trustline.core.periodic import periodic_jobs
from trustline.intake.choices import Channel
from trustline.intake.schemas import ReportIn
from trustline.intake.services import report_submit
from trustline.notifications.choices import EventType
from trustline.notifications.models import OutboxMessage
from trustline.notifications.services import notification_settings_update
from trustline.notifications.tasks import send_daily_digests

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2026, 5, 11, 14, 0, tzinfo=dt.UTC)  # reports arrive on Monday afternoon
NEXT_MORNING = dt.datetime(2026, 5, 12, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def reports_on_monday(analyst_amal: User, report_payload: Callable[..., dict[str, Any]]) -> None:
    with frozen_at(DAY):
        for _ in range(2):
            report_submit(actor=actor_of(analyst_amal), data=ReportIn(**report_payload()), channel=Channel.API)


def digests() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(event_type=EventType.DIGEST_DAILY))


def run_at(moment: dt.datetime) -> dict[str, int]:
    with frozen_at(moment):
        result: dict[str, int] = send_daily_digests.call()
        return result


@pytest.mark.usefixtures("reports_on_monday")
def test_the_digest_goes_once_a_day_from_the_digest_hour(sudan_partner: Organisation):
    notification_settings_update(actor=SYSTEM, organisation=sudan_partner, daily_digest_enabled=True)

    assert run_at(NEXT_MORNING - dt.timedelta(hours=1)) == {"sent": 0, "already_sent": 0, "quiet": 0}
    assert run_at(NEXT_MORNING)["sent"] == 1
    assert run_at(NEXT_MORNING + dt.timedelta(hours=1)) == {"sent": 0, "already_sent": 1, "quiet": 0}
    assert run_at(NEXT_MORNING + dt.timedelta(hours=17))["sent"] == 0

    [digest] = digests()
    assert digest.recipient == "desk@sudan-monitor.example.org"
    assert digest.idempotency_key.startswith(f"digest:{sudan_partner.pk}:2026-05-11:")
    # The Sudanese partner covers Arabic, so its digest is in Arabic.
    assert "البلاغات المستلمة: 2 (2 عنصرًا)" in digest.body
    assert digest.subject == "الملخص اليومي من Trustline، 2026-05-11"


@pytest.mark.usefixtures("reports_on_monday")
def test_a_partner_that_chose_english_gets_its_digest_in_english(sudan_partner: Organisation):
    notification_settings_update(actor=SYSTEM, organisation=sudan_partner, daily_digest_enabled=True,
                                 email_language="en")

    assert run_at(NEXT_MORNING)["sent"] == 1

    [digest] = digests()
    assert "Reports received: 2 (2 items)" in digest.body
    assert digest.subject == "Trustline daily digest, 2026-05-11"


@pytest.mark.usefixtures("reports_on_monday")
def test_the_next_day_brings_the_next_digest_and_a_quiet_day_sends_nothing(
    sudan_partner: Organisation, analyst_amal: User, report_payload: Callable[..., dict[str, Any]]
):
    notification_settings_update(actor=SYSTEM, organisation=sudan_partner, daily_digest_enabled=True)
    run_at(NEXT_MORNING)

    assert run_at(NEXT_MORNING + dt.timedelta(days=1)) == {"sent": 0, "already_sent": 0, "quiet": 1}
    with frozen_at(NEXT_MORNING + dt.timedelta(days=1)):
        report_submit(actor=actor_of(analyst_amal), data=ReportIn(**report_payload()), channel=Channel.API)
    assert run_at(NEXT_MORNING + dt.timedelta(days=2))["sent"] == 1

    assert [m.subject[-10:] for m in sorted(digests(), key=lambda m: m.created_at)] == ["2026-05-11", "2026-05-13"]


@pytest.mark.usefixtures("reports_on_monday")
def test_only_organisations_that_asked_get_a_digest(sudan_partner: Organisation, pakistan_partner: Organisation):
    notification_settings_update(actor=SYSTEM, organisation=pakistan_partner, daily_digest_enabled=True)

    run_at(NEXT_MORNING)

    assert digests() == []  # Sudan did not switch it on; Pakistan had a quiet day


@pytest.mark.usefixtures("reports_on_monday")
def test_a_partner_sees_only_its_own_day_and_the_platform_team_sees_all(
    sudan_partner: Organisation, pakistan_partner: Organisation, kite: Organisation, analyst_bilal: User,
    report_payload: Callable[..., dict[str, Any]],
):
    with frozen_at(DAY):
        report_submit(actor=actor_of(analyst_bilal), data=ReportIn(**report_payload(country="PK")),
                      channel=Channel.API)
    for organisation in (pakistan_partner, kite):
        notification_settings_update(actor=SYSTEM, organisation=organisation, daily_digest_enabled=True,
                                     email_recipients=[f"digest@{organisation.slug}.example.org"])

    run_at(NEXT_MORNING)

    bodies = {m.recipient: m.body for m in digests()}
    assert "Reports received: 1 (1 items)" in bodies["digest@pakistan-media-watch.example.org"]
    assert "Reports received: 3 (3 items)" in bodies["digest@kite-trust-safety.example.org"]


def test_the_digest_job_is_registered_to_run_hourly():
    spec = periodic_jobs()["trustline.notifications.tasks.send_daily_digests"]

    assert spec.every == dt.timedelta(hours=1)
