"""The policy queue: items arrive, a policy analyst takes one, discusses it and records a conclusion.

Items arrive two ways:

* **Case referrals.** A decision referring a case to policy review makes
  the review app record a ``Referral``. :func:`policy_referrals_pick_up`
  (periodic, every minute) turns each open one into a ``case_referral``
  item; :func:`policy_item_open_for_referral` does one at once and is safe
  to call again (the item is one-to-one with the referral).
* **Partner feedback.** :func:`policy_feedback_submit`.

Taking an item is a conditional UPDATE (``status = 'open'``), so two
analysts never hold the same one; an analyst with ``policy_review.handle``
may also hand an item to a colleague. The holder records the conclusion;
the partners concerned see it on their feedback item (feedback) or their
report's timeline (referral: ``policy_reviewed``) and are notified. Every
step is audited.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict

import pycountry
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM, Actor, Perm, require
from trustline.accounts.selectors import actor_for_user
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from trustline.intake.choices import TimelineKind
from trustline.notifications.language import in_language_of
from trustline.notifications.services import notification_send
from trustline.policy.choices import (
    EVENT_FEEDBACK_RECEIVED,
    EVENT_POLICY_CONCLUDED,
    PolicyConclusion,
    PolicyItemKind,
    PolicyItemStatus,
)
from trustline.policy.models import PolicyComment, PolicyItem
from trustline.policy.referrals import (
    Referral,
    case_timeline_add,
    referral_mark_concluded,
    referrals_waiting,
    reports_of,
)
from trustline.policy.selectors import policy_item_get
from trustline.taxonomy.models import Category

MAX_TOPIC_CHARS = 200
MAX_BODY_CHARS = 10_000
MAX_COMMENT_CHARS = 5_000
MAX_CONCLUSION_CHARS = 5_000
PICK_UP_BATCH = 200


# --------------------------------------------------------------------------------------------
# Arrival
# --------------------------------------------------------------------------------------------


def policy_item_open_for_referral(*, referral: Referral, actor: Actor = SYSTEM) -> PolicyItem:
    """The policy item of a policy-review referral, created on first call (idempotent, race-safe)."""
    existing = PolicyItem.objects.filter(referral_id=referral.pk).first()
    if existing is not None:
        return existing
    decision = referral.decision
    category = decision.policy.name if decision.policy is not None else (referral.case.category_code or "policy")
    try:
        with transaction.atomic():
            item = PolicyItem.objects.create(
                kind=PolicyItemKind.CASE_REFERRAL,
                referral=referral,
                case=referral.case,
                decision=decision,
                submitted_by=decision.decided_by,
                submitted_by_actor=decision.decided_by_actor,
                topic=f"Case referred to policy review ({category})"[:MAX_TOPIC_CHARS],
                body="\n\n".join(part for part in (decision.internal_note, decision.explanation) if part),
                category_code=decision.policy.code if decision.policy is not None else referral.case.category_code,
                country=referral.case.country,
                created_at=clock.now(),
            )
            audit_record(actor=actor, action=AuditAction.POLICY_ITEM_OPENED, target=item, data={
                "kind": item.kind, "referral": str(referral.pk), "case": str(referral.case_id),
                "decision": str(decision.pk),
            })
    except IntegrityError:
        return PolicyItem.objects.get(referral_id=referral.pk)  # a concurrent pick-up won
    return item


def policy_referrals_pick_up(*, actor: Actor = SYSTEM, limit: int = PICK_UP_BATCH) -> int:
    """Open a policy item for each waiting policy-review referral; returns how many were opened."""
    opened = 0
    for referral in referrals_waiting()[:limit]:
        before = PolicyItem.objects.filter(referral_id=referral.pk).exists()
        policy_item_open_for_referral(referral=referral, actor=actor)
        opened += 0 if before else 1
    return opened


def _check_feedback_fields(topic: str, body: str, category: str, country: str) -> tuple[str, str]:
    fields: dict[str, list[str]] = {}
    if not topic:
        fields["topic"] = ["required"]
    elif len(topic) > MAX_TOPIC_CHARS:
        fields["topic"] = [f"at most {MAX_TOPIC_CHARS} characters"]
    if not body:
        fields["body"] = ["required"]
    elif len(body) > MAX_BODY_CHARS:
        fields["body"] = [f"at most {MAX_BODY_CHARS} characters"]
    if category and not Category.objects.filter(code=category, is_active=True).exists():
        fields["category"] = ["not a category code from GET /api/v1/taxonomy"]
    country = country.upper()
    if country and (len(country) != 2 or pycountry.countries.get(alpha_2=country) is None):
        fields["country"] = ["not an ISO 3166-1 alpha-2 country code"]
    if fields:
        first, reasons = next(iter(fields.items()))
        raise ValidationFailed(f"{first}: {reasons[0]}", fields=fields)
    return category, country


@transaction.atomic
def policy_feedback_submit(
    *, actor: Actor, topic: str, body: str, category: str = "", country: str = ""
) -> PolicyItem:
    """A partner raises a policy question or gap; it joins the policy queue and the partner is told."""
    require(actor, Perm.POLICY_FEEDBACK_SUBMIT)
    if actor.organisation is None or actor.is_staff_side:
        raise PermissionDenied("Policy feedback comes from trusted partners.")
    topic, body = (topic or "").strip(), (body or "").strip()
    category, country = _check_feedback_fields(topic, body, (category or "").strip(), (country or "").strip())
    item = PolicyItem.objects.create(
        kind=PolicyItemKind.PARTNER_FEEDBACK,
        organisation=actor.organisation,
        submitted_by=actor.user,
        submitted_by_actor=actor.audit_id,
        topic=topic,
        body=body,
        category_code=category,
        country=country,
        created_at=clock.now(),
    )
    audit_record(actor=actor, action=AuditAction.POLICY_FEEDBACK_SUBMITTED, target=item,
                 data={"topic": topic, "category": category, "country": country})
    with in_language_of(actor.organisation):
        subject = _("We received your policy feedback: %(topic)s") % {"topic": topic}
        text = _("Thank you. Your policy feedback \"%(topic)s\" (%(id)s) is with our policy team; we will tell "
                 "you what we concluded.") % {"topic": topic, "id": item.pk}
    notification_send(
        organisation=actor.organisation,
        event_type=EVENT_FEEDBACK_RECEIVED,
        key=f"policy-item:{item.pk}:received",
        subject=subject[:300],
        body=text,
        data={"policy_item_id": str(item.pk), "topic": topic, "status": item.status},
    )
    return item


# --------------------------------------------------------------------------------------------
# Taking, discussing, concluding
# --------------------------------------------------------------------------------------------


def _require_analyst(actor: Actor) -> User:
    require(actor, Perm.POLICY_REVIEW_HANDLE)
    if actor.user is None:
        raise PermissionDenied("Policy items are handled by a signed-in policy analyst.")
    return actor.user


@transaction.atomic
def policy_item_claim(*, actor: Actor, item_id: str | uuid.UUID) -> PolicyItem:
    """Take an open item (conditional UPDATE: of two analysts claiming at once, one wins, the other gets 409)."""
    user = _require_analyst(actor)
    item = policy_item_get(actor=actor, item_id=item_id)
    taken = PolicyItem.objects.filter(pk=item.pk, status=PolicyItemStatus.OPEN).update(
        status=PolicyItemStatus.IN_REVIEW, assigned_to=user, assigned_at=clock.now()
    )
    if taken != 1:
        raise Conflict("Someone else took this item, or it is concluded.", code="already_taken")
    item.refresh_from_db()
    audit_record(actor=actor, action=AuditAction.POLICY_ITEM_CLAIMED, target=item, data={})
    return item


@transaction.atomic
def policy_item_assign(*, actor: Actor, item_id: str | uuid.UUID, username: str) -> PolicyItem:
    """Hand an open or taken item to a policy analyst."""
    _require_analyst(actor)
    found = policy_item_get(actor=actor, item_id=item_id)
    assignee = User.objects.filter(username=username, is_active=True).first()
    assignee_actor = actor_for_user(assignee) if assignee is not None else None
    if assignee is None or assignee_actor is None or not assignee_actor.has(Perm.POLICY_REVIEW_HANDLE):
        raise ValidationFailed.field("analyst", "not a policy analyst")
    item = PolicyItem.objects.select_for_update().get(pk=found.pk)
    if item.status == PolicyItemStatus.CONCLUDED:
        raise Conflict("This item is concluded.", code="concluded")
    previous = item.assigned_to_id
    item.status, item.assigned_to, item.assigned_at = PolicyItemStatus.IN_REVIEW, assignee, clock.now()
    item.save(update_fields=["status", "assigned_to", "assigned_at"])
    audit_record(actor=actor, action=AuditAction.POLICY_ITEM_ASSIGNED, target=item,
                 data={"to": assignee.pk, "from": previous})
    return item


@transaction.atomic
def policy_item_comment(*, actor: Actor, item_id: str | uuid.UUID, body: str) -> PolicyComment:
    """An internal comment on an item (policy analysts' discussion; partners never see comments)."""
    require(actor, Perm.POLICY_REVIEW_HANDLE)
    item = policy_item_get(actor=actor, item_id=item_id)
    body = (body or "").strip()
    if not body:
        raise ValidationFailed.field("body", "required")
    if len(body) > MAX_COMMENT_CHARS:
        raise ValidationFailed.field("body", f"at most {MAX_COMMENT_CHARS} characters")
    comment = PolicyComment.objects.create(
        item=item, author=actor.user, author_actor=actor.audit_id, author_label=actor.label[:200], body=body,
        created_at=clock.now(),
    )
    audit_record(actor=actor, action=AuditAction.POLICY_ITEM_COMMENTED, target=item,
                 data={"comment": comment.pk, "chars": len(body)})
    return comment


def policy_item_conclude(
    *, actor: Actor, item_id: str | uuid.UUID, conclusion: str, text: str, internal_note: str = ""
) -> PolicyItem:
    """The analyst holding an item records its conclusion; the partners concerned are told.

    1. ``policy_review.handle`` and the actor holds the item (409 once concluded).
    2. Store the conclusion, the partner-facing text and the internal note.
    3. Case referral: close the review app's referral, put
       ``policy_reviewed`` on every reporting partner's timeline and notify
       each of them. Feedback: notify the partner who gave it.
    4. Audit.
    """
    user = _require_analyst(actor)
    if conclusion not in PolicyConclusion.values:
        raise ValidationFailed.field("conclusion", f"one of {', '.join(PolicyConclusion.values)}")
    text, internal_note = (text or "").strip(), (internal_note or "").strip()
    if not text:
        raise ValidationFailed.field("text", "required: the partners concerned read it")
    if len(text) > MAX_CONCLUSION_CHARS or len(internal_note) > MAX_CONCLUSION_CHARS:
        raise ValidationFailed.field("text" if len(text) > MAX_CONCLUSION_CHARS else "internal_note",
                                     f"at most {MAX_CONCLUSION_CHARS} characters")
    found = policy_item_get(actor=actor, item_id=item_id)
    with transaction.atomic():
        item = PolicyItem.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=found.pk)
        if item.status == PolicyItemStatus.CONCLUDED:
            raise Conflict("This item is already concluded.", code="concluded")
        if item.assigned_to_id != user.pk:
            raise PermissionDenied("Take this item first (claim it, or have it assigned to you).",
                                   code="policy_item_not_held")
        now = clock.now()
        item.status, item.conclusion, item.conclusion_text = PolicyItemStatus.CONCLUDED, conclusion, text
        item.internal_note, item.concluded_at, item.concluded_by = internal_note, now, user
        item.concluded_by_actor = actor.audit_id
        item.save(update_fields=["status", "conclusion", "conclusion_text", "internal_note", "concluded_at",
                                 "concluded_by", "concluded_by_actor"])
        told = _tell_partners(actor=actor, item=item, now=now)
        audit_record(actor=actor, action=AuditAction.POLICY_ITEM_CONCLUDED, target=item,
                     data={"conclusion": conclusion, "kind": item.kind, "organisations_told": told})
    return item


