from __future__ import annotations

from collections.abc import Iterable, Iterator

from trustline.core.csvsafe import write_rows
from trustline.intake.models import Report

REPORT_CSV_HEADER = (
    "report_id", "received_at", "status", "reference", "category", "country", "language", "imminent_harm",
    "item_id", "position", "kind", "url", "platform_id", "case_id", "explanation",
)


def _rows(reports: Iterable[Report]) -> Iterator[list[object]]:
    for report in reports:
        for item in report.items.all():
            yield [
                report.pk, report.received_at.isoformat(), report.status, report.reference, report.category.code,
                report.country, report.language, "true" if report.imminent_harm else "false",
                item.pk, item.position, item.kind, item.canonical_url, item.platform_id, item.case_id,
                report.explanation,
            ]


def reports_csv(reports: Iterable[Report]) -> str:
    """One row per item; every cell is formula-safe (see core.csvsafe)."""
    return write_rows(REPORT_CSV_HEADER, _rows(reports))
