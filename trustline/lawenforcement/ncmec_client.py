"""A client for the CyberTipline Reporting API, and the service that files a stored report with it.

Off by default (``LAW_ENFORCEMENT["NCMEC"]["ENABLED"]``): a deployment turns
it on with NCMEC-issued credentials. The endpoints and responses follow
NCMEC's documentation: ``/submit`` (the report XML), ``/upload`` (multipart
``id`` + ``file``), ``/fileinfo`` (``<fileDetails>`` XML), ``/finish`` and
``/retract`` (form ``id``); every answer is a ``<reportResponse>`` (or
``<reportDoneResponse>`` for ``/finish``) whose ``responseCode`` 0 means
success.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from typing import Any

import requests  # type: ignore[import-untyped,unused-ignore]  # no stubs for requests installed
from django.db import transaction
from lxml import etree

from trustline.accounts.permissions import Actor, Perm
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.exceptions import ApplicationError, Conflict, ValidationFailed
from trustline.intake.evidence import evidence_open
from trustline.intake.models import Evidence
from trustline.lawenforcement.choices import HoldReason, HoldSubject, NcmecStatus
from trustline.lawenforcement.conf import le_int, le_setting
from trustline.lawenforcement.holds import hold_place
from trustline.lawenforcement.models import NcmecReport
from trustline.lawenforcement.ncmec import validate_report_xml
from trustline.lawenforcement.permissions import le_require
from trustline.lawenforcement.selectors import ncmec_report_get

ALREADY_FINISHED = 5102
REPORT_DOES_NOT_EXIST = 5001


class NcmecError(Exception):
    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclasses.dataclass(frozen=True)
class NcmecResponse:
    code: int
    description: str
    report_id: str
    file_id: str = ""
    hash: str = ""
    file_ids: tuple[str, ...] = ()


def parse_response(body: bytes) -> NcmecResponse:
    try:
        doc = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise NcmecError(f"NCMEC answered with something that is not XML: {exc}") from exc
    code_text = doc.findtext("responseCode")
    if code_text is None:
        raise NcmecError("NCMEC's answer has no responseCode")
    return NcmecResponse(
        code=int(code_text), description=doc.findtext("responseDescription") or "",
        report_id=doc.findtext("reportId") or "", file_id=doc.findtext("fileId") or "",
        hash=doc.findtext("hash") or "", file_ids=tuple(e.text or "" for e in doc.findall("files/fileId")),
    )


class NcmecClient:
    """The five report endpoints plus ``/status``; raises :class:`NcmecError` on any non-zero response code."""

    def __init__(self, *, base_url: str, username: str, password: str, timeout: float = 30) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = (username, password)
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> NcmecClient:
        config = le_setting("NCMEC")
        return cls(base_url=config["BASE_URL"], username=config["USERNAME"], password=config["PASSWORD"],
                   timeout=float(config["TIMEOUT_SECONDS"]))

    def _post(self, path: str, **kwargs: Any) -> NcmecResponse:
        try:
            response = self.session.post(f"{self.base_url}/{path}", timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise NcmecError(f"could not reach NCMEC ({path}): {exc}") from exc
        parsed = parse_response(response.content)
        if parsed.code != 0:
            raise NcmecError(f"NCMEC /{path} answered {parsed.code}: {parsed.description}", code=parsed.code)
        return parsed

    def status(self) -> NcmecResponse:
        try:
            response = self.session.get(f"{self.base_url}/status", timeout=self.timeout)
        except requests.RequestException as exc:
            raise NcmecError(f"could not reach NCMEC (status): {exc}") from exc
        return parse_response(response.content)

    def submit(self, xml: bytes) -> NcmecResponse:
        return self._post("submit", data=xml, headers={"Content-Type": "text/xml; charset=utf-8"})

    def upload(self, report_id: str, name: str, content: bytes) -> NcmecResponse:
        return self._post("upload", data={"id": report_id}, files={"file": (name, content)})

    def file_details(self, xml: bytes) -> NcmecResponse:
        return self._post("fileinfo", data=xml, headers={"Content-Type": "text/xml; charset=utf-8"})

    def finish(self, report_id: str) -> NcmecResponse:
        return self._post("finish", data={"id": report_id})

    def retract(self, report_id: str) -> NcmecResponse:
        return self._post("retract", data={"id": report_id})


def file_details_xml(*, report_id: str, file_id: str, original_name: str) -> bytes:
    root = etree.Element("fileDetails")
    etree.SubElement(root, "reportId").text = report_id
    etree.SubElement(root, "fileId").text = file_id
    etree.SubElement(root, "originalFileName").text = original_name
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _set(report: NcmecReport, **values: Any) -> None:
    for key, value in values.items():
        setattr(report, key, value)
    report.save(update_fields=list(values))


def ncmec_report_submit(*, actor: Actor, report_id: str | uuid.UUID, client: NcmecClient | None = None) -> NcmecReport:
    """File a stored report with NCMEC: submit, upload the case's evidence, file details, finish.

    1. Refuse when the client is off (409 ``ncmec_disabled``) or the report
       is already filed; re-validate the XML (nothing is sent if invalid).
    2. A report that was opened before (a retry) is retracted first: 5102
       means it was already finished (record it so), 5001 that it expired.
    3. ``/submit``; the NCMEC report id is committed at once, so a crash
       later still knows what to retract.
    4. Upload each evidence file of the case with its file details.
    5. ``/finish``; in one transaction mark it finished and place the
       one-year holds (§2258A(h)) on the case and each reported account.
    6. Any failure after step 3: retract, mark ``failed`` with the error,
       answer 502 ``ncmec_failed``.
    """
    le_require(actor, Perm.LE_REFERRAL_MANAGE)
    if not le_setting("NCMEC")["ENABLED"]:
        raise Conflict("Submission to NCMEC is switched off in this deployment (LAW_ENFORCEMENT['NCMEC']).",
                       code="ncmec_disabled")
    report = ncmec_report_get(actor=actor, report_id=report_id)
    if report.status in (NcmecStatus.FINISHED, NcmecStatus.RETRACTED):
        raise Conflict("This report is already filed or retracted.", code="ncmec_done")
    problems = validate_report_xml(report.xml.encode("utf-8"))
    if problems:
        raise ValidationFailed("The report XML is not valid: " + problems[0], code="ncmec_invalid",
                               fields={"xml": problems})
    api = client or NcmecClient.from_settings()
    if report.ncmec_report_id:
        try:
            api.retract(report.ncmec_report_id)
        except NcmecError as exc:
            if exc.code == ALREADY_FINISHED:
                return _finished(actor=actor, report=report, file_ids=list(report.file_ids))
            if exc.code != REPORT_DOES_NOT_EXIST:
                raise ApplicationError(f"Could not retract the earlier attempt: {exc}", code="ncmec_failed",
                                       status=502) from exc
    try:
        opened = api.submit(report.xml.encode("utf-8"))
    except NcmecError as exc:
        with transaction.atomic():
            _set(report, status=NcmecStatus.FAILED, error=str(exc))
            audit_record(actor=actor, action=AuditAction.LE_NCMEC_FAILED, target=report, data={"error": str(exc)})
        raise ApplicationError(f"NCMEC refused the report: {exc}", code="ncmec_failed", status=502) from exc
    with transaction.atomic():
        _set(report, ncmec_report_id=opened.report_id, status=NcmecStatus.OPENED, submitted_at=clock.now(),
             error="", file_ids=[])
        audit_record(actor=actor, action=AuditAction.LE_NCMEC_SUBMITTED, target=report,
                     data={"ncmec_report_id": opened.report_id})
    try:
        file_ids: list[str] = []
        for evidence in Evidence.objects.filter(item__case_id=report.case_id).order_by("uploaded_at", "pk"):
            handle = evidence_open(actor=actor, evidence=evidence)  # the read is audited
            try:
                content = handle.read()
            finally:
                handle.close()
            uploaded = api.upload(opened.report_id, evidence.original_name, content)
            api.file_details(file_details_xml(report_id=opened.report_id, file_id=uploaded.file_id,
                                              original_name=evidence.original_name))
            file_ids.append(uploaded.file_id)
        done = api.finish(opened.report_id)
    except NcmecError as exc:
        with contextlib.suppress(NcmecError):  # NCMEC deletes unfinished reports itself after 24 hours
            api.retract(opened.report_id)
        with transaction.atomic():
            _set(report, status=NcmecStatus.FAILED, error=str(exc))
            audit_record(actor=actor, action=AuditAction.LE_NCMEC_FAILED, target=report, data={"error": str(exc)})
        raise ApplicationError(f"Filing with NCMEC failed and was retracted: {exc}", code="ncmec_failed",
                               status=502) from exc
    return _finished(actor=actor, report=report, file_ids=list(done.file_ids) or file_ids)


def _finished(*, actor: Actor, report: NcmecReport, file_ids: list[str]) -> NcmecReport:
    with transaction.atomic():
        _set(report, status=NcmecStatus.FINISHED, finished_at=clock.now(), file_ids=file_ids)
        days = le_int("NCMEC_HOLD_DAYS")
        hold_place(actor=actor, subject_kind=HoldSubject.CASE, subject_value=str(report.case_id),
                   reason=HoldReason.NCMEC_REPORT, days=days, ncmec_report=report)
        for account in report.account_identifiers:
            hold_place(actor=actor, subject_kind=HoldSubject.ACCOUNT, subject_value=account,
                       reason=HoldReason.NCMEC_REPORT, days=days, ncmec_report=report)
        audit_record(actor=actor, action=AuditAction.LE_NCMEC_FINISHED, target=report,
                     data={"ncmec_report_id": report.ncmec_report_id, "files": file_ids})
    return report


def ncmec_report_retract(*, actor: Actor, report_id: str | uuid.UUID, client: NcmecClient | None = None) -> NcmecReport:
    """Cancel an opened, unfinished submission at NCMEC."""
    le_require(actor, Perm.LE_REFERRAL_MANAGE)
    if not le_setting("NCMEC")["ENABLED"]:
        raise Conflict("Submission to NCMEC is switched off in this deployment.", code="ncmec_disabled")
    report = ncmec_report_get(actor=actor, report_id=report_id)
    if report.status != NcmecStatus.OPENED or not report.ncmec_report_id:
        raise Conflict("Only an opened, unfinished submission can be retracted.", code="ncmec_not_open")
    try:
        (client or NcmecClient.from_settings()).retract(report.ncmec_report_id)
    except NcmecError as exc:
        raise ApplicationError(f"NCMEC refused the retraction: {exc}", code="ncmec_failed", status=502) from exc
    with transaction.atomic():
        _set(report, status=NcmecStatus.RETRACTED, retracted_at=clock.now())
        audit_record(actor=actor, action=AuditAction.LE_NCMEC_RETRACTED, target=report,
                     data={"ncmec_report_id": report.ncmec_report_id})
    return report
