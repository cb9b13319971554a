"""The partner web portal, through ``django.test.Client``: the form, the list, the detail page, bulk upload.

Personas come from ``trustline/conftest.py``: ``analyst_amal`` (Sudan partner),
``analyst_bilal`` (Pakistan partner, the "other organisation"),
``reviewer_rita`` (platform staff) and ``outsider_charlie`` (no membership).
"""

from __future__ import annotations

import re
import struct
import uuid
import zlib
from collections.abc import Callable, Mapping
from typing import Any, cast

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import FileResponse
from django.test import Client
from django.urls import reverse

from trustline.accounts.models import User
from trustline.conftest import actor_of, kite_url
from trustline.intake.choices import Channel
from trustline.intake.models import Evidence, Report
from trustline.intake.schemas import ReportIn
from trustline.intake.services import report_submit

NEW = reverse("intake:report_new")
LIST = reverse("intake:report_list")
BULK = reverse("intake:bulk_upload")
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(
        b"IEND", b""
    )


def form_data(items: Mapping[str, Any] | None = None, *, rows: int = 3, **overrides: Any) -> dict[str, Any]:
    """A valid POST of the report form: one filled item row, the others empty; ``items`` overrides row fields."""
    data: dict[str, Any] = {
        "idempotency_key": str(uuid.uuid4()),
        "items-TOTAL_FORMS": str(rows),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "500",
        "category": "threat_to_life",
        "country": "SD",
        "language": "ar",
        "explanation": "The post names a journalist in Omdurman, gives her address and calls for her to be killed.",
        "targets": ["journalist"],
        "bona_fide": "on",
        "reference": "KRT-17",
    }
    for i in range(rows):
        data[f"items-{i}-kind"] = "post"
    data["items-0-url"] = kite_url()
    data["items-0-excerpt"] = "Kill her, she lives near the market"
    data.update(items or {})
    data.update(overrides)
    return data


def submit_as(user: User, **overrides: Any) -> Report:
    payload: dict[str, Any] = {
        "items": [{"url": kite_url(), "kind": "post"}],
        "category": "hateful_conduct",
        "explanation": "Dehumanising post about displaced people.",
        "country": "SD",
        "bona_fide": True,
    }
    payload.update(overrides)
    return report_submit(actor=actor_of(user), data=ReportIn(**payload), channel=Channel.API).report


@pytest.fixture
def amal(analyst_amal: User, staff_client: Callable[[User], Client]) -> Client:
    return staff_client(analyst_amal)


