"""``trustline trends_detect [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--quiet]``: run spike detection now.

The periodic job tests yesterday and today every hour; this command tests
any range (e.g. after an import, or to backfill), with the same idempotence:
a spike already stored is refreshed, never notified twice. ``--quiet``
stores spikes without e-mailing programme managers (backfills of old days).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trustline.core import clock
from trustline.core.exceptions import ApplicationError
from trustline.trends.detection import spikes_detect


class Command(BaseCommand):
    help = "Detect spikes of reports per (country, category, language) over a range of UTC days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="day_from", default="", help="first UTC day (default: yesterday)")
        parser.add_argument("--to", dest="day_to", default="", help="last UTC day (default: today)")
        parser.add_argument("--quiet", action="store_true", help="do not notify programme managers")

    def handle(self, *args: Any, **options: Any) -> None:
        today = clock.now().astimezone(dt.UTC).date()
        try:
            day_from = dt.date.fromisoformat(options["day_from"]) if options["day_from"] else today - dt.timedelta(1)
            day_to = dt.date.fromisoformat(options["day_to"]) if options["day_to"] else today
        except ValueError as exc:
            raise CommandError("dates are YYYY-MM-DD") from exc
        try:
            result = spikes_detect(day_from=day_from, day_to=day_to, notify=not options["quiet"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{result.days} days, {result.series_tested} series-days tested: {result.spikes_new} new spikes, "
            f"{result.spikes_refreshed} refreshed, {result.notifications} notifications"
        )
