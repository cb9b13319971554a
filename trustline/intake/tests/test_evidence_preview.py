"""Evidence previews: a new, small, metadata-free JPEG of an image and an escaped excerpt of a text, audited.

Personas: the Sudan partner's analyst Amal attached the files; reviewer Rita
previews them; Bilal (Pakistan partner) is another organisation; auditor
Aziz is staff without access to evidence.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.conftest import ApiClient
from trustline.intake.preview import EXCERPT_BYTES, PREVIEW_EDGE
from trustline.intake.tests.test_evidence import PDF, attach

pytestmark = pytest.mark.django_db

StaffClient = Callable[[User], Client]


def photo(width: int = 3000, height: int = 1500, *, gps: bool = True) -> bytes:
    """A JPEG as a phone takes it: large, with a GPS position and a camera model in EXIF."""
    image = Image.new("RGB", (width, height), (200, 40, 40))
    exif = Image.Exif()
    exif[0x0110] = "Witness phone"  # Model
    if gps:
        exif[0x8825] = {1: "N", 2: (15.0, 30.0, 0.0), 3: "E", 4: (32.0, 32.0, 0.0)}  # GPSInfo: Khartoum
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("P", (40, 40), colour) for colour in (1, 2, 3)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def attached(sudan_api: ApiClient, report_id: str, name: str, content: bytes, content_type: str) -> str:
    response = attach(sudan_api, report_id, name, content, content_type)
    assert response.status_code == 201, response.content
    return str(response.json()["id"])


def preview_url(report_id: str, evidence_id: str) -> str:
    return f"/portal/reports/{report_id}/evidence/{evidence_id}/preview.jpg"


def excerpt_url(report_id: str, evidence_id: str) -> str:
    return f"/portal/reports/{report_id}/evidence/{evidence_id}/excerpt/"


class TestImagePreview:
    def test_a_phone_photo_becomes_a_small_jpeg_without_its_location(
        self, sudan_api: ApiClient, submitted: dict[str, Any], reviewer_rita: User, staff_client: StaffClient
    ):
        original = photo()
        assert Image.open(io.BytesIO(original)).getexif().get(0x8825)  # the upload does carry a position
        evidence = attached(sudan_api, submitted["id"], "witness.jpg", original, "image/jpeg")

        response = staff_client(reviewer_rita).get(preview_url(submitted["id"], evidence))

        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
        preview = Image.open(io.BytesIO(response.content))
        assert preview.format == "JPEG"
        assert max(preview.size) == PREVIEW_EDGE
        assert preview.size == (PREVIEW_EDGE, PREVIEW_EDGE // 2)  # the proportions kept
        assert not preview.getexif()  # neither the position nor the camera
        assert response.content != original
        entry = AuditEntry.objects.get(action="evidence.viewed")
        assert (entry.target_id, entry.data["as"]) == (evidence, "preview")
        assert entry.actor == f"user:{reviewer_rita.pk}"

    def test_an_animated_gif_gives_its_first_frame_only(
        self, sudan_api: ApiClient, submitted: dict[str, Any], reviewer_rita: User, staff_client: StaffClient
    ):
        evidence = attached(sudan_api, submitted["id"], "loop.gif", animated_gif(), "image/gif")

        response = staff_client(reviewer_rita).get(preview_url(submitted["id"], evidence))

        preview = Image.open(io.BytesIO(response.content))
        assert (preview.format, getattr(preview, "n_frames", 1)) == ("JPEG", 1)

    def test_a_transparent_png_is_flattened_onto_white(
        self, sudan_api: ApiClient, submitted: dict[str, Any], reviewer_rita: User, staff_client: StaffClient
    ):
        image = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
        out = io.BytesIO()
        image.save(out, format="PNG")
        evidence = attached(sudan_api, submitted["id"], "clear.png", out.getvalue(), "image/png")

        response = staff_client(reviewer_rita).get(preview_url(submitted["id"], evidence))

        pixel = Image.open(io.BytesIO(response.content)).convert("RGB").getpixel((10, 10))
        assert isinstance(pixel, tuple) and min(pixel) > 240

    def test_an_image_claiming_too_many_pixels_is_not_decoded(
        self, sudan_api: ApiClient, submitted: dict[str, Any], reviewer_rita: User, staff_client: StaffClient
    ):
        out = io.BytesIO()
        Image.new("1", (10_000, 6_000)).save(out, format="PNG")  # 60 M pixels in a few kilobytes
        evidence = attached(sudan_api, submitted["id"], "bomb.png", out.getvalue(), "image/png")

        response = staff_client(reviewer_rita).get(preview_url(submitted["id"], evidence))

        assert response.status_code == 422
        assert "too large to preview" in response.content.decode()
        assert not AuditEntry.objects.filter(action="evidence.viewed").exists()

    def test_a_corrupt_image_answers_why_and_keeps_the_download(
        self, sudan_api: ApiClient, submitted: dict[str, Any], reviewer_rita: User, staff_client: StaffClient
    ):
        broken = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
        evidence = attached(sudan_api, submitted["id"], "broken.png", broken, "image/png")
        client = staff_client(reviewer_rita)

        response = client.get(preview_url(submitted["id"], evidence))

        assert response.status_code == 422
        assert "cannot be read" in response.content.decode()
        download = client.get(f"/portal/reports/{submitted['id']}/evidence/{evidence}/")
        assert download.getvalue() == broken

    def test_a_pdf_shows_its_first_page_as_a_small_jpeg(
        self, sudan_api: ApiClient, submitted: dict[str, Any], reviewer_rita: User, staff_client: StaffClient
    ):
        pages = [Image.new("RGB", (1240, 1754), colour) for colour in ((200, 40, 40), (40, 40, 200))]
        out = io.BytesIO()
        pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:])
        evidence = attached(sudan_api, submitted["id"], "dossier.pdf", out.getvalue(), "application/pdf")

        response = staff_client(reviewer_rita).get(preview_url(submitted["id"], evidence))

        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "image/jpeg"
        with Image.open(io.BytesIO(response.content)) as shown:
            assert shown.format == "JPEG" and max(shown.size) <= PREVIEW_EDGE
            assert abs(shown.size[0] / shown.size[1] - 1240 / 1754) < 0.01
            middle = shown.convert("RGB").getpixel((shown.size[0] // 2, shown.size[1] // 2))
            assert isinstance(middle, tuple) and middle[0] > 150 and middle[2] < 90  # page 1 (red), not 2 (blue)
        assert AuditEntry.objects.get(action="evidence.viewed").data["as"] == "preview"

    def test_a_pdf_that_cannot_be_rendered_answers_why_and_keeps_the_download(
        self, sudan_api: ApiClient, submitted: dict[str, Any], reviewer_rita: User, staff_client: StaffClient
    ):
        evidence = attached(sudan_api, submitted["id"], "letter.pdf", PDF, "application/pdf")
        client = staff_client(reviewer_rita)

        response = client.get(preview_url(submitted["id"], evidence))

        assert response.status_code == 422
        assert "the PDF cannot be shown" in response.content.decode()
        assert not AuditEntry.objects.filter(action="evidence.viewed").exists()
        assert client.get(f"/portal/reports/{submitted['id']}/evidence/{evidence}/").getvalue() == PDF

    def test_a_text_file_has_no_image_preview(
        self, sudan_api: ApiClient, submitted: dict[str, Any], reviewer_rita: User, staff_client: StaffClient
    ):
        evidence = attached(sudan_api, submitted["id"], "notes.txt", b"plain words", "text/plain")

        response = staff_client(reviewer_rita).get(preview_url(submitted["id"], evidence))

        assert response.status_code == 422
        assert "text/plain files have no image preview" in response.content.decode()


class TestTextExcerpt:
    def test_the_text_is_escaped_and_audited(
        self, sudan_api: ApiClient, submitted: dict[str, Any], reviewer_rita: User, staff_client: StaffClient
    ):
        text = "Captured at 14:02.\n<script>alert(1)</script>\nالحساب نشر العنوان"
        evidence = attached(sudan_api, submitted["id"], "note.txt", text.encode(), "text/plain")

        response = staff_client(reviewer_rita).get(excerpt_url(submitted["id"], evidence))

        assert response.status_code == 200
        page = response.content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script>" not in page
        assert "الحساب نشر العنوان" in page
        assert "Only the start of the file" not in page
        assert AuditEntry.objects.get(action="evidence.viewed").data["as"] == "excerpt"

    def test_a_long_text_shows_its_start_and_says_so(
        self, sudan_api: ApiClient, submitted: dict[str, Any], reviewer_rita: User, staff_client: StaffClient
    ):
        text = ("ب" * (EXCERPT_BYTES // 2 + 10)).encode()  # two bytes a letter: the cut falls inside no letter
        evidence = attached(sudan_api, submitted["id"], "long.txt", text + b"\nEND-MARK", "text/plain")

        page = staff_client(reviewer_rita).get(excerpt_url(submitted["id"], evidence)).content.decode()

        assert "Only the start of the file" in page
        assert "END-MARK" not in page
        assert "\ufffd" not in page

    def test_an_image_has_no_text_excerpt(
        self, sudan_api: ApiClient, submitted: dict[str, Any], reviewer_rita: User, staff_client: StaffClient
    ):
        evidence = attached(sudan_api, submitted["id"], "witness.jpg", photo(40, 30), "image/jpeg")

        client = staff_client(reviewer_rita)
        response = client.get(excerpt_url(submitted["id"], evidence))
        in_page = client.get(excerpt_url(submitted["id"], evidence), headers={"HX-Request": "true"})

        assert response.status_code == 422
        assert "image/jpeg files have no text excerpt" in response.content.decode()
        assert in_page.status_code == 200  # htmx swaps only successes: the reason shows where the text would
        assert 'class="msg msg-warning"' in in_page.content.decode()


class TestWhoMayPreview:
    @pytest.fixture
    def evidence(self, sudan_api: ApiClient, submitted: dict[str, Any]) -> tuple[str, str]:
        return submitted["id"], attached(sudan_api, submitted["id"], "witness.jpg", photo(40, 30), "image/jpeg")

    def test_anonymous_is_sent_to_sign_in(self, evidence: tuple[str, str]):
        response = Client().get(preview_url(*evidence))

        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    def test_another_organisation_gets_the_404_of_a_missing_file(
        self, evidence: tuple[str, str], analyst_bilal: User, staff_client: StaffClient
    ):
        client = staff_client(analyst_bilal)

        other = client.get(preview_url(*evidence))
        missing = client.get(preview_url(evidence[0], str(uuid.uuid4())))

        assert (other.status_code, missing.status_code) == (404, 404)
        assert client.get(excerpt_url(*evidence)).status_code == 404
        assert not AuditEntry.objects.filter(action="evidence.viewed").exists()

    def test_an_auditor_does_not_open_evidence(
        self, evidence: tuple[str, str], auditor_aziz: User, staff_client: StaffClient
    ):
        assert staff_client(auditor_aziz).get(preview_url(*evidence)).status_code == 404

    def test_the_reporting_partner_sees_its_own_file(
        self, evidence: tuple[str, str], analyst_amal: User, staff_client: StaffClient
    ):
        response = staff_client(analyst_amal).get(preview_url(*evidence))

        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
