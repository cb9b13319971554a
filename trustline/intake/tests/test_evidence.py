"""Evidence over the API: checked by content, stored hashed, downloads audited and never rendered inline."""

from __future__ import annotations

import hashlib
import struct
import uuid
import zlib
from collections.abc import Callable
from typing import Any

import pytest

from trustline.audit.models import AuditEntry
from trustline.conftest import ApiClient, assert_error
from trustline.intake.models import Evidence

pytestmark = pytest.mark.django_db

SessionApi = Callable[..., ApiClient]


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(
        b"IEND", b""
    )


PNG = png()
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/v1/keys')</script></body></html>"


def attach(client: ApiClient, report_id: str, name: str, content: bytes, content_type: str = "", **form: str) -> Any:
    return client.upload(f"/reports/{report_id}/evidence", {"file": (name, content, content_type)}, form)


def test_a_screenshot_is_stored_with_its_hash_and_downloads_as_an_attachment(
    sudan_api: ApiClient, submitted: dict[str, Any], sudan_partner: Any
):
    report_id = submitted["id"]
    item_id = submitted["items"][0]["id"]

    response = attach(sudan_api, report_id, "screenshot.png", PNG, "image/png", item_id=item_id)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert body["size"] == len(PNG)
    assert body["content_type"] == "image/png"
    assert body["item_id"] == item_id
    evidence = Evidence.objects.get(pk=body["id"])
    assert evidence.file.name.endswith(f"{body['sha256']}.png")
    assert "screenshot" not in evidence.file.name
    detail = sudan_api.get(f"/reports/{report_id}").json()
    assert [e["id"] for e in detail["evidence"]] == [body["id"]]
    assert [e["kind"] for e in detail["timeline"]] == ["received", "evidence_added"]

    download = sudan_api.get(f"/reports/{report_id}/evidence/{body['id']}", headers={"Accept-Encoding": "gzip"})

    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert not download.has_header("Content-Encoding")  # a file is sent as stored, with its length
    assert download["Content-Length"] == str(len(PNG))
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Disposition"].endswith(f'evidence-{body["id"]}.png"')
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "image/png"
    viewed = AuditEntry.objects.get(action="evidence.viewed")
    assert (viewed.target_type, viewed.target_id) == ("intake.evidence", body["id"])
    assert viewed.organisation_id == sudan_partner.pk
    assert viewed.data["sha256"] == body["sha256"]


def test_a_pdf_and_a_text_note_are_accepted(sudan_api: ApiClient, submitted: dict[str, Any]):
    note = b"Post was deleted then re-uploaded at 21:40 local time.\n"

    assert attach(sudan_api, submitted["id"], "capture.pdf", PDF, "application/pdf").status_code == 201
    assert attach(sudan_api, submitted["id"], "note.txt", note, "text/plain").status_code == 201
    assert Evidence.objects.count() == 2


def test_an_oversized_file_is_refused_with_413(sudan_api: ApiClient, submitted: dict[str, Any]):
    big = PNG + b"\x00" * (10 * 1024 * 1024)

    body = assert_error(attach(sudan_api, submitted["id"], "huge.png", big, "image/png"), 413, "evidence_too_large",
                        "file")

    assert "larger than the limit" in body["message"]
    assert not Evidence.objects.exists()


def test_a_pdf_named_as_a_png_is_mislabelled(sudan_api: ApiClient, submitted: dict[str, Any]):
    response = attach(sudan_api, submitted["id"], "photo.png", PDF, "image/png")

    body = assert_error(response, 422, "evidence_mislabelled", "file")
    assert "application/pdf" in body["message"]
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(
    ("name", "content_type"), [("screenshot.png", "image/png"), ("notes.txt", "text/plain"), ("page.html", "")]
)
def test_html_is_refused_whatever_it_is_called(
    sudan_api: ApiClient, submitted: dict[str, Any], name: str, content_type: str
):
    body = assert_error(attach(sudan_api, submitted["id"], name, HTML, content_type), 422,
                        "evidence_unsupported_type", "file")

    assert "markup" in body["message"]
    assert not Evidence.objects.exists()


