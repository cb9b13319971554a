"""Outbound referrals: a case sent to an agency with only the data the liaison chose and justified.

Data minimisation is structural: :data:`FIELDS` is the catalogue of what a
package may hold, each entry a function that reads one thing from the case;
:func:`build_package` calls only the functions of the fields selected, so a
field not selected is never even read, let alone sent. A package with
personal data waits for a second approval by someone other than its author.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import transaction

from trustline.accounts.permissions import Actor, Perm
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound, ValidationFailed
from trustline.intake.models import ReportItem
from trustline.lawenforcement.choices import ReferralStatus, SendChannel
from trustline.lawenforcement.directory import fail, parse_uuid, user_of
from trustline.lawenforcement.models import Agency, AgencyContact, LeReferral
from trustline.lawenforcement.permissions import le_require
from trustline.notifications.services import outbox_enqueue
from trustline.review.choices import ReferralKind
from trustline.review.models import Referral


def _items(case: Case) -> list[ReportItem]:
    return list(ReportItem.objects.filter(case=case).select_related("report").order_by("report__received_at", "pk"))


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    label: str
    personal: bool
    read: Callable[[Case, list[ReportItem]], Any]  # the case and its reported items (loaded once, only if needed)
    needs_items: bool = False


FIELDS: dict[str, FieldSpec] = {
    "category": FieldSpec("Category of harm", False, lambda c, _: c.category_code),
    "country": FieldSpec("Country", False, lambda c, _: c.country),
    "imminent_harm": FieldSpec("Imminent harm flagged", False, lambda c, _: c.imminent_harm),
    "first_reported_at": FieldSpec("First reported at", False, lambda c, _: c.opened_at.isoformat()),
    "content_url": FieldSpec("Content URL", True, lambda c, _: c.canonical_url or c.canonical_key),
    "content_excerpts": FieldSpec(
        "Content as reported", True, lambda _, items: [i.excerpt for i in items if i.excerpt], needs_items=True),
    "report_explanations": FieldSpec(
        "Why partners reported it", True, lambda _, items: list(dict.fromkeys(i.report.explanation for i in items)),
        needs_items=True),
    "imminent_harm_reasons": FieldSpec(
        "Imminent-harm reasons given", True,
        lambda _, items: list(dict.fromkeys(
            i.report.imminent_harm_reason for i in items if i.report.imminent_harm_reason)),
        needs_items=True),
    "account_identifiers": FieldSpec(
        "Account identifiers on the platform", True,
        lambda _, items: list(dict.fromkeys(i.platform_id for i in items if i.platform_id)), needs_items=True),
    "content_snapshots": FieldSpec(
        "Content as the platform showed it (preserved, with SHA-256)", True, lambda c, _: _snapshots(c)),
}


def _snapshots(case: Case) -> list[dict[str, Any]]:
    """The case's preserved snapshots the platform answered, each with its hash (``trustline.platforms.snapshots``).

    ``description`` is stored exactly as hashed: the agency can recompute
    ``sha256`` over it as canonical JSON (sorted keys, separators ``,`` and
    ``:``, UTF-8) to check nothing was changed.
    """
    from trustline.platforms.models import ContentSnapshot  # platforms builds on cases; referrals read it

    return [
        {"taken_at": s.taken_at.isoformat(), "unchanged_until": s.unchanged_until.isoformat()
         if s.unchanged_until else None, "sha256": s.sha256, "description": s.payload}
        for s in ContentSnapshot.objects.filter(case=case, available=True, purged_at__isnull=True)
        .order_by("taken_at", "id")
    ]


def build_package(*, case: Case, facts: str, selected: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    """The package: the facts, then exactly the selected fields (read only now), each with its justification.

    The case's items are read once, and only when a selected field needs them.
    """
    specs = [(s, FIELDS[s["name"]]) for s in selected]
    items = _items(case) if any(spec.needs_items for _, spec in specs) else []
    return {
        "case_id": str(case.pk),
        "facts": facts,
        "fields": [
            {"name": s["name"], "label": spec.label, "value": spec.read(case, items),
             "justification": s["justification"]}
            for s, spec in specs
        ],
    }


def package_hash(package: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(package, sort_keys=True, default=str).encode()).hexdigest()


def referral_create(
    *, actor: Actor, case_id: str | uuid.UUID, agency_id: str | uuid.UUID, facts: str,
    fields: Sequence[Mapping[str, str]], contact_id: str | uuid.UUID | None = None,
    review_referral_id: str | uuid.UUID | None = None,
) -> LeReferral:
    """Build a referral and its minimised package; personal data sends it to second approval.

    1. The case, the agency (not retired) and the contact (of that agency)
       exist; a review referral, if named, is a law-enforcement one of the case.
    2. Each selected field is in the catalogue, chosen once, with a justification.
    3. Build the package from the selected fields only; hash it.
    4. Status: ``awaiting_approval`` if any field is personal, else ``approved``.
    """
    le_require(actor, Perm.LE_REFERRAL_MANAGE)
    errors: dict[str, list[str]] = {}
    case = Case.objects.filter(pk=parse_uuid(case_id, "Case")).first()
    if case is None:
        raise NotFound("Case not found.")
    agency = Agency.objects.filter(pk=parse_uuid(agency_id, "Agency")).exclude(status="retired").first()
    if agency is None:
        errors["agency_id"] = ["no such agency in the directory"]
    contact = None
    if contact_id is not None:
        contact = AgencyContact.objects.filter(pk=parse_uuid(contact_id, "Contact"), agency=agency,
                                               active=True).first()
        if contact is None:
            errors["contact_id"] = ["not an active contact of this agency"]
    review_referral = None
    if review_referral_id is not None:
        review_referral = Referral.objects.filter(pk=parse_uuid(review_referral_id, "Referral"), case=case,
                                                  kind=ReferralKind.LAW_ENFORCEMENT).first()
        if review_referral is None:
            errors["review_referral_id"] = ["not a law-enforcement referral of this case"]
    if not facts.strip():
        errors["facts"] = ["summarise what is happening and why the agency should act"]
    seen: set[str] = set()
    for i, item in enumerate(fields):
        name = item.get("name", "")
        if name not in FIELDS:
            errors[f"fields.{i}.name"] = [f"one of {', '.join(FIELDS)}"]
        elif name in seen:
            errors[f"fields.{i}.name"] = ["chosen twice"]
        seen.add(name)
        if not str(item.get("justification", "")).strip():
            errors[f"fields.{i}.justification"] = ["say why the agency needs this"]
    if user_of(actor) is None:
        errors["actor"] = ["a referral is built by a person"]
    fail(errors)
    assert agency is not None
    selected = [{"name": f["name"], "justification": f["justification"].strip()} for f in fields]
    personal = any(FIELDS[f["name"]].personal for f in selected)
    package = build_package(case=case, facts=facts.strip(), selected=selected)
    with transaction.atomic():
        referral = LeReferral.objects.create(
            case=case, review_referral=review_referral, agency=agency, contact=contact, facts=facts.strip(),
            fields=selected, personal_data=personal, package=package, package_sha256=package_hash(package),
            status=ReferralStatus.AWAITING_APPROVAL if personal else ReferralStatus.APPROVED,
            created_by=user_of(actor), created_at=clock.now(),
        )
        audit_record(actor=actor, action=AuditAction.LE_REFERRAL_CREATED, target=referral, data={
            "case": str(case.pk), "agency": str(agency.pk), "fields": selected, "personal_data": personal,
            "package_sha256": referral.package_sha256,
        })
    return referral


def _locked(referral_id: str | uuid.UUID) -> LeReferral:
    found = LeReferral.objects.select_for_update().filter(pk=parse_uuid(referral_id, "Referral")).first()
    if found is None:
        raise NotFound("Referral not found.")
    return found


def referral_approve(*, actor: Actor, referral_id: str | uuid.UUID) -> LeReferral:
    """Second approval of a package with personal data: never by the person who built it."""
    le_require(actor, Perm.LE_REFERRAL_APPROVE)
    with transaction.atomic():
        referral = _locked(referral_id)
        if referral.status != ReferralStatus.AWAITING_APPROVAL:
            raise Conflict("This referral is not waiting for approval.", code="not_awaiting_approval")
        if actor.user is None or actor.user.pk == referral.created_by_id:
            raise Conflict("The second approval must come from someone other than the referral's author.",
                           code="same_person")
        referral.status = ReferralStatus.APPROVED
        referral.approved_by = actor.user
        referral.approved_at = clock.now()
        referral.save(update_fields=["status", "approved_by", "approved_at"])
        audit_record(actor=actor, action=AuditAction.LE_REFERRAL_APPROVED, target=referral,
                     data={"package_sha256": referral.package_sha256})
    return referral


def referral_send(*, actor: Actor, referral_id: str | uuid.UUID, channel: str, sent_to: str = "") -> LeReferral:
    """Record the sending; by e-mail the package goes through the outbox to the contact's address."""
    le_require(actor, Perm.LE_REFERRAL_MANAGE)
    if channel not in SendChannel.values:
        raise ValidationFailed.field("channel", f"one of {', '.join(SendChannel.values)}")
    with transaction.atomic():
        referral = _locked(referral_id)
        if referral.status != ReferralStatus.APPROVED:
            raise Conflict("Only an approved referral can be sent.", code="not_approved")
        contact = referral.contact
        if channel == SendChannel.EMAIL:
            if contact is None or not contact.email:
                raise ValidationFailed.field("channel", "the referral's contact has no e-mail address")
            sent_to = contact.email
            outbox_enqueue(
                channel="email", recipient=contact.email,
                subject=f"Referral from the platform's trust & safety team (ref. {referral.pk})",
                body=json.dumps(referral.package, indent=2, default=str, ensure_ascii=False),
                payload={"referral_id": str(referral.pk), "package_sha256": referral.package_sha256},
                idempotency_key=f"le-referral:{referral.pk}", event_type="le_referral.sent",
            )
        if not sent_to.strip():
            raise ValidationFailed.field("sent_to", "who received it (number called, portal reference)")
        referral.status = ReferralStatus.SENT
        referral.sent_by = user_of(actor)
        referral.sent_at = clock.now()
        referral.sent_channel = channel
        referral.sent_to = sent_to.strip()
        referral.save(update_fields=["status", "sent_by", "sent_at", "sent_channel", "sent_to"])
        audit_record(actor=actor, action=AuditAction.LE_REFERRAL_SENT, target=referral, data={
            "channel": channel, "to": referral.sent_to, "package_sha256": referral.package_sha256,
        })
    return referral


