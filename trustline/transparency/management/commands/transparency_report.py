"""``trustline transparency_report --from YYYY-MM-DD --to YYYY-MM-DD --out DIR``: the DSA transparency report files.

Writes one CSV per template section (``3_member_states_orders.csv``,
``4_notices.csv``, ``7_appeals_and_recidivism.csv``, ``x_notices_by_trusted_flagger.csv``) and the same sections
as sheets of ``transparency_report.xlsx``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trustline.transparency.management.commands._dates import add_period_arguments, parse_period
from trustline.transparency.report import transparency_report


class Command(BaseCommand):
    help = "Write the DSA transparency report (Implementing Regulation (EU) 2024/2835 templates) as CSV and XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        add_period_arguments(parser)
        parser.add_argument("--out", required=True, help="directory to write the files into (created if needed)")
        parser.add_argument("--no-xlsx", action="store_true", help="CSV files only")

    def handle(self, *args: Any, **options: Any) -> None:
        start, end = parse_period(options["start"], options["end"])
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        report = transparency_report(start=start, end=end)
        for section in report.sections:
            path = out / f"{section.name}.csv"
            path.write_text(section.csv(), encoding="utf-8")
            self.stdout.write(f"{path} ({len(section.rows)} rows)")
        if not options["no_xlsx"]:
            path = out / "transparency_report.xlsx"
            path.write_bytes(report.xlsx())
            self.stdout.write(str(path))
