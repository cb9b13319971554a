"""``trustline metrics_refresh [--full]``: bring the metrics roll-up up to date now (thin: calls the service)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trustline.metrics.facts import facts_refresh


class Command(BaseCommand):
    help = "Bring the metrics roll-up (item facts) up to date; --full rebuilds it from the source tables."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="rebuild every row, not only changed cases")

    def handle(self, *args: Any, **options: Any) -> None:
        result = facts_refresh(full=options["full"])
        kind = "rebuilt" if result.full else "refreshed"
        through = f"{result.refreshed_through:%Y-%m-%d %H:%M:%S}"
        self.stdout.write(f"Metrics facts {kind}: {result.cases} cases, through {through}.")
