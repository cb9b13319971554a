"""``trustline incidents_rebuild``: forget every incident and cluster all cases again.

For a changed method or settings (similarity, window, ignored domains).
Calls the platform connector's ``describe`` once per case, like the
periodic job does for new cases. Incident ids change.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trustline.trends.clustering import DEFAULT_BATCH, incidents_rebuild


class Command(BaseCommand):
    help = "Rebuild every incident and campaign from the cases (incident ids change)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH)

    def handle(self, *args: Any, **options: Any) -> None:
        result = incidents_rebuild(batch_size=max(1, options["batch_size"]))
        self.stdout.write(
            f"{result.cases} cases clustered: {result.incidents_created} incidents created, "
            f"{result.members_added} memberships, {result.incidents_merged} merges"
        )
