"""Reads for the platform connector: item descriptions and enforcement action records.

Cases and their items are the platform team's working objects: without
``case.view`` (partners, people of no organisation) every read here answers
``NotFound``, the same as for an id that does not exist.
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from trustline.accounts.permissions import Actor, Perm
from trustline.cases.models import Case
from trustline.core.exceptions import NotFound
from trustline.intake.models import ReportItem
from trustline.platforms.connectors import ContentDescription, ContentRef, get_connector
from trustline.platforms.models import ContentSnapshot, EnforcementActionRecord


def parse_id(raw: str | uuid.UUID, what: str) -> uuid.UUID:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound(f"{what} not found.") from exc


def content_ref_for(item: ReportItem) -> ContentRef:
    """The connector's view of a reported item: canonical address, platform id, kind."""
    return ContentRef(url=item.canonical_url or "", platform_id=item.platform_id or "", kind=item.kind)


def item_get(*, actor: Actor, item_id: str | uuid.UUID) -> ReportItem:
    """A reported item, for staff who may see cases; ``NotFound`` for everyone else."""
    if not actor.has(Perm.CASE_VIEW):
        raise NotFound("Item not found.")
    item = ReportItem.objects.filter(pk=parse_id(item_id, "Item")).first()
    if item is None:
        raise NotFound("Item not found.")
    return item


def item_describe(*, actor: Actor, item_id: str | uuid.UUID) -> ContentDescription:
    """What the platform knows about a reported item, through the connector in force.

    The connector never raises for the platform's trouble (it answers
    ``available=False`` with the error instead), so a reviewer always gets a
    page; a slow platform costs at most the connector's describe timeout.
    """
    return get_connector().describe(content_ref_for(item_get(actor=actor, item_id=item_id)))


def actions_visible(*, actor: Actor) -> QuerySet[EnforcementActionRecord]:
    if not actor.has(Perm.CASE_VIEW):
        return EnforcementActionRecord.objects.none()
    return EnforcementActionRecord.objects.select_related("outbox_message")


def action_get(*, actor: Actor, action_record_id: str | uuid.UUID) -> EnforcementActionRecord:
    record = actions_visible(actor=actor).filter(pk=parse_id(action_record_id, "Action")).first()
    if record is None:
        raise NotFound("Action not found.")
    return record


def actions_for_case(*, actor: Actor, case_id: str | uuid.UUID) -> list[EnforcementActionRecord]:
    """Every enforcement action of a case, oldest first; ``NotFound`` for a case the actor cannot see."""
    case_pk = parse_id(case_id, "Case")
    if not actor.has(Perm.CASE_VIEW) or not Case.objects.filter(pk=case_pk).exists():
        raise NotFound("Case not found.")
    return list(actions_visible(actor=actor).filter(case_id=case_pk).order_by("requested_at", "id"))


def snapshots_for_case(*, actor: Actor, case_id: str | uuid.UUID) -> list[ContentSnapshot]:
    """Every preserved snapshot of a case's content, oldest first; ``NotFound`` for a case the actor cannot see.

    The payload is the platform's description (the author, the text): callers
    show it only to people with ``evidence.view`` (:func:`may_read_snapshot`).
    """
    case_pk = parse_id(case_id, "Case")
    if not actor.has(Perm.CASE_VIEW) or not Case.objects.filter(pk=case_pk).exists():
        raise NotFound("Case not found.")
    return list(ContentSnapshot.objects.filter(case_id=case_pk).order_by("taken_at", "id"))


def may_read_snapshot(actor: Actor) -> bool:
    """Whether the actor reads what a snapshot preserved, not only when and with what reach."""
    return actor.has(Perm.EVIDENCE_VIEW)
