"""POST /api/v1/reports: the acknowledgement, and every kind of bad input answered clearly.

Every error is JSON ``{"message", "code", "fields"}`` with the offending field
named; none of them is a 500.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from trustline.cases.models import Case
from trustline.conftest import ApiClient, assert_error, kite_url
from trustline.intake.models import Report, ReportItem

Payload = Callable[..., dict[str, Any]]


pytestmark = pytest.mark.django_db


def nothing_stored() -> None:
    """A rejected submission leaves no trace: no report, no item, no case."""
    assert Report.objects.count() == 0
    assert ReportItem.objects.count() == 0
    assert Case.objects.count() == 0


# --------------------------------------------------------------------------------------------
# Acknowledgement
# --------------------------------------------------------------------------------------------


def test_it_acknowledges_a_report_with_ids_cases_and_canonical_urls(sudan_api: ApiClient, report_payload: Payload):
    payload = report_payload(items=[
        {"url": "HTTP://Kite.Example/posts/7?utm_source=whatsapp#comments", "kind": "post"},
        {"platform_id": "acct-99812", "kind": "account"},
    ])

    response = sudan_api.submit(payload)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "received"
    assert body["item_count"] == 2
    assert body["received_at"]
    report = Report.objects.get(pk=body["id"])
    assert report.organisation.name == "Sudan Digital Rights Monitor"
    first, second = body["items"]
    assert first["url"] == "https://kite.example/posts/7"
    assert second["url"] == "" and second["platform_id"] == "acct-99812"
    for ack, item in zip(body["items"], report.items.order_by("position"), strict=True):
        assert ack["id"] == str(item.pk)
        assert ack["case_id"] == str(item.case_id)
    assert report.dsa_elements == {
        "explanation": True, "exact_location": False, "notifier_identity": True, "bona_fide": True,
    }


def test_it_records_the_reports_fields_as_given(sudan_api: ApiClient, report_payload: Payload):
    payload = report_payload(
        language="ar-sd", imminent_harm=True, imminent_harm_reason="A raid is announced for tonight.",
        targets=["journalist", "human_rights_defender"], reference="SDN-2291",
    )

    body = sudan_api.submit(payload).json()

    report = Report.objects.get(pk=body["id"])
    assert report.language == "ar-SD"
    assert report.imminent_harm is True
    assert report.imminent_harm_reason == "A raid is announced for tonight."
    assert report.targets == ["journalist", "human_rights_defender"]
    assert report.reference == "SDN-2291"
    assert report.channel == "api"


def test_it_accepts_500_items(sudan_api: ApiClient, report_payload: Payload):
    items = [{"url": kite_url(), "kind": "comment"} for _ in range(500)]

    response = sudan_api.submit(report_payload(items=items))

    assert response.status_code == 201, response.content
    assert response.json()["item_count"] == 500
    assert ReportItem.objects.count() == 500


# --------------------------------------------------------------------------------------------
# Items
# --------------------------------------------------------------------------------------------


def test_it_rejects_a_report_without_items(sudan_api: ApiClient, report_payload: Payload):
    payload = report_payload()
    del payload["items"]

    body = assert_error(sudan_api.submit(payload), 422, "invalid", "items")

    assert "items" in body["message"]
    nothing_stored()


def test_it_rejects_a_report_with_an_empty_item_list(sudan_api: ApiClient, report_payload: Payload):
    body = assert_error(sudan_api.submit(report_payload(items=[])), 422, "invalid", "items")

    assert "at least 1" in body["fields"]["items"][0]
    nothing_stored()


def test_it_rejects_501_items(sudan_api: ApiClient, report_payload: Payload):
    items = [{"url": kite_url(), "kind": "post"} for _ in range(501)]

    body = assert_error(sudan_api.submit(report_payload(items=items)), 422, "invalid", "items")

    assert "500" in body["fields"]["items"][0]
    nothing_stored()


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        "file:///etc/passwd",
        "ftp://kite.example/posts/1",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_it_rejects_urls_that_are_not_http(sudan_api: ApiClient, report_payload: Payload, url: str):
    items = [{"url": kite_url(), "kind": "post"}, {"url": url, "kind": "post"}]

    body = assert_error(sudan_api.submit(report_payload(items=items)), 422, "invalid", "items.1.url")

    assert "http" in body["fields"]["items.1.url"][0]
    assert body["message"].startswith("items.1.url")
    nothing_stored()


def test_it_rejects_an_item_with_both_url_and_platform_id(sudan_api: ApiClient, report_payload: Payload):
    items = [{"url": kite_url(), "platform_id": "post-1", "kind": "post"}]

    body = assert_error(sudan_api.submit(report_payload(items=items)), 422, "invalid", "items.0")

    assert "exactly one of url or platform_id" in body["fields"]["items.0"][0]


def test_it_rejects_an_item_with_neither_url_nor_platform_id(sudan_api: ApiClient, report_payload: Payload):
    assert_error(sudan_api.submit(report_payload(items=[{"kind": "post"}])), 422, "invalid", "items.0")


def test_it_rejects_the_same_item_twice_in_one_report(sudan_api: ApiClient, report_payload: Payload):
    items = [
        {"url": "https://kite.example/posts/42", "kind": "post"},
        {"url": "http://KITE.example/posts/42?utm_campaign=share#top", "kind": "post"},
    ]

    body = assert_error(sudan_api.submit(report_payload(items=items)), 422, "invalid", "items.1.url")

    assert "items.0" in body["fields"]["items.1.url"][0]
    nothing_stored()


def test_it_rejects_an_unknown_item_kind(sudan_api: ApiClient, report_payload: Payload):
    body = assert_error(
        sudan_api.submit(report_payload(items=[{"url": kite_url(), "kind": "tweetstorm"}])),
        422, "invalid", "items.0.kind",
    )

    assert "post" in body["fields"]["items.0.kind"][0]


def test_it_names_every_bad_item_at_once(sudan_api: ApiClient, report_payload: Payload):
    items = [
        {"url": "javascript:void(0)", "kind": "post"},
        {"url": kite_url(), "kind": "post"},
        {"url": "file:///c:/boot.ini", "kind": "post"},
    ]

    body = assert_error(sudan_api.submit(report_payload(items=items, country="XX")), 422, "invalid")

    assert {"items.0.url", "items.2.url", "country"} <= set(body["fields"])
    assert "more" in body["message"]


# --------------------------------------------------------------------------------------------
# Report fields
# --------------------------------------------------------------------------------------------


def test_it_rejects_an_unknown_category(sudan_api: ApiClient, report_payload: Payload):
    body = assert_error(sudan_api.submit(report_payload(category="being_rude")), 422, "invalid", "category")

    assert "being_rude" in body["fields"]["category"][0]
    assert "/api/v1/taxonomy" in body["fields"]["category"][0]
    nothing_stored()


@pytest.mark.parametrize("country", ["XX", "Sudan", "S", "ZZ", ""])
def test_it_rejects_an_invalid_country(sudan_api: ApiClient, report_payload: Payload, country: str):
    body = assert_error(sudan_api.submit(report_payload(country=country)), 422, "invalid", "country")

    assert "ISO 3166-1" in body["fields"]["country"][0]
    nothing_stored()


def test_it_normalises_a_lower_case_country(sudan_api: ApiClient, report_payload: Payload):
    body = sudan_api.submit(report_payload(country="sd")).json()

    assert Report.objects.get(pk=body["id"]).country == "SD"


@pytest.mark.parametrize("language", ["not a language", "e", "12-34", "ar_SD!"])
def test_it_rejects_an_invalid_language_tag(sudan_api: ApiClient, report_payload: Payload, language: str):
    body = assert_error(sudan_api.submit(report_payload(language=language)), 422, "invalid", "language")

    assert "BCP 47" in body["fields"]["language"][0]
    nothing_stored()


def test_it_accepts_a_report_without_a_language(sudan_api: ApiClient, report_payload: Payload):
    payload = report_payload()
    del payload["language"]

    response = sudan_api.submit(payload)

    assert response.status_code == 201, response.content
    assert Report.objects.get(pk=response.json()["id"]).language == ""


def test_it_rejects_an_explanation_over_the_limit(sudan_api: ApiClient, report_payload: Payload):
    body = assert_error(sudan_api.submit(report_payload(explanation="x" * 20_001)), 422, "invalid", "explanation")

    assert "20000" in body["fields"]["explanation"][0]


def test_it_refuses_a_10_mb_explanation_with_413(sudan_api: ApiClient, report_payload: Payload):
    response = sudan_api.submit(report_payload(explanation="x" * (10 * 1024 * 1024)))

    body = assert_error(response, 413, "too_large")
    assert "too large" in body["message"]
    nothing_stored()


def test_it_rejects_a_blank_explanation(sudan_api: ApiClient, report_payload: Payload):
    assert_error(sudan_api.submit(report_payload(explanation="   ")), 422, "invalid", "explanation")


@pytest.mark.parametrize("field", ["explanation", "imminent_harm_reason", "reference"])
def test_it_rejects_a_nul_character_in_text_by_field(sudan_api: ApiClient, report_payload: Payload, field: str):
    """A broken client or pasted binary can send U+0000, which PostgreSQL cannot store as text: name the field."""
    payload = report_payload(**{"imminent_harm": True, "imminent_harm_reason": "soon", field: "a\x00b"})
    response = sudan_api.submit(payload)

    body = assert_error(response, 422, "invalid", field)
    assert "NUL" in body["fields"][field][0]
    nothing_stored()


def test_it_rejects_a_nul_character_in_an_items_excerpt(sudan_api: ApiClient, report_payload: Payload):
    payload = report_payload()
    payload["items"][0]["excerpt"] = "seen\x00"

    assert_error(sudan_api.submit(payload), 422, "invalid", "items.0.excerpt")
    nothing_stored()


def test_it_rejects_imminent_harm_without_a_reason(sudan_api: ApiClient, report_payload: Payload):
    body = assert_error(
        sudan_api.submit(report_payload(imminent_harm=True, imminent_harm_reason="  ")),
        422, "invalid", "imminent_harm_reason",
    )

    assert "required when imminent_harm is true" in body["fields"]["imminent_harm_reason"][0]
    nothing_stored()


def test_it_rejects_a_report_without_the_bona_fide_statement(sudan_api: ApiClient, report_payload: Payload):
    body = assert_error(sudan_api.submit(report_payload(bona_fide=False)), 422, "invalid", "bona_fide")

    assert "Art. 16(2)(d)" in body["fields"]["bona_fide"][0]
    nothing_stored()


def test_it_requires_the_bona_fide_field(sudan_api: ApiClient, report_payload: Payload):
    payload = report_payload()
    del payload["bona_fide"]

    assert_error(sudan_api.submit(payload), 422, "invalid", "bona_fide")


def test_it_rejects_an_unknown_target(sudan_api: ApiClient, report_payload: Payload):
    assert_error(sudan_api.submit(report_payload(targets=["celebrity"])), 422, "invalid", "targets.0")


def test_it_rejects_a_repeated_target(sudan_api: ApiClient, report_payload: Payload):
    assert_error(sudan_api.submit(report_payload(targets=["journalist", "journalist"])), 422, "invalid", "targets")


def test_it_rejects_an_unknown_field_by_name(sudan_api: ApiClient, report_payload: Payload):
    body = assert_error(sudan_api.submit(report_payload(severity="high")), 422, "invalid", "severity")

    assert "unknown field" in body["fields"]["severity"][0]
    nothing_stored()


def test_it_rejects_an_unknown_field_inside_an_item(sudan_api: ApiClient, report_payload: Payload):
    items = [{"url": kite_url(), "kind": "post", "screenshot": "yes"}]

    body = assert_error(sudan_api.submit(report_payload(items=items)), 422, "invalid", "items.0.screenshot")

    assert "unknown field" in body["fields"]["items.0.screenshot"][0]


def test_it_rejects_a_field_of_the_wrong_type(sudan_api: ApiClient, report_payload: Payload):
    assert_error(sudan_api.submit(report_payload(imminent_harm="maybe")), 422, "invalid", "imminent_harm")


# --------------------------------------------------------------------------------------------
# The request itself
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_it_refuses_a_body_that_is_not_json_with_415(sudan_api: ApiClient, content_type: str):
    response = sudan_api.post("/reports", raw="items=1", content_type=content_type)

    body = assert_error(response, 415, "unsupported_media_type")
    assert "application/json" in body["message"]
    nothing_stored()


def test_it_refuses_malformed_json_with_400(sudan_api: ApiClient):
    response = sudan_api.post("/reports", raw='{"items": [{"url": "https://kite.example/1",}')

    body = assert_error(response, 400, "malformed_json")
    assert "Malformed JSON at line 1" in body["message"]
    nothing_stored()


@pytest.mark.parametrize("raw", ["[]", '"a report"', "42", "null"])
def test_it_refuses_json_that_is_not_an_object(sudan_api: ApiClient, raw: str):
    body = assert_error(sudan_api.post("/reports", raw=raw), 422, "invalid")

    assert "object" in body["message"]


def test_it_refuses_an_empty_body(sudan_api: ApiClient):
    body = assert_error(sudan_api.post("/reports", raw=""), 422, "invalid", "body")

    assert body["message"] == "body: the request body is empty: send a JSON object"


@pytest.mark.parametrize(
    ("raw", "reason"), [(b'{"items": "\xff\xfe"}', "not UTF-8"), (b"[" * 100_000, "nested too deeply")]
)
def test_it_refuses_undecodable_json_with_400(sudan_api: ApiClient, raw: bytes, reason: str):
    body = assert_error(sudan_api.post("/reports", raw=raw), 400, "malformed_json")

    assert reason in body["message"]


def test_a_repeated_key_in_the_json_cannot_smuggle_an_unknown_field(sudan_api: ApiClient, report_payload: Payload):
    raw = json.dumps(report_payload())[:-1] + ', "bona_fide": false}'

    assert_error(sudan_api.post("/reports", raw=raw), 422, "invalid", "bona_fide")
    nothing_stored()


def test_it_refuses_an_over_long_idempotency_key(sudan_api: ApiClient, report_payload: Payload):
    response = sudan_api.submit(report_payload(), headers={"Idempotency-Key": "k" * 256})

    assert_error(response, 422, "invalid", "Idempotency-Key")


def test_a_partner_analysts_session_can_submit(
    session_api: Callable[..., ApiClient], analyst_amal: Any, report_payload: Payload
):
    response = session_api(analyst_amal).submit(report_payload())

    assert response.status_code == 201, response.content
    report = Report.objects.get(pk=response.json()["id"])
    assert report.submitted_by == analyst_amal
    assert report.api_key is None


@pytest.mark.parametrize("persona", ["reviewer_rita", "auditor_aziz", "pm_pablo"])
def test_staff_cannot_submit_reports(
    request: pytest.FixtureRequest, session_api: Callable[..., ApiClient], report_payload: Payload, persona: str
):
    response = session_api(request.getfixturevalue(persona)).submit(report_payload())

    assert_error(response, 403, "forbidden")
    nothing_stored()


def test_an_outsider_cannot_submit(
    session_api: Callable[..., ApiClient], outsider_charlie: Any, report_payload: Payload
):
    assert_error(session_api(outsider_charlie).submit(report_payload()), 401, "unauthenticated")


def test_it_never_answers_500_to_random_ids(sudan_api: ApiClient):
    for report_id in [str(uuid.uuid4()), "not-a-uuid", "0", "%00"]:
        assert sudan_api.get(f"/reports/{report_id}").status_code == 404
