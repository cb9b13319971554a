"""Evidence retention: files deleted a year after the last case they back closed, unless held or contested.

Story: on 2 March 2026 at 09:00 UTC, Amal (Sudan partner) reports a post and
attaches a screenshot; escalation lead Lena decides at 10:00 that it does not
break the rules, which closes the case. The policy keeps evidence 365 days
after closure, so the file may go from 2 March 2027 at 10:00.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.test import Client

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.appeals.services import appeal_submit
from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of, assert_error, kite_url
from trustline.core import clock
from trustline.intake.choices import Channel
from trustline.intake.evidence import evidence_attach
from trustline.intake.models import Evidence, Report
from trustline.intake.retention import evidence_retention_sweep
from trustline.intake.schemas import ReportIn
from trustline.intake.services import report_submit
from trustline.intake.tests.test_evidence import PNG
from trustline.lawenforcement.holds import hold_create
from trustline.metrics.tests.conftest import NOT_VIOLATING, utc
from trustline.review.models import Decision
from trustline.review.services import decision_record
from trustline.triage.services import triage_pending

pytestmark = pytest.mark.django_db

CLOSED = utc(3, 2, 10)
DUE = CLOSED + dt.timedelta(days=365)


Sweep = Callable[[dt.datetime], dict[str, int]]


@pytest.fixture
def sweep(django_capture_on_commit_callbacks: Any) -> Sweep:
    """The hourly job at ``at``, with what it leaves for after commit (deleting the bytes) run as on commit."""

    def run(at: dt.datetime) -> dict[str, int]:
        with clock.frozen_at(at), django_capture_on_commit_callbacks(execute=True):
            done = evidence_retention_sweep(now=at)
        return done

    return run


@pytest.fixture(autouse=True)
def _demo_platform(settings: Any) -> None:
    settings.PLATFORM_CONNECTOR = {"BACKEND": "trustline.platforms.connectors.DemoPlatformConnector", "OPTIONS": {}}


@pytest.fixture
def report_with(analyst_amal: User, report_payload: Any) -> Callable[..., tuple[Report, Evidence]]:
    def make(*, items: int = 1, item_only: bool = False) -> tuple[Report, Evidence]:
        with clock.frozen_at(utc(3, 2, 9)):
            payload = report_payload(items=[{"url": kite_url(), "kind": "post"} for _ in range(items)])
            report = report_submit(actor=actor_of(analyst_amal), data=ReportIn(**payload), channel=Channel.API).report
            triage_pending()
            evidence = evidence_attach(
                actor=actor_of(analyst_amal), report=report, fileobj=io.BytesIO(PNG), name="shot.png",
                declared_type="image/png", item_id=str(report.items.first().pk) if item_only else None)  # type: ignore[union-attr]
        return report, evidence

    return make


def close(report: Report, lead: User, *, index: int = 0) -> Case:
    case_id = list(report.items.order_by("pk").values_list("case_id", flat=True))[index]
    with clock.frozen_at(CLOSED):
        decision_record(actor=actor_of(lead), case_id=case_id, data=NOT_VIOLATING)
    case = Case.objects.get(pk=case_id)
    assert (case.is_open, case.closed_at) == (False, CLOSED)
    return case


def stored(evidence: Evidence) -> Path:
    return Path(evidence.file.path)


def test_a_file_goes_a_year_after_its_case_closed_and_its_trace_stays(
    sweep: Sweep, report_with: Callable[..., tuple[Report, Evidence]], lead_lena: User, sudan_api: ApiClient,
    staff_client: Callable[[User], Client], analyst_amal: User,
):
    report, evidence = report_with()
    close(report, lead_lena)
    path = stored(evidence)
    assert path.exists()

    assert sweep(DUE - dt.timedelta(minutes=1)) == {"purged": 0, "kept": 1, "deleted": 0}
    evidence.refresh_from_db()
    assert evidence.retention_check_at == DUE and path.exists()  # looked at again exactly when it may go

    assert sweep(DUE) == {"purged": 1, "kept": 0, "deleted": 1}

    evidence.refresh_from_db()
    assert not path.exists()
    assert (evidence.purged_at, evidence.file.name) == (DUE, "")
    assert evidence.sha256 and evidence.original_name == "shot.png"  # what was attached, and its hash, stay
    entry = AuditEntry.objects.get(action="evidence.purged")
    assert entry.actor == "system" and entry.data["days"] == 365 and entry.data["sha256"] == evidence.sha256
    detail = sudan_api.get(f"/reports/{report.pk}").json()
    assert detail["evidence"][0]["purged_at"] is not None
    assert detail["timeline"][-1]["kind"] == "evidence_purged"
    body = assert_error(sudan_api.get(f"/reports/{report.pk}/evidence/{evidence.pk}"), 410, "evidence_purged")
    assert "2027-03-02" in body["message"] and evidence.sha256 in body["message"]
    page = staff_client(analyst_amal).get(f"/portal/reports/{report.pk}/").content.decode()
    assert "deleted on 2027-03-02 (retention)" in page
    assert staff_client(analyst_amal).get(f"/portal/reports/{report.pk}/evidence/{evidence.pk}/").status_code == 410


def test_an_open_case_keeps_its_file(sweep: Sweep, report_with: Callable[..., tuple[Report, Evidence]]):
    _report, evidence = report_with()

    assert sweep(utc(3, 2, 9) + dt.timedelta(days=800))["kept"] == 1

    evidence.refresh_from_db()
    assert evidence.purged_at is None and stored(evidence).exists()


def test_a_file_about_the_whole_report_stays_while_any_of_its_cases_is_open(
    sweep: Sweep, report_with: Callable[..., tuple[Report, Evidence]], lead_lena: User,
):
    report, evidence = report_with(items=2)
    close(report, lead_lena, index=0)

    sweep(DUE + dt.timedelta(days=10))

    evidence.refresh_from_db()
    assert evidence.purged_at is None


def test_a_file_about_one_item_follows_that_items_case(
    sweep: Sweep, report_with: Callable[..., tuple[Report, Evidence]], lead_lena: User,
):
    report, evidence = report_with(items=2, item_only=True)
    close(report, lead_lena, index=0)  # the first item's case: the one the file is about

    sweep(DUE)

    evidence.refresh_from_db()
    assert evidence.purged_at == DUE


def test_a_legal_hold_keeps_the_file_until_it_lapses(
    sweep: Sweep, report_with: Callable[..., tuple[Report, Evidence]], lead_lena: User,
):
    report, evidence = report_with()
    case = close(report, lead_lena)
    with clock.frozen_at(DUE - dt.timedelta(days=10)):
        hold = hold_create(actor=SYSTEM, subject_kind="case", subject_value=str(case.pk),
                           note="Preservation asked by Khartoum State Police")

    assert sweep(DUE)["kept"] == 1
    evidence.refresh_from_db()
    assert evidence.retention_check_at == hold.expires_at and evidence.purged_at is None

    assert sweep(hold.expires_at)["purged"] == 1


def test_a_contest_in_progress_keeps_the_file(
    sweep: Sweep, report_with: Callable[..., tuple[Report, Evidence]], lead_lena: User, analyst_amal: User,
    settings: Any,
):
    settings.TRUSTLINE = {**settings.TRUSTLINE, "EVIDENCE_RETENTION_DAYS": 30}  # shorter than the contest window
    report, evidence = report_with()
    case = close(report, lead_lena)
    with clock.frozen_at(CLOSED + dt.timedelta(days=20)):
        appeal_submit(actor=actor_of(analyst_amal), reasons="The post names the shelter; please look again.",
                      decision_id=Decision.objects.get(case=case).pk)
    assert not Case.objects.get(pk=case.pk).is_open  # the case stays closed: the contest itself keeps the file

    assert sweep(CLOSED + dt.timedelta(days=31))["kept"] == 1

    evidence.refresh_from_db()
    assert evidence.purged_at is None and stored(evidence).exists()


def test_retention_off_keeps_every_file(
    sweep: Sweep, report_with: Callable[..., tuple[Report, Evidence]], lead_lena: User, settings: Any,
):
    settings.TRUSTLINE = {**settings.TRUSTLINE, "EVIDENCE_RETENTION_DAYS": 0}
    report, evidence = report_with()
    close(report, lead_lena)

    assert sweep(DUE + dt.timedelta(days=3650)) == {"purged": 0, "kept": 0, "deleted": 0}
    evidence.refresh_from_db()
    assert evidence.purged_at is None


def test_a_failed_storage_delete_is_finished_by_the_next_sweep(
    sweep: Sweep, report_with: Callable[..., tuple[Report, Evidence]], lead_lena: User, monkeypatch: pytest.MonkeyPatch,
):
    report, evidence = report_with()
    close(report, lead_lena)
    def broken(self: FileSystemStorage, name: str) -> None:
        raise OSError("storage unreachable")

    monkeypatch.setattr(FileSystemStorage, "delete", broken)
    assert sweep(DUE) == {"purged": 1, "kept": 0, "deleted": 0}
    evidence.refresh_from_db()
    assert evidence.purged_at == DUE and evidence.file.name  # marked, the bytes still there
    assert stored(evidence).exists()

    monkeypatch.undo()
    assert sweep(DUE + dt.timedelta(hours=1))["deleted"] == 1
    assert not stored(evidence).exists()
    evidence.refresh_from_db()
    assert evidence.file.name == ""


def test_the_command_applies_a_shorter_period_at_once(
    report_with: Callable[..., tuple[Report, Evidence]], lead_lena: User, settings: Any,
):
    report, evidence = report_with()
    close(report, lead_lena)
    settings.TRUSTLINE = {**settings.TRUSTLINE, "EVIDENCE_RETENTION_DAYS": 30}
    out = io.StringIO()

    with clock.frozen_at(CLOSED + dt.timedelta(days=31)):
        call_command("evidence_retention", "--recheck", stdout=out)

    assert "1 files deleted" in out.getvalue()
    evidence.refresh_from_db()
    assert evidence.purged_at is not None
