"""Imminent-harm rules in triage, the emergency queue exclusion, the watchdog and the web pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of
from trustline.core import clock
from trustline.core.models import PeriodicJob
from trustline.notifications.models import OutboxMessage
from trustline.notifications.services import outbox_deliver_due
from trustline.oncall.models import Emergency, PageStep
from trustline.oncall.rota import RuleData, rule_save
from trustline.oncall.services import emergency_downgrade
from trustline.oncall.tests.conftest import T0
from trustline.oncall.watchdog import SWEEPER_JOB, paging_health, paging_watchdog
from trustline.routing.selectors import queue_list
from trustline.triage.services import triage_pending

pytestmark = pytest.mark.usefixtures("chain")


def _submit(api: ApiClient, payload: dict[str, Any]) -> Case:
    with clock.frozen_at(T0):
        response = api.submit(payload)
        assert response.status_code == 201, response.content
        triage_pending()
    return Case.objects.get(items__report_id=response.json()["id"])


def test_a_keyword_rule_makes_an_unflagged_report_an_emergency_with_the_top_sla(
    sudan_api: ApiClient, report_payload: Callable[..., dict[str, Any]],
) -> None:
    rule_save(actor=SYSTEM, data=RuleData(name="Threat to kill (ar)", language="ar", keywords=["سنقتلهم الليلة"]))
    rule_save(actor=SYSTEM, data=RuleData(name="Journalist doxxing", category_code="doxxing",
                                          targets=["journalist"]))
    flagged = _submit(sudan_api, report_payload(explanation="The post says: سنقتلهم  الليلة at the camp."))
    other_language = _submit(sudan_api, report_payload(language="en", explanation="سنقتلهم الليلة"))
    plain = _submit(sudan_api, report_payload(explanation="Insults, no threat."))
    by_target = _submit(sudan_api, report_payload(category="doxxing", targets=["journalist"],
                                                  explanation="Home address of a journalist."))
    emergency = Emergency.objects.get(case=flagged)
    assert (emergency.source, emergency.rule_name) == ("rule", "Threat to kill (ar)")
    flagged.refresh_from_db()
    assert flagged.imminent_harm is True
    assert flagged.sla_policy_snapshot["applies_to"] == "imminent"
    assert flagged.ack_due_at == T0 + dt.timedelta(minutes=15)
    assert Emergency.objects.get(case=by_target).rule_name == "Journalist doxxing"
    assert not Emergency.objects.filter(case__in=[other_language, plain]).exists()


def test_emergency_cases_leave_the_ordinary_queue_until_downgraded(
    open_imminent: Callable[..., Case], lead_lena: User,
) -> None:
    case = open_imminent()
    with clock.frozen_at(T0):
        assert case.pk not in {c.pk for c in queue_list(actor=actor_of(lead_lena), now=clock.now())}
        emergency_downgrade(actor=actor_of(lead_lena), emergency_id=Emergency.objects.get(case=case).pk,
                            reason="The threat was from 2019")
        assert case.pk in {c.pk for c in queue_list(actor=actor_of(lead_lena), now=clock.now())}


def test_the_watchdog_alerts_the_leads_when_a_step_is_late_or_the_sweeper_is_behind(
    open_imminent: Callable[..., Case], lead_lena: User,
) -> None:
    emergency = Emergency.objects.get(case=open_imminent())
    PeriodicJob.objects.create(name=SWEEPER_JOB, every_seconds=5, max_runtime_seconds=300,
                               next_run_at=T0 + dt.timedelta(minutes=5, seconds=35),
                               last_finished_at=T0 + dt.timedelta(minutes=5, seconds=30))
    with clock.frozen_at(T0 + dt.timedelta(minutes=5, seconds=30)):
        assert paging_health(clock.now()).ok  # step 2 due 30 s ago: not late yet (60 s)
    with clock.frozen_at(T0 + dt.timedelta(minutes=6, seconds=30)):
        report = paging_watchdog(clock.now())
    assert not report.ok
    assert report.late_steps == 1
    assert report.oldest_late_due_at == PageStep.objects.get(emergency=emergency, sequence=1).due_at
    assert report.sweeper_problem and "scheduler" in report.sweeper_problem  # due for 55 s: the scheduler stopped
    alert = OutboxMessage.objects.get(idempotency_key__startswith="paging-watchdog:", recipient=lead_lena.email)
    with clock.frozen_at(T0 + dt.timedelta(minutes=6, seconds=40)):
        paging_watchdog(clock.now())  # the same hour: no second alert
        outbox_deliver_due(now=clock.now())
    assert OutboxMessage.objects.filter(idempotency_key__startswith="paging-watchdog:").count() == 1
    assert alert.subject == "Trustline: emergency paging is behind"
    assert any(m.subject == alert.subject for m in mail.outbox)


def test_the_board_page_for_staff_and_its_htmx_refresh(
    open_imminent: Callable[..., Case], staff_client: Callable[[User], Any], reviewer_rita: User,
    analyst_amal: User,
) -> None:
    emergency = Emergency.objects.get(case=open_imminent())
    client = staff_client(reviewer_rita)
    page = client.get("/emergency/")
    assert page.status_code == 200
    assert b"Acknowledge" in page.content and b"Responders" in page.content
    fragment = client.get("/emergency/", headers={"HX-Request": "true"})
    assert b"<html" not in fragment.content and b"incitement_violence" in fragment.content
    client.post(f"/emergency/{emergency.pk}/acknowledge")
    emergency.refresh_from_db()
    assert emergency.state == "acknowledged" and emergency.acknowledged_via == "ui"
    assert staff_client(analyst_amal).get("/emergency/").status_code == 404  # partners: no such page
    assert staff_client(analyst_amal).get(f"/emergency/{emergency.pk}").status_code == 404
