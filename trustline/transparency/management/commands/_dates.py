"""Shared argument parsing of the transparency commands."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError, CommandParser


def add_period_arguments(parser: CommandParser) -> None:
    parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD (UTC)")
    parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD (UTC), included")


def parse_period(start: str, end: str) -> tuple[dt.date, dt.date]:
    try:
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    except ValueError as exc:
        raise CommandError(f"dates are YYYY-MM-DD: {exc}") from exc
    if last < first:
        raise CommandError("--to is before --from")
    return first, last
