"""Attaching and reading evidence files.

Files are checked by their content (type, size), stored under a name Trustline
chooses (never the uploaded one), and every read is written to the audit log:
evidence can identify victims and is the most sensitive thing we hold.
"""

from __future__ import annotations

from typing import BinaryIO

from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext as _

from trustline.accounts.permissions import Actor, Perm, require
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.conf import limit
from trustline.core.exceptions import Conflict, Gone, ValidationFailed
from trustline.intake.choices import TimelineKind
from trustline.intake.evidence_check import EvidenceRejected, inspect_evidence
from trustline.intake.models import Evidence, Report, TimelineEvent
from trustline.intake.retention import first_check_at, purged_message


def evidence_attach(
    *,
    actor: Actor,
    report: Report,
    fileobj: BinaryIO,
    name: str,
    declared_type: str | None,
    item_id: str | None = None,
) -> Evidence:
    require(actor, Perm.REPORT_SUBMIT)
    if actor.organisation_id != report.organisation_id:
        raise ValidationFailed.field("report", _("evidence can only be added by the reporting partner"))
    most = limit("MAX_EVIDENCE_PER_REPORT")
    if report.evidence.count() >= most:
        raise ValidationFailed.field("file", _("a report can hold at most %(most)d evidence files") % {"most": most})
    try:
        info = inspect_evidence(
            fileobj, declared_name=name, declared_type=declared_type,
            max_bytes=limit("MAX_EVIDENCE_BYTES"),
        )
    except EvidenceRejected as exc:
        raise ValidationFailed(f"file: {exc.reason}", code=f"evidence_{exc.code}", fields={"file": [exc.reason]},
                               status=413 if exc.code == "too_large" else 422) from exc
    item = None
    if item_id:
        item = report.items.filter(pk=item_id).first() if _is_uuid(item_id) else None
        if item is None:
            raise ValidationFailed.field("item_id", _("is not an item of this report"))
    if report.evidence.filter(sha256=info.sha256).exists():
        raise Conflict(_("This file is already attached to the report."), code="evidence_duplicate",
                       fields={"file": ["already attached (same SHA-256)"]})
    with transaction.atomic():
        evidence = Evidence(
            report=report,
            item=item,
            original_name=name[:255],
            content_type=info.content_type,
            extension=f".{info.extension}",  # the model keeps the dot (file names are built from it)
            size=info.size,
            sha256=info.sha256,
            uploaded_at=clock.now(),
            uploaded_by=actor.audit_id,
        )
        evidence.retention_check_at = first_check_at(evidence.uploaded_at)
        evidence.file.save("upload", File(fileobj), save=False)
        evidence.save()
        TimelineEvent.objects.create(
            report=report, item=item, kind=TimelineKind.EVIDENCE_ADDED, at=evidence.uploaded_at,
            data={"evidence_id": str(evidence.pk), "content_type": info.content_type},
        )
        audit_record(
            actor=actor, action=AuditAction.EVIDENCE_ADDED, target=evidence,
            data={"report": str(report.pk), "sha256": info.sha256, "size": info.size, "type": info.content_type},
        )
    return evidence


def evidence_open(*, actor: Actor, evidence: Evidence) -> File:
    """Open an evidence file for reading, and record who read it; a file deleted under retention is 410."""
    check_not_purged(evidence)
    with transaction.atomic():
        audit_record(
            actor=actor, action=AuditAction.EVIDENCE_VIEWED, target=evidence,
            data={"report": str(evidence.report_id), "sha256": evidence.sha256},
        )
    evidence.file.open("rb")
    return evidence.file


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def check_not_purged(evidence: Evidence) -> None:
    if evidence.purged_at is not None:
        raise Gone(purged_message(evidence), code="evidence_purged")
