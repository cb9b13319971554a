"""``trustline export_statements --from YYYY-MM-DD --to YYYY-MM-DD``: DSA statements of reasons as JSON Lines.

Writes one statement per line to standard output (``--batches``: one TDB
batch request body of up to 100 statements per line), streaming from a
server-side cursor. Decisions that owe a statement but cannot be expressed as
a valid one are listed on standard error; ``--strict`` then exits with 1.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trustline.transparency.management.commands._dates import add_period_arguments, parse_period
from trustline.transparency.statements import Skipped, jsonl, jsonl_batches, only_statements, statements_iter


class Command(BaseCommand):
    help = "Write the DSA statements of reasons of restrictions that took effect in a period, as JSON Lines."

    def add_arguments(self, parser: CommandParser) -> None:
        add_period_arguments(parser)
        parser.add_argument("--batches", action="store_true", help='one {"statements": [...]} batch per line')
        parser.add_argument("--strict", action="store_true", help="exit 1 when a decision could not be mapped")

    def handle(self, *args: Any, **options: Any) -> None:
        start, end = parse_period(options["start"], options["end"])
        skipped: list[Skipped] = []
        statements = only_statements(statements_iter(start=start, end=end), skipped)
        lines = jsonl_batches(statements) if options["batches"] else jsonl(statements)
        count = 0
        for line in lines:
            self.stdout.write(line, ending="")
            count += 1
        gaps = [s for s in skipped if s.needs_attention]
        for item in skipped:
            self.stderr.write(json.dumps({"skipped": item.as_dict()}))
        self.stderr.write(f"{count} {'batches' if options['batches'] else 'statements'} written; "
                          f"{len(gaps)} decisions could not be mapped; "
                          f"{len(skipped) - len(gaps)} owed no statement (outside the EU/EEA)")
        if gaps and options["strict"]:
            raise CommandError(f"{len(gaps)} decisions could not be mapped to a valid statement")
