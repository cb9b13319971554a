"""A peer platform's signals: stored once, matched to our open cases, shown to staff, never telling the peer."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from trustline.accounts.models import Organisation, User
from trustline.accounts.permissions import SYSTEM
from trustline.accounts.selectors import actor_for_api_key
from trustline.accounts.services import apikey_create
from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.conftest import ApiClient, assert_error
from trustline.console.tests.conftest import signed_in  # noqa: F401 - fixture
from trustline.signals.models import Signal, SignalMatch
from trustline.signals.services import signal_receive
from trustline.signals.tasks import signals_match

pytestmark = pytest.mark.django_db

SessionApi = Callable[[User], ApiClient]
OpenCase = Callable[[str], Case]


def url_signal(url: str, **extra: object) -> dict[str, object]:
    return {"signal_type": "url", "value": url, "category": "incitement_violence", "tlp": "amber", **extra}


def test_a_peers_url_signal_finds_our_open_case_and_the_peer_learns_nothing_of_it(
    otter_api: ApiClient, open_case: OpenCase, session_api: SessionApi, reviewer_rita: User,
):
    case = open_case("https://kite.example/posts/4411")

    # The peer's copy of the link is the mobile one, with tracking: canonicalised like ours.
    response = otter_api.post("/signals/inbound", url_signal("https://m.kite.example/posts/4411?utm_source=otter",
                                                             external_id="otter-99"))

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["value"], body["external_id"], body["new"]) == ("https://kite.example/posts/4411", "otter-99", True)
    assert "case_id" not in body and "matched_case_ids" not in body
    [match] = SignalMatch.objects.all()
    assert match.case_id == case.pk
    assert AuditEntry.objects.filter(action="signal.matched", target_id=str(case.pk)).exists()
    # Reviewers see it, with the peer and its marking.
    [seen] = session_api(reviewer_rita).get("/signals/matches").json()["items"]
    assert (seen["case_id"], seen["peer"], seen["tlp"]) == (str(case.pk), "otter-social", "amber")


def test_the_same_signal_again_is_one_signal_and_one_match(otter_api: ApiClient, open_case: OpenCase):
    open_case("https://kite.example/posts/4412")

    first = otter_api.post("/signals/inbound", url_signal("https://kite.example/posts/4412"))
    again = otter_api.post("/signals/inbound", url_signal("https://kite.example/posts/4412", tlp="green"))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["tlp"] == "green"
    assert (Signal.objects.count(), SignalMatch.objects.count()) == (1, 1)


def test_a_case_opened_after_the_signal_is_matched_by_the_sweep(otter_api: ApiClient, open_case: OpenCase):
    assert otter_api.post("/signals/inbound", url_signal("https://kite.example/posts/5000")).status_code == 201
    signals_match.call()  # the first sweep starts its watermark
    case = open_case("https://kite.example/posts/5000")
    assert not SignalMatch.objects.exists()

    assert signals_match.call() == {"matched": 1}
    assert signals_match.call() == {"matched": 0}  # once

    assert SignalMatch.objects.get().case_id == case.pk


def test_inbound_refusals(
    api: ApiClient, heron_api: ApiClient, sudan_api: ApiClient, otter_api: ApiClient, session_api: SessionApi,
    lead_lena: User,
):
    assert_error(api.post("/signals/inbound", url_signal("https://kite.example/posts/1")), 401, "unauthenticated")
    assert_error(sudan_api.post("/signals/inbound", url_signal("https://kite.example/posts/1")), 403, "forbidden")
    assert_error(session_api(lead_lena).post("/signals/inbound", url_signal("https://kite.example/posts/1")),
                 403, "forbidden")
    # Heron's agreement does not let it send.
    assert_error(heron_api.post("/signals/inbound", url_signal("https://kite.example/posts/1")), 403, "no_agreement")
    assert_error(otter_api.post("/signals/inbound", url_signal("file:///etc/passwd")), 422, "invalid", "value")
    assert_error(otter_api.post("/signals/inbound", url_signal("https://kite.example/posts/1", tlp="red")),
                 422, "invalid", "tlp")  # named recipients only: not for an exchange
    assert_error(otter_api.post("/signals/inbound", {**url_signal("https://kite.example/posts/1"),
                                                     "signal_type": "photodna"}), 422, "invalid")
    assert_error(otter_api.post("/signals/inbound", {**url_signal("https://kite.example/posts/1"),
                                                     "category": "gossip"}), 422, "invalid", "category")
    assert_error(otter_api.post("/signals/inbound", {**url_signal("https://kite.example/posts/1"), "extra": 1}),
                 422, "invalid")
    assert not Signal.objects.exists()


def test_a_peer_withdraws_its_own_signal_and_it_leaves_the_case(
    otter_api: ApiClient, open_case: OpenCase, session_api: SessionApi, reviewer_rita: User, lead_lena: User,
    signed_in: Callable[[User], Any],  # noqa: F811 - the fixture imported above
):
    case = open_case("https://kite.example/posts/4413")
    signal_id = otter_api.post("/signals/inbound", url_signal(
        "https://kite.example/posts/4413", description="Same text posted by 40 new accounts.")).json()["id"]
    rita = signed_in(reviewer_rita)  # the reviewer's console: password and code
    page = rita.get(reverse("console:case", args=[case.pk])).content.decode()
    assert "Other platforms flagged this content" in page
    assert "Otter Social" in page and "TLP:AMBER" in page and "Same text posted by 40 new accounts." in page

    # Staff cannot withdraw a peer's signal; the peer can.
    assert_error(session_api(lead_lena).post(f"/signals/{signal_id}/withdraw", {"reason": "x"}), 404, "not_found")
    response = otter_api.post(f"/signals/{signal_id}/withdraw", {"reason": "Our reviewers reversed it."})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "withdrawn"
    assert session_api(reviewer_rita).get(f"/signals/{signal_id}").json()["status"] == "withdrawn"
    assert_error(otter_api.post(f"/signals/{signal_id}/withdraw", {"reason": ""}), 422, "invalid", "reason")
    page = rita.get(reverse("console:case", args=[case.pk])).content.decode()
    assert "Other platforms flagged this content" not in page


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="concurrency needs PostgreSQL: SQLite serialises writers, so there is no race to test")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_signal_sent_twice_at_once_is_one_signal(otter: Organisation, open_case: OpenCase):
    """A peer's retry racing its first attempt: the second insert loses on the unique constraint and updates."""
    open_case("https://kite.example/posts/4420")
    key = apikey_create(actor=SYSTEM, organisation=otter, name="race").raw
    start = threading.Barrier(2)
    results: list[bool] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            peer = actor_for_api_key(key)
            start.wait(5)
            received = signal_receive(actor=peer, signal_type="url", value="https://kite.example/posts/4420",
                                      tlp="amber", category="incitement_violence")
            results.append(received.created)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert sorted(results) == [False, True]
    assert (Signal.objects.count(), SignalMatch.objects.count()) == (1, 1)


