"""``trustline insight_report --from YYYY-MM-DD --to YYYY-MM-DD [--partner SLUG] --out DIR``.

Writes ``<name>.html`` and ``<name>.pdf`` into DIR (created if missing) and
prints their paths. Without ``--partner``: the programme-wide report for
policy staff; with it: that partner's report (its accredited countries only).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trustline.accounts.permissions import SYSTEM
from trustline.core.exceptions import ApplicationError
from trustline.trends.insight import insight_report_build, insight_report_html, insight_report_pdf


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = "Write the insight report (HTML and PDF) for a period, programme-wide or for one partner."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="period_from", required=True, help="first UTC day, YYYY-MM-DD")
        parser.add_argument("--to", dest="period_to", required=True, help="last UTC day, YYYY-MM-DD")
        parser.add_argument("--partner", default="", help="a partner's slug: its countries only")
        parser.add_argument("--out", required=True, help="directory to write into")
        parser.add_argument("--no-pdf", action="store_true", help="HTML only")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = insight_report_build(
                actor=SYSTEM, period_from=_date(options["period_from"]), period_to=_date(options["period_to"]),
                partner=options["partner"] or None,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        html_path = out / f"{report.slug}.html"
        html_path.write_text(insight_report_html(report), encoding="utf-8")
        self.stdout.write(str(html_path))
        if not options["no_pdf"]:
            pdf_path = out / f"{report.slug}.pdf"
            pdf_path.write_bytes(insight_report_pdf(report))
            self.stdout.write(str(pdf_path))
