"""Submitting statements to the DSA Transparency Database, against a fake TDB served on localhost."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from trustline.accounts.permissions import SYSTEM
from trustline.conftest import actor_of
from trustline.core.clock import frozen_at
from trustline.core.exceptions import PermissionDenied
from trustline.review.models import Decision
from trustline.transparency.choices import SubmissionStatus
from trustline.transparency.models import StatementSubmission
from trustline.transparency.submission import TdbClient, statements_submit
from trustline.transparency.tasks import transparency_submit
from trustline.transparency.tests.conftest import NO_ACTION, REMOVE, T0, Decide

TOKEN = "tdb-token-abc"
LATER = T0 + dt.timedelta(days=1)


@dataclasses.dataclass
class FakeTdb:
    """A fake TDB: ``post_answers`` are the statuses of the next POSTs (then 201); stored puids answer 302."""

    url: str = ""
    post_answers: list[int] = dataclasses.field(default_factory=list)
    store_even_when_failing: bool = False
    stored: dict[str, str] = dataclasses.field(default_factory=dict)
    posts: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    lookups: list[str] = dataclasses.field(default_factory=list)
    auth: list[str] = dataclasses.field(default_factory=list)
    reject_index: int | None = None


def _handler(fake: FakeTdb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            fake.auth.append(self.headers.get("Authorization", ""))
            puid = self.path.rsplit("/", 1)[-1]
            fake.lookups.append(puid)
            if puid in fake.stored:
                self._answer(302, None, {"Location": f"{fake.url}/api/v1/statement/{fake.stored[puid]}"})
            else:
                self._answer(404, {"message": "statement not found"})

        def do_POST(self) -> None:
            fake.auth.append(self.headers.get("Authorization", ""))
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.posts.append(body)
            status = fake.post_answers.pop(0) if fake.post_answers else 201
            if status == 422 or (status == 201 and fake.reject_index is not None):
                index = fake.reject_index or 0
                fake.reject_index = None
                self._answer(422, {"message": "invalid", "errors": {
                    f"statement_{index}.decision_facts": ["The decision facts field is required."]}})
                return
            if status == 201 or fake.store_even_when_failing:
                for statement in body["statements"]:
                    fake.stored[statement["puid"]] = f"uuid-{len(fake.stored)}"
            if status == 201:
                self._answer(201, {"statements": [{**s, "uuid": fake.stored[s["puid"]]} for s in body["statements"]]})
            else:
                self._answer(status, {"message": "Server Error"})

    return Handler


@pytest.fixture
def tdb() -> Iterator[FakeTdb]:
    fake = FakeTdb()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(tdb: FakeTdb) -> TdbClient:
    return TdbClient(base_url=tdb.url, token=TOKEN, timeout=5)


def submit(client: TdbClient, at: dt.datetime = LATER) -> dict[str, int]:
    with frozen_at(at):
        return statements_submit(client=client, force=True).as_dict()


def rows() -> dict[str, StatementSubmission]:
    return {row.puid: row for row in StatementSubmission.objects.all()}


def test_it_is_off_by_default_and_sends_nothing(decided: Decide, settings: Any) -> None:
    decided(REMOVE)
    assert transparency_submit.call() == {"enqueued": 0, "submitted": 0, "already_there": 0, "rejected": 0,
                                          "retry_later": 0, "disabled": 1}
    assert not StatementSubmission.objects.exists()
    settings.TRUSTLINE_TDB = {"SUBMIT": True, "TOKEN": ""}
    assert statements_submit().disabled  # switched on without a token is still off


def test_it_submits_restrictions_with_the_token_and_records_the_uuids(
    decided: Decide, client: TdbClient, tdb: FakeTdb
) -> None:
    first, second = decided(REMOVE), decided(REMOVE)
    decided(NO_ACTION)  # no restriction: no statement
    result = submit(client)
    assert result["submitted"] == 2
    assert len(tdb.posts) == 1
    assert [s["puid"] for s in tdb.posts[0]["statements"]] == [f"tl-{first.decision.pk}", f"tl-{second.decision.pk}"]
    assert set(tdb.auth) == {f"Bearer {TOKEN}"}
    stored = rows()
    assert {r.status for r in stored.values()} == {SubmissionStatus.SUBMITTED}
    assert stored[f"tl-{first.decision.pk}"].tdb_uuid == tdb.stored[f"tl-{first.decision.pk}"]


def test_it_never_submits_a_statement_twice(decided: Decide, client: TdbClient, tdb: FakeTdb) -> None:
    decided(REMOVE)
    submit(client)
    again = submit(client, LATER + dt.timedelta(hours=1))
    assert again["submitted"] == 0
    assert len(tdb.posts) == 1


def test_it_retries_after_a_server_error_with_back_off(decided: Decide, client: TdbClient, tdb: FakeTdb) -> None:
    made = decided(REMOVE)
    tdb.post_answers = [503]
    assert submit(client)["retry_later"] == 1
    row = rows()[f"tl-{made.decision.pk}"]
    assert (row.status, row.uncertain, row.attempts) == (SubmissionStatus.PENDING, True, 1)
    assert "HTTP 503" in row.last_error
    assert submit(client, LATER + dt.timedelta(seconds=30))["submitted"] == 0  # backing off: not due yet
    assert len(tdb.posts) == 1
    result = submit(client, LATER + dt.timedelta(minutes=2))
    assert result["submitted"] == 1
    assert tdb.lookups == [f"tl-{made.decision.pk}"]  # asked first whether the lost attempt was stored
    assert rows()[f"tl-{made.decision.pk}"].status == SubmissionStatus.SUBMITTED


def test_a_stored_statement_whose_answer_was_lost_is_not_sent_again(
    decided: Decide, client: TdbClient, tdb: FakeTdb
) -> None:
    made = decided(REMOVE)
    tdb.post_answers, tdb.store_even_when_failing = [502], True
    submit(client)
    result = submit(client, LATER + dt.timedelta(minutes=5))
    assert result["already_there"] == 1
    assert len(tdb.posts) == 1  # idempotent by puid: the TDB already had it
    assert rows()[f"tl-{made.decision.pk}"].status == SubmissionStatus.SUBMITTED


def test_it_keeps_a_rejected_statement_for_a_person_and_sends_the_others(
    decided: Decide, client: TdbClient, tdb: FakeTdb
) -> None:
    bad, good = decided(REMOVE), decided(REMOVE)
    tdb.reject_index = 0
    result = submit(client)
    # The TDB refused the batch; the innocent statement went again in the run's next batch.
    assert (result["rejected"], result["retry_later"], result["submitted"]) == (1, 1, 1)
    assert len(tdb.posts) == 2
    assert rows()[f"tl-{bad.decision.pk}"].status == SubmissionStatus.REJECTED
    assert "decision_facts" in rows()[f"tl-{bad.decision.pk}"].last_error
    assert rows()[f"tl-{good.decision.pk}"].status == SubmissionStatus.SUBMITTED
    assert submit(client, LATER + dt.timedelta(hours=1))["submitted"] == 0


def test_it_records_an_unmappable_decision_instead_of_sending_it(
    decided: Decide, client: TdbClient, tdb: FakeTdb
) -> None:
    made = decided(REMOVE)
    Decision.objects.filter(pk=made.decision.pk).update(decision_ground="")
    submit(client)
    row = rows()[f"tl-{made.decision.pk}"]
    assert row.status == SubmissionStatus.UNMAPPABLE
    assert "missing_ground" in row.last_error
    assert tdb.posts == []


def test_it_retries_when_the_tdb_does_not_answer(decided: Decide) -> None:
    made = decided(REMOVE)
    dead = TdbClient(base_url="http://127.0.0.1:9", token=TOKEN, timeout=2)
    assert submit(dead)["retry_later"] == 1
    assert rows()[f"tl-{made.decision.pk}"].uncertain


def test_only_administrators_and_jobs_may_submit(reviewer_rita: Any, pm_pablo: Any) -> None:
    with pytest.raises(PermissionDenied):
        statements_submit(actor=actor_of(pm_pablo), force=True)
    assert statements_submit(actor=SYSTEM).disabled
