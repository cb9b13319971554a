"""Content snapshots: what the platform said about reported content, kept when it changes or disappears.

Story: on 2 March 2026 at 09:00 UTC Amal (Sudan partner) reports a Kite post
threatening four volunteers (tier 1). Triage plans a snapshot; the sweeper
asks the demo platform, stores its answer with a hash and gives triage the
post's reach. Rita removes the post; six hours later the next snapshot shows
it offline, and the first one still holds what it said.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of, assert_error, kite_url
from trustline.core import clock
from trustline.intake.choices import Channel
from trustline.intake.schemas import ReportIn
from trustline.intake.services import report_submit
from trustline.lawenforcement.holds import hold_create
from trustline.metrics.tests.conftest import NOT_VIOLATING, utc
from trustline.platforms.connectors import ContentDescription, ContentRef, DemoPlatformConnector, Reach
from trustline.platforms.models import ContentSnapshot
from trustline.platforms.services import action_request
from trustline.platforms.snapshots import payload_sha256, snapshot_retention_sweep, snapshot_sweep
from trustline.platforms.tasks import content_snapshots
from trustline.platforms.tests.conftest import (
    DEMO_BACKEND,
    HALFAYA_ACCOUNT,
    HALFAYA_POST,
    HALFAYA_POST_SHARED,
    MANUAL_BACKEND,
    WEBHOOK_BACKEND,
    action_for,
    closed_port_url,
)
from trustline.review.services import decision_record
from trustline.triage.priority import reach_points
from trustline.triage.services import triage_pending

pytestmark = pytest.mark.django_db

T0 = utc(3, 2, 9)
SessionApi = Callable[[User], ApiClient]


@pytest.fixture
def report_case(analyst_amal: User, report_payload: Callable[..., dict[str, Any]]) -> Callable[..., Case]:
    """``report_case(url, category)``: Amal reports at T0 and triage runs, as the 5-second job would."""

    def make(url: str = HALFAYA_POST_SHARED, category: str = "threat_to_life", at: dt.datetime = T0) -> Case:
        with clock.frozen_at(at):
            data = ReportIn(**report_payload(items=[{"url": url, "kind": "post"}], category=category))
            item = report_submit(actor=actor_of(analyst_amal), data=data, channel=Channel.API).items[0]
            triage_pending()
        return Case.objects.get(pk=item.case_id)

    return make


def sweep(at: dt.datetime) -> dict[str, int]:
    with clock.frozen_at(at):
        result = snapshot_sweep(now=at)
    return {"taken": result.taken, "unanswered": result.unanswered, "dropped": result.dropped,
            "cleared": result.cleared}


def snapshots(case: Case) -> list[ContentSnapshot]:
    return list(ContentSnapshot.objects.filter(case=case).order_by("taken_at", "id"))


# --------------------------------------------------------------------------------------------
# The sweeper
# --------------------------------------------------------------------------------------------


def test_triage_plans_a_snapshot_that_preserves_the_post_and_feeds_its_reach_to_the_priority(
    use_connector: Callable[..., None], report_case: Callable[..., Case],
):
    use_connector(DEMO_BACKEND)
    case = report_case()
    assert case.snapshot_due_at == T0 and case.reach is None
    priority_before = case.priority

    assert sweep(T0 + dt.timedelta(seconds=5)) == {"taken": 1, "unanswered": 0, "dropped": 0, "cleared": 0}

    [snapshot] = snapshots(case)
    with clock.frozen_at(T0 + dt.timedelta(seconds=5)):  # the demo's view counts grow by the hour
        live = DemoPlatformConnector().describe(ContentRef(url=HALFAYA_POST, kind="post"))
    assert (snapshot.trigger, snapshot.available, snapshot.online, snapshot.source) == ("triage", True, True, "demo")
    assert snapshot.payload["author"]["handle"] == "halfaya.alaan" and snapshot.payload["text"] == live.text
    assert snapshot.views == live.reach.views and snapshot.views
    assert snapshot.sha256 == payload_sha256(snapshot.payload)  # anyone can check a copy against the hash
    case.refresh_from_db()
    assert case.reach == snapshot.views
    assert case.priority_components["reach"] > 0 and case.priority > priority_before
    assert case.snapshot_due_at == T0 + dt.timedelta(seconds=5, hours=6)  # tier 1: looked at again
    taken = AuditEntry.objects.get(action="content.snapshot_taken")
    assert taken.target_id == str(snapshot.pk) and taken.data["sha256"] == snapshot.sha256
    assert AuditEntry.objects.filter(action="case.reprioritised", target_id=str(case.pk)).exists()


def test_the_five_second_job_takes_due_snapshots(use_connector: Callable[..., None],
                                                 report_case: Callable[..., Case]):
    use_connector(DEMO_BACKEND)
    case = report_case(at=clock.now())

    assert content_snapshots.call() == {"taken": 1, "unanswered": 0, "dropped": 0, "cleared": 0}

    assert len(snapshots(case)) == 1


def test_a_removed_post_is_still_there_in_the_first_snapshot(
    use_connector: Callable[..., None], report_case: Callable[..., Case], reviewer_rita: User,
):
    use_connector(DEMO_BACKEND)
    case = report_case()
    sweep(T0 + dt.timedelta(seconds=5))
    with clock.frozen_at(T0 + dt.timedelta(hours=1)):
        action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case))

    assert sweep(T0 + dt.timedelta(hours=5))["taken"] == 0  # not due yet
    assert sweep(T0 + dt.timedelta(hours=6, seconds=5))["taken"] == 1

    first, second = snapshots(case)
    assert (second.trigger, second.online, second.payload["restrictions"]) == ("refresh", False, ["removed"])
    assert (first.online, first.payload["restrictions"]) == (True, [])
    assert first.payload["text"]  # what the post said before it was removed


def test_a_look_that_finds_the_same_content_stores_no_copy_and_says_until_when_it_was_unchanged(
    use_connector: Callable[..., None], report_case: Callable[..., Case], session_api: SessionApi,
    reviewer_rita: User,
):
    use_connector(DEMO_BACKEND)
    case = report_case(url=HALFAYA_ACCOUNT)  # an account: its bio and followers, no view count that grows
    sweep(T0)
    later = T0 + dt.timedelta(hours=6)

    assert sweep(later)["taken"] == 1

    [snapshot] = snapshots(case)
    assert (snapshot.taken_at, snapshot.unchanged_until) == (T0, later)
    assert snapshot.sha256 == payload_sha256(snapshot.payload)  # the stored copy and its hash are untouched
    case.refresh_from_db()
    assert case.snapshot_due_at == later + dt.timedelta(hours=6)
    assert AuditEntry.objects.filter(action="content.snapshot_taken").count() == 2
    [listed] = session_api(reviewer_rita).get(f"/platforms/cases/{case.pk}/snapshots").json()
    assert listed["unchanged_until"] == later.isoformat().replace("+00:00", "Z")


def test_the_priority_is_recomputed_when_the_reach_moves_its_points_not_at_every_look(
    use_connector: Callable[..., None], report_case: Callable[..., Case], monkeypatch: pytest.MonkeyPatch,
):
    use_connector(DEMO_BACKEND)
    counts = iter([10_000, 10_300, 50_000])
    describe = DemoPlatformConnector.describe

    def counted(self: DemoPlatformConnector, item: ContentRef) -> ContentDescription:
        return dataclasses.replace(describe(self, item), reach=Reach(views=next(counts), shares=None))

    monkeypatch.setattr(DemoPlatformConnector, "describe", counted)
    case = report_case()

    def reprioritised() -> int:
        return AuditEntry.objects.filter(action="case.reprioritised", target_id=str(case.pk)).count()

    sweep(T0 + dt.timedelta(seconds=5))
    assert reprioritised() == 1  # unknown to 10,000 views
    sweep(T0 + dt.timedelta(hours=6, seconds=5))
    case.refresh_from_db()
    assert (case.reach, reprioritised()) == (10_300, 1)  # +3 %: the reach is kept, the priority would not move
    sweep(T0 + dt.timedelta(hours=12, seconds=5))
    case.refresh_from_db()
    assert (case.reach, reprioritised()) == (50_000, 2)
    assert case.priority_components["reach"] == reach_points(50_000)


def test_a_tier_3_case_is_preserved_once_and_not_asked_about_again(
    use_connector: Callable[..., None], report_case: Callable[..., Case],
):
    use_connector(DEMO_BACKEND)
    case = report_case(url=kite_url(), category="misinformation")
    assert case.tier == 3

    assert sweep(T0 + dt.timedelta(seconds=5))["taken"] == 1

    case.refresh_from_db()
    assert case.snapshot_due_at is None


def test_an_item_reported_by_platform_id_is_asked_about_by_that_id(
    use_connector: Callable[..., None], analyst_amal: User, report_payload: Callable[..., dict[str, Any]],
):
    use_connector(DEMO_BACKEND)
    with clock.frozen_at(T0):
        data = ReportIn(**report_payload(items=[{"platform_id": "msg-88123", "kind": "message"}]))
        case_id = report_submit(actor=actor_of(analyst_amal), data=data, channel=Channel.API).items[0].case_id
        triage_pending()

    assert sweep(T0)["taken"] == 1

    [snapshot] = snapshots(Case.objects.get(pk=case_id))
    assert snapshot.payload["item"] == {"url": "", "platform_id": "msg-88123", "kind": "message"}
    assert snapshot.available and snapshot.views is None  # a private message has no audience to count
    assert Case.objects.get(pk=case_id).reach is None


def test_an_unanswered_platform_is_asked_again_after_1_5_30_and_120_minutes_then_at_the_refresh(
    use_connector: Callable[..., None], report_case: Callable[..., Case],
):
    use_connector(WEBHOOK_BACKEND, URL=closed_port_url("/enforcement"), SECRET="whsec_" + "A" * 32,
                  DESCRIBE_URL=closed_port_url(), DESCRIBE_TIMEOUT_SECONDS=1)
    case = report_case()
    at = T0
    waits = []
    for _ in range(5):
        assert sweep(at)["unanswered"] == 1
        case.refresh_from_db()
        assert case.snapshot_due_at is not None
        waits.append(case.snapshot_due_at - at)
        at = case.snapshot_due_at

    assert waits == [dt.timedelta(minutes=m) for m in (1, 5, 30, 120, 360)]
    recorded = snapshots(case)
    assert [s.trigger for s in recorded] == ["triage", "retry", "retry", "retry", "retry"]
    assert all(not s.available and s.error and s.views is None for s in recorded)
    case.refresh_from_db()
    assert case.reach is None


def test_a_connector_that_raises_is_recorded_as_not_answering(
    use_connector: Callable[..., None], report_case: Callable[..., Case], monkeypatch: pytest.MonkeyPatch,
):
    use_connector(DEMO_BACKEND)
    case = report_case()

    def broken(self: DemoPlatformConnector, item: ContentRef) -> ContentDescription:
        raise RuntimeError("boom")

    monkeypatch.setattr(DemoPlatformConnector, "describe", broken)
    assert sweep(T0)["unanswered"] == 1

    [snapshot] = snapshots(case)
    assert snapshot.error == "the connector failed: RuntimeError"
    case.refresh_from_db()
    assert case.snapshot_due_at == T0 + dt.timedelta(minutes=1)


def test_with_the_manual_connector_nothing_is_asked_and_the_plans_are_cleared(
    use_connector: Callable[..., None], report_case: Callable[..., Case],
):
    use_connector(MANUAL_BACKEND)
    case = report_case()

    assert sweep(T0)["cleared"] == 1

    case.refresh_from_db()
    assert case.snapshot_due_at is None and not snapshots(case)


def test_a_case_closed_before_its_snapshot_gets_none(
    use_connector: Callable[..., None], report_case: Callable[..., Case], lead_lena: User,
):
    use_connector(DEMO_BACKEND)
    case = report_case(url=kite_url(), category="misinformation")
    with clock.frozen_at(T0):
        decision_record(actor=actor_of(lead_lena), case_id=case.pk, data=NOT_VIOLATING)
    assert not Case.objects.get(pk=case.pk).is_open

    assert sweep(T0 + dt.timedelta(seconds=5))["dropped"] == 1

    case.refresh_from_db()
    assert case.snapshot_due_at is None and not snapshots(case)


class _SlowWorkerConnector(DemoPlatformConnector):
    """Answers after another worker took the case over (its lease ran out while the platform was slow)."""

    def describe(self, item: ContentRef) -> ContentDescription:
        Case.objects.filter(canonical_url=HALFAYA_POST).update(snapshot_due_at=utc(3, 2, 12))
        return super().describe(item)


def test_an_answer_that_comes_after_another_worker_took_over_is_dropped(
    use_connector: Callable[..., None], report_case: Callable[..., Case],
):
    use_connector(f"{__name__}._SlowWorkerConnector")
    case = report_case()

    assert sweep(T0)["dropped"] == 1

    case.refresh_from_db()
    assert not snapshots(case) and case.snapshot_due_at == utc(3, 2, 12)  # the other worker's plan stands


def test_a_second_sweeper_does_not_ask_about_a_case_being_asked_about(
    use_connector: Callable[..., None], report_case: Callable[..., Case], monkeypatch: pytest.MonkeyPatch,
):
    use_connector(DEMO_BACKEND)
    case = report_case()
    inner: list[dict[str, int]] = []
    original = DemoPlatformConnector.describe

    def describe_while_another_sweeps(self: DemoPlatformConnector, item: ContentRef) -> ContentDescription:
        if not inner:
            inner.append(sweep(T0 + dt.timedelta(seconds=30)))  # the next run, while this one waits on the platform
        return original(self, item)

    monkeypatch.setattr(DemoPlatformConnector, "describe", describe_while_another_sweeps)
    assert sweep(T0)["taken"] == 1

    assert inner == [{"taken": 0, "unanswered": 0, "dropped": 0, "cleared": 0}]
    assert len(snapshots(case)) == 1


# --------------------------------------------------------------------------------------------
# GET and POST /platforms/cases/{id}/snapshots
# --------------------------------------------------------------------------------------------


def test_who_reads_snapshots_and_what_they_see(
    use_connector: Callable[..., None], report_case: Callable[..., Case], api: ApiClient, sudan_api: ApiClient,
    session_api: SessionApi, reviewer_rita: User, auditor_aziz: User, analyst_amal: User,
):
    use_connector(DEMO_BACKEND)
    case = report_case()
    sweep(T0)
    path = f"/platforms/cases/{case.pk}/snapshots"

    assert api.get(path).status_code == 401
    assert_error(sudan_api.get(path), 404, "not_found")  # the reporting partner: staff's working object
    assert_error(session_api(analyst_amal).get(path), 404, "not_found")
    assert_error(session_api(reviewer_rita).get("/platforms/cases/0199a1b2-0000-7000-8000-000000000000/snapshots"),
                 404, "not_found")
    reviewer = session_api(reviewer_rita).get(path)
    auditor = session_api(auditor_aziz).get(path)

    assert reviewer.status_code == 200 and auditor.status_code == 200
    [seen] = reviewer.json()
    assert seen["trigger"] == "triage" and seen["description"]["author"]["handle"] == "halfaya.alaan"
    assert seen["description"]["item"]["url"] == HALFAYA_POST
    [figures] = auditor.json()
    assert figures["description"] is None  # auditors see when and how far, not what it said
    assert (figures["views"], figures["sha256"]) == (seen["views"], seen["sha256"])


def test_a_reviewer_preserves_the_post_now_and_others_may_not(
    use_connector: Callable[..., None], report_case: Callable[..., Case], api: ApiClient, sudan_api: ApiClient,
    session_api: SessionApi, reviewer_rita: User, auditor_aziz: User,
):
    use_connector(DEMO_BACKEND)
    case = report_case()
    path = f"/platforms/cases/{case.pk}/snapshots"

    assert api.post(path).status_code == 401
    assert_error(sudan_api.post(path), 404, "not_found")
    assert_error(session_api(auditor_aziz).post(path), 403, "forbidden")
    assert not snapshots(case)
    answer = session_api(reviewer_rita).post(path)

    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["trigger"] == "reviewer" and body["requested_by"] == f"user:{reviewer_rita.pk}"
    assert body["description"]["online"] is True
    case.refresh_from_db()
    assert case.snapshot_due_at == T0  # the planned snapshot still comes
    assert AuditEntry.objects.filter(action="content.snapshot_taken", actor=f"user:{reviewer_rita.pk}").exists()


def test_without_a_platform_connection_a_reviewer_is_told_to_save_a_screenshot(
    use_connector: Callable[..., None], report_case: Callable[..., Case], session_api: SessionApi,
    reviewer_rita: User,
):
    use_connector(MANUAL_BACKEND)
    case = report_case()

    body = assert_error(session_api(reviewer_rita).post(f"/platforms/cases/{case.pk}/snapshots"), 409,
                        "snapshot_unavailable")

    assert "screenshot" in body["message"] and not snapshots(case)


# --------------------------------------------------------------------------------------------
# Retention
# --------------------------------------------------------------------------------------------


def test_a_snapshot_is_emptied_a_year_after_its_case_closed_unless_held(
    use_connector: Callable[..., None], report_case: Callable[..., Case], lead_lena: User,
    session_api: SessionApi, reviewer_rita: User,
):
    use_connector(DEMO_BACKEND)
    kept, held = (report_case(url=kite_url(), category="misinformation") for _ in range(2))
    sweep(T0)
    closed = T0 + dt.timedelta(hours=1)
    with clock.frozen_at(closed):
        for case in (kept, held):
            decision_record(actor=actor_of(lead_lena), case_id=case.pk, data=NOT_VIOLATING)
    due = closed + dt.timedelta(days=365)
    with clock.frozen_at(due - dt.timedelta(days=10)):
        hold = hold_create(actor=SYSTEM, subject_kind="case", subject_value=str(held.pk),
                           note="Preservation asked by Khartoum State Police")

    with clock.frozen_at(due - dt.timedelta(minutes=1)):
        assert snapshot_retention_sweep(now=due - dt.timedelta(minutes=1)) == {"purged": 0, "kept": 2}
    with clock.frozen_at(due):
        assert snapshot_retention_sweep(now=due) == {"purged": 1, "kept": 1}

    [gone], [still] = snapshots(kept), snapshots(held)
    assert gone.payload == {} and gone.purged_at == due
    assert gone.views and gone.sha256  # how far it reached, and the hash, stay
    assert still.payload["text"] and still.retention_check_at == hold.expires_at
    assert AuditEntry.objects.get(action="content.snapshot_purged").data["sha256"] == gone.sha256
    [listed] = session_api(reviewer_rita).get(f"/platforms/cases/{kept.pk}/snapshots").json()
    assert listed["description"] is None and listed["purged_at"] is not None


def test_the_retention_command_empties_due_snapshots_too(
    use_connector: Callable[..., None], report_case: Callable[..., Case], lead_lena: User, settings: Any,
):
    use_connector(DEMO_BACKEND)
    case = report_case(url=kite_url(), category="misinformation")
    sweep(T0)
    with clock.frozen_at(T0 + dt.timedelta(hours=1)):
        decision_record(actor=actor_of(lead_lena), case_id=case.pk, data=NOT_VIOLATING)
    settings.TRUSTLINE = {**settings.TRUSTLINE, "EVIDENCE_RETENTION_DAYS": 30}
    out = io.StringIO()

    with clock.frozen_at(T0 + dt.timedelta(days=31)):
        call_command("evidence_retention", "--recheck", stdout=out)

    assert "1 content snapshots made due" in out.getvalue()
    assert "Content snapshots: 1 emptied, 0 kept" in out.getvalue()
    assert snapshots(case)[0].payload == {}
