"""Real-browser tests: Playwright driving Debian's Chromium (headless) against a live server.

What is checked: the full loop (partner submits with evidence, reviewer
claims with "n" and decides, partner sees the outcome and contests), bulk
upload with bad rows, the report form's draft, a contest's draft and a
bulk upload each through a lost answer (stored once, not twice), the draft's deletion at
sign-out, two-factor enrolment and
sign-in, a hostile payload in every free-text field and an evidence file
name rendered inert, phone-width layout in English, French and Arabic, and
axe-core with no serious or critical violations in English and Arabic.

Skipped, with the reason, only when Chromium is not installed. The browser
is module-scoped and stopped at the end of the module: Playwright's sync API
runs an event loop in the main thread, which Django's async-safety check
would otherwise see in later tests (``DJANGO_ALLOW_ASYNC_UNSAFE`` is set only
while it runs).
"""

from __future__ import annotations

import os
import re
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.appeals.models import Appeal
from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.conftest import PASSWORD, kite_url
from trustline.console.tests.browser import Browsing, chromium_path, launch, totp_now
from trustline.console.tests.conftest import code, enrol
from trustline.intake.models import Report
from trustline.platforms.snapshots import snapshot_sweep
from trustline.review.models import Decision
from trustline.routing.reviewers import reviewer_skills_set
from trustline.triage.services import triage_pending

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(chromium_path() is None,
                       reason="Chromium is not installed (/usr/bin/chromium): `apt-get install chromium` to run"),
]

XSS = '"><script>alert("xss")</script><img src=x onerror=alert(2)>'
XSS_FILE = '<img src=x onerror=alert(3)>.png'
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5f3a8f50000000049454e44ae426082"
)


@pytest.fixture
def browse(transactional_db: None, live_server: Any) -> Iterator[Callable[..., Browsing]]:
    """``browse(width=..., height=...)`` -> a fresh browser context on the live server.

    Chromium starts per test, after the database is set up, and stops before
    the end-of-test flush: while Playwright's sync API runs, its event loop
    makes Django hand out context-local connections, and the database set-up
    and teardown must see the real ones.
    """
    from playwright.sync_api import sync_playwright

    # The live server's first request loads every view module (and their models, e.g. language
    # detection): warm it up here so the browser's 10 s step timeouts measure the pages, not the start.
    with urllib.request.urlopen(live_server.url + "/accounts/login/", timeout=120) as response:  # noqa: S310 - local
        assert response.status == 200
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = launch(playwright)
    contexts: list[Any] = []

    def make(*, width: int = 1280, height: int = 900, bypass_csp: bool = False, locale: str = "en-GB") -> Browsing:
        context = chromium.new_context(viewport={"width": width, "height": height}, bypass_csp=bypass_csp,
                                       locale=locale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return Browsing(page=context.new_page(), base=live_server.url)

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
        # Close the connections the test body opened while Playwright's loop ran (else PostgreSQL cannot
        # drop the test database at the end: "being accessed by other users").
        from django.db import connections

        connections.close_all()
        chromium.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _sqlite_audit_flushable(transactional_db: None) -> Iterator[None]:
    """Let the end-of-test flush empty the audit log on SQLite.

    SQLite's flush is a DELETE, which the audit log's append-only trigger
    refuses (PostgreSQL truncates, which row triggers do not see). Only here,
    after the test: drop the DELETE trigger, empty the table, put the same
    trigger back.
    """
    yield
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_auditentry'"
                       " AND sql LIKE '%BEFORE DELETE%'")
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
        cursor.execute("DELETE FROM audit_auditentry")
        for _name, sql in triggers:
            cursor.execute(sql)


@pytest.fixture
def arabic_rita(reviewer_rita: User) -> User:
    reviewer_skills_set(actor=SYSTEM, user_id=reviewer_rita.pk, languages=["ar"], countries=["SD"])
    return reviewer_rita


def submit_in_portal(b: Browsing, *, url: str, text: str, reference: str = "", filename: str = "shot.png") -> None:
    """Fill and send the new-report form as a partner would (one item, one evidence file)."""
    b.go("/portal/reports/new/")
    page = b.page
    page.fill("#id_items-0-url", url)
    page.select_option("#id_category", "incitement_violence")
    page.select_option("#id_country", "SD")
    page.fill("#id_language", "ar")
    page.fill("#id_explanation", text)
    if reference:
        page.fill("#id_reference", reference)
    page.set_input_files("#id_evidence", files=[{"name": filename, "mimeType": "image/png", "buffer": PNG}])
    page.check("#id_bona_fide")
    page.click("form[action='/portal/reports/new/'] button.btn-primary")
    page.wait_for_url(re.compile(r"/portal/reports/[0-9a-f-]{36}/"))


