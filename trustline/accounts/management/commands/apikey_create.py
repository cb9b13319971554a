from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trustline.accounts.models import Organisation
from trustline.accounts.permissions import SYSTEM
from trustline.accounts.services import apikey_create
from trustline.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Create an API key for a partner organisation and print only the key, on one line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="the organisation's slug")
        parser.add_argument("--name", default="Created from the command line")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with slug {options['org']!r}.")
        try:
            new_key = apikey_create(actor=SYSTEM, organisation=organisation, name=options["name"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(new_key.raw)
