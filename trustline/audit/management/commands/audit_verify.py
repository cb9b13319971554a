from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from trustline.audit.verify import verify_chain


class Command(BaseCommand):
    help = "Walk the audit log's hash chain and report the first entry that was altered or removed."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if report.problem is not None:
            raise CommandError(
                f"Audit chain broken at entry #{report.problem.seq}: {report.problem.reason} "
                f"({report.checked} entries verified before it)."
            )
        self.stdout.write(f"Audit chain intact: {report.checked} entries verified.")