def sign_in_with_code(b: Browsing, user: User) -> None:
    b.sign_in(user.username, PASSWORD)
    assert "/console/2fa/verify/" in b.page.url
    b.page.fill("#id_token", code(user, 1))
    b.submit("button[type=submit]")


def test_full_loop_submit_claim_decide_contest(browse: Callable[..., Browsing], analyst_amal: User,
                                               arabic_rita: User) -> None:
    partner = browse()
    partner.sign_in("amal", PASSWORD)
    submit_in_portal(partner, url=kite_url(), text="يدعو المنشور إلى مهاجمة مأوى النازحين في الفاشر",
                     filename="screenshot-1.png")
    assert "Received" in partner.page.inner_text("main")
    triage_pending()  # the background job

    enrol(arabic_rita)
    reviewer = browse()
    sign_in_with_code(reviewer, arabic_rita)
    reviewer.go("/console/")
    reviewer.page.keyboard.press("n")  # next case
    reviewer.page.wait_for_url(re.compile(r"/console/cases/[0-9a-f-]{36}/"))
    main = reviewer.page.inner_text("main")
    assert "يدعو المنشور" in main
    assert "screenshot-1.png" in main, main
    assert reviewer.page.get_attribute(".report-card .content-text", "dir") == "auto"
    reviewer.page.keyboard.press("d")
    assert reviewer.page.evaluate("document.activeElement.id") == "id_outcome"
    page = reviewer.page
    page.select_option("#id_outcome", "violating")
    page.fill("#id_policy", "incitement_violence")
    page.check("input[name=actions][value=remove]")
    page.select_option("#id_decision_ground", "DECISION_GROUND_INCOMPATIBLE_CONTENT")
    page.fill("#id_incompatible_content_ground", "Community Guidelines §4")
    page.fill("#id_incompatible_content_explanation", "Calls for an attack on a named shelter.")
    page.click(".decision-form button[type=submit]")
    page.wait_for_url(re.compile(r"/console/$"))
    assert "Decision recorded" in page.inner_text("main")
    decision = Decision.objects.get()
    assert decision.outcome == "violating"

    report = Report.objects.get()
    partner.go(f"/portal/reports/{report.pk}/")
    assert "Violating" in partner.page.inner_text("main")
    partner.page.get_by_role("link", name="Contest this decision").click()
    partner.page.wait_for_url(re.compile(r"/contest/$"))
    partner.page.fill("#id_reasons", "This is news reporting about the attack, not a call for one.")
    partner.page.click("form button.btn-primary")
    partner.page.wait_for_url(re.compile(rf"/portal/reports/{report.pk}/"))
    assert "contest is registered" in partner.page.inner_text("main")
    assert Appeal.objects.filter(decision=decision).exists()
    assert not partner.dialogs and not reviewer.dialogs
    assert not partner.csp_violations and not reviewer.csp_violations


def test_bulk_upload_reports_bad_rows(browse: Callable[..., Browsing], analyst_amal: User) -> None:
    b = browse()
    b.sign_in("amal", PASSWORD)
    b.go("/portal/reports/bulk/")
    csv = (
        "url,kind,category,explanation,country\n"
        f"{kite_url()},post,incitement_violence,Calls for attacks on a shelter,SD\n"
        f"{kite_url()},post,no_such_category,Bad category,SD\n"
        "not a url,post,incitement_violence,Bad URL,SD\n"
    ).encode()
    b.page.set_input_files("#id_file", files=[{"name": "rows.csv", "mimeType": "text/csv", "buffer": csv}])
    b.page.check("#id_bona_fide")
    b.page.click("button.btn-primary")
    b.page.get_by_text("rows accepted").wait_for()
    result = b.page.inner_text("main")
    assert "1 of 3 rows accepted" in result, result[result.find("Result"):][:800]
    assert "Rejected rows" in result and "no_such_category" in result
    assert Report.objects.count() == 1


SEND = "form[action='/portal/reports/new/'] button.btn-primary"
DRAFTS = "() => Object.keys(localStorage).filter(k => k.startsWith('trustline.draft.')).length"
ONE_DRAFT = "() => Object.keys(localStorage).filter(k => k.startsWith('trustline.draft.')).length === 1"


