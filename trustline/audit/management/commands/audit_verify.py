from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from trustline.audit.services import audit_seal_all
from trustline.audit.verify import verify_chain


class Command(BaseCommand):
    help = (
        "Seal pending audit entries into the hash chain, then walk the chain and report the first entry "
        "that was altered or removed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--no-seal", action="store_true",
            help="only read: do not seal pending entries first (entries pending too long are then reported)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_seal"]:
            sealed = audit_seal_all()
            if sealed:
                self.stdout.write(f"Sealed {sealed} pending entries.")
        report = verify_chain()
        if report.problem is not None:
            raise CommandError(
                f"Audit chain broken at entry #{report.problem.seq}: {report.problem.reason} "
                f"({report.checked} entries verified before it)."
            )
        pending = f" ({report.unsealed} recent entries not sealed yet)" if report.unsealed else ""
        self.stdout.write(f"Audit chain intact: {report.checked} entries verified.{pending}")
