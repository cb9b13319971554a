"""NCMEC CyberTipline reports: build the ``<report>`` XML for a child-safety case and validate it.

The schema is NCMEC's published XSD, copied into ``data/`` (public; its
header kept) so the app never reads ``/work/shared`` or the network at run
time. Validation has two layers, both before anything is sent:

1. the XSD (lxml ``XMLSchema``): structure, order, required elements;
2. the field guide's rules the XSD does not encode: the reporting person
   needs an e-mail address; the incident time is in the past; an
   escalation reason is not blank.

A report that fails either is never stored as generated nor sent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from collections.abc import Sequence
from pathlib import Path

from django.db import transaction
from lxml import etree

from trustline.accounts.permissions import Actor, Perm
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.exceptions import NotFound, ValidationFailed
from trustline.intake.models import ReportItem
from trustline.lawenforcement.choices import CATEGORY_TOPICS, NCMEC_INCIDENT_TYPES, Topic
from trustline.lawenforcement.conf import le_setting
from trustline.lawenforcement.directory import parse_uuid, user_of
from trustline.lawenforcement.models import NcmecReport
from trustline.lawenforcement.permissions import le_require

XSD_PATH = Path(__file__).resolve().parent / "data" / "ncmec_cybertipline_report.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ANNOTATIONS = ("sextortion", "csamSolicitation", "minorToMinorInteraction", "spam", "sadisticOnlineExploitation")


@functools.cache
def schema() -> etree.XMLSchema:
    """The XSD, parsed once per process (it is ~150 kB)."""
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


@dataclasses.dataclass(frozen=True)
class ReportOptions:
    incident_type: str = NCMEC_INCIDENT_TYPES[0]
    incident_at: dt.datetime | None = None  # default: when the case was first reported
    escalate_reason: str = ""  # any text escalates the report at NCMEC: use it for imminent risk
    account_identifiers: Sequence[str] = ()
    annotations: Sequence[str] = ()
    additional_info: str = ""


def is_child_safety(case: Case) -> bool:
    return Topic.CHILD_SAFETY in CATEGORY_TOPICS.get(case.category_code, ())


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def build_report_xml(*, case: Case, options: ReportOptions) -> bytes:
    """The ``<report>`` document for a case, in the XSD's element order.

    incidentSummary (type, platform, escalation, annotations, time), one
    webPageIncident per distinct content URL of the case, the reporter (from
    settings ``LAW_ENFORCEMENT["NCMEC"]``), and one personOrUserReported per
    account identifier chosen (only its ``espIdentifier``: nothing else about
    the user is sent unless a later version adds it deliberately).
    """
    config = le_setting("NCMEC")
    root = etree.Element("report", nsmap={"xsi": XSI})
    root.set(f"{{{XSI}}}noNamespaceSchemaLocation", "https://report.cybertip.org/ispws/xsd")
    summary = _sub(root, "incidentSummary")
    _sub(summary, "incidentType", options.incident_type)
    if config["PLATFORM"]:
        _sub(summary, "platform", str(config["PLATFORM"]))
    if options.escalate_reason:
        _sub(summary, "escalateToHighPriority", options.escalate_reason)
    if options.annotations:
        notes = _sub(summary, "reportAnnotations")
        for name in ANNOTATIONS:
            if name in options.annotations:
                _sub(notes, name)
    incident_at = options.incident_at or case.opened_at
    _sub(summary, "incidentDateTime", incident_at.isoformat())
    urls = list(dict.fromkeys(
        u for u in ReportItem.objects.filter(case=case).values_list("canonical_url", flat=True) if u
    )) or ([case.canonical_url] if case.canonical_url else [])
    for url in urls:
        details = _sub(root, "internetDetails")
        web = _sub(details, "webPageIncident")
        _sub(web, "url", url)
    reporter = _sub(root, "reporter")
    person = _sub(reporter, "reportingPerson")
    if config["REPORTER_FIRST_NAME"]:
        _sub(person, "firstName", str(config["REPORTER_FIRST_NAME"]))
    if config["REPORTER_LAST_NAME"]:
        _sub(person, "lastName", str(config["REPORTER_LAST_NAME"]))
    if config["REPORTER_EMAIL"]:
        _sub(person, "email", str(config["REPORTER_EMAIL"]))
    for identifier in options.account_identifiers:
        reported = _sub(root, "personOrUserReported")
        _sub(reported, "espIdentifier", identifier)
    if options.additional_info:
        _sub(root, "additionalInfo", options.additional_info)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def validate_report_xml(xml: bytes, *, now: dt.datetime | None = None) -> list[str]:
    """Every problem with a ``<report>`` document (empty list: valid): XSD first, then the guide's rules."""
    try:
        doc = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    xsd = schema()
    problems: list[str] = []
    if not xsd.validate(doc):
        problems.extend(f"line {e.line}: {e.message}" for e in xsd.error_log)
    if doc.tag == "report":
        if not doc.xpath("reporter/reportingPerson/email"):
            problems.append("reporter/reportingPerson needs an email (field guide: required for the reporting person)")
        when = doc.findtext("incidentSummary/incidentDateTime")
        if when:
            try:
                if dt.datetime.fromisoformat(when) > (now or clock.now()):
                    problems.append("incidentSummary/incidentDateTime must be in the past")
            except ValueError:
                pass  # the XSD already reported a malformed date
        escalate = doc.find("incidentSummary/escalateToHighPriority")
        if escalate is not None and not (escalate.text or "").strip():
            problems.append("incidentSummary/escalateToHighPriority must not be blank when supplied")
    return problems


