"""POST /api/v1/reports/bulk: CSV uploads of up to 10,000 rows, every bad row reported back."""

from __future__ import annotations

import csv
import functools
import gzip
import io
import json
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.conftest import ApiClient, assert_error, kite_url
from trustline.intake.models import Report, ReportItem

pytestmark = pytest.mark.django_db

HEADER = ("url", "kind", "category", "explanation", "country", "language", "bona_fide", "report_ref")


def row(**cells: str) -> dict[str, str]:
    base = {
        "url": kite_url(), "kind": "post", "category": "hateful_conduct",
        "explanation": "Dehumanising post about Hazara Shia, shared in a Quetta group.",
        "country": "PK", "language": "ur", "bona_fide": "true", "report_ref": "",
    }
    base.update(cells)
    return base


def make_csv(rows: Sequence[dict[str, str]], header: Sequence[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(header), extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def upload(client: ApiClient, content: bytes, all_or_nothing: bool | None = None, name: str = "batch.csv",
           headers: dict[str, str] | None = None) -> Any:
    data = {} if all_or_nothing is None else {"all_or_nothing": "true" if all_or_nothing else "false"}
    return client.upload("/reports/bulk", {"file": (name, content, "text/csv")}, data, headers=headers)


# --------------------------------------------------------------------------------------------
# Accepted uploads
# --------------------------------------------------------------------------------------------


def test_every_valid_row_is_accepted_and_acknowledged(pakistan_api: ApiClient):
    rows = [row(), row(kind="comment"), row(url="", platform_id="acct-5")]
    content = make_csv(rows, (*HEADER, "platform_id"))

    response = upload(pakistan_api, content)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["rows"], body["accepted_rows"], body["rejected_rows"]) == (3, 3, 0)
    assert body["errors"] == []
    assert [r["row"] for r in body["reports"]] == [2, 3, 4]
    assert Report.objects.filter(channel="bulk").count() == 3
    for acknowledged in body["reports"]:
        (item,) = acknowledged["items"]
        assert ReportItem.objects.get(pk=item["id"]).case_id.hex == item["case_id"].replace("-", "")


def test_a_partner_on_a_slow_line_gets_the_answer_compressed_when_it_asks(pakistan_api: ApiClient):
    content = make_csv([row() for _ in range(200)])

    compressed = upload(pakistan_api, content, headers={"Accept-Encoding": "gzip"})
    plain = upload(pakistan_api, make_csv([row() for _ in range(200)]))

    assert compressed.status_code == plain.status_code == 200
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]
    body = json.loads(gzip.decompress(compressed.content))
    assert (body["rows"], body["accepted_rows"], len(body["reports"])) == (200, 200, 200)
    assert len(compressed.content) < len(plain.content) / 2
    assert not plain.has_header("Content-Encoding")  # a client that does not ask gets plain JSON
    assert plain.json()["accepted_rows"] == 200


def test_rows_sharing_a_report_ref_form_one_report(pakistan_api: ApiClient):
    rows = [row(report_ref="PMW-17"), row(report_ref="PMW-17"), row(report_ref="PMW-18")]

    body = upload(pakistan_api, make_csv(rows)).json()

    assert [(r["report_ref"], len(r["items"])) for r in body["reports"]] == [("PMW-17", 2), ("PMW-18", 1)]
    assert Report.objects.get(reference="PMW-17").item_count == 2


def test_a_bulk_item_joins_the_case_of_the_same_post_reported_through_the_api(
    pakistan_api: ApiClient, sudan_api: ApiClient, report_payload: Callable[..., dict[str, Any]]
):
    case_id = sudan_api.submit(report_payload(
        items=[{"url": "https://kite.example/posts/31337", "kind": "post"}],
    )).json()["items"][0]["case_id"]

    body = upload(pakistan_api, make_csv([row(url="https://m.kite.example/posts/31337?utm_medium=csv")])).json()

    assert body["reports"][0]["items"][0]["case_id"] == case_id
    assert Case.objects.get(pk=case_id).partner_count == 2


