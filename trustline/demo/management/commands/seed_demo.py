"""``trustline seed_demo``: load the demo programme and say how to use it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from trustline.demo.services import DEMO_PASSWORD, DemoSummary, demo_is_loaded, demo_load


class Command(BaseCommand):
    help = "Create the demo programme: a platform team, ten trusted partners and a few hundred reports."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url", default=settings.SITE_URL,
            help="where the app is served, for the printed links (default %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_is_loaded():
            self.stdout.write("The demo programme is already loaded (organisation kite-ts exists); nothing to do.")
            return
        summary = demo_load()
        self.stdout.write(render(summary, url=options["url"].rstrip("/")))


def render(s: DemoSummary, *, url: str) -> str:
    channels = ", ".join(f"{n} {c}" for c, n in s.channels.items())
    width = max(len(login[1]) for login in s.logins)
    lines = [
        "",
        f"Demo programme loaded: {s.platform} ({s.staff} staff) and {s.partners} trusted partners "
        f"({s.people} people).",
        f"  {s.reports} reports since {s.first_report:%d %b %Y} ({channels}; {s.bulk_uploads} bulk uploads), "
        f"{s.imminent_harm} with imminent harm, {s.evidence} with evidence notes.",
        f"  {s.items} items in {s.cases} cases: {s.merged_cases} cases merged several items, "
        f"{s.multi_partner_cases} were reported by more than one partner.",
        "",
        f"Open {url}/ and sign in. Everyone's password is: {DEMO_PASSWORD}",
    ]
    lines += [f"  {what:<16} {username:<{width}}  {org}" for what, username, org in s.logins]
    lines += [
        f"  The admin site is {url}/admin/ ; API docs {url}/api/v1/docs",
        "",
        f"API key of {s.api_key_partner} (shown only this once; make more with "
        f"`trustline apikey_create --org {s.api_key_slug}`):",
        f"  {s.api_key}",
        "",
        "Try it:",
        f'  curl -sS -H "Authorization: Bearer {s.api_key}" "{url}/api/v1/reports?limit=3"',
        f'  curl -sS -X POST "{url}/api/v1/reports" -H "Authorization: Bearer {s.api_key}" \\',
        '       -H "Content-Type: application/json" -H "Idempotency-Key: demo-try-1" \\',
        '       -d \'{"items": [{"url": "https://m.kite.example/@halfaya.alaan?utm_source=whatsapp", '
        '"kind": "account"}], "category": "threat_to_life", "explanation": "Account posting faces of '
        'aid volunteers labelled as collaborators.", "country": "SD", "bona_fide": true}\'',
        "",
    ]
    lines += [f"Note: {note}" for note in s.notes]
    return "\n".join(lines)
