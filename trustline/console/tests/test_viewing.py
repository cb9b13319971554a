"""Viewing preferences: evidence images blurred and grey by default, each reviewer's own choice, audited.

Personas: Amal (Sudan partner) reports with a photo and a text note; Rita,
an Arabic-speaking reviewer, reviews; Lena is an escalation lead; Aziz an
auditor (sees cases, not evidence files); Bilal a partner of another
organisation.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.console.models import ViewingPreference
from trustline.console.services import viewing_preference_set
from trustline.console.tests.conftest import case_of
from trustline.core.exceptions import ValidationFailed
from trustline.intake.evidence import evidence_attach

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (150, 20, 20)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def rita(reviewer_rita: User) -> User:
    from trustline.accounts.permissions import SYSTEM
    from trustline.routing.reviewers import reviewer_skills_set

    reviewer_skills_set(actor=SYSTEM, user_id=reviewer_rita.pk, languages=["ar"], countries=["SD"])
    return reviewer_rita


@pytest.fixture
def pictured(analyst_amal: User, submit: Callable[..., Any]) -> Case:
    """A case whose report has a photo and a text note."""
    result = submit(analyst_amal, language="ar")
    for name, content, kind in (("scene.jpg", jpeg(), "image/jpeg"), ("note.txt", b"Seen at 14:02", "text/plain")):
        evidence_attach(actor=actor_of(analyst_amal), report=result.report, fileobj=io.BytesIO(content), name=name,
                        declared_type=kind)
    return case_of(result)


def reveal_box(page: str) -> str:
    found = re.search(r'<input type="checkbox" class="reveal-toggle[^>]*>', page)
    assert found, "no reveal checkbox on the page"
    return found.group(0)


class TestCasePage:
    def test_images_are_blurred_and_grey_until_revealed_by_default(self, rita: User, signed_in: SignedIn,
                                                                    pictured: Case) -> None:
        page = signed_in(rita).get(f"/console/cases/{pictured.pk}/").content.decode()

        assert 'class="evidence-figure is-grey"' in page
        assert "checked" not in reveal_box(page)  # blurred: the reveal is not ticked
        assert "/preview.jpg" in page
        assert "Show this image" in page
        assert "hx-get=\"/portal/reports/" in page and "/excerpt/" in page  # the note loads only when opened
        assert not AuditEntry.objects.filter(action="evidence.viewed").exists()  # the page itself reads no file

    def test_a_reviewer_who_chose_clear_colour_images_gets_them(self, rita: User, signed_in: SignedIn,
                                                                pictured: Case) -> None:
        viewing_preference_set(actor=actor_of(rita), image_previews="clear", grayscale=False)

        page = signed_in(rita).get(f"/console/cases/{pictured.pk}/").content.decode()

        assert 'class="evidence-figure"' in page
        assert "checked" in reveal_box(page)

    def test_a_reviewer_who_chose_none_gets_only_the_download(self, rita: User, signed_in: SignedIn,
                                                              pictured: Case) -> None:
        viewing_preference_set(actor=actor_of(rita), image_previews="none", grayscale=True)

        page = signed_in(rita).get(f"/console/cases/{pictured.pk}/").content.decode()

        assert "/preview.jpg" not in page and "reveal-toggle" not in page
        assert re.search(r'href="/portal/reports/[^"]+/evidence/[^"]+/" download><bdi>scene.jpg', page)

    def test_a_pdf_is_shown_by_its_first_page_blurred_like_an_image(self, rita: User, signed_in: SignedIn,
                                                                   analyst_amal: User, submit: Callable[..., Any]):
        result = submit(analyst_amal, language="ar")
        out = io.BytesIO()
        Image.new("RGB", (300, 400), (20, 20, 150)).save(out, format="PDF")
        evidence_attach(actor=actor_of(analyst_amal), report=result.report, fileobj=io.BytesIO(out.getvalue()),
                        name="dossier.pdf", declared_type="application/pdf")

        page = signed_in(rita).get(f"/console/cases/{case_of(result).pk}/").content.decode()

        assert "checked" not in reveal_box(page) and "/preview.jpg" in page
        assert "application/pdf" in page and "first page" in page

    def test_one_reviewers_choice_is_not_anothers(self, rita: User, lead_lena: User, signed_in: SignedIn,
                                                  pictured: Case) -> None:
        viewing_preference_set(actor=actor_of(rita), image_previews="clear", grayscale=False)

        page = signed_in(lead_lena).get(f"/console/cases/{pictured.pk}/").content.decode()

        assert "checked" not in reveal_box(page)
        assert 'class="evidence-figure is-grey"' in page

    def test_an_auditor_sees_the_file_names_only(self, auditor_aziz: User, signed_in: SignedIn,
                                                 pictured: Case) -> None:
        page = signed_in(auditor_aziz).get(f"/console/cases/{pictured.pk}/").content.decode()

        assert "scene.jpg" in page
        assert "evidence files are not open to your role" in page
        assert "/preview.jpg" not in page and "/excerpt/" not in page


class TestPreferencePage:
    def test_anonymous_is_sent_to_sign_in(self, db: None) -> None:
        response = Client().get("/console/viewing/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")

    def test_a_partner_gets_not_found(self, analyst_bilal: User, staff_client: Callable[[User], Client]) -> None:
        assert staff_client(analyst_bilal).get("/console/viewing/").status_code == 404

    def test_the_defaults_are_blurred_and_grey(self, rita: User, signed_in: SignedIn) -> None:
        page = signed_in(rita).get("/console/viewing/").content.decode()

        assert re.search(r'<input type="radio" name="image_previews" value="blurred"[^>]*checked', page)
        assert re.search(r'<input type="checkbox" name="grayscale"[^>]*checked', page)

    def test_saving_returns_to_the_case_and_is_audited(self, rita: User, signed_in: SignedIn,
                                                       pictured: Case) -> None:
        back = f"/console/cases/{pictured.pk}/"
        response = signed_in(rita).post("/console/viewing/", {"image_previews": "clear", "back": back})

        assert response.status_code == 302 and response["Location"] == back
        preference = ViewingPreference.objects.get(user=rita)
        assert (preference.image_previews, preference.grayscale) == ("clear", False)
        entry = AuditEntry.objects.get(action="viewing_preference.changed")
        assert entry.data == {"before": {"image_previews": "blurred", "grayscale": True},
                              "after": {"image_previews": "clear", "grayscale": False}}

    def test_another_site_is_never_the_way_back(self, rita: User, signed_in: SignedIn) -> None:
        response = signed_in(rita).post("/console/viewing/", {"image_previews": "none", "grayscale": "on",
                                                              "back": "https://evil.example/"})

        assert response.status_code == 302 and response["Location"] == "/console/viewing/"

    def test_an_unknown_choice_is_named_and_nothing_is_saved(self, rita: User, signed_in: SignedIn) -> None:
        response = signed_in(rita).post("/console/viewing/", {"image_previews": "sharp"})

        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        assert not ViewingPreference.objects.exists()

    def test_the_service_refuses_an_unknown_choice_by_field(self, rita: User) -> None:
        with pytest.raises(ValidationFailed) as raised:
            viewing_preference_set(actor=actor_of(rita), image_previews="sharp", grayscale=True)

        assert list(raised.value.fields) == ["image_previews"]
        assert not ViewingPreference.objects.exists()
