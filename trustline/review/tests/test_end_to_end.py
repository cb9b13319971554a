"""The whole loop through the API, with real receivers: from a partner's report to a reversed contest.

Every step is taken the way people take it: the Sudan partner's pipeline
(API key) reports, triage runs as the background job does, reviewers work
through the queue and review APIs in their browser sessions, the demo
platform Kite carries out the enforcement, and the outbox delivers to a real
local SMTP server and a real local HTTP receiver, which verifies each
webhook's Standard Webhooks signature with the ``standardwebhooks`` library.

The clock is frozen near the real time (receivers check signature
timestamps against their own clock) and moved forward step by step.

Personas: Amal's organisation reports through ``sudan_api``; Omar (partner
admin) sets up e-mail and the webhook; Lena (escalation lead) gives the
reviewers their skills; Rita decides; Rafael cross-checks; Rami, who had no
part in the decision, handles the contest; Sami (superuser) switches the
cross-check rule on in the admin site.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from trustline.accounts.choices import Role
from trustline.accounts.models import Organisation, User
from trustline.appeals.choices import AppealOutcome
from trustline.audit.models import AuditEntry
from trustline.conftest import ApiClient, make_person, said_in
from trustline.core import clock
from trustline.notifications.services import outbox_deliver_due
from trustline.notifications.tests.conftest import (  # noqa: F401 - fixtures: real SMTP and webhook receivers
    WebhookReceiver,
    smtp_server,
    webhook_receiver,
)
from trustline.platforms.connectors import ContentRef, get_connector
from trustline.review.choices import Outcome
from trustline.review.models import SecondReviewRule
from trustline.triage.services import triage_pending

pytestmark = pytest.mark.django_db(transaction=False)

SessionApi = Callable[[User], ApiClient]
DESK = "desk@sudan-monitor.example.org"
POST = "https://kite.example/@halfaya.alaan/posts/7312345678"
SKILLS = {"languages": ["ar-SD", "ar", "en"], "countries": ["SD"]}
REMOVE = {
    "outcome": "violating",
    "policy": "incitement_violence",
    "actions": ["remove"],
    "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
    "incompatible_content_ground": "Community Guidelines §4 (violence and incitement)",
    "incompatible_content_explanation": "The post calls for attacks on a named journalist's home.",
    "internal_note": "INTERNAL-E2E: the account is on the Khartoum desk's watch list",
}


class Steps:
    """The frozen clock, moved forward a few minutes per step (near the real time, see the module docstring)."""

    def __init__(self) -> None:
        self.now = clock.now().replace(microsecond=0) + dt.timedelta(seconds=5)

    def next(self, minutes: int = 3) -> Any:
        self.now += dt.timedelta(minutes=minutes)
        return clock.frozen_at(self.now)

    def deliver(self) -> None:
        """The outbox worker's run: send everything due, to the real receivers."""
        self.now += dt.timedelta(seconds=30)
        counts = outbox_deliver_due(now=self.now)
        assert counts.dead == 0 and counts.retrying == 0, counts


@pytest.fixture
def steps() -> Steps:
    return Steps()


@pytest.fixture
def demo_platform(settings: Any) -> Iterator[None]:
    settings.PLATFORM_CONNECTOR = {"BACKEND": "trustline.platforms.connectors.DemoPlatformConnector", "OPTIONS": {}}
    settings.OUTBOX_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # the receiver listens on 127.0.0.1
    yield


@pytest.fixture
def reviewer_rafael(kite: Organisation) -> User:
    return make_person(kite, "rafael", "Rafael Second-Reviewer", Role.REVIEWER)


@pytest.fixture
def reviewer_rami(kite: Organisation) -> User:
    return make_person(kite, "rami", "Rami Contest-Reviewer", Role.REVIEWER)


@pytest.fixture
def superuser_sami(db: None) -> User:
    return User.objects.create_superuser(username="sami", email="sami@kite.example", password="not-used-here")


def put(api: ApiClient, path: str, body: dict[str, Any]) -> Any:
    return api.client.put(f"/api/v1{path}", data=json.dumps(body), content_type="application/json")


def kite_online() -> bool | None:
    return get_connector().describe(ContentRef(url=POST, kind="post")).online


def timeline(api: ApiClient, report_id: str) -> list[dict[str, Any]]:
    response = api.get(f"/reports/{report_id}")
    assert response.status_code == 200, response.content
    events: list[dict[str, Any]] = response.json()["timeline"]
    return events


def webhooks(receiver: WebhookReceiver, event_type: str) -> list[dict[str, Any]]:
    with receiver.lock:
        return [r.payload for r in receiver.received if r.path == "/trustline" and r.payload["type"] == event_type]


def mails(smtp: Any, needle: str) -> list[Any]:
    return [m for m in smtp.messages if needle in str(m["Subject"])]


