"""Save screenshots of the main pages to docs/screenshots/ (a developer tool, not part of the tests).

Run it against a throw-away data directory with the demo programme::

    TRUSTLINE_DATA_DIR=/tmp/tl_screens .venv/bin/trustline migrate
    TRUSTLINE_DATA_DIR=/tmp/tl_screens .venv/bin/trustline console_screenshots

Steps: 1. load the demo programme if it is not there; 2. give the demo
reviewer and programme manager an authenticator (two-factor sign-in is
required for staff) and compute their codes; 3. serve the site from a thread
on a free port; 4. drive Debian's Chromium through the pages as a partner,
a reviewer (who claims the next case) and a programme manager, in English
and in Arabic, at desktop and phone width. It writes to the database it
runs against (claims a case, adds devices): never point it at production.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler, _StaticFilesHandler  # noqa: F401

from trustline.accounts.choices import Role
from trustline.accounts.models import Membership, User
from trustline.intake.models import ReportItem
from trustline.platforms.models import ContentSnapshot, EnforcementActionRecord
from trustline.signals.models import SharingAgreement, SignalMatch

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


class Command(BaseCommand):
    help = "Save screenshots of the main pages to docs/screenshots/ (uses the demo programme; writes to the DB)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", default="docs/screenshots")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.contrib.staticfiles.handlers import StaticFilesHandler
        from django.core.handlers.wsgi import WSGIHandler

        from trustline.console.tests.browser import Browsing, chromium_path, launch
        from trustline.console.tests.conftest import code, enrol
        from trustline.demo.services import DEMO_PASSWORD, demo_is_loaded, demo_load

        if chromium_path() is None:
            raise CommandError("Chromium is not installed (/usr/bin/chromium).")
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        if not demo_is_loaded():
            demo_load()
        partner = self._person(Role.PARTNER_ANALYST)
        reviewer = self._person(Role.REVIEWER)
        manager = self._person(Role.PROGRAMME_MANAGER)
        for person in (reviewer, manager):
            if not person.totpdevice_set.filter(confirmed=True).exists():  # type: ignore[attr-defined]
                enrol(person)

        class Handler(StaticFilesHandler):
            pass

        thread = LiveServerThread("127.0.0.1", lambda app: Handler(WSGIHandler()), port=0)  # type: ignore[arg-type]
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        base = f"http://127.0.0.1:{thread.port}"
        connections.close_all()
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        from playwright.sync_api import sync_playwright

        saved: list[str] = []
        with sync_playwright() as playwright:
            chromium = launch(playwright)

            def session(user: User, *, locale: str = "en-GB", viewport: dict[str, int] = DESKTOP,
                        staff: bool = False) -> Browsing:
                context = chromium.new_context(viewport=viewport, locale=locale, device_scale_factor=1)
                b = Browsing(page=context.new_page(), base=base)
                b.sign_in(user.username, DEMO_PASSWORD)
                if staff:
                    b.page.fill("#id_token", code(user, 1))
                    b.submit("button[type=submit]")
                return b

            def shot(b: Browsing, path: str, name: str, *, full: bool = True) -> None:
                b.go(path)
                b.page.wait_for_load_state("networkidle")
                b.page.screenshot(path=str(out / f"{name}.png"), full_page=full)
                saved.append(name)

            anonymous = Browsing(page=chromium.new_context(viewport=DESKTOP).new_page(), base=base)
            shot(anonymous, "/accounts/login/", "sign-in")
            p = session(partner)
            shot(p, "/portal/reports/", "partner-reports")
            shot(p, "/portal/reports/new/", "partner-new-report")
            shot(p, "/portal/reports/bulk/", "partner-bulk-upload")
            first = p.page
            p.go("/portal/reports/?status=decided")
            link = first.locator("table.data a[href^='/portal/reports/']").first
            if link.count():
                link.click()
                first.wait_for_load_state()
                first.screenshot(path=str(out / "partner-report-detail.png"), full_page=True)
                saved.append("partner-report-detail")
            shot(p, "/console/portal/figures/", "partner-figures")
            phone = session(partner, viewport=PHONE)
            shot(phone, "/portal/reports/", "phone-partner-reports")
            r = session(reviewer, staff=True)
            shot(r, "/console/", "console-queue")
            r.go("/console/")
            next_button = r.page.locator("#next-case")
            if next_button.count():
                with r.page.expect_navigation():
                    next_button.click()
                r.page.screenshot(path=str(out / "console-case.png"), full_page=True)
                saved.append("console-case")
                case_url = r.page.url.replace(base, "")
                rp = session(reviewer, staff=True, viewport=PHONE)
                shot(rp, case_url, "phone-console-case")
            flagged = SignalMatch.objects.order_by("matched_at").values_list("case_id", flat=True).first()
            if flagged is not None:  # a case a peer platform's signal names (trustline.signals)
                shot(r, f"/console/cases/{flagged}/", "console-case-peer-signal")
            shot(r, "/signals/", "signals")
            pictured = (
                ReportItem.objects.filter(report__evidence__content_type__startswith="image/", case__is_open=True)
                .order_by("report__received_at").values_list("case_id", flat=True).first()
            )
            if pictured is not None:  # evidence images: blurred and grey by default, then one revealed
                r.go(f"/console/cases/{pictured}/")
                figure = r.page.locator(".evidence-figure").first
                figure.locator("img").evaluate("img => img.decode()")
                figure.screenshot(path=str(out / "console-evidence-blurred.png"))
                figure.locator(".reveal-label").click()
                figure.screenshot(path=str(out / "console-evidence-revealed.png"))
                saved += ["console-evidence-blurred", "console-evidence-revealed"]
            removed = (  # content taken down since it was reported: its first snapshot still says what it was
                ContentSnapshot.objects.filter(online=False, case__snapshots__online=True)
                .order_by("taken_at").values_list("case_id", flat=True).first()
            )
            if removed is not None:
                r.go(f"/console/cases/{removed}/")
                content = r.page.locator("section[aria-labelledby=h-content]")
                content.locator(".snapshot-list details summary").first.click()
                content.screenshot(path=str(out / "console-snapshots.png"))
                saved.append("console-snapshots")
                r.page.locator("section[aria-labelledby=h-decisions]").screenshot(
                    path=str(out / "console-enforcement-verified.png"))  # "Checked: offline" on the action
                saved.append("console-enforcement-verified")
            lost = (EnforcementActionRecord.objects.filter(verification="still_online")
                    .values_list("case_id", flat=True).first())
            if lost is not None:  # Kite said "removed" and left it up: the check found it (demo: removal_lost)
                r.go(f"/console/cases/{lost}/")
                r.page.locator("section[aria-labelledby=h-decisions]").screenshot(
                    path=str(out / "console-enforcement-still-online.png"))
                saved.append("console-enforcement-still-online")
            back = (EnforcementActionRecord.objects.filter(action_type="reinstate", verification="back_online")
                    .values_list("case_id", flat=True).first())
            if back is not None:  # a contest reversed the removal: the reinstatement checked back online
                r.go(f"/console/cases/{back}/")
                r.page.locator("section[aria-labelledby=h-decisions]").screenshot(
                    path=str(out / "console-reinstatement-checked.png"))
                saved.append("console-reinstatement-checked")
            shot(r, "/console/viewing/", "viewing-preference")
            ar = session(reviewer, staff=True, locale="ar")
            shot(ar, "/console/", "console-queue-arabic")
            shot(session(partner, locale="ar"), "/portal/reports/new/", "partner-new-report-arabic")
            m = session(manager, staff=True)
            shot(m, "/console/dashboards/", "dashboards")
            shot(m, "/metrics/workload/?period=quarter&group_by=category", "workload")
            shot(m, "/transparency/flaggers/", "trusted-flaggers")
            agreed = SharingAgreement.objects.select_related("peer").order_by("peer__name").first()
            if agreed is not None:  # a programme manager edits a peer platform's agreement
                shot(m, f"/signals/agreements/{agreed.peer.slug}/", "signal-agreement")
            shot(m, "/console/security/", "security")
            chromium.close()
        thread.terminate()
        self.stdout.write(f"Saved {len(saved)} screenshots to {out}/: {', '.join(saved)}")

    @staticmethod
    def _person(role: str) -> User:
        membership = Membership.objects.filter(role=role).select_related("user").order_by("pk").first()
        if membership is None:
            raise CommandError(f"The demo has nobody with the role {role}.")
        return membership.user