def test_a_large_upload_stores_what_the_same_rows_store_one_by_one(
    pakistan_api: ApiClient, sudan_api: ApiClient, report_payload: Callable[..., dict[str, Any]]
):
    # A large upload takes another write path on PostgreSQL (COPY, a staging table for the cases) than a
    # small one (multi-row INSERTs): both must store the same reports, items, timeline, cases and audit.
    from trustline.audit.services import audit_seal_all
    from trustline.audit.verify import verify_chain
    from trustline.core.rows import COPY_MIN_ROWS
    from trustline.intake.models import TimelineEvent

    size = COPY_MIN_ROWS + 6

    def rows(batch: str) -> list[dict[str, str]]:
        out = [row(url=f"https://kite.example/posts/{batch}{n}", report_ref=f"R{n // 3}" if n < 9 else "",
                   kind="comment" if n % 5 == 0 else "post") for n in range(size)]
        out[-1] = row(url=f"https://kite.example/posts/{batch}joined")  # a case the API opened earlier
        return out

    for batch in ("big", "one"):
        sudan_api.submit(report_payload(items=[{"url": f"https://kite.example/posts/{batch}joined", "kind": "post"}]))
    big = upload(pakistan_api, make_csv(rows("big"))).json()
    ones = [upload(pakistan_api, make_csv([r])).json() for r in rows("one")[9:]]
    ones.insert(0, upload(pakistan_api, make_csv(rows("one")[:9])).json())  # the report_ref groups, small

    def stored(batch: str) -> dict[str, Any]:
        items = list(ReportItem.objects.filter(url__contains=f"/posts/{batch}").select_related("report", "case"))
        reports = {i.report_id: i.report for i in items}.values()
        cases = {i.case_id: i.case for i in items}.values()
        as_json = functools.partial(json.dumps, sort_keys=True)
        return {
            "items": sorted((i.url.replace(batch, ""), i.kind, i.position, i.report.reference) for i in items),
            "reports": sorted((r.channel, r.country, r.language, as_json(r.targets), as_json(r.dsa_elements),
                               r.item_count, r.reference, r.status, r.category_id) for r in reports),
            "timeline": sorted((e.kind, as_json(e.data)) for e in
                               TimelineEvent.objects.filter(report_id__in=[r.pk for r in reports])),
            "cases": sorted((c.item_count, c.partner_count, c.country, c.category_code, c.item_kind)
                            for c in cases),
            "audit": sorted((e.action, e.actor, e.organisation_id, as_json(sorted(e.data))) for e in
                            AuditEntry.objects.filter(target_id__in=[str(r.pk) for r in reports])),
        }

    assert big["accepted_rows"] == size and sum(o["accepted_rows"] for o in ones) == size
    assert stored("big") == stored("one")
    reports = 3 + (size - 9) + 1  # three groups of three rows, single rows, and the API's report of the joined case
    assert len(stored("big")["reports"]) == reports and len(stored("big")["audit"]) == reports
    assert Case.objects.get(canonical_url="https://kite.example/posts/bigjoined").partner_count == 2
    audit_seal_all()
    assert verify_chain().ok


def test_a_semicolon_separated_file_with_a_bom_is_read(pakistan_api: ApiClient):
    text = ";".join(HEADER) + "\r\n" + ";".join(row().values()) + "\r\n"

    response = upload(pakistan_api, b"\xef\xbb\xbf" + text.encode("utf-8"))

    assert response.status_code == 200, response.content
    assert response.json()["accepted_rows"] == 1


# --------------------------------------------------------------------------------------------
# Bad rows
# --------------------------------------------------------------------------------------------