def test_a_peer_syncs_a_batch_all_or_nothing_with_every_bad_signal_named(
    otter_api: ApiClient, heron_api: ApiClient, api: ApiClient, sudan_api: ApiClient, open_case: OpenCase,
):
    case = open_case("https://kite.example/posts/6001")
    good = [url_signal(f"https://kite.example/posts/{6000 + n}") for n in range(1, 4)]
    good.append({"signal_type": "video_md5", "value": "9E107D9D372BB6826BD81D3542A419D6", "tlp": "green"})
    bad = [*good, {**good[0], "value": "ftp://kite.example/x"}, {**good[1], "category": "gossip"}]

    refused = otter_api.post("/signals/inbound/batch", {"signals": bad})

    body = assert_error(refused, 422, "invalid")
    assert set(body["fields"]) == {"signals.4.value", "signals.5.category"}
    assert "nothing was stored" in body["message"]
    assert not Signal.objects.exists()

    stored = otter_api.post("/signals/inbound/batch", {"signals": good})
    again = otter_api.post("/signals/inbound/batch", {"signals": good[:2]})

    assert stored.status_code == 200, stored.content
    assert (stored.json()["new"], stored.json()["updated"]) == (4, 0)
    assert [s["value"] for s in stored.json()["received"]][-1] == "9e107d9d372bb6826bd81d3542a419d6"
    assert (again.json()["new"], again.json()["updated"]) == (0, 2)
    assert Signal.objects.count() == 4
    assert SignalMatch.objects.get().case_id == case.pk
    assert_error(otter_api.post("/signals/inbound/batch", {"signals": [good[0]] * 501}), 422, "invalid")
    assert_error(otter_api.post("/signals/inbound/batch", {"signals": []}), 422, "invalid")
    assert_error(heron_api.post("/signals/inbound/batch", {"signals": good}), 403, "no_agreement")
    assert_error(api.post("/signals/inbound/batch", {"signals": good}), 401, "unauthenticated")
    assert_error(sudan_api.post("/signals/inbound/batch", {"signals": good}), 403, "forbidden")
