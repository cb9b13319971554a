"""Failed (or half-done) enforcement actions are retried with backoff, by the sweeper or by hand.

``FlakyPlatform`` is the demo platform Kite behind a connection that fails
the first ``failures`` calls: it records the key of every call, so a test
sees the platform asked again with the same key and acting once.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import pytest
from django.db import connection

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of, assert_error
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound, PermissionDenied
from trustline.notifications.models import OutboxMessage
from trustline.platforms.choices import ActionStatus
from trustline.platforms.connectors import (
    ActionOutcome,
    ContentRef,
    DemoPlatformConnector,
    EnforcementAction,
    get_connector,
)
from trustline.platforms.models import DemoContentState, EnforcementActionRecord
from trustline.platforms.services import action_request, action_retry, action_retry_sweep
from trustline.platforms.tasks import enforcement_retry_sweep
from trustline.platforms.tests.conftest import HALFAYA_POST, action_for

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
FLAKY_BACKEND = "trustline.platforms.tests.test_retry.FlakyPlatform"


class FlakyPlatform(DemoPlatformConnector):
    """Kite, unreachable for the first ``failures`` calls (a connection error the service catches)."""

    failures: ClassVar[int] = 0
    delay: ClassVar[float] = 0.0
    calls: ClassVar[list[str]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def apply(self, action: EnforcementAction) -> ActionOutcome:
        with FlakyPlatform.lock:
            FlakyPlatform.calls.append(action.idempotency_key)
            down = FlakyPlatform.failures > 0
            FlakyPlatform.failures -= 1
        time.sleep(FlakyPlatform.delay)
        if down:
            raise ConnectionError("kite.example: connection refused")
        return super().apply(action)


@pytest.fixture
def flaky(use_connector: Callable[..., None]) -> Iterator[type[FlakyPlatform]]:
    use_connector(FLAKY_BACKEND)
    FlakyPlatform.failures, FlakyPlatform.delay, FlakyPlatform.calls = 0, 0.0, []
    yield FlakyPlatform
    FlakyPlatform.failures, FlakyPlatform.delay, FlakyPlatform.calls = 0, 0.0, []


def audit_trail(record: EnforcementActionRecord) -> list[tuple[str, Any]]:
    return [
        (action, data.get("attempt"))
        for action, data in AuditEntry.objects.filter(
            target_type="platforms.enforcementactionrecord", target_id=str(record.pk)
        ).order_by("id").values_list("action", "data")
    ]


def sweep(at: dt.datetime) -> dict[str, object]:
    """One run of the periodic job, as the worker runs it, at ``at``."""
    with clock.frozen_at(at):
        return enforcement_retry_sweep.call()


def kite_history() -> list[dict[str, Any]]:
    return list(DemoContentState.objects.get(url=HALFAYA_POST).history)


def online() -> bool | None:
    return get_connector().describe(ContentRef(url=HALFAYA_POST, kind="post")).online


# --------------------------------------------------------------------------------------------
# The sweeper
# --------------------------------------------------------------------------------------------


def test_a_failing_platform_is_retried_at_the_backoff_times_and_acts_once(
    flaky: type[FlakyPlatform], case: Case, reviewer_rita: User
):
    flaky.failures = 2
    with clock.frozen_at(T0):
        record = action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case, key="d:retry"))
    assert (record.status, record.attempts, record.next_attempt_at) == ("failed", 1, T0 + MINUTE)
    assert "connection refused" in record.result_message

    assert sweep(T0 + MINUTE - dt.timedelta(seconds=1))["claimed"] == 0  # not yet due
    assert sweep(T0 + MINUTE) == {"claimed": 1, "outcomes": {"failed": 1}, "errors": 0}
    record.refresh_from_db()
    assert (record.status, record.attempts, record.next_attempt_at) == ("failed", 2, T0 + 6 * MINUTE)

    assert sweep(T0 + 6 * MINUTE - dt.timedelta(seconds=1))["claimed"] == 0
    assert sweep(T0 + 6 * MINUTE) == {"claimed": 1, "outcomes": {"done": 1}, "errors": 0}
    record.refresh_from_db()
    assert (record.status, record.attempts, record.next_attempt_at) == ("done", 3, None)
    assert record.idempotency_key == "d:retry"
    assert flaky.calls == ["d:retry"] * 3  # the same key every time
    assert [entry["key"] for entry in kite_history()] == ["d:retry"]  # and Kite removed the post once
    assert online() is False
    assert sweep(T0 + 24 * 60 * MINUTE)["claimed"] == 0  # nothing left to do
    assert audit_trail(record) == [
        ("enforcement.requested", None), ("enforcement.applied", 1),
        ("enforcement.retried", 2), ("enforcement.applied", 2),
        ("enforcement.retried", 3), ("enforcement.applied", 3),
    ]
    retried = AuditEntry.objects.filter(action="enforcement.retried", target_id=str(record.pk)).order_by("id")
    assert [(e.data.get("retry"), e.data.get("trigger"), e.actor) for e in retried] == [
        (True, "sweeper", "system"), (True, "sweeper", "system"),
    ]


def test_a_reinstatement_after_a_reversal_that_fails_first_is_retried_and_puts_the_post_back(
    flaky: type[FlakyPlatform], case: Case, reviewer_rita: User
):
    actor = actor_of(reviewer_rita)
    with clock.frozen_at(T0):
        action_request(actor=actor, case=case, action=action_for(case, key="d:7:remove"))
    assert online() is False
    flaky.failures = 1  # Kite is down when the contest is reversed
    with clock.frozen_at(T0 + 60 * MINUTE):
        reinstated = action_request(actor=actor, case=case, action=action_for(
            case, key="reinstate:d:7:remove", action_type="reinstate", reverses_key="d:7:remove",
            reverses_type="remove"))
    assert reinstated.status == "failed"
    assert online() is False

    assert sweep(T0 + 61 * MINUTE)["outcomes"] == {"done": 1}

    reinstated.refresh_from_db()
    assert (reinstated.status, reinstated.attempts) == ("done", 2)
    assert online() is True
    assert flaky.calls == ["d:7:remove", "reinstate:d:7:remove", "reinstate:d:7:remove"]


def test_after_the_last_attempt_it_stays_failed_and_the_leads_and_reviewer_are_told_once(
    flaky: type[FlakyPlatform], case: Case, reviewer_rita: User, lead_lena: User, settings: Any,
    session_api: Callable[[User], ApiClient],
):
    settings.ENFORCEMENT_RETRY = {"MAX_ATTEMPTS": 3, "BACKOFF_SECONDS": [60, 300]}
    flaky.failures = 100
    with clock.frozen_at(T0):
        record = action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case, key="d:down"))
    sweep(T0 + MINUTE)
    sweep(T0 + 6 * MINUTE)
    record.refresh_from_db()
    assert (record.status, record.attempts, record.next_attempt_at) == ("failed", 3, None)
    assert sweep(T0 + 600 * MINUTE)["claimed"] == 0

    told = OutboxMessage.objects.filter(event_type="enforcement.failed")
    assert sorted(told.values_list("recipient", flat=True)) == [lead_lena.email]
    assert str(record.pk) in told.get().body and "connection refused" in told.get().body
    gave_up = AuditEntry.objects.filter(action="enforcement.applied", target_id=str(record.pk)).order_by("id").last()
    assert gave_up is not None and gave_up.data["retries_exhausted"] is True

    body = session_api(reviewer_rita).get(f"/platforms/actions/{record.pk}").json()
    assert (body["status"], body["attempts"], body["next_attempt_at"], body["retries_exhausted"]) == (
        "failed", 3, None, True)

    # A retry by hand that fails again tells nobody a second time.
    with clock.frozen_at(T0 + 700 * MINUTE):
        again = action_retry(actor=actor_of(lead_lena), action_record_id=record.pk)
    assert (again.status, again.attempts, again.next_attempt_at) == ("failed", 4, None)
    assert told.count() == 1


def test_a_record_stuck_in_requested_is_driven_again_after_the_grace_period(
    flaky: type[FlakyPlatform], case: Case, reviewer_rita: User, monkeypatch: pytest.MonkeyPatch
):
    def die(self: Any, action: Any) -> None:
        raise KeyboardInterrupt  # the process is killed mid-call

    with monkeypatch.context() as patch, clock.frozen_at(T0):
        patch.setattr(FlakyPlatform, "apply", die)
        with pytest.raises(KeyboardInterrupt):
            action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case, key="d:stuck"))
    stuck = EnforcementActionRecord.objects.get(idempotency_key="d:stuck")
    assert (stuck.status, stuck.next_attempt_at) == ("requested", T0 + 5 * MINUTE)

    assert sweep(T0 + 4 * MINUTE)["claimed"] == 0  # maybe still being driven
    assert sweep(T0 + 5 * MINUTE)["outcomes"] == {"done": 1}

    stuck.refresh_from_db()
    assert (stuck.status, stuck.attempts, stuck.next_attempt_at) == ("done", 2, None)
    assert flaky.calls == ["d:stuck"]
    assert online() is False


def test_an_action_that_succeeds_at_once_is_never_due(flaky: type[FlakyPlatform], case: Case, reviewer_rita: User):
    record = action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case, key="d:ok"))
    assert (record.status, record.attempts, record.next_attempt_at) == ("done", 1, None)
    assert action_retry_sweep(now=clock.now() + dt.timedelta(days=30)).claimed == 0


# --------------------------------------------------------------------------------------------
# Retry now (service and API)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def failed(flaky: type[FlakyPlatform], case: Case, reviewer_rita: User) -> EnforcementActionRecord:
    flaky.failures = 1
    with clock.frozen_at(T0):
        return action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case, key="d:now"))


@pytest.mark.parametrize("persona", ["reviewer_rita", "lead_lena", "admin_ada"])
def test_people_who_enforce_retry_a_failed_action_now(
    failed: EnforcementActionRecord, persona: str, request: pytest.FixtureRequest,
    session_api: Callable[[User], ApiClient],
):
    person: User = request.getfixturevalue(persona)
    response = session_api(person).post(f"/platforms/actions/{failed.pk}/retry", {})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["attempts"], body["next_attempt_at"], body["retries_exhausted"]) == (
        "done", 2, None, False)
    retried = AuditEntry.objects.filter(action="enforcement.retried", target_id=str(failed.pk)).order_by("id").last()
    assert retried is not None
    assert (retried.actor, retried.data["trigger"]) == (f"user:{person.pk}", "manual")
    assert online() is False


def test_retrying_now_is_refused_to_everyone_else(
    failed: EnforcementActionRecord, api: ApiClient, sudan_api: ApiClient, session_api: Callable[[User], ApiClient],
    analyst_amal: User, analyst_bilal: User, auditor_aziz: User, pm_pablo: User, outsider_charlie: User,
):
    path = f"/platforms/actions/{failed.pk}/retry"
    assert_error(api.post(path, {}), 401, "unauthenticated")
    assert_error(session_api(outsider_charlie).post(path, {}), 401, "unauthenticated")
    assert_error(sudan_api.post(path, {}), 404, "not_found")  # a partner organisation's key
    assert_error(session_api(analyst_amal).post(path, {}), 404, "not_found")
    assert_error(session_api(analyst_bilal).post(path, {}), 404, "not_found")  # the other organisation
    assert_error(session_api(auditor_aziz).post(path, {}), 403, "forbidden")
    assert_error(session_api(pm_pablo).post(path, {}), 403, "forbidden")
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert FlakyPlatform.calls == ["d:now"]


def test_a_done_or_in_flight_action_cannot_be_retried(
    failed: EnforcementActionRecord, reviewer_rita: User, auditor_aziz: User, session_api: Callable[[User], ApiClient],
):
    actor = actor_of(reviewer_rita)
    done = action_retry(actor=actor, action_record_id=failed.pk)
    assert done.status == ActionStatus.DONE
    assert_error(session_api(reviewer_rita).post(f"/platforms/actions/{failed.pk}/retry", {}), 409, "not_retryable")
    with pytest.raises(NotFound):
        action_retry(actor=actor, action_record_id="not-a-uuid")
    with pytest.raises(PermissionDenied):
        action_retry(actor=actor_of(auditor_aziz), action_record_id=failed.pk)

    # In flight: claimed by a sweeper a moment ago (back in requested, its grace period running).
    EnforcementActionRecord.objects.filter(pk=failed.pk).update(
        status=ActionStatus.REQUESTED, next_attempt_at=clock.now() + 5 * MINUTE)
    with pytest.raises(Conflict):
        action_retry(actor=actor, action_record_id=failed.pk)


def test_the_retry_endpoint_is_in_the_openapi_document(api: ApiClient):
    assert "/api/v1/platforms/actions/{action_id}/retry" in api.get("/openapi.json").json()["paths"]


# --------------------------------------------------------------------------------------------
# Two sweepers at once (PostgreSQL: SQLite serialises writers)
# --------------------------------------------------------------------------------------------

SWEEPERS = 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_racing_sweepers_call_the_platform_once_per_due_action(
    flaky: type[FlakyPlatform], case: Case, reviewer_rita: User
):
    flaky.failures = 3
    with clock.frozen_at(T0):
        records = [action_request(actor=actor_of(reviewer_rita), case=case,
                                  action=action_for(case, key=f"d:race:{n}", action_type=kind))
                   for n, kind in enumerate(["remove", "restrict_visibility", "age_restrict"])]
    assert {r.status for r in records} == {"failed"}
    flaky.calls.clear()
    flaky.delay = 0.2  # a slow platform: every sweeper reads the due rows before any answer comes back
    start = threading.Barrier(SWEEPERS)

    def run(_: int) -> int:
        start.wait()
        try:
            return action_retry_sweep(now=T0 + MINUTE).claimed
        finally:
            connection.close()

    with ThreadPoolExecutor(SWEEPERS) as pool:
        claimed = list(pool.map(run, range(SWEEPERS)))

    assert sum(claimed) == 3
    assert sorted(flaky.calls) == ["d:race:0", "d:race:1", "d:race:2"]
    assert set(EnforcementActionRecord.objects.values_list("status", "attempts")) == {("done", 2)}
    assert AuditEntry.objects.filter(action="enforcement.retried", data__retry=True).count() == 3
