"""Sharing our signals and the peers' feeds: what each peer receives under its agreement, once, by cursor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.models import Organisation, User
from trustline.appeals.services import appeal_claim_next, appeal_decide, appeal_submit
from trustline.audit.models import AuditEntry
from trustline.conftest import ApiClient, actor_of, assert_error
from trustline.core.clock import frozen_at
from trustline.review.models import Decision
from trustline.review.validation import DecisionInput
from trustline.signals.models import Signal
from trustline.signals.tasks import signals_withdraw_reversed
from trustline.signals.tests.conftest import SETTLED, T0, ViolatingCase

pytestmark = pytest.mark.django_db

SessionApi = Callable[[User], ApiClient]
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def share(client: ApiClient, body: dict[str, Any], at: dt.datetime = T0) -> Any:
    with frozen_at(at):
        return client.post("/signals", body)


def feed(client: ApiClient, cursor: str = "", at: dt.datetime = SETTLED, limit: int = 100) -> dict[str, Any]:
    with frozen_at(at):
        response = client.get("/signals/feed", {"cursor": cursor, "limit": limit})
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


# --------------------------------------------------------------------------------------------
# Sharing
# --------------------------------------------------------------------------------------------


def test_a_lead_shares_a_violating_case_as_its_canonical_url_once(
    session_api: SessionApi, lead_lena: User, violating_case: ViolatingCase,
):
    case = violating_case(items=[{"url": "http://M.Kite.example/posts/777?utm_source=wa", "kind": "post"}])
    lena = session_api(lead_lena)

    first = share(lena, {"case_id": str(case.pk), "tlp": "green", "tags": ["el-fasher"]})
    again = share(lena, {"case_id": str(case.pk), "tlp": "clear", "description": "Calls to attack a shelter."})

    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["signal_type"], body["value"]) == ("url", "https://kite.example/posts/777")
    assert (body["category"], body["opinion"], body["direction"]) == ("incitement_violence", "POSITIVE_CLASS",
                                                                      "outbound")
    assert body["case_id"] == str(case.pk)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert again.json()["tlp"] == "clear"  # less strict: allowed
    assert Signal.objects.count() == 1
    assert AuditEntry.objects.filter(action="signal.shared", target_id=body["id"]).count() == 2


def test_only_a_case_decided_as_violating_is_shared(
    session_api: SessionApi, lead_lena: User, violating_case: ViolatingCase,
):
    cleared = violating_case(decision=DecisionInput(outcome="not_violating", explanation="No violation."))

    response = share(session_api(lead_lena), {"case_id": str(cleared.pk), "tlp": "green"})

    assert_error(response, 409, "not_violating", "case_id")
    assert not Signal.objects.exists()


def test_sharing_refuses_red_a_stricter_marking_and_bad_values(
    session_api: SessionApi, lead_lena: User, violating_case: ViolatingCase,
):
    lena = session_api(lead_lena)
    case = violating_case()

    assert_error(share(lena, {"case_id": str(case.pk), "tlp": "red"}), 422, "invalid", "tlp")
    assert share(lena, {"case_id": str(case.pk), "tlp": "green"}).status_code == 201
    # Peers may already hold it as GREEN: it cannot become AMBER.
    assert_error(share(lena, {"case_id": str(case.pk), "tlp": "amber"}), 409, "tlp_stricter", "tlp")
    # Nor move to a category some peers do not receive.
    assert_error(share(lena, {"case_id": str(case.pk), "tlp": "green", "category": "hateful_conduct"}),
                 409, "category_changed", "category")
    assert_error(share(lena, {"signal_type": "pdq", "value": "abc", "category": "incitement_violence",
                              "tlp": "green"}), 422, "invalid", "value")
    assert_error(share(lena, {"signal_type": "url", "value": "javascript:alert(1)", "category": "incitement_violence",
                              "tlp": "green"}), 422, "invalid", "value")
    assert_error(share(lena, {"signal_type": "raw_text", "value": "Kill the traitors of Block 6",
                              "tlp": "green"}), 422, "invalid", "category")
    assert_error(share(lena, {"case_id": "00000000-0000-0000-0000-000000000000", "tlp": "green"}), 404, "not_found")
    assert Signal.objects.count() == 1


def test_sharing_authorisation(
    api: ApiClient, session_api: SessionApi, sudan_api: ApiClient, otter_api: ApiClient, reviewer_rita: User,
    violating_case: ViolatingCase,
):
    body = {"case_id": str(violating_case().pk), "tlp": "green"}
    assert_error(share(api, body), 401, "unauthenticated")
    assert_error(share(sudan_api, body), 403, "forbidden")  # a partner
    assert_error(share(otter_api, body), 403, "forbidden")  # a peer
    assert_error(share(session_api(reviewer_rita), body), 403, "forbidden")  # reviewers read, leads share
    assert not Signal.objects.exists()


# --------------------------------------------------------------------------------------------
# Feeds
# --------------------------------------------------------------------------------------------


@pytest.fixture
def shared(session_api: SessionApi, lead_lena: User, violating_case: ViolatingCase) -> dict[str, str]:
    """Four signals: GREEN incitement (a case), AMBER incitement (a hash), GREEN and CLEAR hate (texts)."""
    lena = session_api(lead_lena)
    made = {
        "green_case": share(lena, {"case_id": str(violating_case().pk), "tlp": "green"}),
        "amber_hash": share(lena, {"signal_type": "pdq", "value": PDQ.upper(), "category": "incitement_violence",
                                   "tlp": "amber"}),
        "green_text": share(lena, {"signal_type": "raw_text", "value": "Burn the camp at Zamzam tonight",
                                   "category": "hateful_conduct", "tlp": "green"}),
        "clear_text": share(lena, {"signal_type": "trend_query", "value": '{"and": ["#zamzam", "burn"]}',
                                   "category": "hateful_conduct", "tlp": "clear"}),
    }
    assert all(r.status_code == 201 for r in made.values()), [r.content for r in made.values()]
    return {name: r.json()["id"] for name, r in made.items()}


def test_each_peer_receives_what_its_agreement_allows(
    shared: dict[str, str], otter_api: ApiClient, heron_api: ApiClient,
):
    otter_ids = {s["id"] for s in feed(otter_api)["items"]}
    heron_ids = {s["id"] for s in feed(heron_api)["items"]}

    assert otter_ids == set(shared.values())  # up to AMBER, every category
    assert heron_ids == {shared["green_case"]}  # up to GREEN, incitement only
    [hashed] = [s for s in feed(otter_api)["items"] if s["id"] == shared["amber_hash"]]
    assert (hashed["signal_type"], hashed["value"], hashed["tlp"]) == ("pdq", PDQ, "amber")  # lower-cased
    assert "case_id" not in hashed and "organisation" not in hashed  # nothing about our cases or people


def test_a_change_reaches_the_feed_after_it_settles_and_each_change_once(
    shared: dict[str, str], session_api: SessionApi, lead_lena: User, otter_api: ApiClient,
):
    assert feed(otter_api, at=T0)["items"] == []  # written at T0: not yet settled
    page_1 = feed(otter_api, limit=3)
    page_2 = feed(otter_api, cursor=page_1["next_cursor"], limit=3)
    assert (len(page_1["items"]), page_1["has_more"], len(page_2["items"]), page_2["has_more"]) == (3, True, 1, False)
    assert feed(otter_api, cursor=page_2["next_cursor"])["items"] == []
    assert feed(otter_api, cursor=page_2["next_cursor"])["next_cursor"] == page_2["next_cursor"]

    later = SETTLED + dt.timedelta(hours=1)
    with frozen_at(later):
        withdrawn = session_api(lead_lena).post(f"/signals/{shared['green_text']}/withdraw",
                                                {"reason": "A quote from a news report, not a call to violence."})
    assert withdrawn.status_code == 200, withdrawn.content

    [change] = feed(otter_api, cursor=page_2["next_cursor"], at=later + dt.timedelta(minutes=1))["items"]
    assert (change["id"], change["status"]) == (shared["green_text"], "withdrawn")
    assert change["withdrawn_reason"].startswith("A quote")
    assert AuditEntry.objects.filter(action="signal.withdrawn", target_id=shared["green_text"]).exists()


def test_feed_refusals(
    api: ApiClient, sudan_api: ApiClient, session_api: SessionApi, lead_lena: User, otter_api: ApiClient,
    otter: Organisation, pm_pablo: User,
):
    assert_error(api.get("/signals/feed"), 401, "unauthenticated")
    assert_error(sudan_api.get("/signals/feed"), 403, "forbidden")
    assert_error(session_api(lead_lena).get("/signals/feed"), 403, "forbidden")
    assert_error(otter_api.get("/signals/feed", {"cursor": "not-a-cursor"}), 422, "invalid", "cursor")
    assert_error(otter_api.get("/signals/feed", {"limit": 5000}), 422, "invalid", "limit")
    # An agreement switched off stops the feed at once.
    assert session_api(pm_pablo).put(f"/signals/agreements/{otter.slug}", {"is_active": False}).status_code == 200
    assert_error(otter_api.get("/signals/feed"), 403, "no_agreement")


def test_staff_read_every_signal_and_a_peer_cannot_withdraw_ours(
    shared: dict[str, str], session_api: SessionApi, auditor_aziz: User, otter_api: ApiClient, sudan_api: ApiClient,
):
    listed = session_api(auditor_aziz).get("/signals", {"signal_type": "raw_text"}).json()
    assert [s["id"] for s in listed["items"]] == [shared["green_text"]]
    assert session_api(auditor_aziz).get(f"/signals/{shared['green_case']}").json()["case_id"]
    assert_error(sudan_api.get(f"/signals/{shared['green_case']}"), 404, "not_found")
    assert_error(otter_api.post(f"/signals/{shared['green_case']}/withdraw", {"reason": "no"}), 404, "not_found")
    assert Signal.objects.get(pk=shared["green_case"]).status == "active"


def test_staff_reads_are_for_staff_only(
    shared: dict[str, str], api: ApiClient, sudan_api: ApiClient, otter_api: ApiClient, heron_api: ApiClient,
    session_api: SessionApi, reviewer_rita: User,
):
    rita = session_api(reviewer_rita)
    for path in ("/signals", "/signals/matches", "/signals/agreements", f"/signals/{shared['green_case']}"):
        assert_error(api.get(path), 401, "unauthenticated")
        assert_error(sudan_api.get(path), 404, "not_found")  # a partner: as if it did not exist
        assert_error(otter_api.get(path), 404, "not_found")  # a peer reads its feed, not our records
        assert rita.get(path).status_code == 200, path


def test_a_peer_cannot_withdraw_another_peers_signal(otter_api: ApiClient, heron_api: ApiClient):
    sent = otter_api.post("/signals/inbound", {"signal_type": "raw_text", "value": "Join the march on Block 6",
                                               "category": "incitement_violence", "tlp": "green"})
    assert sent.status_code == 201, sent.content

    assert_error(heron_api.post(f"/signals/{sent.json()['id']}/withdraw", {"reason": "not ours"}), 404, "not_found")
    assert Signal.objects.get(pk=sent.json()["id"]).status == "active"


def test_a_signal_whose_decision_is_reversed_on_contest_is_withdrawn_from_the_feeds(
    session_api: SessionApi, lead_lena: User, reviewer_rita: User, analyst_amal: User,
    violating_case: ViolatingCase, otter_api: ApiClient,
):
    reversed_case, standing_case = violating_case(), violating_case()
    lena = session_api(lead_lena)
    reversed_id = share(lena, {"case_id": str(reversed_case.pk), "tlp": "green"}).json()["id"]
    standing_id = share(lena, {"case_id": str(standing_case.pk), "tlp": "green"}).json()["id"]
    later = SETTLED + dt.timedelta(days=1)
    with frozen_at(later):
        decision = Decision.objects.get(case=reversed_case, status="effective")
        appeal = appeal_submit(actor=actor_of(analyst_amal), decision_id=decision.pk,
                               reasons="The post quotes the threat to condemn it; see the full thread.")
        assert appeal_claim_next(actor=actor_of(reviewer_rita)) is not None
        appeal_decide(actor=actor_of(reviewer_rita), appeal_id=appeal.pk, outcome="reversed",
                      explanation="The post condemns the threat it quotes.",
                      new_decision=DecisionInput(outcome="not_violating", explanation="No violation."))

        assert signals_withdraw_reversed.call() == {"withdrawn": 1}
        assert signals_withdraw_reversed.call() == {"withdrawn": 0}

    assert Signal.objects.get(pk=standing_id).status == "active"
    [change] = [s for s in feed(otter_api, at=later + dt.timedelta(minutes=1))["items"] if s["id"] == reversed_id]
    assert change["status"] == "withdrawn" and "reversed on contest" in change["withdrawn_reason"]
    assert AuditEntry.objects.filter(action="signal.withdrawn", target_id=reversed_id, actor="system").exists()


def test_a_peer_disputes_one_of_our_signals_and_staff_see_it(
    shared: dict[str, str], otter_api: ApiClient, heron_api: ApiClient, api: ApiClient, sudan_api: ApiClient,
    session_api: SessionApi, reviewer_rita: User, lead_lena: User,
):
    path = f"/signals/{shared['green_text']}/feedback"
    first = otter_api.post(path, {"opinion": "NEGATIVE_CLASS", "note": "A song lyric on our side, not a call."})
    again = otter_api.post(path, {"opinion": "NEGATIVE_CLASS", "note": "A song lyric; reviewed twice."})

    assert (first.status_code, again.status_code) == (201, 200), first.content
    seen = session_api(reviewer_rita).get(f"/signals/{shared['green_text']}").json()
    assert seen["disputed"] is True
    assert [(f["peer"], f["opinion"], f["note"]) for f in seen["feedback"]] == [
        ("otter-social", "NEGATIVE_CLASS", "A song lyric; reviewed twice.")]
    assert AuditEntry.objects.filter(action="signal.feedback_given", target_id=shared["green_text"]).count() == 2
    # Heron's agreement does not cover hateful conduct: for it the signal does not exist.
    assert_error(heron_api.post(path, {"opinion": "POSITIVE_CLASS"}), 404, "not_found")
    assert_error(otter_api.post(path, {"opinion": "DISPUTED"}), 422, "invalid")
    assert_error(api.post(path, {"opinion": "POSITIVE_CLASS"}), 401, "unauthenticated")
    assert_error(sudan_api.post(path, {"opinion": "POSITIVE_CLASS"}), 403, "forbidden")
    assert_error(session_api(lead_lena).post(path, {"opinion": "POSITIVE_CLASS"}), 403, "forbidden")