def _tell_partners(*, actor: Actor, item: PolicyItem, now: dt.datetime) -> list[int]:
    """Step 3 of :func:`policy_item_conclude`; returns the ids of the organisations told."""
    conclusion = PolicyConclusion(item.conclusion)
    data = {"policy_item_id": str(item.pk), "kind": item.kind, "topic": item.topic, "conclusion": item.conclusion,
            "text": item.conclusion_text, "concluded_at": now.isoformat()}
    if item.kind == PolicyItemKind.PARTNER_FEEDBACK:
        assert item.organisation is not None  # feedback always has its partner
        with in_language_of(item.organisation):
            label = str(conclusion.label)
            subject = _("Your policy feedback: %(conclusion)s") % {"conclusion": label}
            text = _("Our policy team concluded on your feedback \"%(topic)s\": %(conclusion)s.") % {
                "topic": item.topic, "conclusion": label}
        notification_send(
            organisation=item.organisation, event_type=EVENT_POLICY_CONCLUDED, key=f"policy-item:{item.pk}:concluded",
            subject=subject[:300], body=f"{text}\n\n{item.conclusion_text}", data=data,
        )
        return [item.organisation.pk]
    if item.referral_id is not None:
        referral_mark_concluded(referral_id=item.referral_id, actor=actor, conclusion=item.conclusion_text, at=now)
    if item.case_id is None:
        return []
    reports = reports_of(case_timeline_add(case_id=item.case_id, kind=TimelineKind.POLICY_REVIEWED,
                                           data={k: v for k, v in data.items() if k != "topic"}, at=now))
    by_organisation = defaultdict(list)
    for report in reports:
        by_organisation[report.organisation_id].append(report)
    for organisation_id, own in by_organisation.items():
        with in_language_of(own[0].organisation):
            label = str(conclusion.label)
            subject = _("Policy review of content you reported: %(conclusion)s") % {"conclusion": label}
            lines = [_("Our policy team reviewed content you reported: %(conclusion)s.") % {"conclusion": label}, "",
                     *(_("- report %(id)s") % {"id": r.pk} for r in own), "", item.conclusion_text]
        notification_send(
            organisation=own[0].organisation, event_type=EVENT_POLICY_CONCLUDED,
            key=f"policy-item:{item.pk}:concluded:org:{organisation_id}",
            subject=subject[:300],
            body="\n".join(lines),
            data={**data, "reports": [str(r.pk) for r in own]},
        )
    return sorted(by_organisation)
