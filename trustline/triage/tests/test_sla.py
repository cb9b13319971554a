"""The SLA sweeper (with a frozen clock) and its watchdog."""

from __future__ import annotations

import datetime as dt

import pytest

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.notifications.models import OutboxMessage
from trustline.triage.models import SlaBreach
from trustline.triage.services import triage_pending
from trustline.triage.sla import sla_sweep, sla_watchdog
from trustline.triage.tests.conftest import T0, Submit, case_of

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def tier_2_case(analyst_amal: User, submit: Submit, at_t0: dt.datetime):
    """A tier 2 case opened and triaged at T0: acknowledge by T0 + 24 h, decide by T0 + 72 h."""
    result = submit(analyst_amal, category="harassment", targets=[])
    triage_pending()
    return case_of(result)


def test_nothing_is_breached_before_the_deadline(tier_2_case, lead_lena: User):
    result = sla_sweep(now=T0 + 24 * HOUR - dt.timedelta(seconds=1))

    assert result.total == 0
    assert not SlaBreach.objects.exists()


def test_each_missed_target_is_recorded_once_even_when_the_sweeper_runs_twice(tier_2_case, lead_lena: User):
    first = sla_sweep(now=T0 + 25 * HOUR)
    second = sla_sweep(now=T0 + 25 * HOUR)
    third = sla_sweep(now=T0 + 73 * HOUR)
    fourth = sla_sweep(now=T0 + 80 * HOUR)

    assert (first.ack, first.decide) == (1, 0)
    assert second.total == 0
    assert (third.ack, third.decide) == (0, 1)
    assert fourth.total == 0
    breaches = list(SlaBreach.objects.filter(case=tier_2_case).values_list("kind", "due_at", "detected_at"))
    assert breaches == [
        ("ack", T0 + 24 * HOUR, T0 + 25 * HOUR),
        ("decide", T0 + 72 * HOUR, T0 + 73 * HOUR),
    ]
    audited = AuditEntry.objects.filter(action="sla.breached", target_id=str(tier_2_case.pk))
    assert [e.data["kind"] for e in audited] == ["ack", "decide"]
    assert all(e.actor == "system" for e in audited)


def test_a_breach_raises_the_priority_with_a_breach_component(tier_2_case, lead_lena: User):
    sla_sweep(now=T0 + 25 * HOUR)
    tier_2_case.refresh_from_db()
    assert tier_2_case.ack_breached and not tier_2_case.decide_breached
    assert tier_2_case.priority_components["sla_breach"] == 100
    assert tier_2_case.priority_components["waiting"] == 103  # round(100 * log2(1 + 25/24))
    assert tier_2_case.priority == 300 + 100 + 103

    sla_sweep(now=T0 + 73 * HOUR)
    tier_2_case.refresh_from_db()
    assert tier_2_case.priority_components["sla_breach"] == 300


def test_escalation_leads_are_e_mailed_once_per_breach(tier_2_case, lead_lena: User, admin_ada: User,
                                                       reviewer_rita: User):
    sla_sweep(now=T0 + 25 * HOUR)
    sla_sweep(now=T0 + 26 * HOUR)

    messages = list(OutboxMessage.objects.filter(event_type="sla.breached"))
    assert [m.recipient for m in messages] == ["lena@example.org"]
    assert messages[0].channel == "email"
    assert str(tier_2_case.pk) in messages[0].subject
    assert "not acknowledged in time" in messages[0].subject
    assert AuditEntry.objects.get(action="sla.breached").data["alerted"] == 1


def test_cases_are_swept_earliest_deadline_first_within_a_batch(
    analyst_amal: User, submit: Submit, at_t0: dt.datetime
):
    misinformation = case_of(submit(analyst_amal, category="misinformation", targets=[]))  # ack by T0 + 48 h
    threat = case_of(submit(analyst_amal, category="threat_to_life", targets=[]))  # ack by T0 + 4 h
    triage_pending()

    result = sla_sweep(now=T0 + 49 * HOUR, batch_size=1)

    assert result.ack == 1
    assert list(SlaBreach.objects.filter(kind="ack").values_list("case_id", flat=True)) == [threat.pk]
    assert sla_sweep(now=T0 + 49 * HOUR).ack == 1
    assert SlaBreach.objects.filter(case=misinformation, kind="ack").count() == 1


def test_the_watchdog_reports_a_sweeper_that_never_ran(lead_lena: User):
    report = sla_watchdog(T0)

    assert not report.ok
    assert report.last_sweep_at is None
    assert "never" in report.message


def test_the_watchdog_is_quiet_while_the_sweeper_keeps_up_and_alerts_when_it_falls_behind(lead_lena: User):
    sla_sweep(now=T0)

    assert sla_watchdog(T0 + dt.timedelta(seconds=90)).ok
    behind = sla_watchdog(T0 + dt.timedelta(seconds=91))
    sla_watchdog(T0 + dt.timedelta(minutes=30))  # the same hour: no second e-mail

    assert not behind.ok
    assert behind.last_sweep_at == T0
    assert "last finished" in behind.message
    alerts = OutboxMessage.objects.filter(event_type="sla.watchdog")
    assert [m.recipient for m in alerts] == ["lena@example.org"]