def test_a_lost_answer_loses_no_report_and_stores_none_twice(browse: Callable[..., Browsing],
                                                              analyst_amal: User) -> None:
    """Khartoum, a weak connection: the partner sends, the report is stored, and the answer never arrives.

    Back on the form, the draft from this browser is there with its idempotency key; sent again, it is
    the same report ("not sent twice"), and the report page deletes the draft.
    """
    b = browse()
    b.sign_in("amal", PASSWORD)
    b.go("/portal/reports/new/")
    page = b.page
    assert page.is_visible("[data-draft-help]")
    first, second = kite_url(), kite_url()
    text = "يدعو المنشوران إلى مهاجمة مأوى النازحين في الفاشر الليلة، ويذكران اسم المأوى وموقعه."
    page.click("[data-formset-add]")
    page.fill("#id_items-0-url", first)
    page.fill("#id_items-1-url", second)
    page.select_option("#id_category", "incitement_violence")
    page.select_option("#id_country", "SD")
    page.fill("#id_explanation", text)
    page.check("#id_imminent_harm")
    page.fill("#id_imminent_harm_reason", "The attack is announced for tonight")
    page.check("#id_bona_fide")

    def answer_lost(route: Any) -> None:
        route.fetch(max_redirects=0)  # the request reaches the server, which stores the report
        route.abort("connectionreset")

    page.route("**/portal/reports/new/", answer_lost)
    page.click(SEND)
    page.wait_for_function("() => !document.querySelector('form[data-draft]')")  # the browser's error page
    page.unroute("**/portal/reports/new/")
    [stored] = Report.objects.all()

    b.go("/portal/reports/new/")
    assert page.is_visible("[data-draft-notice]")
    assert (page.input_value("#id_items-0-url"), page.input_value("#id_items-1-url")) == (first, second)
    assert page.input_value("#id_explanation") == text and page.input_value("#id_category") == "incitement_violence"
    assert page.is_checked("#id_imminent_harm") and page.is_visible("#id_imminent_harm_reason")
    assert page.is_checked("#id_bona_fide")
    b.submit(SEND)

    assert page.url.endswith(f"/portal/reports/{stored.pk}/")
    assert "it was not sent twice" in page.inner_text("main")
    assert Report.objects.count() == 1 and stored.item_count == 2
    assert page.evaluate(DRAFTS) == 0  # stored, so the draft is gone
    b.go("/portal/reports/new/")
    assert page.is_hidden("[data-draft-notice]") and page.input_value("#id_explanation") == ""
    assert not b.csp_violations


def test_a_draft_can_be_discarded_and_signing_out_deletes_it(browse: Callable[..., Browsing],
                                                             analyst_amal: User) -> None:
    b = browse()
    b.sign_in("amal", PASSWORD)
    b.go("/portal/reports/new/")
    page = b.page
    page.fill("#id_explanation", "First notes on the campaign against the shelter")
    page.wait_for_function(ONE_DRAFT)
    b.go("/portal/reports/new/")  # the tab was closed, or the browser restarted
    assert page.input_value("#id_explanation") == "First notes on the campaign against the shelter"

    with page.expect_navigation():
        page.click("[data-draft-discard]")
    assert page.input_value("#id_explanation") == "" and page.evaluate(DRAFTS) == 0

    page.fill("#id_explanation", "Notes a shared computer must not keep")
    page.wait_for_function(ONE_DRAFT)
    b.submit(".nav-user button[type=submit]")  # sign out
    assert page.evaluate(DRAFTS) == 0
    assert not Report.objects.exists()


def test_a_bulk_upload_whose_answer_is_lost_is_sent_again_and_stored_once(browse: Callable[..., Browsing],
                                                                          analyst_amal: User) -> None:
    b = browse()
    b.sign_in("amal", PASSWORD)
    b.go("/portal/reports/bulk/")
    page = b.page
    csv = (
        "url,kind,category,explanation,country\n"
        f"{kite_url()},post,incitement_violence,Calls for attacks on a shelter,SD\n"
        f"{kite_url()},post,incitement_violence,Names the shelter's address,SD\n"
    ).encode()
    page.set_input_files("#id_file", files=[{"name": "rows.csv", "mimeType": "text/csv", "buffer": csv}])
    page.check("#id_bona_fide")

    def answer_lost(route: Any) -> None:
        route.fetch(max_redirects=0)  # the server stores the rows
        route.abort("connectionreset")

    page.route("**/portal/reports/bulk/", answer_lost)
    page.click("button.btn-primary")
    page.wait_for_selector("[data-send-error]", state="visible")  # the page says so instead of nothing
    page.unroute("**/portal/reports/bulk/")
    assert Report.objects.count() == 2

    page.click("button.btn-primary")  # the same file, still chosen, and the same form token
    page.get_by_text("nothing was stored twice").wait_for()
    assert "2 of 2 rows accepted" in page.inner_text("main")
    assert Report.objects.count() == 2
    assert not b.csp_violations


