"""Triage of new cases.

Reports go in through the real intake service; the triage job gives each case
a tier, a priority with its components, and SLA deadlines.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of, assert_error, kite_url
from trustline.core import clock
from trustline.core.exceptions import NotFound
from trustline.intake.models import TimelineEvent
from trustline.triage.services import triage_case, triage_pending
from trustline.triage.tests.conftest import T0, Submit, case_of

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


def audit_actions(case: Case) -> list[str]:
    entries = AuditEntry.objects.filter(target_type="cases.case", target_id=str(case.pk))
    return list(entries.values_list("action", flat=True))


def test_a_new_case_gets_its_tier_priority_and_deadlines(analyst_amal: User, submit: Submit, at_t0: dt.datetime):
    result = submit(analyst_amal, category="incitement_violence")

    run = triage_pending()

    case = case_of(result)
    assert run.triaged == 1
    assert case.status == "triaged"
    assert case.triaged_at == T0
    assert case.tier == 2
    assert case.sla_policy_snapshot["name"] == "Tier 2"
    assert case.sla_policy_snapshot["applies_to"] == "2"
    assert case.ack_due_at == T0 + 24 * HOUR
    assert case.decide_due_at == T0 + 72 * HOUR
    assert case.priority == sum(case.priority_components.values()) == 300
    assert case.priority_components["tier"] == 300
    assert case.priority_components["imminence"] == 0
    assert case.priority_components["protected_target"] == 0  # refugee_or_migrant is not in the protected list
    assert audit_actions(case) == ["case.opened", "case.triaged", "case.routed"]  # routing: language and keys
    triaged = AuditEntry.objects.get(action="case.triaged", target_id=str(case.pk))
    assert triaged.actor == "system"
    assert triaged.data["tier"] == 2
    assert triaged.data["policy"] == "Tier 2"
    assert triaged.data["components"] == case.priority_components


def test_imminent_harm_gets_the_imminent_policy_whatever_the_tier(
    analyst_amal: User, submit: Submit, at_t0: dt.datetime
):
    result = submit(
        analyst_amal, category="threat_to_life", imminent_harm=True,
        imminent_harm_reason="A named activist's home address with a call to go there tonight.",
        targets=["activist"],
    )

    triage_pending()

    case = case_of(result)
    assert case.tier == 1
    assert case.sla_policy_snapshot["applies_to"] == "imminent"
    assert case.ack_due_at == T0 + dt.timedelta(minutes=15)
    assert case.decide_due_at == T0 + HOUR
    assert case.priority_components["imminence"] == 400
    assert case.priority_components["protected_target"] == 120
    assert case.priority == 600 + 400 + 120


def test_a_tier_3_case_is_due_in_five_days(analyst_amal: User, submit: Submit, at_t0: dt.datetime):
    result = submit(analyst_amal, category="misinformation", targets=[])

    triage_pending()

    case = case_of(result)
    assert (case.tier, case.priority) == (3, 100)
    assert case.ack_due_at == T0 + 48 * HOUR
    assert case.decide_due_at == T0 + 5 * 24 * HOUR


def test_the_partner_sees_the_triaged_step_with_tier_and_target_time(
    analyst_amal: User, submit: Submit, sudan_api: ApiClient, at_t0: dt.datetime
):
    result = submit(analyst_amal, category="doxxing")
    triage_pending()

    response = sudan_api.get(f"/reports/{result.report.pk}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "triaged"
    assert [e["kind"] for e in body["timeline"]] == ["received", "triaged"]
    triaged = body["timeline"][1]
    assert triaged["item_id"] == str(result.items[0].pk)
    assert triaged["data"] == {"tier": 2, "decide_due_at": (T0 + 72 * HOUR).isoformat()}


def test_triage_is_idempotent(analyst_amal: User, submit: Submit, lead_lena: User, at_t0: dt.datetime):
    result = submit(analyst_amal)
    case = case_of(result)

    first = triage_case(actor=SYSTEM, case_id=case.pk)
    again = triage_case(actor=actor_of(lead_lena), case_id=case.pk)
    run = triage_pending()

    assert run.triaged == 0
    assert first.triaged_at == again.triaged_at == T0
    assert audit_actions(case).count("case.triaged") == 1
    assert TimelineEvent.objects.filter(report=result.report, kind="triaged").count() == 1


def test_a_partner_cannot_trigger_triage_and_cannot_tell_whether_the_case_exists(
    analyst_amal: User, submit: Submit
):
    case = case_of(submit(analyst_amal))

    with pytest.raises(NotFound):
        triage_case(actor=actor_of(analyst_amal), case_id=case.pk)

    assert Case.objects.get(pk=case.pk).triaged_at is None


def test_the_most_severe_reported_category_sets_the_tier(
    analyst_amal: User, analyst_bilal: User, submit: Submit, at_t0: dt.datetime
):
    url = kite_url()
    first = submit(analyst_amal, items=[{"url": url, "kind": "post"}], category="misinformation")
    submit(analyst_bilal, items=[{"url": url, "kind": "post"}], category="blasphemy_allegation", country="PK")

    triage_pending()

    case = case_of(first)
    assert case.tier == 1
    assert case.sla_policy_snapshot["name"] == "Tier 1"
    assert case.priority_components["reporters"] == 60


def test_another_partner_reporting_a_triaged_case_raises_its_priority_and_gets_the_triaged_step(
    analyst_amal: User, analyst_bilal: User, submit: Submit, pakistan_api: ApiClient
):
    url = kite_url()
    with clock.frozen_at(T0):
        first = submit(analyst_amal, items=[{"url": url, "kind": "post"}])
        triage_pending()
    before = case_of(first)

    with clock.frozen_at(T0 + 2 * HOUR):
        second = submit(analyst_bilal, items=[{"url": url, "kind": "post"}], country="PK")
        run = triage_pending()

    after = case_of(first)
    assert run.rescored == 1
    assert after.partner_count == 2
    assert after.tier == before.tier == 2
    assert after.decide_due_at == before.decide_due_at  # deadlines never move later on their own
    assert after.priority_components["reporters"] == 60
    assert after.priority_components["waiting"] == 12  # round(100 * log2(1 + 2/24))
    assert after.priority == before.priority + 60 + 12
    assert audit_actions(after)[-1] == "case.reprioritised"
    timeline = pakistan_api.get(f"/reports/{second.report.pk}").json()["timeline"]
    assert [e["kind"] for e in timeline] == ["received", "triaged"]
    assert timeline[1]["data"] == {"tier": 2, "decide_due_at": (T0 + 72 * HOUR).isoformat()}
    assert triage_pending().rescored == 0


def test_a_later_imminent_report_tightens_the_deadlines(
    analyst_amal: User, analyst_bilal: User, submit: Submit
):
    url = kite_url()
    with clock.frozen_at(T0):
        first = submit(analyst_amal, items=[{"url": url, "kind": "post"}])
        triage_pending()
    with clock.frozen_at(T0 + 3 * HOUR):
        submit(
            analyst_bilal, items=[{"url": url, "kind": "post"}], country="PK", imminent_harm=True,
            imminent_harm_reason="The shelter named in the post is being surrounded right now.",
        )
        triage_pending()

    case = case_of(first)
    assert case.imminent_harm is True
    assert case.sla_policy_snapshot["applies_to"] == "imminent"
    assert case.ack_due_at == T0 + 3 * HOUR + dt.timedelta(minutes=15)
    assert case.decide_due_at == T0 + 4 * HOUR
    assert case.priority_components["imminence"] == 400


def test_every_item_of_a_multi_item_report_is_triaged_in_one_run(
    analyst_amal: User, submit: Submit, sudan_api: ApiClient, at_t0: dt.datetime
):
    result = submit(analyst_amal, items=[{"url": kite_url(), "kind": "post"} for _ in range(3)])

    run = triage_pending(batch_size=2)

    assert run.triaged == 3
    body: dict[str, Any] = sudan_api.get(f"/reports/{result.report.pk}").json()
    assert body["status"] == "triaged"
    assert sorted(e["item_id"] for e in body["timeline"] if e["kind"] == "triaged") == sorted(
        str(i.pk) for i in result.items
    )


def test_the_triage_api_is_not_found_for_a_partner(
    analyst_amal: User, submit: Submit, sudan_api: ApiClient
):
    case = case_of(submit(analyst_amal))
    triage_pending()

    assert_error(sudan_api.get(f"/triage/cases/{case.pk}"), 404, "not_found")