def test_bad_rows_are_listed_with_row_field_and_reason_and_good_rows_kept(pakistan_api: ApiClient):
    rows = [
        row(),                                   # row 2: fine
        row(url="javascript:alert(1)"),          # row 3: not http
        row(category="rudeness"),                # row 4: unknown category
        row(),                                   # row 5: fine
        row(country="Atlantis"),                 # row 6: invalid country
        row(kind="hologram"),                    # row 7: unknown kind
        row(bona_fide="no"),                     # row 8: no bona fide statement
        row(language="not a tag"),               # row 9: invalid language
    ]

    response = upload(pakistan_api, make_csv(rows))

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["rows"], body["accepted_rows"], body["rejected_rows"]) == (8, 2, 6)
    by_row = {e["row"]: e for e in body["errors"]}
    assert set(by_row) == {3, 4, 6, 7, 8, 9}
    assert by_row[3]["field"] == "url" and "http" in by_row[3]["message"]
    assert by_row[4]["field"] == "category" and "rudeness" in by_row[4]["message"]
    assert by_row[6]["field"] == "country" and "ISO 3166-1" in by_row[6]["message"]
    assert by_row[7]["field"] == "kind"
    assert by_row[8]["field"] == "bona_fide"
    assert by_row[9]["field"] == "language" and "BCP 47" in by_row[9]["message"]
    assert [r["row"] for r in body["reports"]] == [2, 5]
    assert Report.objects.count() == 2


def test_a_row_with_the_wrong_number_of_cells_is_reported(pakistan_api: ApiClient):
    content = make_csv([row()]) + b"https://kite.example/posts/1,post,hateful_conduct\r\n"

    body = upload(pakistan_api, content).json()

    assert body["accepted_rows"] == 1
    assert body["errors"] == [{"row": 3, "field": "row", "message": "has 3 cells but the header has 8"}]


def test_a_row_contradicting_its_report_is_rejected(pakistan_api: ApiClient):
    rows = [row(report_ref="R1"), row(report_ref="R1", country="AF")]

    body = upload(pakistan_api, make_csv(rows)).json()

    assert body["accepted_rows"] == 1
    assert body["errors"][0]["row"] == 3
    assert body["errors"][0]["field"] == "country"
    assert "differs from row 2" in body["errors"][0]["message"]


def test_all_or_nothing_stores_nothing_when_one_row_is_bad(pakistan_api: ApiClient):
    rows = [row(), row(), row(url="file:///etc/shadow"), row()]

    response = upload(pakistan_api, make_csv(rows), all_or_nothing=True)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["all_or_nothing"] is True
    assert (body["accepted_rows"], body["rejected_rows"]) == (0, 4)
    assert body["reports"] == []
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(4, "url")]
    assert Report.objects.count() == ReportItem.objects.count() == Case.objects.count() == 0
    assert not AuditEntry.objects.filter(action="bulk.uploaded").exists()


def test_all_or_nothing_stores_everything_when_every_row_is_good(pakistan_api: ApiClient):
    body = upload(pakistan_api, make_csv([row(), row()]), all_or_nothing=True).json()

    assert body["accepted_rows"] == 2
    assert Report.objects.count() == 2


# --------------------------------------------------------------------------------------------
# Bad files
# --------------------------------------------------------------------------------------------


def test_a_malformed_csv_is_refused_with_the_row(pakistan_api: ApiClient):
    content = make_csv([row()]) + b'https://kite.example/posts/2,post,hateful_conduct,"never closed,PK,ur,true,\r\n'

    body = assert_error(upload(pakistan_api, content), 422, "malformed_csv", "file")

    assert "row 3" in body["message"]
    assert Report.objects.count() == 0


def test_unknown_columns_are_refused_by_name(pakistan_api: ApiClient):
    content = make_csv([row()], (*HEADER, "severity"))

    body = assert_error(upload(pakistan_api, content), 422, "invalid", "header")

    assert "unknown column(s): severity" in body["fields"]["header"][0]
    assert Report.objects.count() == 0


