"""The periodic jobs: registered, and each run does the service's work as the system."""

from __future__ import annotations

import datetime as dt

from trustline.accounts.models import Organisation, User
from trustline.conftest import kite_url
from trustline.core import clock
from trustline.core.periodic import periodic_jobs
from trustline.notifications.models import OutboxMessage
from trustline.trends.announce import insight_reports_announce
from trustline.trends.models import CaseFingerprint, Incident, Spike
from trustline.trends.tasks import announce_insight_reports, cluster_new_cases, detect_spikes
from trustline.trends.tests.conftest import T0, Submit, item
from trustline.trends.tests.test_clustering import NEAR_DUPLICATES


def test_the_jobs_are_registered() -> None:
    jobs = periodic_jobs()
    assert jobs["trustline.trends.tasks.detect_spikes"].every == dt.timedelta(hours=1)
    assert jobs["trustline.trends.tasks.cluster_new_cases"].every == dt.timedelta(seconds=60)
    assert jobs["trustline.trends.tasks.announce_insight_reports"].every == dt.timedelta(hours=6)


def test_detect_spikes_tests_yesterday_and_today(submit: Submit, analyst_amal: User) -> None:
    for n in range(6):
        submit(analyst_amal, at=T0 - dt.timedelta(days=1, minutes=-n))
    with clock.frozen_at(T0 + dt.timedelta(hours=3)):
        result = detect_spikes.call()
    assert result["days"] == 2 and result["spikes_new"] == 1
    assert Spike.objects.get().day == (T0 - dt.timedelta(days=1)).date()


def test_cluster_new_cases_processes_every_new_case(submit: Submit, analyst_amal: User) -> None:
    first, second = NEAR_DUPLICATES["es"]
    submit(analyst_amal, items=[item(kite_url(), first)])
    submit(analyst_amal, items=[item(kite_url(), second)])
    assert cluster_new_cases.call() == {"cases": 2, "incidents_created": 1, "members_added": 2, "incidents_merged": 0}
    assert CaseFingerprint.objects.count() == 2 and Incident.objects.get().member_count == 2
    assert cluster_new_cases.call()["cases"] == 0


def test_last_months_insight_report_is_announced_once(
    sudan_partner: Organisation, pakistan_partner: Organisation, pm_pablo: User, policy_polly: User,
    reviewer_rita: User,
) -> None:
    assert insight_reports_announce(today=dt.date(2026, 3, 9)) == 0  # after the first week: nothing
    with clock.frozen_at(T0):
        assert announce_insight_reports.call() == {"messages": 3}
        announce_insight_reports.call()
    mails = OutboxMessage.objects.filter(event_type="insight_report.ready")
    assert sorted(mails.values_list("recipient", flat=True)) == [
        "desk@sudan-monitor.example.org", "pablo@example.org", "polly@example.org",
    ]  # the Pakistan partner has no contact address; reviewers get nothing
    sudan = mails.get(organisation=sudan_partner)
    assert "فبراير 2026" in sudan.subject and "period_from=2026-02-01" in sudan.body  # the partner covers Arabic
    assert "period_to=2026-02-28" in sudan.body
