"""Playwright helpers for the real-browser tests (``test_browser.py``) and the screenshot script.

Chromium is Debian's (``/usr/bin/chromium``; CI installs the ``chromium``
package); Playwright never downloads a browser here. ``Browsing`` wraps one
page and records every JavaScript dialog (an XSS payload that ran would open
one) and every CSP violation the console reports.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import time
from pathlib import Path
from typing import Any

from django_otp.oath import TOTP

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


def chromium_path() -> str | None:
    """The Debian Chromium, if installed."""
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


def launch(playwright: Any) -> Any:
    path = chromium_path()
    # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
    return playwright.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])


@dataclasses.dataclass
class Browsing:
    page: Any
    base: str
    dialogs: list[str] = dataclasses.field(default_factory=list)
    csp_violations: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        def on_console(message: Any) -> None:
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
                self.csp_violations.append(message.text)

        self.page.on("dialog", on_dialog)
        self.page.on("console", on_console)

    def go(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def sign_in(self, username: str, password: str) -> None:
        self.go("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.submit("button[type=submit]")

    def submit(self, selector: str) -> None:
        """Click a submit button and wait until the next page has loaded."""
        with self.page.expect_navigation():
            self.page.click(selector)

    def no_horizontal_scroll(self) -> int:
        """How many pixels the page is wider than the viewport (0 = fits)."""
        return int(self.page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth"
        ))

    def axe(self) -> list[dict[str, Any]]:
        """Serious and critical accessibility violations on the current page (axe-core, vendored)."""
        loaded = self.page.evaluate(AXE.read_text(encoding="utf-8") + "\n;typeof axe.run")
        assert loaded == "function", "axe-core did not load"
        result = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
        )
        return [v for v in result if v["impact"] in {"serious", "critical"}]


def totp_now(secret_base32: str, ahead: int = 0) -> str:
    """The code an authenticator app shows for this key (as typed from the enrolment page)."""
    import base64

    # Never a code from the last seconds of its 30 s step: the server may check it in the next step, accept it
    # as the authenticator's clock running behind, and then refuse the next code as too far ahead (a flaky test).
    remaining = 30 - time.time() % 30
    if remaining < 3:
        time.sleep(remaining + 0.1)
    compact = re.sub(r"\s", "", secret_base32).upper()
    key = base64.b32decode(compact + "=" * (-len(compact) % 8))
    totp = TOTP(key, 30, 0, 6, 0)
    totp.time = time.time() + ahead * 30
    return f"{totp.token():06d}"
