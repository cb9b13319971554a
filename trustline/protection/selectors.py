"""Reads for protected people: the staff-only registry, partners' own nominations, and matching.

Who sees what:

* the registry (``ProtectedAccount``) and every nomination: staff with
  ``protection.registry_view`` (programme managers, escalation leads,
  administrators). Everyone else gets NotFound, as for something that does
  not exist: a partner (or a reviewer) must not learn who is protected.
* a partner sees its own organisation's nominations and their outcomes.

Matching (used by triage's priority and review's second-review rule) runs as
the system, with no actor: it only answers "is this protected" (for a batch
of cases at once when triage scores one: :func:`cases_under_protection`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from django.db.models import Q, QuerySet

from trustline.accounts.permissions import Actor, Perm
from trustline.cases.models import Case
from trustline.core.exceptions import NotFound
from trustline.platforms.connectors import AccountInfo
from trustline.protection.choices import ProtectionStatus
from trustline.protection.models import Nomination, ProtectedAccount


def _parse(raw: str | uuid.UUID, what: str) -> uuid.UUID:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound(f"{what} not found.") from exc


# --------------------------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------------------------


def registry_visible(*, actor: Actor) -> QuerySet[ProtectedAccount]:
    """The registry, for staff with the right role; NotFound for everyone else (never 403)."""
    if not (actor.is_staff_side and actor.has(Perm.PROTECTION_REGISTRY_VIEW)):
        raise NotFound("Not found.")
    return ProtectedAccount.objects.select_related("organisation")


def protected_account_get(*, actor: Actor, account_id: str | uuid.UUID) -> ProtectedAccount:
    found = registry_visible(actor=actor).filter(pk=_parse(account_id, "Protected account")).first()
    if found is None:
        raise NotFound("Protected account not found.")
    return found


def nominations_visible(*, actor: Actor) -> QuerySet[Nomination]:
    """Staff with the registry role: all; a partner who may nominate: its organisation's; else none."""
    qs = Nomination.objects.select_related("organisation", "decided_by", "protected_account")
    if actor.is_staff_side and actor.has(Perm.PROTECTION_REGISTRY_VIEW):
        return qs
    if actor.has(Perm.PROTECTION_NOMINATE) and actor.organisation is not None and not actor.is_staff_side:
        return qs.filter(organisation=actor.organisation)
    return qs.none()


def nomination_get(*, actor: Actor, nomination_id: str | uuid.UUID) -> Nomination:
    found = nominations_visible(actor=actor).filter(pk=_parse(nomination_id, "Nomination")).first()
    if found is None:
        raise NotFound("Nomination not found.")
    return found


def nomination_list(*, actor: Actor, status: str | None = None, organisation: str | None = None
                    ) -> QuerySet[Nomination]:
    qs = nominations_visible(actor=actor)
    if status:
        qs = qs.filter(status=status)
    if organisation:
        qs = qs.filter(organisation__slug=organisation)
    return qs.order_by("-submitted_at", "pk")


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------


def keys_for_content(canonical_key: str) -> list[str]:
    """The account keys that cover a piece of content: its own key, and for a URL each parent path.

    ``url:https://kite.example/@amna/posts/12`` is covered by the protected
    account ``url:https://kite.example/@amna`` (content under the account's
    address). The bare host never counts: a whole platform is not an account.
    """
    keys = [canonical_key]
    if not canonical_key.startswith("url:"):
        return keys
    parts = urlsplit(canonical_key[4:])
    segments = [s for s in parts.path.split("/") if s]
    for end in range(1, len(segments)):
        path = "/" + "/".join(segments[:end])
        keys.append("url:" + urlunsplit((parts.scheme, parts.netloc, path, "", "")))
    return keys


def case_protected_account(case: Case) -> ProtectedAccount | None:
    """The active protection covering the reported content of ``case`` (one indexed query), else None."""
    if not case.canonical_key:
        return None
    return (
        ProtectedAccount.objects.filter(status=ProtectionStatus.ACTIVE, account_key__in=keys_for_content(
            case.canonical_key)).order_by("expires_at").first()
    )


def cases_under_protection(cases: Iterable[Case]) -> set[uuid.UUID]:
    """The ids of these cases whose content an active protection covers, in one query (triage scores batches).

    Same answer as ``case_protected_account(case) is not None`` for each case.
    """
    keys_by_case = {case.pk: keys_for_content(case.canonical_key) for case in cases if case.canonical_key}
    wanted = sorted({key for keys in keys_by_case.values() for key in keys})
    if not wanted:
        return set()
    protected = set(ProtectedAccount.objects.filter(status=ProtectionStatus.ACTIVE, account_key__in=wanted)
                    .values_list("account_key", flat=True))
    return {case_id for case_id, keys in keys_by_case.items() if protected.intersection(keys)}


def open_cases_under(account_key: str) -> list[uuid.UUID]:
    """Open, triaged cases whose content is the account or lies under its address (for re-scoring).

    A prefix match on the canonical key: it scans the open cases, which is
    fine for a background job that runs when a protection starts or ends.
    """
    match = Q(canonical_key=account_key)
    if account_key.startswith("url:"):
        match |= Q(canonical_key__startswith=account_key.rstrip("/") + "/")
    return list(Case.objects.filter(match, is_open=True, triaged_at__isnull=False)
                .order_by("pk").values_list("pk", flat=True))


def author_protected_account(author: AccountInfo | None) -> ProtectedAccount | None:
    """The active protection of the author the platform connector named, by platform id or handle."""
    if author is None:
        return None
    match = Q()
    if author.id:
        match |= Q(account_id=str(author.id))
    handle = (author.handle or "").lstrip("@").lower()
    if handle:
        match |= Q(handle=handle)
    if not match:
        return None
    return ProtectedAccount.objects.filter(match, status=ProtectionStatus.ACTIVE).order_by("expires_at").first()


def protected_people_match(case: Case, author: AccountInfo | None) -> str:
    """A reason when the content is a protected account, lives under one, or its author is one; else ``""``.

    The reason is shown to staff deciding the case (second review); it names
    the category, never the nominating partner.
    """
    found = case_protected_account(case)
    how = "the reported account"
    if found is None:
        found = author_protected_account(author)
        how = "the author"
    if found is None:
        return ""
    return f"{how} is in the protected-people registry ({found.get_category_display()})"