def test_a_contest_keeps_its_draft_until_it_is_stored_even_when_the_answer_is_lost(
    browse: Callable[..., Browsing], decided: tuple[Case, Decision],
) -> None:
    """The contest form has no idempotency key: the server names its draft once the contest is stored."""
    url = f"/console/portal/decisions/{decided[1].pk}/contest/"
    reasons = "This is news reporting about the attack on the shelter, not a call for one."
    b = browse()
    b.sign_in("amal", PASSWORD)
    b.go(url)
    page = b.page
    page.fill("#id_reasons", reasons)
    page.wait_for_function(ONE_DRAFT)
    b.go(url)  # the connection dropped before sending, the partner comes back later
    assert page.is_visible("[data-draft-notice]") and page.input_value("#id_reasons") == reasons

    def answer_lost(route: Any) -> None:
        route.fetch(max_redirects=0)  # the server stores the contest
        route.abort("connectionreset")

    page.route(f"**{url}", answer_lost)
    page.click("form button.btn-primary")
    page.wait_for_function("() => !document.querySelector('form[data-draft]')")  # the browser's error page
    page.unroute(f"**{url}")
    assert Appeal.objects.count() == 1

    b.go(url)  # stored: the page says so, and the draft goes
    assert "contest of this decision is registered" in page.inner_text("main")
    assert page.evaluate(DRAFTS) == 0 and Appeal.objects.count() == 1
    assert not b.csp_violations


def test_two_factor_enrolment_and_sign_in(browse: Callable[..., Browsing], reviewer_rita: User) -> None:
    b = browse()
    b.sign_in("rita", PASSWORD)
    assert "/console/2fa/enrol/" in b.page.url
    assert b.page.is_visible("img.qr")
    secret = b.page.inner_text("#totp-secret")
    b.page.fill("#id_token", totp_now(secret))
    b.submit("button[type=submit]")
    b.go("/console/")
    assert b.page.inner_text("h1") == "Review queue"
    b.submit("text=Sign out")
    b.sign_in("rita", PASSWORD)
    assert "/console/2fa/verify/" in b.page.url
    b.page.fill("#id_token", totp_now(secret, 1))
    b.submit("button[type=submit]")
    b.go("/console/")
    assert b.page.inner_text("h1") == "Review queue"


