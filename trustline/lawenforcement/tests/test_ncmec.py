"""CyberTipline reports: XML validated against NCMEC's XSD, the command, and filing through a fake NCMEC."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from lxml import etree

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.core.exceptions import ApplicationError, Conflict, ValidationFailed
from trustline.lawenforcement.models import LegalHold, NcmecReport
from trustline.lawenforcement.ncmec import ReportOptions, build_report_xml, ncmec_report_generate, validate_report_xml
from trustline.lawenforcement.ncmec_client import ncmec_report_retract, ncmec_report_submit
from trustline.lawenforcement.selectors import is_on_hold
from trustline.lawenforcement.tests.fake_ncmec import PASSWORD, USER, fake_ncmec

REPORTER = {"REPORTER_EMAIL": "cybertip@kite.example", "REPORTER_FIRST_NAME": "Kite", "REPORTER_LAST_NAME": "T&S",
            "PLATFORM": "Kite"}


@pytest.fixture
def ncmec_on(settings: Any) -> Any:
    settings.LAW_ENFORCEMENT = {"NCMEC": dict(REPORTER)}
    return settings


def options(**overrides: Any) -> ReportOptions:
    values: dict[str, Any] = {"escalate_reason": "The child is at immediate risk.",
                              "account_identifiers": ["kite-user-9001"], "annotations": ["sextortion"]}
    values.update(overrides)
    return ReportOptions(**values)


def test_a_generated_report_validates_against_the_xsd(ncmec_on: Any, child_case: Case) -> None:
    xml = build_report_xml(case=child_case, options=options())
    assert validate_report_xml(xml) == []
    doc = etree.fromstring(xml)
    assert doc.findtext("incidentSummary/escalateToHighPriority") == "The child is at immediate risk."
    assert doc.findtext("personOrUserReported/espIdentifier") == "kite-user-9001"
    assert doc.findtext("internetDetails/webPageIncident/url") == child_case.canonical_url


def test_a_report_missing_a_required_element_is_caught(ncmec_on: Any, child_case: Case) -> None:
    doc = etree.fromstring(build_report_xml(case=child_case, options=options()))
    doc.remove(doc.find("reporter"))
    problems = validate_report_xml(etree.tostring(doc))
    assert problems and any("reporter" in p for p in problems)


def test_generation_refuses_a_report_without_the_reporters_email(settings: Any, child_case: Case,
                                                                  liaison_lucas: User) -> None:
    settings.LAW_ENFORCEMENT = {"NCMEC": {"REPORTER_EMAIL": ""}}
    with pytest.raises(ValidationFailed) as err:
        ncmec_report_generate(actor=actor_of(liaison_lucas), case_id=child_case.pk, options=options())
    assert err.value.code == "ncmec_invalid"
    assert not NcmecReport.objects.exists()


def test_only_child_safety_cases_are_reported(ncmec_on: Any, threat_case: Case, liaison_lucas: User) -> None:
    with pytest.raises(ValidationFailed) as err:
        ncmec_report_generate(actor=actor_of(liaison_lucas), case_id=threat_case.pk, options=options())
    assert "case_id" in err.value.fields


def test_the_command_prints_the_xml(ncmec_on: Any, child_case: Case) -> None:
    out = io.StringIO()
    call_command("ncmec_report", "--case", str(child_case.pk), stdout=out)
    assert out.getvalue().startswith("<?xml")
    assert validate_report_xml(out.getvalue().encode()) == []


def test_the_command_fails_for_a_case_that_is_not_child_safety(ncmec_on: Any, threat_case: Case) -> None:
    with pytest.raises(CommandError):
        call_command("ncmec_report", "--case", str(threat_case.pk), stdout=io.StringIO())


def test_submission_is_off_by_default(ncmec_on: Any, child_case: Case, liaison_lucas: User) -> None:
    report = ncmec_report_generate(actor=actor_of(liaison_lucas), case_id=child_case.pk, options=options())
    with pytest.raises(Conflict) as err:
        ncmec_report_submit(actor=actor_of(liaison_lucas), report_id=report.pk)
    assert err.value.code == "ncmec_disabled"


def _enable(settings: Any, url: str) -> None:
    settings.LAW_ENFORCEMENT = {"NCMEC": {**REPORTER, "ENABLED": True, "BASE_URL": url, "USERNAME": USER,
                                          "PASSWORD": PASSWORD, "TIMEOUT_SECONDS": 5}}


def test_filing_through_the_fake_server_finishes_and_holds_for_a_year(
    ncmec_on: Any, child_case: Case, liaison_lucas: User
) -> None:
    report = ncmec_report_generate(actor=actor_of(liaison_lucas), case_id=child_case.pk, options=options())
    with fake_ncmec() as (url, state):
        _enable(ncmec_on, url)
        filed = ncmec_report_submit(actor=actor_of(liaison_lucas), report_id=report.pk)
    assert state.calls == ["submit", "finish"]
    assert (filed.status, filed.ncmec_report_id) == ("finished", "4564654")
    holds = LegalHold.objects.filter(ncmec_report=filed)
    assert {(h.subject_kind, h.subject_value) for h in holds} == {("case", str(child_case.pk)),
                                                                   ("account", "kite-user-9001")}
    assert all((h.expires_at - h.starts_at).days == 365 for h in holds)
    assert is_on_hold(subject_kind="account", subject_value="kite-user-9001")


def test_a_failed_finish_is_retracted_and_recorded(ncmec_on: Any, child_case: Case, liaison_lucas: User) -> None:
    report = ncmec_report_generate(actor=actor_of(liaison_lucas), case_id=child_case.pk, options=options())
    with fake_ncmec() as (url, state):
        _enable(ncmec_on, url)
        state.fail_on = "finish"
        with pytest.raises(ApplicationError) as err:
            ncmec_report_submit(actor=actor_of(liaison_lucas), report_id=report.pk)
    assert err.value.code == "ncmec_failed" and err.value.status == 502
    assert state.calls == ["submit", "finish", "retract"]
    report.refresh_from_db()
    assert report.status == "failed" and report.ncmec_report_id == "4564654"
    assert not LegalHold.objects.exists()


def test_an_invalid_stored_report_is_never_sent(ncmec_on: Any, child_case: Case, liaison_lucas: User) -> None:
    report = ncmec_report_generate(actor=actor_of(liaison_lucas), case_id=child_case.pk, options=options())
    NcmecReport.objects.filter(pk=report.pk).update(xml=report.xml.replace("<incidentType>", "<incidentTyp>", 1)
                                                    .replace("</incidentType>", "</incidentTyp>", 1))
    with fake_ncmec() as (url, state):
        _enable(ncmec_on, url)
        with pytest.raises(ValidationFailed):
            ncmec_report_submit(actor=actor_of(liaison_lucas), report_id=report.pk)
    assert state.calls == []


def test_an_opened_report_can_be_retracted(ncmec_on: Any, child_case: Case, liaison_lucas: User) -> None:
    report = ncmec_report_generate(actor=actor_of(liaison_lucas), case_id=child_case.pk, options=options())
    with fake_ncmec() as (url, state):
        _enable(ncmec_on, url)
        state.fail_on = "finish"
        with pytest.raises(ApplicationError):
            ncmec_report_submit(actor=actor_of(liaison_lucas), report_id=report.pk)
        state.fail_on = ""
        # a retry retracts the earlier attempt first (already retracted: 5101 is an error, so it stops)
        NcmecReport.objects.filter(pk=report.pk).update(status="opened")
        state.reports["4564654"]["status"] = "open"
        retracted = ncmec_report_retract(actor=actor_of(liaison_lucas), report_id=report.pk)
    assert retracted.status == "retracted"
    assert state.reports["4564654"]["status"] == "retracted"


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002"
    "000154a24f5d0000000049454e44ae426082"
)


def test_the_case_evidence_is_uploaded_with_its_file_details(
    ncmec_on: Any, child_case: Case, liaison_lucas: User, analyst_amal: User
) -> None:
    from trustline.intake.evidence import evidence_attach
    from trustline.intake.models import ReportItem

    item = ReportItem.objects.filter(case=child_case).select_related("report").get()
    evidence_attach(actor=actor_of(analyst_amal), report=item.report, fileobj=io.BytesIO(PNG), name="shot.png",
                    declared_type="image/png", item_id=str(item.pk))
    report = ncmec_report_generate(actor=actor_of(liaison_lucas), case_id=child_case.pk, options=options())
    with fake_ncmec() as (url, state):
        _enable(ncmec_on, url)
        filed = ncmec_report_submit(actor=actor_of(liaison_lucas), report_id=report.pk)
    assert state.calls == ["submit", "upload", "fileinfo", "finish"]
    assert len(filed.file_ids) == 1


def test_the_command_refuses_a_malformed_or_unknown_case(ncmec_on: Any, db: None) -> None:
    with pytest.raises(CommandError):
        call_command("ncmec_report", "--case", "not-a-uuid", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("ncmec_report", "--case", "00000000-0000-0000-0000-000000000001", stdout=io.StringIO())
