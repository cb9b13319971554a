"""What staff add around cases: internal comments, free tags and saved queues (writes and their reads).

All of it is internal. Comments and tags hang off the case with
``related_name="+"``, and every function here starts with
``selectors.staff_required``, so a partner gets NotFound whatever they try.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from pydantic import ValidationError

from trustline.accounts.permissions import Actor, Perm, require
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from trustline.routing.models import CaseComment, CaseTag, SavedQueue
from trustline.routing.schemas import QueueFilter
from trustline.routing.selectors import person_required, routing_case_get, saved_queue_get, staff_required

MAX_COMMENT_CHARS = 10_000
MAX_TAGS_PER_CASE = 30
LABEL = re.compile(r"^\w[\w:.\-]{0,49}$")


# --------------------------------------------------------------------------------------------
# Comments
# --------------------------------------------------------------------------------------------


def comment_add(*, actor: Actor, case_id: str | uuid.UUID, body: str) -> CaseComment:
    """Add an internal comment. The audit entry records that a comment was made, not its text."""
    case = routing_case_get(actor=actor, case_id=case_id)
    require(actor, Perm.CASE_COMMENT)
    author = person_required(actor)
    text = (body or "").strip()
    if not text:
        raise ValidationFailed.field("body", "required")
    if len(text) > MAX_COMMENT_CHARS:
        raise ValidationFailed.field("body", f"at most {MAX_COMMENT_CHARS} characters")
    with transaction.atomic():
        comment = CaseComment.objects.create(case=case, author=author, body=text, created_at=clock.now())
        audit_record(actor=actor, action=AuditAction.CASE_COMMENTED, target=case,
                     data={"comment": str(comment.pk), "chars": len(text)})
    return comment


def comment_list(*, actor: Actor, case_id: str | uuid.UUID) -> QuerySet[CaseComment]:
    case = routing_case_get(actor=actor, case_id=case_id)
    return CaseComment.objects.filter(case=case).select_related("author").order_by("created_at", "id")


# --------------------------------------------------------------------------------------------
# Tags
# --------------------------------------------------------------------------------------------


def normalise_label(label: str) -> str:
    """Lower case, inner spaces as hyphens; letters (any script), digits and ``_ : . -``; at most 50 characters."""
    value = re.sub(r"\s+", "-", (label or "").strip().lower())
    if not LABEL.match(value):
        raise ValidationFailed.field(
            "label", "1 to 50 letters, digits, '-', '_', ':' or '.', starting with a letter or digit"
        )
    return value


def case_tags(case_id: uuid.UUID) -> list[str]:
    return list(CaseTag.objects.filter(case_id=case_id).order_by("label").values_list("label", flat=True))


def tag_add(*, actor: Actor, case_id: str | uuid.UUID, label: str) -> list[str]:
    """Put a label on a case (adding one it already has changes nothing); returns the case's labels."""
    case = routing_case_get(actor=actor, case_id=case_id)
    require(actor, Perm.CASE_TAG)
    value = normalise_label(label)
    with transaction.atomic():
        if CaseTag.objects.filter(case=case, label=value).exists():
            return case_tags(case.pk)
        if CaseTag.objects.filter(case=case).count() >= MAX_TAGS_PER_CASE:
            raise ValidationFailed.field("label", f"a case has at most {MAX_TAGS_PER_CASE} labels")
        try:
            with transaction.atomic():
                CaseTag.objects.create(case=case, label=value, created_by=actor.user, created_at=clock.now())
        except IntegrityError:  # the same label added at the same moment by someone else
            return case_tags(case.pk)
        audit_record(actor=actor, action=AuditAction.CASE_TAGGED, target=case, data={"label": value})
    return case_tags(case.pk)


def tag_remove(*, actor: Actor, case_id: str | uuid.UUID, label: str) -> list[str]:
    case = routing_case_get(actor=actor, case_id=case_id)
    require(actor, Perm.CASE_TAG)
    value = normalise_label(label)
    with transaction.atomic():
        deleted, _ = CaseTag.objects.filter(case=case, label=value).delete()
        if not deleted:
            raise NotFound("This case has no such label.")
        audit_record(actor=actor, action=AuditAction.CASE_UNTAGGED, target=case, data={"label": value})
    return case_tags(case.pk)


# --------------------------------------------------------------------------------------------
# Saved queues
# --------------------------------------------------------------------------------------------


def clean_filters(filters: dict[str, Any] | QueueFilter | None) -> dict[str, Any]:
    """Validated filters without empty entries, as stored (lists of plain values)."""
    try:
        parsed = filters if isinstance(filters, QueueFilter) else QueueFilter.model_validate(filters or {})
    except ValidationError as exc:
        fields = {"filters." + ".".join(str(p) for p in e["loc"]): [str(e["msg"])] for e in exc.errors()}
        first = next(iter(fields))
        raise ValidationFailed(f"{first}: {fields[first][0]}", fields=fields) from exc
    data = parsed.model_dump(mode="json", exclude_none=True)
    return {key: value for key, value in data.items() if value != []}


def _owned(actor: Actor, saved_id: int) -> SavedQueue:
    queue = saved_queue_get(actor=actor, saved_id=saved_id)
    if actor.user is None or queue.owner_id != actor.user.pk:
        raise PermissionDenied("Only the owner of a saved queue can change it.", code="not_owner")
    return queue


def _name(name: str) -> str:
    value = (name or "").strip()
    if not value or len(value) > 100:
        raise ValidationFailed.field("name", "1 to 100 characters")
    return value


def _save(actor: Actor, queue: SavedQueue, op: str) -> SavedQueue:
    try:
        with transaction.atomic():
            queue.save()
    except IntegrityError as exc:
        raise ValidationFailed.field("name", "you already have a saved queue with this name") from exc
    audit_record(actor=actor, action=AuditAction.SAVED_QUEUE_CHANGED, target=queue,
                 data={"op": op, "name": queue.name, "filters": queue.filters, "shared": queue.shared})
    return queue


def saved_queue_create(*, actor: Actor, name: str, filters: dict[str, Any] | QueueFilter | None,
                       shared: bool = False) -> SavedQueue:
    staff_required(actor)
    owner = person_required(actor)
    now = clock.now()
    queue = SavedQueue(owner=owner, name=_name(name), filters=clean_filters(filters), shared=shared,
                       created_at=now, updated_at=now)
    with transaction.atomic():
        return _save(actor, queue, "created")


def saved_queue_update(*, actor: Actor, saved_id: int, name: str, filters: dict[str, Any] | QueueFilter | None,
                       shared: bool = False) -> SavedQueue:
    staff_required(actor)
    with transaction.atomic():
        queue = _owned(actor, saved_id)
        queue.name, queue.filters, queue.shared = _name(name), clean_filters(filters), shared
        queue.updated_at = clock.now()
        return _save(actor, queue, "updated")


def saved_queue_delete(*, actor: Actor, saved_id: int) -> None:
    staff_required(actor)
    with transaction.atomic():
        queue = _owned(actor, saved_id)
        audit_record(actor=actor, action=AuditAction.SAVED_QUEUE_CHANGED, target=queue,
                     data={"op": "deleted", "name": queue.name})
        queue.delete()
