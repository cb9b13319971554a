"""Reported text is full of apostrophes; the CSV reader must not mistake them for quotes."""

from __future__ import annotations

import csv
import io

from trustline.conftest import ApiClient, kite_url
from trustline.intake.models import ReportItem


def test_unquoted_cells_with_apostrophes_in_several_scripts_are_read_as_text(pakistan_api: ApiClient):
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # minimal quoting, as spreadsheets and scripts write it
    writer.writerow(["url", "kind", "category", "explanation", "country", "bona_fide", "excerpt"])
    excerpts = ["l'adresse de 'Amal' est publiée", "هذا 'الخائن' يجب أن", "they're 'coming' tonight"]
    for n, excerpt in enumerate(excerpts):
        writer.writerow([kite_url(9000 + n), "post", "doxxing", "Home address posted", "FR", "true", excerpt])
    response = pakistan_api.upload(
        "/reports/bulk", {"file": ("quotes.csv", buffer.getvalue().encode("utf-8"), "text/csv")}
    )
    body = response.json()
    assert response.status_code == 200, body
    assert body["errors"] == []
    assert body["accepted_rows"] == 3
    stored = sorted(ReportItem.objects.values_list("excerpt", flat=True))
    assert stored == sorted(excerpts)