def test_an_empty_file_is_refused(sudan_api: ApiClient, submitted: dict[str, Any]):
    assert_error(attach(sudan_api, submitted["id"], "empty.png", b"", "image/png"), 422, "evidence_empty", "file")


def test_the_same_file_twice_is_a_conflict(sudan_api: ApiClient, submitted: dict[str, Any]):
    assert attach(sudan_api, submitted["id"], "a.png", PNG, "image/png").status_code == 201

    assert_error(attach(sudan_api, submitted["id"], "b.png", PNG, "image/png"), 409, "evidence_duplicate", "file")


@pytest.mark.parametrize("item_id", ["not-a-uuid", "6aeeb85c-f2f1-425e-9365-0102e87570b3"])
def test_an_item_of_another_report_is_refused(sudan_api: ApiClient, submitted: dict[str, Any], item_id: str):
    response = attach(sudan_api, submitted["id"], "a.png", PNG, "image/png", item_id=item_id)

    assert_error(response, 422, "invalid", "item_id")


# --------------------------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------------------------


@pytest.fixture
def evidence_id(sudan_api: ApiClient, submitted: dict[str, Any]) -> str:
    response = attach(sudan_api, submitted["id"], "screenshot.png", PNG, "image/png")
    assert response.status_code == 201, response.content
    return str(response.json()["id"])


def test_another_organisation_cannot_see_or_add_evidence(
    pakistan_api: ApiClient, submitted: dict[str, Any], evidence_id: str
):
    report_id = submitted["id"]

    other = pakistan_api.get(f"/reports/{report_id}/evidence/{evidence_id}")
    missing = pakistan_api.get(f"/reports/{uuid.uuid4()}/evidence/{uuid.uuid4()}")
    added = attach(pakistan_api, report_id, "x.png", png() + b"\x00", "image/png")

    assert_error(other, 404, "not_found")
    assert other.json() == missing.json()
    assert_error(added, 404, "not_found")
    assert not AuditEntry.objects.filter(action="evidence.viewed").exists()
    assert Evidence.objects.count() == 1


def test_evidence_of_one_report_is_not_found_under_another(
    sudan_api: ApiClient, report_payload: Callable[..., Any], evidence_id: str
):
    other_report = sudan_api.submit(report_payload()).json()["id"]

    assert_error(sudan_api.get(f"/reports/{other_report}/evidence/{evidence_id}"), 404, "not_found")


def test_anonymous_cannot_download_or_attach(api: ApiClient, submitted: dict[str, Any], evidence_id: str):
    assert_error(api.get(f"/reports/{submitted['id']}/evidence/{evidence_id}"), 401, "unauthenticated")
    assert_error(attach(api, submitted["id"], "a.png", PNG, "image/png"), 401, "unauthenticated")


def test_a_reviewer_downloads_evidence_and_the_read_is_audited(
    session_api: SessionApi, reviewer_rita: Any, submitted: dict[str, Any], evidence_id: str
):
    response = session_api(reviewer_rita).get(f"/reports/{submitted['id']}/evidence/{evidence_id}")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    entry = AuditEntry.objects.get(action="evidence.viewed")
    assert entry.actor == f"user:{reviewer_rita.pk}"
    assert entry.target_id == evidence_id


def test_an_auditor_reads_the_record_but_not_evidence_files(
    session_api: SessionApi, auditor_aziz: Any, submitted: dict[str, Any], evidence_id: str
):
    response = session_api(auditor_aziz).get(f"/reports/{submitted['id']}/evidence/{evidence_id}")

    assert_error(response, 403, "forbidden")
    assert not AuditEntry.objects.filter(action="evidence.viewed").exists()


def test_staff_cannot_attach_evidence_to_a_partners_report(
    session_api: SessionApi, reviewer_rita: Any, submitted: dict[str, Any]
):
    assert_error(attach(session_api(reviewer_rita), submitted["id"], "a.png", PNG, "image/png"), 403, "forbidden")
