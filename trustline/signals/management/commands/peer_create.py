from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.permissions import SYSTEM
from trustline.accounts.services import organisation_create
from trustline.core.exceptions import ApplicationError
from trustline.signals.choices import Tlp
from trustline.signals.services import agreement_set


class Command(BaseCommand):
    help = "Create a peer platform with its signal-sharing agreement and print its slug (then: apikey_create)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--max-tlp", default=Tlp.GREEN, choices=[t for t in Tlp.values if t != Tlp.RED])
        parser.add_argument("--categories", default="", help="taxonomy codes separated by commas; none: all")
        parser.add_argument("--no-inbound", action="store_true", help="the peer may not send us signals")
        parser.add_argument("--note", default="", help="e.g. the reference of the signed agreement")
        parser.add_argument("--email", default="", help="contact e-mail of the peer's team")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with transaction.atomic():
                peer = organisation_create(actor=SYSTEM, name=options["name"], kind=OrganisationKind.PEER_PLATFORM,
                                           contact_email=options["email"])
                agreement_set(actor=SYSTEM, peer_slug=peer.slug, max_tlp=options["max_tlp"],
                              categories=[c for c in options["categories"].split(",") if c.strip()],
                              accepts_inbound=not options["no_inbound"], note=options["note"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(peer.slug)
