from __future__ import annotations

from django.db.models import QuerySet

from trustline.accounts.permissions import Actor, Perm
from trustline.cases.models import Case
from trustline.core.exceptions import NotFound


def case_list(*, actor: Actor) -> QuerySet[Case]:
    """Cases are the platform's working objects: staff see them, partners never do directly."""
    if not actor.has(Perm.CASE_VIEW):
        return Case.objects.none()
    return Case.objects.all()


def case_get(*, actor: Actor, case_id: str) -> Case:
    case = case_list(actor=actor).filter(pk=case_id).first()
    if case is None:
        raise NotFound("Case not found.")
    return case
