"""``trustline ncmec_report --case <id>``: print a case's CyberTipline report XML to standard output.

Prints the latest stored report of the case if there is one, otherwise
builds one from the case with the default options (not stored). Either way
the XML is validated first; an invalid report is an error, never printed.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trustline.core.exceptions import ApplicationError
from trustline.lawenforcement.models import NcmecReport
from trustline.lawenforcement.ncmec import case_report_xml, validate_report_xml


class Command(BaseCommand):
    help = "Print the NCMEC CyberTipline report XML of a child-safety case (validated against the XSD)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--case", required=True, help="the case id")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            case_id = uuid.UUID(options["case"])
        except ValueError as exc:
            raise CommandError(f"not a case id: {options['case']}") from exc
        stored = NcmecReport.objects.filter(case_id=case_id).order_by("-created_at").first()
        try:
            if stored is not None:
                xml = stored.xml.encode("utf-8")
                problems = validate_report_xml(xml)
                if problems:
                    raise CommandError("the stored report is not valid: " + "; ".join(problems))
            else:
                xml = case_report_xml(case_id=case_id)
        except ApplicationError as exc:
            details = "; ".join(m for ms in exc.fields.values() for m in ms)
            raise CommandError(f"{exc.message} {details}".strip()) from exc
        self.stdout.write(xml.decode("utf-8"), ending="")