def test_hostile_text_and_file_names_are_inert(browse: Callable[..., Browsing], analyst_amal: User,
                                               lead_lena: User) -> None:
    partner = browse()
    partner.sign_in("amal", PASSWORD)
    submit_in_portal(partner, url=kite_url(), text=f"Explanation {XSS}", reference=f"ref{XSS}"[:100],
                     filename=XSS_FILE)
    report = Report.objects.get()
    main = partner.page.inner_text("main")
    assert '<script>alert("xss")</script>' in main  # shown as text
    assert "onerror=alert(3)" in main  # the evidence file name, as text
    partner.go("/portal/reports/")
    triage_pending()
    case = Case.objects.get()
    enrol(lead_lena)
    lead = browse()
    sign_in_with_code(lead, lead_lena)
    lead.go(f"/console/cases/{case.pk}/")
    text = lead.page.inner_text("main")
    assert '<script>alert("xss")</script>' in text and "onerror=alert(3)" in text
    assert lead.page.locator("main script").count() == 0
    assert lead.page.locator("main img[src='x']").count() == 0
    lead.go("/console/leave?url=javascript:alert(4)")
    assert lead.page.locator("a[href^='javascript']").count() == 0
    assert str(report.pk)
    assert partner.dialogs == [] and lead.dialogs == []


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR", "ar"])  # French runs longest; Arabic flows right to left
def test_phone_width_has_no_horizontal_scroll(browse: Callable[..., Browsing], analyst_amal: User,
                                              arabic_rita: User, pm_pablo: User, locale: str,
                                              demo_platform: None) -> None:
    partner = browse(width=375, height=740, locale=locale)
    partner.sign_in("amal", PASSWORD)
    submit_in_portal(partner, url=kite_url() + "/" + "a" * 120, text="A long explanation " * 30)
    report = Report.objects.get()
    triage_pending()
    snapshot_sweep()  # the case page lists what the platform said, with its hash
    overflow: dict[str, int] = {}
    for path in ["/portal/reports/", "/portal/reports/new/", "/portal/reports/bulk/", f"/portal/reports/{report.pk}/",
                 "/console/security/", "/console/portal/figures/"]:
        partner.go(path)
        overflow[path] = partner.no_horizontal_scroll()
    enrol(arabic_rita)
    reviewer = browse(width=375, height=740, locale=locale)
    sign_in_with_code(reviewer, arabic_rita)
    case = Case.objects.get()
    for path in ["/console/", f"/console/cases/{case.pk}/", "/console/second-review/", "/console/viewing/"]:
        reviewer.go(path)
        overflow[path] = reviewer.no_horizontal_scroll()
    reviewer.go(f"/console/cases/{case.pk}/")
    reviewer.page.locator(".snapshots > summary").click()
    reviewer.page.locator(".snapshot-list details > summary").first.click()
    overflow["case page, snapshots open"] = reviewer.no_horizontal_scroll()
    enrol(pm_pablo)
    manager = browse(width=375, height=740, locale=locale)
    sign_in_with_code(manager, pm_pablo)
    for path in ["/console/dashboards/", "/metrics/workload/?group_by=reviewer", "/transparency/flaggers/",
                 "/signals/"]:
        manager.go(path)
        overflow[path] = manager.no_horizontal_scroll()
    assert {path: px for path, px in overflow.items() if px > 0} == {}


@pytest.mark.parametrize("locale", ["en-GB", "ar"])
def test_main_pages_have_no_serious_accessibility_violations(browse: Callable[..., Browsing], analyst_amal: User,
                                                             arabic_rita: User, pm_pablo: User, locale: str,
                                                             demo_platform: None) -> None:
    found: dict[str, list[dict[str, Any]]] = {}
    anonymous = browse(bypass_csp=True, locale=locale)
    anonymous.go("/accounts/login/")
    found["/accounts/login/"] = anonymous.axe()
    partner = browse(bypass_csp=True, locale=locale)
    partner.sign_in("amal", PASSWORD)
    submit_in_portal(partner, url=kite_url(), text="Calls for an attack on the shelter")
    report = Report.objects.get()
    triage_pending()
    snapshot_sweep()
    for path in ["/portal/reports/", "/portal/reports/new/", "/portal/reports/bulk/", f"/portal/reports/{report.pk}/"]:
        partner.go(path)
        found[path] = partner.axe()
    enrol(arabic_rita)
    reviewer = browse(bypass_csp=True, locale=locale)
    sign_in_with_code(reviewer, arabic_rita)
    reviewer.go("/console/")
    found["/console/"] = reviewer.axe()
    reviewer.page.keyboard.press("n")
    reviewer.page.wait_for_url(re.compile(r"/console/cases/"))
    reviewer.page.locator(".snapshots > summary").click()
    reviewer.page.locator(".snapshot-list details > summary").first.click()
    found["case page"] = reviewer.axe()
    reviewer.go("/console/viewing/")
    found["/console/viewing/"] = reviewer.axe()
    enrol(pm_pablo)
    manager = browse(bypass_csp=True, locale=locale)
    sign_in_with_code(manager, pm_pablo)
    for path in ["/console/dashboards/", "/metrics/workload/", "/transparency/flaggers/"]:
        manager.go(path)
        found[path] = manager.axe()
    assert {page: v for page, v in found.items() if v} == {}


