from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trustline.accounts.permissions import SYSTEM
from trustline.core.exceptions import ApplicationError
from trustline.partners.services import partner_create


class Command(BaseCommand):
    help = "Create an active trusted partner and print its slug."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--country", required=True, help="ISO 3166-1 alpha-2; several separated by commas")
        parser.add_argument("--languages", default="", help="BCP 47 tags separated by commas, e.g. ar,en")
        parser.add_argument("--email", default="", help="contact e-mail of the partner")
        parser.add_argument("--dsc", default="", help="the Digital Services Coordinator that awarded DSA trusted "
                            "flagger status (Art. 22), if any, e.g. 'Arcom (FR)'")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = partner_create(
                actor=SYSTEM,
                name=options["name"],
                countries=[c for c in options["country"].split(",") if c.strip()],
                languages=[t for t in options["languages"].split(",") if t.strip()],
                contact_email=options["email"],
                awarding_dsc=options["dsc"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(organisation.slug)
