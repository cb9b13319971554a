"""Recording decisions: POST /api/v1/review/cases/{id}/decisions and what follows for the case and the partner."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.models import Organisation, User
from trustline.audit.models import AuditEntry
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of, assert_error, said_in
from trustline.core import clock
from trustline.core.exceptions import Conflict
from trustline.intake.models import Report, TimelineEvent
from trustline.notifications.models import OutboxMessage
from trustline.notifications.services import webhook_endpoint_create
from trustline.platforms.choices import ActionType
from trustline.platforms.models import DemoContentState, EnforcementActionRecord
from trustline.platforms.services import action_confirm
from trustline.review.choices import Outcome
from trustline.review.models import Decision, Referral
from trustline.review.services import decisions_follow_up
from trustline.review.tests.conftest import INTERNAL_NOTE, T0, VIOLATING, Decide, Submit, case_of, hold

pytestmark = pytest.mark.django_db

SessionApi = Callable[[User], ApiClient]


def actions_of(case: Case) -> list[tuple[str, str]]:
    return list(EnforcementActionRecord.objects.filter(case=case).values_list("action_type", "status"))


def audit_actions(target_id: str) -> list[str]:
    return list(AuditEntry.objects.filter(target_id=target_id).order_by("id").values_list("action", flat=True))


def partner_timeline(api: ApiClient, report_id: Any, kind: str) -> list[dict[str, Any]]:
    response = api.get(f"/reports/{report_id}")
    assert response.status_code == 200, response.content
    return [e for e in response.json()["timeline"] if e["kind"] == kind]


# --------------------------------------------------------------------------------------------
# Violating
# --------------------------------------------------------------------------------------------


def test_a_violating_decision_acts_on_the_platform_tells_the_partner_and_closes_the_case(
    held_case: Case, reviewer_rita: User, decide: Decide, sudan_api: ApiClient, demo_platform: None,
    sudan_partner: Any, admin_omar: User,
):
    webhook_endpoint_create(actor=actor_of(admin_omar), organisation=sudan_partner,
                            url="https://hooks.sudan-monitor.example.org/trustline")

    # In English although the report is in Arabic: the reviewer chose the language (see test_templates.py).
    response = decide(reviewer_rita, held_case, actions=["remove", "suspend_account"], language="en")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "effective"
    assert body["outcome"] == "violating"
    assert body["policy"]["code"] == "incitement_violence"
    assert body["internal_note"] == INTERNAL_NOTE  # staff see it
    assert "violates our Violence and incitement policy" in body["explanation"]
    assert "removed the content and suspended the author's account" in body["explanation"]
    assert sorted((e["action_type"], e["status"]) for e in body["enforcement"]) == [
        ("remove", "done"), ("suspend_account", "done")]
    # The demo platform really acted.
    assert DemoContentState.objects.filter(url=held_case.canonical_url, removed=True).exists()
    assert DemoContentState.objects.filter(account_suspended=True).count() == 1
    # The case is closed once its actions are done; the report follows.
    held_case.refresh_from_db()
    assert (held_case.status, held_case.is_open, held_case.closed_at) == (CaseStatus.CLOSED, False, T0)
    report = Report.objects.get(items__case=held_case)
    assert report.status == "closed"
    # The partner sees outcome, policy, actions, ground and explanation on the timeline, timed.
    [decided] = partner_timeline(sudan_api, report.pk, "decided")
    assert decided["at"].startswith("2026-03-02T09:00")
    assert decided["data"]["outcome"] == "violating"
    assert decided["data"]["policy"] == "incitement_violence"
    assert decided["data"]["actions"] == ["remove", "suspend_account"]
    assert decided["data"]["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert decided["data"]["explanation"] == body["explanation"]
    assert len(partner_timeline(sudan_api, report.pk, "closed")) == 1
    # The partner is told by e-mail and signed webhook, once.
    messages = OutboxMessage.objects.filter(event_type="report.decided", organisation=sudan_partner)
    assert sorted(messages.values_list("channel", flat=True)) == ["email", "webhook"]
    webhook = messages.get(channel="webhook")
    assert webhook.payload["type"] == "report.decided"
    assert webhook.payload["data"]["outcome"] == "violating"
    assert webhook.payload["data"]["reports"][0]["id"] == str(report.pk)
    email = messages.get(channel="email")
    assert email.recipient == "desk@sudan-monitor.example.org"
    assert body["explanation"] in email.body
    # Every step audited.
    decision_audit = audit_actions(body["id"])
    assert decision_audit == ["decision.recorded"]


def test_the_decision_e_mail_is_in_the_partners_language_and_the_webhook_keeps_codes(
    held_case: Case, reviewer_rita: User, decide: Decide, sudan_partner: Any, admin_omar: User, demo_platform: None,
):
    webhook_endpoint_create(actor=actor_of(admin_omar), organisation=sudan_partner,
                            url="https://hooks.sudan-monitor.example.org/trustline")

    response = decide(reviewer_rita, held_case, actions=["remove", "suspend_account"])

    assert response.status_code == 201, response.content
    email = OutboxMessage.objects.get(event_type="report.decided", channel="email")
    # The Sudanese partner covers Arabic: subject, lines and labels are Arabic.
    assert email.subject.startswith("قرار بشأن بلاغكم: ")
    assert email.subject == said_in("ar", "Decision on your report: %(outcome)s",
                                    outcome=said_in("ar", Outcome.VIOLATING.label))
    actions = ", ".join(said_in("ar", a.label) for a in (ActionType.REMOVE, ActionType.SUSPEND_ACCOUNT))
    assert said_in("ar", "Actions: %(actions)s", actions=actions) in email.body
    assert "We decided" not in email.body and "Actions:" not in email.body
    assert response.json()["explanation"] in email.body  # as the reviewer's template wrote it
    # Programs read codes, whatever the language.
    data = OutboxMessage.objects.get(event_type="report.decided", channel="webhook").payload["data"]
    assert (data["outcome"], data["actions"]) == ("violating", ["remove", "suspend_account"])
    assert audit_actions(str(held_case.pk))[-2:] == ["case.decided", "case.closed"]
    assert AuditEntry.objects.filter(action="enforcement.applied", data__case=str(held_case.pk)).count() == 2


def test_a_geo_restriction_carries_its_territorial_scope_to_the_platform(
    held_case: Case, reviewer_rita: User, decide: Decide, demo_platform: None,
):
    response = decide(reviewer_rita, held_case, actions=["geo_restrict"], territorial_scope=["de", "FR"],
                      language="en")

    assert response.status_code == 201, response.content
    assert response.json()["territorial_scope"] == ["DE", "FR"]
    record = EnforcementActionRecord.objects.get(case=held_case)
    assert (record.action_type, record.territorial_scope, record.status) == ("geo_restrict", ["DE", "FR"], "done")
    assert "restricted it in DE, FR" in response.json()["explanation"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"policy": ""}, "policy"),
        ({"policy": "no_such_policy"}, "policy"),
        ({"actions": []}, "actions"),
        ({"actions": ["remove", "no_action"]}, "actions"),
        ({"decision_ground": None}, "decision_ground"),
        ({"incompatible_content_explanation": ""}, "incompatible_content_explanation"),
        ({"actions": ["geo_restrict"]}, "territorial_scope"),
        ({"actions": ["geo_restrict"], "territorial_scope": ["XX"]}, "territorial_scope"),
        ({"territorial_scope": ["DE"]}, "territorial_scope"),
        ({"actions": ["label"]}, "label_text"),
        ({"illegal_content_legal_ground": "StGB §130"}, "illegal_content"),
        ({"question": "Who is this?"}, "question"),
    ],
)
def test_it_refuses_an_incomplete_violating_decision(
    held_case: Case, reviewer_rita: User, decide: Decide, fields: dict[str, Any], field: str,
):
    response = decide(reviewer_rita, held_case, **fields)

    assert_error(response, 422, "invalid", field)
    assert not Decision.objects.filter(case=held_case).exists()


def test_an_illegal_content_ground_is_stored_with_its_dsa_names(
    held_case: Case, reviewer_rita: User, decide: Decide, demo_platform: None,
):
    response = decide(
        reviewer_rita, held_case, decision_ground="DECISION_GROUND_ILLEGAL_CONTENT",
        incompatible_content_ground="", incompatible_content_explanation="",
        illegal_content_legal_ground="Sudan Criminal Act 1991, art. 64",
        illegal_content_explanation="Public incitement to violence against a group of displaced people.",
        automated_detection=True, automated_decision="AUTOMATED_DECISION_PARTIALLY",
    )

    assert response.status_code == 201, response.content
    decision = Decision.objects.get(pk=response.json()["id"])
    assert decision.decision_ground == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert decision.illegal_content_legal_ground == "Sudan Criminal Act 1991, art. 64"
    assert (decision.automated_detection, decision.automated_decision) == (True, "AUTOMATED_DECISION_PARTIALLY")
    assert "الأساس: Sudan Criminal Act 1991, art. 64." in decision.explanation  # Arabic template, ground as cited


def test_a_manual_action_keeps_the_case_open_until_it_is_confirmed(
    held_case: Case, reviewer_rita: User, decide: Decide, manual_platform: None,
):
    response = decide(reviewer_rita, held_case)

    assert response.status_code == 201, response.content
    held_case.refresh_from_db()
    assert (held_case.status, held_case.is_open) == (CaseStatus.DECIDED, True)
    assert actions_of(held_case) == [("remove", "pending_confirmation")]
    assert Report.objects.get(items__case=held_case).status == "decided"

    record = EnforcementActionRecord.objects.get(case=held_case)
    action_confirm(actor=actor_of(reviewer_rita), action_record_id=record.pk, reference="KITE-TKT-88121")
    decisions_follow_up()

    held_case.refresh_from_db()
    assert (held_case.status, held_case.is_open) == (CaseStatus.CLOSED, False)
    assert Report.objects.get(items__case=held_case).status == "closed"


def test_a_report_of_a_decided_open_case_joins_it_and_is_told_by_the_follow_up(
    held_case: Case, reviewer_rita: User, decide: Decide, manual_platform: None, submit: Submit,
    analyst_bilal: User, pakistan_api: ApiClient,
):
    assert decide(reviewer_rita, held_case).status_code == 201
    late = submit(analyst_bilal, items=[{"url": held_case.canonical_url, "kind": "post"}], country="PK")
    assert late.items[0].case_id == held_case.pk
    Organisation.objects.filter(pk=late.report.organisation_id).update(contact_email="desk@pk-watch.example.org")

    assert decisions_follow_up()["told"] == 1

    [decided] = partner_timeline(pakistan_api, late.report.pk, "decided")
    assert decided["data"]["outcome"] == "violating"
    assert OutboxMessage.objects.filter(event_type="report.decided", organisation=late.report.organisation).exists()
    assert decisions_follow_up()["told"] == 0  # told once


# --------------------------------------------------------------------------------------------
# Other outcomes
# --------------------------------------------------------------------------------------------


def test_not_violating_takes_no_action_and_closes_the_case(
    held_case: Case, reviewer_rita: User, decide: Decide, sudan_api: ApiClient,
):
    response = decide(reviewer_rita, held_case, outcome="not_violating", internal_note=INTERNAL_NOTE, language="en")

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "effective"
    assert response.json()["actions"] == []
    assert actions_of(held_case) == []
    held_case.refresh_from_db()
    assert (held_case.status, held_case.is_open) == (CaseStatus.CLOSED, False)
    report = Report.objects.get(items__case=held_case)
    [decided] = partner_timeline(sudan_api, report.pk, "decided")
    assert decided["data"]["outcome"] == "not_violating"
    assert "does not violate our policies" in decided["data"]["explanation"]


def test_not_violating_refuses_actions(held_case: Case, reviewer_rita: User, decide: Decide):
    assert_error(decide(reviewer_rita, held_case, outcome="not_violating", actions=["remove"]), 422, "invalid",
                 "actions")
    assert_error(decide(reviewer_rita, held_case, outcome="not_violating", actions=["no_action"]), 422, "invalid",
                 "actions")


def test_out_of_scope_closes_the_case_with_its_own_explanation(
    held_case: Case, reviewer_rita: User, decide: Decide,
):
    response = decide(reviewer_rita, held_case, outcome="out_of_scope", language="en")

    assert response.status_code == 201, response.content
    assert "falls outside what this programme and our policies cover" in response.json()["explanation"]
    held_case.refresh_from_db()
    assert (held_case.status, held_case.is_open) == (CaseStatus.CLOSED, False)


def test_a_referral_to_policy_review_puts_the_case_in_the_policy_queue(
    held_case: Case, reviewer_rita: User, policy_paula: User, decide: Decide, session_api: SessionApi,
):
    response = decide(reviewer_rita, held_case, outcome="referred_to_policy_review")

    assert response.status_code == 201, response.content
    held_case.refresh_from_db()
    assert (held_case.status, held_case.is_open) == (CaseStatus.DECIDED, True)  # stays open for the policy team
    queue = session_api(policy_paula).get("/review/referrals", {"kind": "policy_review"})
    assert queue.status_code == 200, queue.content
    [referral] = queue.json()["items"]
    assert (referral["case_id"], referral["decision_id"], referral["status"]) == (
        str(held_case.pk), response.json()["id"], "open")
    assert session_api(policy_paula).get("/review/referrals", {"kind": "law_enforcement"}).json()["count"] == 0


def test_a_referral_to_law_enforcement_flags_the_case(held_case: Case, reviewer_rita: User, decide: Decide):
    response = decide(reviewer_rita, held_case, outcome="referred_to_law_enforcement", language="en")

    assert response.status_code == 201, response.content
    referral = Referral.objects.get(case=held_case)
    assert (referral.kind, referral.status) == ("law_enforcement", "open")
    assert "law-enforcement response team" in response.json()["explanation"]


def test_the_reviewer_may_write_the_explanation_instead_of_the_template(
    held_case: Case, reviewer_rita: User, decide: Decide, sudan_api: ApiClient,
):
    text = "We reviewed the post with our Sudan specialists and found no call to violence."
    response = decide(reviewer_rita, held_case, outcome="not_violating", explanation=text)

    assert response.json()["explanation"] == text
    assert response.json()["template_id"] is None


# --------------------------------------------------------------------------------------------
# Who may decide, and when
# --------------------------------------------------------------------------------------------


def test_only_the_reviewer_holding_the_case_may_decide_it(
    sudan_case: Case, reviewer_rita: User, reviewer_rafael: User, decide: Decide,
):
    hold(sudan_case, reviewer_rafael)

    assert_error(decide(reviewer_rita, sudan_case), 403, "case_not_held")
    assert not Decision.objects.exists()


def test_an_expired_lease_no_longer_counts_as_holding(
    sudan_case: Case, reviewer_rita: User, decide: Decide,
):
    hold(sudan_case, reviewer_rita, minutes=-1)

    assert_error(decide(reviewer_rita, sudan_case), 403, "case_not_held")


def test_an_escalation_lead_may_decide_a_case_nobody_holds(
    sudan_case: Case, lead_lena: User, decide: Decide, demo_platform: None,
):
    response = decide(lead_lena, sudan_case)

    assert response.status_code == 201, response.content
    assert response.json()["decided_by"] == "lena"


def test_a_decided_case_cannot_be_decided_again(held_case: Case, reviewer_rita: User, lead_lena: User,
                                                decide: Decide, manual_platform: None):
    assert decide(reviewer_rita, held_case).status_code == 201

    assert_error(decide(lead_lena, held_case, outcome="not_violating"), 409, "case_decided")


# --------------------------------------------------------------------------------------------
# A referred case: the content itself is still undecided
# --------------------------------------------------------------------------------------------


def test_an_escalation_lead_may_decide_the_content_of_a_referred_case_when_imminent_harm_is_reported(
    held_case: Case, reviewer_rita: User, lead_lena: User, analyst_bilal: User, decide: Decide, submit: Submit,
    demo_platform: None, sudan_api: ApiClient, sudan_partner: Organisation,
):
    referral = decide(reviewer_rita, held_case, outcome="referred_to_policy_review")
    assert referral.status_code == 201, referral.content

    with clock.frozen_at(T0 + dt.timedelta(hours=2)):
        # While the policy team works, another partner reports the same post as an imminent threat: it joins the
        # case, and the escalation lead decides the content at once.
        joined = submit(analyst_bilal, items=[{"url": held_case.canonical_url, "kind": "post"}], imminent_harm=True,
                        imminent_harm_reason="The author names a shelter for tonight")
        assert case_of(joined) == held_case
        held_case.refresh_from_db()
        assert held_case.imminent_harm

        response = decide(lead_lena, held_case)

    assert response.status_code == 201, response.content
    assert response.json()["outcome"] == "violating"
    held_case.refresh_from_db()
    assert (held_case.status, held_case.is_open) == (CaseStatus.CLOSED, False)  # removed, so closed
    assert DemoContentState.objects.filter(url=held_case.canonical_url, removed=True).exists()
    first = Decision.objects.get(pk=referral.json()["id"])
    assert (first.status, str(first.superseded_by_id)) == ("superseded", response.json()["id"])
    # The policy team's work goes on: the referral stays in its queue.
    assert Referral.objects.get(case=held_case).status == "open"
    # The first partner sees both: the referral, then the decision on the content.
    report = Report.objects.filter(items__case=held_case, organisation=sudan_partner).get()
    assert [e["data"]["outcome"] for e in partner_timeline(sudan_api, report.pk, "decided")] == [
        "referred_to_policy_review", "violating"]


def test_a_reviewer_cannot_decide_a_referred_case_again(held_case: Case, reviewer_rita: User, decide: Decide):
    assert decide(reviewer_rita, held_case, outcome="referred_to_policy_review").status_code == 201

    assert_error(decide(reviewer_rita, held_case), 409, "case_decided")
    assert Decision.objects.filter(case=held_case).count() == 1


def test_a_referral_cannot_be_followed_by_a_question_to_the_partner(
    held_case: Case, reviewer_rita: User, lead_lena: User, decide: Decide,
):
    assert decide(reviewer_rita, held_case, outcome="referred_to_law_enforcement").status_code == 201

    assert_error(decide(lead_lena, held_case, outcome="needs_more_information",
                        question="Which shelter is named?"), 409, "case_referred")
    assert Decision.objects.filter(case=held_case).count() == 1


# --------------------------------------------------------------------------------------------
# Several cases at once
# --------------------------------------------------------------------------------------------


def test_every_case_of_a_report_can_be_decided_together(
    analyst_amal: User, reviewer_rita: User, submit: Submit, session_api: SessionApi, at_t0: dt.datetime,
    demo_platform: None, sudan_api: ApiClient,
):
    result = submit(analyst_amal, items=[
        {"url": "https://kite.example/posts/5501", "kind": "post"},
        {"url": "https://kite.example/posts/5502", "kind": "post"},
    ])
    first, second = case_of(result, 0), case_of(result, 1)
    hold(first, reviewer_rita)
    response = session_api(reviewer_rita).post("/review/decisions/bulk",
                                               {**VIOLATING, "case_ids": [str(first.pk), str(second.pk)]})

    assert response.status_code == 201, response.content
    assert sorted(d["case_id"] for d in response.json()) == sorted([str(first.pk), str(second.pk)])
    assert Case.objects.filter(pk__in=[first.pk, second.pk], status=CaseStatus.CLOSED).count() == 2
    assert Report.objects.get(pk=result.report.pk).status == "closed"
    assert len(partner_timeline(sudan_api, result.report.pk, "decided")) == 2
    # One notification per organisation and decision.
    assert OutboxMessage.objects.filter(event_type="report.decided", channel="email").count() == 2


def test_a_bulk_decision_needs_one_held_case_and_none_held_by_someone_else(
    analyst_amal: User, reviewer_rita: User, reviewer_rafael: User, submit: Submit, session_api: SessionApi,
    at_t0: dt.datetime,
):
    result = submit(analyst_amal, items=[
        {"url": "https://kite.example/posts/5601", "kind": "post"},
        {"url": "https://kite.example/posts/5602", "kind": "post"},
    ])
    first, second = case_of(result, 0), case_of(result, 1)
    body = {**VIOLATING, "case_ids": [str(first.pk), str(second.pk)]}

    assert_error(session_api(reviewer_rita).post("/review/decisions/bulk", body), 403, "case_not_held")
    hold(first, reviewer_rita)
    hold(second, reviewer_rafael)
    assert_error(session_api(reviewer_rita).post("/review/decisions/bulk", body), 403, "case_not_held")
    assert not Decision.objects.exists()  # all or nothing
    assert TimelineEvent.objects.filter(kind="decided").count() == 0


def test_actions_missing_after_a_crash_are_carried_out_by_the_follow_up(
    held_case: Case, reviewer_rita: User, decide: Decide, demo_platform: None, monkeypatch: pytest.MonkeyPatch,
):
    def platform_unreachable(**kwargs: Any) -> Any:
        raise Conflict("the process died before the platform was asked")

    monkeypatch.setattr("trustline.review.services.action_request", platform_unreachable)
    assert decide(reviewer_rita, held_case).status_code == 201
    assert actions_of(held_case) == []
    held_case.refresh_from_db()
    assert held_case.is_open
    monkeypatch.undo()

    assert decisions_follow_up()["closed"] == 1

    assert actions_of(held_case) == [("remove", "done")]
    held_case.refresh_from_db()
    assert (held_case.status, held_case.is_open) == (CaseStatus.CLOSED, False)
    assert decisions_follow_up()["driven"] == 0