def referral_acknowledge(*, actor: Actor, referral_id: str | uuid.UUID, acknowledgement: str) -> LeReferral:
    """Record that the agency acknowledged the referral (their reference or words)."""
    le_require(actor, Perm.LE_REFERRAL_MANAGE)
    if not acknowledgement.strip():
        raise ValidationFailed.field("acknowledgement", "what the agency said or its reference")
    with transaction.atomic():
        referral = _locked(referral_id)
        if referral.status != ReferralStatus.SENT:
            raise Conflict("Only a sent referral can be acknowledged.", code="not_sent")
        referral.status = ReferralStatus.ACKNOWLEDGED
        referral.acknowledged_at = clock.now()
        referral.acknowledgement = acknowledgement.strip()
        referral.save(update_fields=["status", "acknowledged_at", "acknowledgement"])
        audit_record(actor=actor, action=AuditAction.LE_REFERRAL_ACKNOWLEDGED, target=referral,
                     data={"acknowledgement": referral.acknowledgement})
    return referral


def referral_cancel(*, actor: Actor, referral_id: str | uuid.UUID, reason: str) -> LeReferral:
    le_require(actor, Perm.LE_REFERRAL_MANAGE)
    if not reason.strip():
        raise ValidationFailed.field("reason", "say why")
    with transaction.atomic():
        referral = _locked(referral_id)
        if referral.status in (ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED, ReferralStatus.CANCELLED):
            raise Conflict("A sent or cancelled referral cannot be cancelled.", code="not_cancellable")
        referral.status = ReferralStatus.CANCELLED
        referral.save(update_fields=["status"])
        audit_record(actor=actor, action=AuditAction.LE_REFERRAL_CANCELLED, target=referral, data={"reason": reason})
    return referral