def _case(case_id: str | uuid.UUID) -> Case:
    case = Case.objects.filter(pk=parse_uuid(case_id, "Case")).first()
    if case is None:
        raise NotFound("Case not found.")
    return case


def _check_options(case: Case, options: ReportOptions) -> None:
    errors: dict[str, list[str]] = {}
    if not is_child_safety(case):
        errors["case_id"] = ["CyberTipline reports are for child-safety cases"]
    if options.incident_type not in NCMEC_INCIDENT_TYPES:
        errors["incident_type"] = [f"one of: {'; '.join(NCMEC_INCIDENT_TYPES)}"]
    for i, name in enumerate(options.annotations):
        if name not in ANNOTATIONS:
            errors[f"annotations.{i}"] = [f"one of {', '.join(ANNOTATIONS)}"]
    if len(options.escalate_reason) > 3000:
        errors["escalate_reason"] = ["at most 3000 characters"]
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first][0]}", fields=errors)


def case_report_xml(*, case_id: str | uuid.UUID, options: ReportOptions | None = None) -> bytes:
    """Build and validate the XML for a case without storing it (the ``ncmec_report`` command); raises if invalid."""
    case = _case(case_id)
    opts = options or default_options(case)
    _check_options(case, opts)
    xml = build_report_xml(case=case, options=opts)
    problems = validate_report_xml(xml)
    if problems:
        raise ValidationFailed("The CyberTipline report is not valid: " + problems[0], code="ncmec_invalid",
                               fields={"xml": problems})
    return xml


def default_options(case: Case) -> ReportOptions:
    """From the case: escalate when imminent harm was flagged; every platform account id of its items."""
    ids = list(dict.fromkeys(
        p for p in ReportItem.objects.filter(case=case).values_list("platform_id", flat=True) if p
    ))
    return ReportOptions(
        escalate_reason="Imminent risk to a child reported by a trusted partner." if case.imminent_harm else "",
        account_identifiers=ids,
    )


def ncmec_report_generate(*, actor: Actor, case_id: str | uuid.UUID, options: ReportOptions) -> NcmecReport:
    """Generate, validate and store a case's report (status ``draft``); invalid XML is refused with every problem."""
    le_require(actor, Perm.LE_REFERRAL_MANAGE)
    case = _case(case_id)
    _check_options(case, options)
    xml = build_report_xml(case=case, options=options)
    problems = validate_report_xml(xml)
    if problems:
        raise ValidationFailed("The CyberTipline report is not valid: " + problems[0], code="ncmec_invalid",
                               fields={"xml": problems})
    with transaction.atomic():
        report = NcmecReport.objects.create(
            case=case, incident_type=options.incident_type, xml=xml.decode("utf-8"),
            account_identifiers=list(options.account_identifiers), created_by=user_of(actor), created_at=clock.now(),
        )
        audit_record(actor=actor, action=AuditAction.LE_NCMEC_GENERATED, target=report, data={
            "case": str(case.pk), "incident_type": options.incident_type,
            "escalated": bool(options.escalate_reason), "accounts": len(options.account_identifiers),
        })
    return report
