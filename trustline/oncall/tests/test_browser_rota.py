"""Real browser (Playwright, Debian's Chromium): the 3 a.m. override, from the board's "on call now" line.

Uses the console's browser fixture (live server, Chromium per test, skipped
with the reason when Chromium is missing). Set ``TRUSTLINE_SAVE_SCREENSHOTS=1``
to write the screenshot into ``docs/screenshots/`` (otherwise it goes to the
test's temporary directory, so a test run never changes the docs).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.console.tests.browser import Browsing, chromium_path
from trustline.console.tests.conftest import enrol
from trustline.console.tests.test_browser import (  # noqa: F401 - fixtures, used by name
    _sqlite_audit_flushable,
    browse,
    sign_in_with_code,
)
from trustline.oncall.models import ScheduleOverride
from trustline.oncall.rota import ScheduleData, schedule_save

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(chromium_path() is None,
                       reason="Chromium is not installed (/usr/bin/chromium): `apt-get install chromium` to run"),
]

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def test_a_lead_adds_an_override_from_the_board(browse: Callable[..., Browsing],  # noqa: F811 - the fixture
                                                lead_lena: User, reviewer_rita: User, reviewer_ravi: User,
                                                reviewer_sara: User, tmp_path: Path) -> None:
    schedule = schedule_save(actor=SYSTEM, data=ScheduleData(
        name="Responders", time_zone="Europe/Berlin", rotation="daily", handoff_time=dt.time(9, 0),
        start_date=dt.date(2026, 1, 5), participants=["rita", "ravi"],
    ))
    enrol(lead_lena)
    lead = browse()
    sign_in_with_code(lead, lead_lena)
    lead.go("/emergency/")
    lead.page.get_by_role("link", name="Someone covers…").click()
    lead.page.wait_for_url(re.compile(rf"/emergency/schedules/{schedule.pk}/override\?covering=\w+"))
    lead.page.select_option("#id_user", "sara")
    lead.page.fill("#id_reason", "covers the night: the rota's person is ill")
    folder = SCREENSHOTS if os.environ.get("TRUSTLINE_SAVE_SCREENSHOTS") else tmp_path
    lead.page.screenshot(path=str(folder / "emergency-override.png"), full_page=True)
    lead.page.get_by_role("button", name="Save the override").click()
    lead.page.wait_for_url(re.compile(rf"/emergency/schedules/{schedule.pk}/$"))
    assert "Override saved: sara is on call" in lead.page.inner_text("main")
    override = ScheduleOverride.objects.get()
    assert override.user_id == reviewer_sara.pk
    assert override.created_by_id == lead_lena.pk
    lead.go("/emergency/")
    assert "primary sara" in lead.page.inner_text("main")
    assert not lead.dialogs and not lead.csp_violations