def test_missing_columns_are_refused_by_name(pakistan_api: ApiClient):
    content = make_csv([row()], ("url", "kind", "explanation"))

    body = assert_error(upload(pakistan_api, content), 422, "invalid", "header")

    assert "missing column(s): category, country" in " ".join(body["fields"]["header"])


def test_a_file_without_url_or_platform_id_column_is_refused(pakistan_api: ApiClient):
    content = make_csv([row()], ("kind", "category", "explanation", "country"))

    body = assert_error(upload(pakistan_api, content), 422, "invalid", "header")

    assert "url (or platform_id)" in body["fields"]["header"][0]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (",".join(HEADER).encode() + b"\r\n", "no rows"),
        (b"url,kind\r\n\xff\xfe\x00bad", "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not"),
    ],
)
def test_files_that_are_not_usable_csv_are_refused(pakistan_api: ApiClient, content: bytes, reason: str):
    body = assert_error(upload(pakistan_api, content), 422, "invalid", "file")

    assert reason in body["fields"]["file"][0]


def test_more_than_10000_rows_is_refused_with_413(pakistan_api: ApiClient):
    line = "https://kite.example/posts/{n},post,hateful_conduct,Dehumanising post.,PK,ur,true,\r\n"
    content = (",".join(HEADER) + "\r\n" + "".join(line.format(n=n) for n in range(10_001))).encode()

    body = assert_error(upload(pakistan_api, content), 413, "too_many_rows", "file")

    assert "10,000" in body["message"]
    assert Report.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused_with_413_before_parsing(settings: Any, pakistan_api: ApiClient):
    settings.TRUSTLINE = {**settings.TRUSTLINE, "MAX_BULK_BYTES": 1024 * 1024}
    content = make_csv([row(explanation="x" * 10_000) for _ in range(120)])
    assert len(content) > 1024 * 1024

    body = assert_error(upload(pakistan_api, content), 413, "too_large", "file")

    assert "larger than 1 MB" in body["message"]
    assert Report.objects.count() == 0


def test_a_request_without_a_file_names_the_field(pakistan_api: ApiClient):
    response = pakistan_api.client.post(
        "/api/v1/reports/bulk", data={"all_or_nothing": "true"}, headers={"Authorization": f"Bearer {pakistan_api.key}"}
    )

    assert_error(response, 422, "invalid", "file")


# --------------------------------------------------------------------------------------------
# Formulas never come back as formulas
# --------------------------------------------------------------------------------------------


def test_a_formula_in_a_cell_is_escaped_when_exported_again(pakistan_api: ApiClient):
    formula = '=HYPERLINK("http://evil.example","Click for evidence")'
    body = upload(pakistan_api, make_csv([row(explanation=formula, report_ref="+CMD|calc")])).json()
    assert body["accepted_rows"] == 1, body
    assert Report.objects.get().explanation == formula

    response = pakistan_api.get("/reports/export.csv")

    assert response.status_code == 200
    (exported,) = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert exported["explanation"] == "'" + formula
    assert exported["reference"].startswith("'")
    for cell in exported.values():
        assert not cell.startswith(("=", "+", "-", "@")), cell


# --------------------------------------------------------------------------------------------
# Who may upload
# --------------------------------------------------------------------------------------------


def test_anonymous_cannot_upload(api: ApiClient):
    assert_error(upload(api, make_csv([row()])), 401, "unauthenticated")


def test_staff_cannot_upload(session_api: Callable[..., ApiClient], reviewer_rita: Any):
    assert_error(upload(session_api(reviewer_rita), make_csv([row()])), 403, "forbidden")
    assert Report.objects.count() == 0


def test_a_partner_analyst_session_uploads_for_their_organisation(
    session_api: Callable[..., ApiClient], analyst_bilal: Any, pakistan_partner: Any
):
    body = upload(session_api(analyst_bilal), make_csv([row()])).json()

    assert Report.objects.get(pk=body["reports"][0]["id"]).organisation == pakistan_partner
