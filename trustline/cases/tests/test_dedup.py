"""Cross-partner deduplication: the same content, however it is spelled, lands in one case."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from trustline.cases.models import Case
from trustline.conftest import ApiClient
from trustline.core import clock
from trustline.intake import services
from trustline.intake.models import ReportItem

pytestmark = pytest.mark.django_db

Payload = Callable[..., dict[str, Any]]


def case_of(response: Any, position: int = 0) -> Case:
    assert response.status_code == 201, response.content
    return Case.objects.get(pk=response.json()["items"][position]["case_id"])


def test_two_partners_reporting_one_post_make_one_case(
    sudan_api: ApiClient, pakistan_api: ApiClient, report_payload: Payload
):
    sudan = sudan_api.submit(report_payload(
        items=[{"url": "https://m.kite.example/posts/5512?utm_source=x", "kind": "post"}],
    ))
    pakistan = pakistan_api.submit(report_payload(
        items=[{"url": "https://kite.example/posts/5512", "kind": "post"}], country="PK",
    ))

    case = case_of(sudan)
    assert case_of(pakistan).pk == case.pk
    assert sudan.json()["items"][0]["url"] == pakistan.json()["items"][0]["url"] == "https://kite.example/posts/5512"
    case.refresh_from_db()
    assert case.item_count == 2
    assert case.partner_count == 2
    assert case.canonical_url == "https://kite.example/posts/5512"
    assert Case.objects.count() == 1


def test_the_same_partner_reporting_twice_counts_once(sudan_api: ApiClient, report_payload: Payload):
    url = "https://kite.example/posts/77"
    first = case_of(sudan_api.submit(report_payload(items=[{"url": url, "kind": "post"}])))
    second = case_of(sudan_api.submit(report_payload(items=[{"url": url + "#replies", "kind": "post"}])))

    assert first.pk == second.pk
    second.refresh_from_db()
    assert second.item_count == 2
    assert second.partner_count == 1


def test_different_posts_make_different_cases(sudan_api: ApiClient, report_payload: Payload):
    response = sudan_api.submit(report_payload(items=[
        {"url": "https://kite.example/posts/1", "kind": "post"},
        {"url": "https://kite.example/posts/2", "kind": "post"},
        {"platform_id": "1", "kind": "post"},
    ]))

    case_ids = {item["case_id"] for item in response.json()["items"]}
    assert len(case_ids) == 3
    assert Case.objects.filter(partner_count=1, item_count=1).count() == 3


def test_a_platform_identifier_dedups_across_partners(
    sudan_api: ApiClient, pakistan_api: ApiClient, report_payload: Payload
):
    sudan = sudan_api.submit(report_payload(items=[{"platform_id": "acct-4471", "kind": "account"}]))
    pakistan = pakistan_api.submit(report_payload(items=[{"platform_id": " acct-4471 ", "kind": "account"}]))

    assert case_of(sudan).pk == case_of(pakistan).pk
    assert Case.objects.get().partner_count == 2


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite writes every report in a transaction, where the case cannot close in between")
def test_a_case_closed_while_a_report_joins_it_leaves_the_report_to_a_new_case(
    sudan_api: ApiClient, pakistan_api: ApiClient, report_payload: Payload, monkeypatch: pytest.MonkeyPatch
):
    items = [{"url": "https://kite.example/posts/4040", "kind": "post"}]
    first = case_of(sudan_api.submit(report_payload(items=items)))
    read = services._open_case

    def read_then_a_reviewer_closes_it(**kwargs: Any) -> Any:
        found = read(**kwargs)
        Case.objects.filter(pk=first.pk).update(is_open=False)
        return found

    monkeypatch.setattr(services, "_open_case", read_then_a_reviewer_closes_it)
    second = case_of(pakistan_api.submit(report_payload(items=items, country="PK")))

    assert second.pk != first.pk
    first.refresh_from_db()
    assert (first.item_count, first.partner_count, ReportItem.objects.filter(case=first).count()) == (1, 1, 1)
    assert (second.is_open, second.item_count, second.partner_count) == (True, 1, 1)


def test_joining_reports_keep_the_latest_report_time(
    sudan_api: ApiClient, pakistan_api: ApiClient, report_payload: Payload
):
    items = [{"url": "https://kite.example/posts/5150", "kind": "post"}]
    opened_at = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
    with clock.frozen_at(opened_at):
        case = case_of(sudan_api.submit(report_payload(items=items)))
    with clock.frozen_at(opened_at + dt.timedelta(hours=3)):
        pakistan_api.submit(report_payload(items=items, country="PK"))
    with clock.frozen_at(opened_at + dt.timedelta(hours=1)):  # a clock behind: the case keeps the later time
        sudan_api.submit(report_payload(items=items))

    case.refresh_from_db()
    assert (case.opened_at, case.last_reported_at) == (opened_at, opened_at + dt.timedelta(hours=3))
    assert (case.item_count, case.partner_count) == (3, 2)


def test_imminent_harm_on_any_report_marks_the_case(
    sudan_api: ApiClient, pakistan_api: ApiClient, report_payload: Payload
):
    items = [{"url": "https://kite.example/posts/9001", "kind": "post"}]
    case = case_of(sudan_api.submit(report_payload(items=items)))
    assert case.imminent_harm is False

    pakistan_api.submit(report_payload(items=items, imminent_harm=True, imminent_harm_reason="Named target."))

    case.refresh_from_db()
    assert case.imminent_harm is True


def test_known_platform_aliases_dedup(sudan_api: ApiClient, pakistan_api: ApiClient, report_payload: Payload):
    sudan = sudan_api.submit(report_payload(
        items=[{"url": "https://youtu.be/dQw4w9WgXcQ?si=tracking", "kind": "media"}],
    ))
    pakistan = pakistan_api.submit(report_payload(
        items=[{"url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share", "kind": "media"}],
    ))

    assert case_of(sudan).pk == case_of(pakistan).pk


def test_a_deployment_adds_its_own_platform_rules_in_configuration(
    settings: Any, tmp_path: Path, sudan_api: ApiClient, pakistan_api: ApiClient, report_payload: Payload
):
    def report_both() -> tuple[Case, Case]:
        sudan = sudan_api.submit(report_payload(items=[{"url": "https://m.peer.example/v/31", "kind": "post"}]))
        pakistan = pakistan_api.submit(report_payload(items=[{"url": "https://peer.example/v/31", "kind": "post"}]))
        return case_of(sudan), case_of(pakistan)

    before = report_both()
    rules = {"version": 1, "platforms": [{"name": "peer", "host": "peer.example", "aliases": ["m.peer.example"]}]}
    rules_file = tmp_path / "url_rules.json"
    rules_file.write_text(json.dumps(rules), encoding="utf-8")
    settings.TRUSTLINE = {**settings.TRUSTLINE, "URL_RULES_FILE": str(rules_file)}
    after = report_both()

    assert before[0].pk != before[1].pk
    assert after[0].pk == after[1].pk == before[1].pk
