"""Sending a bulk upload again with its ``Idempotency-Key`` never stores its rows twice.

The partner's 10,000-row file reached the server and was stored, but the
answer was lost on a weak connection; the partner (or their script) sends it
again with the same key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.conftest import ApiClient, assert_error
from trustline.core import clock
from trustline.intake.bulk import BULK_ANSWER_DAYS, bulk_answers_expire
from trustline.intake.models import BulkUploadRecord, Report, ReportItem
from trustline.intake.tests.test_bulk import make_csv, row, upload

pytestmark = pytest.mark.django_db

KEY = {"Idempotency-Key": "pk-bulk-2026-12-07-01"}


def test_the_same_file_with_the_same_key_gets_the_first_answer_and_stores_nothing_twice(pakistan_api: ApiClient):
    content = make_csv([row(), row(), row(category="no_such_category")])
    first = upload(pakistan_api, content, headers=KEY)

    retry = upload(pakistan_api, content, headers=KEY)

    assert first.status_code == retry.status_code == 200, retry.content
    assert first.json()["replayed"] is False and retry.json()["replayed"] is True
    assert {**retry.json(), "replayed": False} == first.json()  # the same ids, rows and errors
    assert (Report.objects.count(), ReportItem.objects.count()) == (2, 2)
    assert AuditEntry.objects.filter(action="bulk.uploaded").count() == 1


def test_the_same_key_with_another_file_or_other_options_is_a_conflict(pakistan_api: ApiClient):
    content = make_csv([row()])
    assert upload(pakistan_api, content, headers=KEY).status_code == 200

    assert_error(upload(pakistan_api, make_csv([row()]), headers=KEY), 409, "idempotency_key_reused")
    assert_error(upload(pakistan_api, content, all_or_nothing=True, headers=KEY), 409, "idempotency_key_reused")
    assert Report.objects.count() == 1


def test_keys_belong_to_one_organisation(pakistan_api: ApiClient, sudan_api: ApiClient):
    content = make_csv([row()])
    assert upload(pakistan_api, content, headers=KEY).json()["replayed"] is False

    other = upload(sudan_api, content, headers=KEY)

    assert other.status_code == 200 and other.json()["replayed"] is False
    assert Report.objects.count() == 2


def test_an_upload_that_stored_nothing_keeps_no_answer(pakistan_api: ApiClient):
    """All or nothing with a bad row: nothing stored, so the corrected file may use the same key."""
    bad = upload(pakistan_api, make_csv([row(), row(country="XX")]), all_or_nothing=True, headers=KEY)
    assert bad.json()["accepted_rows"] == 0

    fixed = upload(pakistan_api, make_csv([row(), row()]), all_or_nothing=True, headers=KEY)

    assert fixed.status_code == 200 and fixed.json()["accepted_rows"] == 2 and fixed.json()["replayed"] is False
    assert Report.objects.count() == 2 and BulkUploadRecord.objects.count() == 1


def test_without_a_key_the_same_file_is_stored_again(pakistan_api: ApiClient):
    """The old behaviour, for clients that send no key: every upload is a new one (its rows join the same cases)."""
    content = make_csv([row()])
    upload(pakistan_api, content)
    upload(pakistan_api, content)

    assert Report.objects.count() == 2 and not BulkUploadRecord.objects.exists()


def test_a_key_longer_than_255_characters_is_refused(pakistan_api: ApiClient):
    response = upload(pakistan_api, make_csv([row()]), headers={"Idempotency-Key": "k" * 256})

    assert_error(response, 422, "invalid")
    assert not Report.objects.exists()


def test_answers_are_forgotten_after_a_week(pakistan_api: ApiClient):
    upload(pakistan_api, make_csv([row()]), headers=KEY)
    now = clock.now()

    assert bulk_answers_expire(now=now + dt.timedelta(days=BULK_ANSWER_DAYS - 1)) == 0
    assert bulk_answers_expire(now=now + dt.timedelta(days=BULK_ANSWER_DAYS, minutes=1)) == 1
    assert not BulkUploadRecord.objects.exists() and Report.objects.count() == 1  # the reports stay


def test_the_web_form_sent_twice_stores_the_file_once(analyst_amal: User, staff_client: Callable[[User], Client]):
    """The browser lost the answer and the partner presses Upload again: same form token, same file."""
    client = staff_client(analyst_amal)
    form = {"idempotency_key": "0f8fad5b-d9cb-469f-a165-70867728950e", "bona_fide": "on"}
    content = make_csv([row(country="SD", language="ar")])

    def send() -> str:
        response = client.post(reverse("intake:bulk_upload"),
                               {**form, "file": SimpleUploadedFile("batch.csv", content, "text/csv")})
        assert response.status_code == 200
        return response.content.decode()

    first, second = send(), send()

    assert "already received" not in first and "nothing was stored twice" in second
    assert Report.objects.count() == 1