@pytest.fixture
def emergency(transactional_db: None, analyst_amal: User, reviewer_rita: User, lead_lena: User,
              submit: Callable[..., Any]) -> Any:
    """An imminent-harm report that opened an emergency (set up before Chromium starts: see ``browse``)."""
    import datetime as dt

    from trustline.oncall.models import Emergency
    from trustline.oncall.rota import ChainData, ScheduleData, StepData, chain_save, schedule_save

    rota = schedule_save(actor=SYSTEM, data=ScheduleData(
        name="Responders", time_zone="Europe/Berlin", rotation="weekly", handoff_time=dt.time(9, 0),
        start_date=dt.date(2026, 1, 5), participants=["rita", "lena"],
    ))
    chain_save(actor=SYSTEM, data=ChainData(name="Imminent harm", is_default=True, repeat_count=0,
                                            repeat_delay_minutes=10, steps=[
        StepData(target="schedule_primary", schedule_id=rota.pk, delay_minutes=0),
        StepData(target="escalation_leads", delay_minutes=5),
    ]))
    submit(analyst_amal, imminent_harm=True, imminent_harm_reason="Named shelter to be attacked tonight")
    from trustline.oncall.fastlane import emergency_fast_lane

    emergency_fast_lane(budget_seconds=5)  # the worker's fast lane, as in production
    enrol(lead_lena)
    return Emergency.objects.get()


def test_emergency_acknowledge_on_the_board(emergency: Any, lead_lena: User,
                                            browse: Callable[..., Browsing]) -> None:
    """trustline.oncall's board: an imminent-harm report opened an emergency; the on-call lead acknowledges it."""
    lead = browse()
    sign_in_with_code(lead, lead_lena)
    lead.go("/emergency/")
    # 3 a.m., a flaky connection: the first press never reaches the server, and the page says so.
    lead.page.route("**/acknowledge", lambda route: route.abort("internetdisconnected"))
    lead.page.get_by_role("button", name="Acknowledge").click()
    lead.page.wait_for_selector("[data-send-error-page]", state="visible")
    emergency.refresh_from_db()
    assert emergency.state == "open"
    with lead.page.expect_response(lambda r: r.url.endswith("/emergency/") and r.request.method == "GET",
                                   timeout=15_000):
        pass  # the board's own refresh, every 10 s, comes and goes
    assert lead.page.is_visible("[data-send-error-page]")  # and the alert stays until the lead acts again
    lead.page.unroute("**/acknowledge")
    lead.page.get_by_role("button", name="Acknowledge").click()
    lead.page.get_by_role("cell", name="lena").wait_for()
    assert lead.page.is_hidden("[data-send-error-page]")
    emergency.refresh_from_db()
    assert emergency.state != "open" and emergency.owner_id == lead_lena.pk
    assert not lead.dialogs and not lead.csp_violations


@pytest.fixture
def pictured_case(transactional_db: None, analyst_amal: User, arabic_rita: User, submit: Callable[..., Any]) -> Any:
    """A case with a photo and a text note as evidence (set up before Chromium starts: see ``browse``)."""
    import io

    from PIL import Image

    from trustline.conftest import actor_of
    from trustline.intake.evidence import evidence_attach

    result = submit(analyst_amal, language="ar")
    photo = io.BytesIO()
    Image.new("RGB", (300, 200), (160, 20, 20)).save(photo, format="JPEG")
    for name, content, kind in (("scene.jpg", photo.getvalue(), "image/jpeg"),
                                ("note.txt", b"Seen at 14:02 near the market", "text/plain")):
        evidence_attach(actor=actor_of(analyst_amal), report=result.report, fileobj=io.BytesIO(content), name=name,
                        declared_type=kind)
    enrol(arabic_rita)
    return Case.objects.get(pk=result.items[0].case_id)


def test_evidence_is_blurred_until_revealed_and_a_note_loads_when_opened(
    pictured_case: Any, arabic_rita: User, browse: Callable[..., Browsing]
) -> None:
    reviewer = browse()
    sign_in_with_code(reviewer, arabic_rita)
    reviewer.go(f"/console/cases/{pictured_case.pk}/")
    page = reviewer.page
    image = page.locator(".evidence-figure img")
    image.evaluate("img => img.decode()")  # the preview loaded (a broken image would reject)
    assert image.evaluate("img => img.naturalWidth") == 300
    assert "blur" in image.evaluate("img => getComputedStyle(img).filter")
    page.get_by_text("Show this image").click()
    assert image.evaluate("img => getComputedStyle(img).filter") == "grayscale(1)"  # grey stays, blur goes
    page.get_by_text("Blur it again").click()
    assert "blur" in image.evaluate("img => getComputedStyle(img).filter")

    page.locator("details.evidence-text summary").click()
    page.locator(".evidence-excerpt").wait_for()
    assert "Seen at 14:02 near the market" in page.inner_text(".evidence-text")
    shown = sorted(entry.data["as"] for entry in AuditEntry.objects.filter(action="evidence.viewed"))
    assert shown == ["excerpt", "preview"]
    assert not reviewer.dialogs and not reviewer.csp_violations