# --- Access ------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in() -> None:
    client = Client()
    some_report = uuid.uuid4()
    for url in (LIST, NEW, BULK, reverse("intake:report_detail", args=[some_report])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    assert client.get(reverse("intake:home"))["Location"] == reverse("login")


def test_home_sends_a_signed_in_partner_to_the_report_list(amal: Client) -> None:
    assert amal.get(reverse("intake:home"))["Location"] == LIST


def test_a_person_without_an_organisation_gets_a_403_page_that_says_why(
    outsider_charlie: User, staff_client: Callable[[User], Client]
) -> None:
    response = staff_client(outsider_charlie).get(LIST)
    assert response.status_code == 403
    assert "not linked to a trusted-partner organisation" in response.content.decode()


def test_staff_without_the_right_to_submit_cannot_open_the_form(
    reviewer_rita: User, staff_client: Callable[[User], Client]
) -> None:
    response = staff_client(reviewer_rita).get(NEW)
    assert response.status_code == 403
    assert "report.submit" in response.content.decode()


# --- The report form -----------------------------------------------------------


def test_the_form_offers_grouped_categories_and_the_partners_country_first(amal: Client) -> None:
    response = amal.get(NEW)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<optgroup label="Violence and incitement">' in html
    assert '<optgroup label="Countries you cover">' in html
    assert re.search(r'<option value="SD" selected>Sudan</option>', html)
    assert 'data-show-when="id_imminent_harm"' in html
    assert "DSA Art. 16(2)(d)" in html
    assert re.search(r'name="idempotency_key" value="[0-9a-f-]{36}"', html)
    assert 'name="items-TOTAL_FORMS" value="3"' in html
    assert re.search(r'<input type="file" name="evidence"[^>]* multiple', html)
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_partner_submits_a_report_with_evidence_through_the_form(analyst_amal: User, amal: Client) -> None:
    data = form_data(evidence=[SimpleUploadedFile("screenshot.png", png(), content_type="image/png")])
    response = amal.post(NEW, data)

    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:report_detail", args=[report.pk])
    assert report.channel == Channel.WEB
    assert report.submitted_by == analyst_amal
    assert report.reference == "KRT-17"
    assert report.targets == ["journalist"]
    assert [item.url for item in report.items.all()] == [data["items-0-url"]]
    assert report.items.get().excerpt == "Kill her, she lives near the market"
    assert Evidence.objects.get(report=report).content_type == "image/png"

    page = amal.get(response["Location"]).content.decode()
    item = report.items.get()
    assert f"Report {report.pk} received. Received at" in page and "(UTC)" in page
    assert f"1 item, case ids {item.case_id}" in page
    assert "1 evidence file attached." in page
    assert "screenshot.png" in page


def test_validation_errors_are_shown_next_to_their_fields_and_nothing_is_stored(amal: Client) -> None:
    data = form_data(explanation="", items={"items-0-url": "javascript:alert(1)"})
    del data["bona_fide"]
    response = amal.post(NEW, data)
    html = response.content.decode()

    assert response.status_code == 200
    assert Report.objects.count() == 0
    assert "The report was not sent" in html
    assert re.search(r'id="id_items-0-url_error">.*Only http and https URLs are accepted', html, re.S)
    assert 'id="id_explanation_error"' in html
    assert re.search(r'id="id_bona_fide_error">.*Please confirm this statement', html, re.S)
    # What was typed is kept, and the same token is reused for the corrected submission.
    assert data["idempotency_key"] in html
    assert "Kill her, she lives near the market" in html


def test_a_partner_reading_arabic_gets_the_errors_in_arabic(amal: Client) -> None:
    """The URL check's reasons are translated too, not only the page around them."""
    response = amal.post(NEW, form_data(items={"items-0-url": "javascript:alert(1)"}), HTTP_ACCEPT_LANGUAGE="ar")
    html = response.content.decode()

    assert response.status_code == 200 and Report.objects.count() == 0
    assert "لم يُرسل البلاغ" in html  # "The report was not sent"
    assert re.search(r"id=\"id_items-0-url_error\">.*لا تُقبل إلا روابط http وhttps", html, re.S)
    assert "Only http and https" not in html


def test_an_item_error_from_the_service_lands_on_the_row_it_came_from(amal: Client) -> None:
    url = kite_url()
    # Row 1 is empty, so the service's items.1 is the form's row 2.
    response = amal.post(NEW, form_data(items={"items-0-url": url, "items-2-url": url}))
    html = response.content.decode()
    assert Report.objects.count() == 0
    assert re.search(r'id="id_items-2-url_error">.*The same content as item 1;', html, re.S)


def test_imminent_harm_needs_a_reason(amal: Client) -> None:
    response = amal.post(NEW, form_data(imminent_harm="on", imminent_harm_reason=" "))
    assert Report.objects.count() == 0
    assert re.search(r'id="id_imminent_harm_reason_error">.*how soon', response.content.decode(), re.S)


def test_a_form_without_any_item_asks_for_one(amal: Client) -> None:
    response = amal.post(NEW, form_data(items={"items-0-url": "", "items-0-excerpt": ""}))
    assert Report.objects.count() == 0
    assert "Add at least one item" in response.content.decode()


def test_more_rows_without_javascript_keeps_what_was_typed_and_adds_three_rows(amal: Client) -> None:
    data = form_data(more_rows="1", explanation="")
    response = amal.post(NEW, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert Report.objects.count() == 0
    assert 'name="items-TOTAL_FORMS" value="4"' in html  # the filled row + 3 new ones
    assert data["items-0-url"] in html
    assert "field-error" not in html  # not validated yet: no premature "required" errors

    # The carried-over row is still an ordinary optional row when the form is sent.
    carried = form_data(rows=4, items={"items-0-url": data["items-0-url"]})
    assert amal.post(NEW, carried).status_code == 302
    assert Report.objects.get().item_count == 1


def test_a_double_submit_with_the_same_form_token_creates_one_report(amal: Client) -> None:
    data = form_data()
    first = amal.post(NEW, data)
    second = amal.post(NEW, data)
    assert Report.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert "it was not sent twice" in amal.get(second["Location"]).content.decode()


def test_the_report_page_names_the_form_token_it_was_sent_with_to_its_own_partner_only(
    amal: Client, reviewer_rita: User, staff_client: Callable[[User], Client],
) -> None:
    """The browser's draft of the form carries the token: seeing it on a report page, it deletes the draft."""
    data = form_data()
    location = amal.post(NEW, data)["Location"]

    assert f'data-draft-sent="{data["idempotency_key"]}"' in amal.get(location).content.decode()
    staff_view = staff_client(reviewer_rita).get(location)
    assert staff_view.status_code == 200 and "data-draft-sent" not in staff_view.content.decode()


def test_reusing_a_sent_form_with_changes_says_so_and_offers_a_fresh_token(amal: Client) -> None:
    data = form_data()
    amal.post(NEW, data)
    changed = amal.post(NEW, {**data, "explanation": "Edited after sending."})
    html = changed.content.decode()
    assert changed.status_code == 200
    assert Report.objects.count() == 1
    assert "This form was already sent once" in html
    assert data["idempotency_key"] not in html  # a new token, so "Send" again makes a new report
    fresh = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', html)
    assert fresh is not None
    assert amal.post(NEW, {**data, "explanation": "Edited after sending.",
                           "idempotency_key": fresh.group(1)}).status_code == 302
    assert Report.objects.count() == 2


def test_a_refused_evidence_file_keeps_the_report_and_says_which_file_and_why(amal: Client) -> None:
    bad = SimpleUploadedFile("notes.txt", b"<html><script>x</script></html>", content_type="text/plain")
    good = SimpleUploadedFile("shot.png", png(), content_type="image/png")
    response = amal.post(NEW, form_data(evidence=[bad, good]), follow=True)
    report = Report.objects.get()
    html = response.content.decode()
    assert Evidence.objects.filter(report=report).count() == 1
    assert "Evidence file “notes.txt” was refused" in html
    assert "1 evidence file attached." in html


# --- Reading reports -------------------------------------------------------------


def test_another_organisations_report_is_a_404_exactly_like_a_missing_one(
    amal: Client, analyst_bilal: User
) -> None:
    theirs = submit_as(analyst_bilal, country="PK")
    missing = amal.get(reverse("intake:report_detail", args=[uuid.uuid4()]))
    other = amal.get(reverse("intake:report_detail", args=[theirs.pk]))
    assert other.status_code == missing.status_code == 404
    csrf = re.compile(rb'"X-CSRFToken": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"')
    assert csrf.sub(b"", other.content) == csrf.sub(b"", missing.content)
    assert str(theirs.pk) not in amal.get(LIST).content.decode()


def test_the_list_shows_own_reports_newest_first_with_filters_and_pages(
    analyst_amal: User, analyst_bilal: User, amal: Client
) -> None:
    for n in range(26):
        submit_as(analyst_amal, reference=f"ref-{n:02d}")
    submit_as(analyst_amal, reference="urgent-one", imminent_harm=True, imminent_harm_reason="attack tonight")
    submit_as(analyst_bilal, country="PK", reference="pakistan-only")

    page1 = amal.get(LIST).content.decode()
    assert page1.count('href="/portal/reports/0') + page1.count('href="/portal/reports/') >= 25
    assert page1.index("urgent-one") < page1.index("ref-25") < page1.index("ref-02")
    assert "pakistan-only" not in page1
    assert "27 reports" in page1
    assert "ref-00" in amal.get(LIST, {"page": 2}).content.decode()

    imminent = amal.get(LIST, {"imminent": "yes"}).content.decode()
    assert "urgent-one" in imminent and "ref-00" not in imminent
    export = re.search(r'href="(/api/v1/reports/export\.csv\?[^"]*)"', imminent)
    assert export is not None and "imminent_harm=true" in export.group(1)
    csv_response = amal.get(export.group(1).replace("&amp;", "&"))
    assert csv_response.status_code == 200
    body = csv_response.content.decode()
    assert "urgent-one" in body and "ref-00" not in body


def test_staff_see_every_organisations_reports_and_the_case_ids(
    analyst_amal: User, analyst_bilal: User, reviewer_rita: User, staff_client: Callable[[User], Client]
) -> None:
    ours, theirs = submit_as(analyst_amal), submit_as(analyst_bilal, country="PK")
    rita = staff_client(reviewer_rita)
    listing = rita.get(LIST).content.decode()
    assert str(ours.pk) in listing and str(theirs.pk) in listing
    detail = rita.get(reverse("intake:report_detail", args=[theirs.pk])).content.decode()
    assert str(theirs.items.get().case_id) in detail
    assert "Pakistan Media Watch" in detail


def test_the_detail_page_shows_facts_items_as_text_and_the_timeline(analyst_amal: User, amal: Client) -> None:
    report = submit_as(
        analyst_amal, items=[{"url": "HTTPS://Kite.example/posts/77?utm_source=x#top", "kind": "post"}],
    )
    html = amal.get(reverse("intake:report_detail", args=[report.pk])).content.decode()
    assert "https://kite.example/posts/77" in html
    assert "HTTPS://Kite.example/posts/77?utm_source=x#top" in html  # the original, as sent
    assert 'href="https://kite.example' not in html  # reported URLs are never links
    assert 'href="HTTPS://Kite.example' not in html
    assert '<ol class="timeline">' in html and "Received: 1 item" in html
    assert '<dl class="facts">' in html and "Sudan (SD)" in html
    assert str(report.items.get().case_id) not in html  # case ids are for staff


def test_evidence_is_downloaded_as_an_attachment_and_never_sniffed(analyst_amal: User, amal: Client) -> None:
    report = submit_as(analyst_amal)
    amal.post(reverse("intake:evidence_add", args=[report.pk]),
              {"evidence": SimpleUploadedFile("shot.png", png(), content_type="image/png")})
    evidence = Evidence.objects.get(report=report)
    detail = amal.get(reverse("intake:report_detail", args=[report.pk])).content.decode()
    url = reverse("intake:evidence_download", args=[report.pk, evidence.pk])
    assert url in detail
    response = amal.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert cast(FileResponse, response).getvalue() == png()


def test_other_organisations_evidence_is_a_404(
    analyst_bilal: User, amal: Client, staff_client: Callable[[User], Client]
) -> None:
    theirs = submit_as(analyst_bilal, country="PK")
    staff_client(analyst_bilal).post(reverse("intake:evidence_add", args=[theirs.pk]),
                                     {"evidence": SimpleUploadedFile("shot.png", png(), content_type="image/png")})
    evidence = Evidence.objects.get(report=theirs)
    assert amal.get(reverse("intake:evidence_download", args=[theirs.pk, evidence.pk])).status_code == 404
    assert amal.post(reverse("intake:evidence_add", args=[theirs.pk]), {}).status_code == 404


def test_times_are_shown_in_the_persons_time_zone(analyst_amal: User, amal: Client) -> None:
    analyst_amal.timezone = "Africa/Khartoum"
    analyst_amal.save(update_fields=["timezone"])
    report = submit_as(analyst_amal)
    html = amal.get(reverse("intake:report_detail", args=[report.pk])).content.decode()
    assert re.search(r'<time datetime="[0-9T:.-]+\+02:00">', html)
    assert "Africa/Khartoum" in html


# --- Escaping --------------------------------------------------------------------


def test_user_supplied_text_is_always_rendered_escaped(amal: Client) -> None:
    data = form_data(
        explanation=XSS, reference=XSS, items={"items-0-excerpt": XSS},
        evidence=[SimpleUploadedFile("<img src=x onerror=alert(1)>.png", png(), content_type="image/png")],
    )
    response = amal.post(NEW, data, follow=True)
    html = response.content.decode()
    assert Report.objects.get().explanation == XSS
    assert XSS not in html
    assert html.count(XSS_ESCAPED) >= 3  # explanation, excerpt, reference
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.png" in html

    listing = amal.get(LIST).content.decode()
    assert XSS not in listing and XSS_ESCAPED in listing


def test_invalid_input_is_echoed_back_escaped(amal: Client) -> None:
    data = form_data(items={"items-0-url": f"https://x.example/{XSS}"}, language=XSS)
    html = amal.post(NEW, data).content.decode()
    assert XSS not in html
    assert XSS_ESCAPED in html


# --- Bulk CSV --------------------------------------------------------------------

CSV_HEADER = "url,kind,category,explanation,country,report_ref"


def csv_file(*rows: str, name: str = "reports.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "\n".join([CSV_HEADER, *rows]).encode(), content_type="text/csv")


def test_a_bulk_upload_lists_each_bad_row_with_its_number_and_reason(amal: Client) -> None:
    upload = csv_file(
        f"{kite_url()},post,hateful_conduct,Dehumanising post,SD,a",
        "javascript:alert(1),post,hateful_conduct,Dehumanising post,SD,b",
        f"{kite_url()},post,no_such_category,Dehumanising post,SD,c",
    )
    response = amal.post(BULK, {"file": upload, "bona_fide": "on"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith("<!DOCTYPE html>")
    assert Report.objects.filter(channel=Channel.BULK).count() == 1
    assert "1 of 3 rows accepted, in 1 report." in html
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td><span class="mono">([^<]+)</span></td><td>([^<]+)</td></tr>',
                      html)
    assert [(row, column) for row, column, _ in rows] == [("3", "url"), ("4", "category")]
    assert "Only http and https" in rows[0][2]
    report = Report.objects.get()
    assert reverse("intake:report_detail", args=[report.pk]) in html


def test_all_or_nothing_stores_nothing_when_a_row_is_bad(amal: Client) -> None:
    upload = csv_file(f"{kite_url()},post,hateful_conduct,x,SD,a", f"{kite_url()},post,hateful_conduct,x,ZZ,b")
    html = amal.post(BULK, {"file": upload, "bona_fide": "on", "all_or_nothing": "on"}).content.decode()
    assert Report.objects.count() == 0
    assert "Nothing was stored" in html


def test_a_bulk_upload_with_htmx_returns_only_the_result_panel(amal: Client) -> None:
    upload = csv_file(f"{kite_url()},post,hateful_conduct,Dehumanising post,SD,a")
    response = amal.post(BULK, {"file": upload, "bona_fide": "on"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="bulk-panel">')
    assert "<html" not in html and "site-nav" not in html
    assert "1 of 1 rows accepted" in html


def test_a_file_level_problem_is_shown_on_the_file_field(amal: Client) -> None:
    upload = SimpleUploadedFile("x.csv", b"colour,kind\nred,post\n", content_type="text/csv")
    html = amal.post(BULK, {"file": upload}).content.decode()
    assert re.search(r'id="id_file_error">.*unknown column\(s\): colour', html, re.S)


def test_the_template_csv_is_itself_a_valid_upload(amal: Client) -> None:
    template = amal.get(reverse("intake:bulk_template"))
    assert template["Content-Disposition"].startswith("attachment;")
    page = amal.get(BULK).content.decode()
    assert reverse("intake:bulk_template") in page and 'hx-post="/portal/reports/bulk/"' in page
    upload = SimpleUploadedFile("template.csv", template.content, content_type="text/csv")
    html = amal.post(BULK, {"file": upload}).content.decode()
    assert "2 of 2 rows accepted, in 1 report." in html
    report = Report.objects.get()
    assert report.item_count == 2 and report.imminent_harm and report.reference == "KRT-0001"


def test_bulk_text_is_escaped(amal: Client) -> None:
    upload = csv_file(f'{kite_url()},post,hateful_conduct,x,SD,"{XSS}"', f"{kite_url()},{XSS},hateful_conduct,x,SD,")
    html = amal.post(BULK, {"file": upload, "bona_fide": "on"}).content.decode()
    assert XSS not in html
    assert XSS_ESCAPED in html
