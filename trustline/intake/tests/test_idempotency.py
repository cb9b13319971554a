"""Retrying a submission with an ``Idempotency-Key`` never makes a duplicate report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from trustline.audit.models import AuditEntry
from trustline.conftest import ApiClient, assert_error
from trustline.intake.models import Report, ReportItem

pytestmark = pytest.mark.django_db

Payload = Callable[..., dict[str, Any]]
KEY = {"Idempotency-Key": "sdn-batch-2025-03-01-0001"}


def test_a_retry_with_the_same_key_and_body_returns_the_original_report(
    sudan_api: ApiClient, report_payload: Payload
):
    payload = report_payload()
    first = sudan_api.submit(payload, headers=KEY)

    retry = sudan_api.submit(payload, headers=KEY)

    assert first.status_code == 201, first.content
    assert retry.status_code == 200, retry.content
    assert retry.json() == first.json()
    assert Report.objects.count() == 1
    assert ReportItem.objects.count() == 1
    assert AuditEntry.objects.filter(action="report.submitted").count() == 1


def test_the_same_key_with_a_different_body_is_a_conflict(sudan_api: ApiClient, report_payload: Payload):
    payload = report_payload()
    assert sudan_api.submit(payload, headers=KEY).status_code == 201

    response = sudan_api.submit({**payload, "explanation": "Something else entirely."}, headers=KEY)

    body = assert_error(response, 409, "idempotency_key_reused", "Idempotency-Key")
    assert "different report" in body["message"]
    assert Report.objects.count() == 1


def test_another_organisation_may_use_the_same_key_string(
    sudan_api: ApiClient, pakistan_api: ApiClient, report_payload: Payload
):
    payload = report_payload()
    sudan = sudan_api.submit(payload, headers=KEY)

    pakistan = pakistan_api.submit(payload, headers=KEY)
    pakistan_retry = pakistan_api.submit(payload, headers=KEY)

    assert sudan.status_code == 201
    assert pakistan.status_code == 201, pakistan.content
    assert pakistan.json()["id"] != sudan.json()["id"]
    assert pakistan_retry.status_code == 200
    assert pakistan_retry.json()["id"] == pakistan.json()["id"]
    assert Report.objects.count() == 2


def test_without_a_key_each_submission_is_a_new_report(sudan_api: ApiClient, report_payload: Payload):
    payload = report_payload()

    first = sudan_api.submit(payload).json()
    second = sudan_api.submit(payload).json()

    assert first["id"] != second["id"]
    assert first["items"][0]["case_id"] == second["items"][0]["case_id"]
    assert Report.objects.count() == 2


def test_a_rejected_submission_does_not_use_up_the_key(sudan_api: ApiClient, report_payload: Payload):
    payload = report_payload()
    assert sudan_api.submit({**payload, "country": "XX"}, headers=KEY).status_code == 422

    response = sudan_api.submit(payload, headers=KEY)

    assert response.status_code == 201, response.content


def test_a_session_and_a_key_of_the_same_partner_share_keys(
    sudan_api: ApiClient, session_api: Callable[..., ApiClient], analyst_amal: Any, report_payload: Payload
):
    payload = report_payload()
    first = sudan_api.submit(payload, headers=KEY)

    retry = session_api(analyst_amal).submit(payload, headers=KEY)

    assert retry.status_code == 200, retry.content
    assert retry.json()["id"] == first.json()["id"]


def test_the_fingerprint_of_a_body_is_stable_across_releases():
    # Stored keys are compared with the fingerprint of a retry, which may reach a newer release: the
    # canonical form of a body (field order, defaults, stripped text) must not change with the schema's
    # implementation (it moved from ninja.Schema to a plain pydantic model on 7 December 2026).
    from trustline.intake.schemas import ReportIn
    from trustline.intake.services import request_fingerprint

    body = ReportIn.model_validate({
        "items": [{"url": " https://x.example/a ", "kind": "post", "excerpt": "é"}],
        "category": "hateful_conduct", "explanation": "x", "country": "FR",
        "targets": ["religious_or_ethnic_minority"], "bona_fide": True,
    })

    assert request_fingerprint(body) == "11dfdec98c42d7762bd4e2d42322c9635edcf1a21e30bbe7f52ca428a8c57141"