def is_subsequence(expected: list[str], actual: list[str]) -> bool:
    remaining = iter(actual)
    return all(any(step == seen for seen in remaining) for step in expected)


def test_report_to_reversed_contest_through_the_api(
    steps: Steps, demo_platform: None, smtp_server: Any, webhook_receiver: WebhookReceiver,  # noqa: F811
    sudan_api: ApiClient, admin_omar: User, lead_lena: User, reviewer_rita: User, reviewer_rafael: User,
    reviewer_rami: User, superuser_sami: User, analyst_amal: User, session_api: SessionApi,
    report_payload: Callable[..., dict[str, Any]], django_capture_on_commit_callbacks: Any,
) -> None:
    receiver = webhook_receiver
    first_audit = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0

    # 0. Set-up, as the people responsible do it.
    with steps.next():
        admin = Client()
        admin.force_login(superuser_sami)
        rule = SecondReviewRule.objects.get(kind="protected_target")
        changed = admin.post(f"/admin/review/secondreviewrule/{rule.pk}/change/", {
            "kind": "protected_target", "is_active": "on", "targets": '["journalist", "human_rights_defender"]',
            "tiers": "[]", "outcomes": "[]", "_save": "Save",
        })
        assert changed.status_code == 302, changed.content.decode()[:2000]
        rule.refresh_from_db()
        assert rule.is_active and rule.targets == ["journalist", "human_rights_defender"]
        lena = session_api(lead_lena)
        for person in (reviewer_rita, reviewer_rafael, reviewer_rami):
            assert put(lena, f"/queue/reviewers/{person.pk}", SKILLS).status_code == 200
        omar = session_api(admin_omar)
        assert put(omar, "/notifications/settings", {"email_recipients": [DESK]}).status_code == 200
        endpoint = omar.post("/notifications/webhooks", {"url": receiver.url("/trustline"), "event_types": []})
        assert endpoint.status_code == 201, endpoint.content
        receiver.secrets["/trustline"] = endpoint.json()["secret"]

    # 1. The partner reports a post that threatens a journalist.
    with steps.next():
        submitted = sudan_api.submit(report_payload(items=[{"url": POST, "kind": "post"}], targets=["journalist"]))
    assert submitted.status_code == 201, submitted.content
    report_id = submitted.json()["id"]

    # 2. Triage runs (the background job's service).
    with steps.next():
        assert triage_pending().triaged == 1
    triaged = [e for e in timeline(sudan_api, report_id) if e["kind"] == "triaged"]
    assert len(triaged) == 1 and triaged[0]["data"]["tier"] == 2

    # 3. Rita claims the next case: this one, routed by language.
    rita = session_api(reviewer_rita)
    with steps.next():
        claimed = rita.post("/queue/claim-next")
    assert claimed.status_code == 200, claimed.content
    case_id = claimed.json()["case"]["id"]
    assert claimed.json()["case"]["routing_pool"] == "exact"  # an Arabic case, a reviewer who reads it

    # 4. She finds it violating and asks for the removal: a journalist is named, so it waits for a second look.
    with steps.next():
        decided = rita.post(f"/review/cases/{case_id}/decisions", REMOVE)
    assert decided.status_code == 201, decided.content
    decision = decided.json()
    assert decision["status"] == "pending_second_review"
    assert [r["rule"] for r in decision["second_review_reasons"]] == ["protected_target"]
    assert "decided" not in [e["kind"] for e in timeline(sudan_api, report_id)]
    assert kite_online() is True
    assert rita.post(f"/review/decisions/{decision['id']}/confirm", {}).status_code == 403  # not her own

    # 5. Rafael cross-checks and confirms: the decision takes effect and Kite removes the post.
    rafael = session_api(reviewer_rafael)
    with steps.next():
        waiting = rafael.get("/review/second-review").json()
        assert [d["id"] for d in waiting["items"]] == [decision["id"]]
        confirmed = rafael.post(f"/review/decisions/{decision['id']}/confirm", {"note": "Clear threat."})
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "effective"
    assert [(a["action_type"], a["status"]) for a in confirmed.json()["enforcement"]] == [("remove", "done")]
    assert kite_online() is False

    # 6. The partner is told: a signed webhook and an e-mail, and the outcome on the report's timeline.
    steps.deliver()
    assert receiver.rejected == []
    [told] = webhooks(receiver, "report.decided")
    assert (told["data"]["outcome"], told["data"]["actions"]) == ("violating", ["remove"])
    assert told["data"]["decision_id"] == decision["id"]
    # In Arabic: the Sudanese partner covers it and has not chosen another language for its e-mails.
    [mail] = mails(smtp_server, said_in("ar", "Decision on your report: %(outcome)s",
                                        outcome=said_in("ar", Outcome.VIOLATING.label)))
    assert mail["To"] == DESK and report_id in mail.get_content()
    kinds = [e["kind"] for e in timeline(sudan_api, report_id)]
    assert kinds == ["received", "triaged", "in_review", "decided", "closed"]
    shown = next(e for e in timeline(sudan_api, report_id) if e["kind"] == "decided")["data"]
    assert (shown["outcome"], shown["policy"], shown["actions"]) == ("violating", "incitement_violence", ["remove"])
    assert "INTERNAL-E2E" not in str(timeline(sudan_api, report_id)) + str(told) + mail.get_content()

    # 7. The partner contests the decision.
    with steps.next(60):
        contest = sudan_api.post("/appeals", {"decision_id": decision["id"],
                                              "reasons": "The post quotes the threat to condemn it."})
    assert contest.status_code == 201, contest.content
    appeal_id = contest.json()["id"]

    # 8. Neither Rita (who decided) nor Rafael (who cross-checked) may take it; Rami does.
    with steps.next():
        assert rita.post("/appeals/claim-next").status_code == 204
        assert rafael.post("/appeals/claim-next").status_code == 204
        rami = session_api(reviewer_rami)
        taken = rami.post("/appeals/claim-next")
    assert taken.status_code == 200 and taken.json()["id"] == appeal_id

    # 9. Rami reverses it: not violating. The post is reinstated on Kite.
    with steps.next(20), django_capture_on_commit_callbacks(execute=True):  # the request's commit runs them
        reversed_ = rami.post(f"/appeals/{appeal_id}/decide", {
            "outcome": "reversed",
            "explanation": "Read in full, the post condemns the threat it quotes.",
            "new_decision": {"outcome": "not_violating", "explanation": "The post condemns the threat it quotes."},
        })
    assert reversed_.status_code == 200, reversed_.content
    new_decision_id = reversed_.json()["new_decision_id"]
    assert kite_online() is True
    actions = lena.get(f"/platforms/cases/{case_id}/actions").json()
    assert [(a["action_type"], a["status"]) for a in actions] == [("remove", "done"), ("reinstate", "done")]

    # 10. The partner is told again: webhook, e-mail and timeline.
    steps.deliver()
    assert receiver.rejected == []
    assert [p["data"]["appeal_id"] for p in webhooks(receiver, "appeal.received")] == [appeal_id]
    [outcome] = webhooks(receiver, "appeal.decided")
    assert outcome["data"]["outcome"] == "reversed"
    assert outcome["data"]["new_decision"]["outcome"] == "not_violating"
    assert [p["data"]["outcome"] for p in webhooks(receiver, "report.decided")] == ["violating", "not_violating"]
    assert mails(smtp_server, said_in("ar", "Your contest was decided: %(outcome)s",
                                      outcome=said_in("ar", AppealOutcome.REVERSED.label)))
    assert mails(smtp_server, said_in("ar", "Decision on your report: %(outcome)s",
                                      outcome=said_in("ar", Outcome.NOT_VIOLATING.label)))
    events = timeline(sudan_api, report_id)
    kinds = [e["kind"] for e in events]
    assert kinds[:5] == ["received", "triaged", "in_review", "decided", "closed"]
    assert is_subsequence(["appealed", "decided", "appeal_decided"], kinds[5:]), kinds
    latest = [e for e in events if e["kind"] == "decided"][-1]["data"]
    assert (latest["decision_id"], latest["outcome"]) == (new_decision_id, "not_violating")
    # Every webhook was signed and verified; every message went once.
    assert len(receiver.ids()) == len(set(receiver.ids())) == 4

    # 11. Every step is in the audit log, in order, and the chain verifies.
    trail = list(AuditEntry.objects.filter(id__gt=first_audit).order_by("id").values_list("action", flat=True))
    assert trail == [
        "second_review_rule.changed",  # 0. set-up
        "reviewer.skills_changed", "reviewer.skills_changed", "reviewer.skills_changed",
        "notification_settings.changed", "webhook.created",
        "case.opened", "report.submitted",  # 1. the report
        "case.triaged", "case.routed",  # 2. triage
        "case.claimed",  # 3. Rita's claim
        "decision.recorded",  # 4. waiting for a second reviewer
        "decision.confirmed", "case.decided", "enforcement.requested", "enforcement.applied", "case.closed",  # 5.
        "appeal.submitted",  # 7. the contest
        "appeal.claimed",  # 8. Rami
        "decision.recorded", "case.decided", "appeal.decided",  # 9. the reversal
        "enforcement.requested", "enforcement.applied",  # ... and the reinstatement on Kite
    ], "\n".join(trail)
    reinstated = AuditEntry.objects.filter(action="enforcement.requested").order_by("id").last()
    assert reinstated is not None and reinstated.data["action_type"] == "reinstate"
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "Audit chain intact" in out.getvalue()
