"""``trustline evidence_retention [--recheck]``: apply the evidence retention policy now (thin: calls the service)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trustline.core import clock
from trustline.intake.retention import evidence_recheck_all, evidence_retention_run, retention_days
from trustline.platforms.snapshots import snapshot_recheck_all, snapshot_retention_run


class Command(BaseCommand):
    help = ("Delete evidence files, and empty content snapshots, whose retention period has passed (the hourly "
            "jobs do the same). --recheck first makes every kept one due, to apply a shorter "
            "TRUSTLINE_EVIDENCE_RETENTION_DAYS at once.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--recheck", action="store_true", help="look at every file again, not only due ones")

    def handle(self, *args: Any, **options: Any) -> None:
        days = retention_days()
        if days == 0:
            self.stdout.write("Evidence retention is off (TRUSTLINE_EVIDENCE_RETENTION_DAYS=0): nothing is deleted.")
            return
        if options["recheck"]:
            self.stdout.write(f"{evidence_recheck_all(now=clock.now())} files made due.")
            self.stdout.write(f"{snapshot_recheck_all(now=clock.now())} content snapshots made due.")
        totals = evidence_retention_run()
        self.stdout.write(f"Retention {days} days: {totals['purged']} files deleted, {totals['kept']} kept and "
                          f"rescheduled, {totals['deleted']} deletions from storage completed.")
        snapshots = snapshot_retention_run()
        self.stdout.write(f"Content snapshots: {snapshots['purged']} emptied, {snapshots['kept']} kept and "
                          "rescheduled.")
