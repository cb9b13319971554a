"""Contesting a decision (DSA Art. 20): the window, one open contest, the partner's view, access."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.models import User
from trustline.appeals.models import Appeal
from trustline.appeals.services import add_months, appeal_submit
from trustline.appeals.tests.conftest import NOT_VIOLATING, T0, Decide
from trustline.audit.choices import AuditAction
from trustline.audit.models import AuditEntry
from trustline.conftest import ApiClient, actor_of, assert_error
from trustline.core.clock import frozen_at
from trustline.intake.choices import ReportStatus, TimelineKind
from trustline.intake.models import TimelineEvent
from trustline.notifications.models import OutboxMessage
from trustline.review.services import decision_record, decisions_follow_up
from trustline.review.validation import DecisionInput

pytestmark = pytest.mark.django_db

SIX_MONTHS_LATER = dt.datetime(2026, 9, 2, 9, 0, tzinfo=dt.UTC)
QUESTION = DecisionInput(outcome="needs_more_information", question="Which shelter is named?")
REASONS = "The post names the shelter's address; it was shared 4,000 times in a day."


def contest(client: ApiClient, body: dict[str, Any], at: dt.datetime = T0 + dt.timedelta(days=3)) -> Any:
    with frozen_at(at):
        return client.post("/appeals", body)


def test_six_months_are_calendar_months_clamped_to_the_month_end():
    assert add_months(T0, 6) == SIX_MONTHS_LATER
    assert add_months(dt.datetime(2026, 8, 31, tzinfo=dt.UTC), 6) == dt.datetime(2027, 2, 28, tzinfo=dt.UTC)


def test_a_partner_contests_a_decision_on_its_report(sudan_api: ApiClient, decided: Decide):
    case = decided()

    response = contest(sudan_api, {"decision_id": str(case.decision.pk), "reasons": REASONS})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "open"
    assert body["report_id"] == str(case.report.pk)
    assert body["informed_at"].startswith("2026-03-02T09:00")
    assert body["deadline"].startswith("2026-09-02T09:00")
    assert body["staff"] is None
    appeal = Appeal.objects.get(pk=body["id"])
    assert appeal.contested_outcome == "violating" and appeal.about_no_action is False
    assert appeal.human_reviewed is False and appeal.received_at == T0 + dt.timedelta(days=3)
    # The partner sees it on its report, and is told.
    report = sudan_api.get(f"/reports/{case.report.pk}").json()
    assert report["status"] == ReportStatus.APPEALED
    assert [e["data"]["appeal_id"] for e in report["timeline"] if e["kind"] == "appealed"] == [body["id"]]
    told = OutboxMessage.objects.get(event_type="appeal.received")
    assert told.organisation_id == case.report.organisation_id
    assert AuditEntry.objects.filter(action=AuditAction.APPEAL_SUBMITTED, target_id=body["id"]).count() == 1


def test_a_report_with_one_decision_can_be_contested_by_report(sudan_api: ApiClient, decided: Decide):
    case = decided(decision=NOT_VIOLATING)

    response = contest(sudan_api, {"report_id": str(case.report.pk), "reasons": REASONS})

    assert response.status_code == 201, response.content
    assert response.json()["decision_id"] == str(case.decision.pk)
    assert Appeal.objects.get().about_no_action is True


def test_the_last_moment_of_the_six_months_is_inside_the_window(sudan_api: ApiClient, decided: Decide):
    case = decided()

    response = contest(sudan_api, {"decision_id": str(case.decision.pk), "reasons": REASONS}, at=SIX_MONTHS_LATER)

    assert response.status_code == 201, response.content


def test_after_six_months_the_decision_cannot_be_contested(sudan_api: ApiClient, decided: Decide):
    case = decided()

    response = contest(sudan_api, {"decision_id": str(case.decision.pk), "reasons": REASONS},
                       at=SIX_MONTHS_LATER + dt.timedelta(seconds=1))

    body = assert_error(response, 422, "contest_window_closed", "decision_id")
    assert "ended on 2026-09-02 09:00 UTC" in body["message"]
    assert not Appeal.objects.exists()


def test_the_window_starts_when_this_partner_was_told(
    sudan_api: ApiClient, pakistan_api: ApiClient, decided: Decide, analyst_bilal: User,
    report_payload: Callable[..., dict[str, Any]], settings: Any,
):
    """A partner whose report joins a decided case later is told later, and gets its full six months."""
    # Manual enforcement keeps the case open until confirmed, so a new report of the content joins it.
    settings.PLATFORM_CONNECTOR = {"BACKEND": "trustline.platforms.connectors.ManualConnector", "OPTIONS": {}}
    case = decided()
    url = case.report.items.get().url
    later = T0 + dt.timedelta(days=30)
    with frozen_at(later):
        response = pakistan_api.submit(report_payload(items=[{"url": url, "kind": "post"}], country="SD"))
        assert response.status_code == 201
        decisions_follow_up()  # tells partners whose reports joined a decided case

    assert contest(pakistan_api, {"decision_id": str(case.decision.pk), "reasons": REASONS},
                   at=SIX_MONTHS_LATER + dt.timedelta(days=29)).status_code == 201
    assert_error(contest(sudan_api, {"decision_id": str(case.decision.pk), "reasons": REASONS},
                         at=SIX_MONTHS_LATER + dt.timedelta(days=29)), 422, "contest_window_closed")


def test_one_open_contest_per_decision_and_partner(sudan_api: ApiClient, decided: Decide):
    case = decided()
    first = contest(sudan_api, {"decision_id": str(case.decision.pk), "reasons": REASONS}).json()

    assert_error(contest(sudan_api, {"decision_id": str(case.decision.pk), "reasons": "again"}), 409, "appeal_exists")
    # The same reasons again: a retry after a lost reply gets the contest it made, and nothing is recorded twice.
    recorded, outbox = AuditEntry.objects.count(), OutboxMessage.objects.count()
    retried = contest(sudan_api, {"decision_id": str(case.decision.pk), "reasons": REASONS})
    assert retried.status_code == 201 and retried.json()["id"] == first["id"]
    assert (Appeal.objects.count(), AuditEntry.objects.count(), OutboxMessage.objects.count()) == (1, recorded, outbox)

    withdrawn = sudan_api.post(f"/appeals/{first['id']}/withdraw")
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn" and withdrawn.json()["outcome"] == "omitted"
    assert contest(sudan_api, {"decision_id": str(case.decision.pk), "reasons": "with new evidence"}
                   ).status_code == 201


def test_withdrawing_puts_the_report_back_and_shows_on_the_timeline(sudan_api: ApiClient, decided: Decide):
    case = decided()
    appeal = contest(sudan_api, {"decision_id": str(case.decision.pk), "reasons": REASONS}).json()

    sudan_api.post(f"/appeals/{appeal['id']}/withdraw")

    report = sudan_api.get(f"/reports/{case.report.pk}").json()
    assert report["status"] in {ReportStatus.DECIDED, ReportStatus.CLOSED}
    assert [e["data"]["outcome"] for e in report["timeline"] if e["kind"] == TimelineKind.APPEAL_DECIDED] == [
        "omitted"
    ]
    assert_error(sudan_api.post(f"/appeals/{appeal['id']}/withdraw"), 409, "appeal_closed")


def test_only_decisions_on_the_content_can_be_contested(sudan_api: ApiClient, decided: Decide):
    question = decided(decision=QUESTION)

    response = contest(sudan_api, {"decision_id": str(question.decision.pk), "reasons": REASONS})

    assert_error(response, 422, "invalid", "decision_id")


def test_a_superseded_decision_cannot_be_contested(sudan_api: ApiClient, decided: Decide, lead_lena: User):
    question = decided(decision=QUESTION)
    with frozen_at(T0 + dt.timedelta(hours=1)):
        decision_record(actor=actor_of(lead_lena), case_id=question.decision.case_id, data=NOT_VIOLATING)

    response = contest(sudan_api, {"decision_id": str(question.decision.pk), "reasons": REASONS})

    assert response.status_code in {409, 422}
    assert not Appeal.objects.exists()


def test_reasons_are_required(sudan_api: ApiClient, decided: Decide):
    case = decided()

    assert_error(contest(sudan_api, {"decision_id": str(case.decision.pk), "reasons": "   "}), 422, "invalid")
    assert_error(contest(sudan_api, {"reasons": REASONS}), 422, "invalid", "decision_id")


def test_contest_access(api: ApiClient, sudan_api: ApiClient, pakistan_api: ApiClient, decided: Decide,
                        session_api: Callable[[User], ApiClient], reviewer_rita: User, auditor_aziz: User):
    case = decided()
    body = {"decision_id": str(case.decision.pk), "reasons": REASONS}

    assert_error(contest(api, body), 401, "unauthenticated")
    assert_error(contest(pakistan_api, body), 404, "not_found")  # not its report: as if it did not exist
    assert_error(contest(pakistan_api, {"report_id": str(case.report.pk), "reasons": REASONS}), 404, "not_found")
    assert_error(contest(session_api(reviewer_rita), body), 403, "forbidden")  # staff do not contest
    appeal = contest(sudan_api, body).json()

    assert_error(pakistan_api.get(f"/appeals/{appeal['id']}"), 404, "not_found")
    assert_error(pakistan_api.post(f"/appeals/{appeal['id']}/withdraw"), 404, "not_found")
    assert pakistan_api.get("/appeals").json()["items"] == []
    assert [a["id"] for a in sudan_api.get("/appeals").json()["items"]] == [appeal["id"]]
    assert sudan_api.get(f"/appeals/{appeal['id']}").json()["staff"] is None
    # Staff who may read contests see the staff view; partners cannot use the staff operations.
    staff_view = session_api(auditor_aziz).get(f"/appeals/{appeal['id']}").json()["staff"]
    assert staff_view["organisation"] == "sudan-digital-rights-monitor"
    assert staff_view["contested_outcome"] == "violating"
    assert_error(sudan_api.post("/appeals/claim-next"), 403, "forbidden")
    assert_error(sudan_api.post(f"/appeals/{appeal['id']}/decide", {"outcome": "upheld", "explanation": "x"}),
                 403, "forbidden")
    assert_error(session_api(auditor_aziz).post("/appeals/claim-next"), 403, "forbidden")


def test_someone_without_a_membership_cannot_list_contests(session_api: Callable[[User], ApiClient],
                                                           outsider_charlie: User):
    assert_error(session_api(outsider_charlie).get("/appeals"), 401, "unauthenticated")


def test_appeal_submit_refuses_staff_and_audits_nothing(decided: Decide, admin_ada: User):
    case = decided()
    before = AuditEntry.objects.count()

    with pytest.raises(Exception, match="trusted partners"):
        appeal_submit(actor=actor_of(admin_ada), reasons=REASONS, decision_id=case.decision.pk)

    assert AuditEntry.objects.count() == before
    assert not TimelineEvent.objects.filter(kind=TimelineKind.APPEALED).exists()
