"""Writes for crises: designate, change and end (re-scoring the cases they cover is in ``rescore``).

Every write is one transaction with its audit entry; re-scoring the matching
cases runs after commit on the background worker (``tasks.crisis_rescore``),
and the periodic sweeper (``tasks.crisis_sweep``) re-scores when a scheduled
start or end passes, so a crisis that ends at a set time needs nobody to press
a button.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.models import Organisation
from trustline.accounts.permissions import Actor, Perm
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.exceptions import ApplicationError, Conflict, ValidationFailed
from trustline.crisis.choices import TAG_PREFIX, CrisisState
from trustline.crisis.models import Crisis
from trustline.crisis.selectors import crisis_access, crisis_get
from trustline.oncall.models import Schedule
from trustline.partners.services import normalise_country, normalise_language
from trustline.routing.eligibility import regions
from trustline.taxonomy.models import Category

MAX_NAME = 120
MAX_NOTES = 10_000
MAX_LIST = 60
RESCORE_BATCH = 200

FIELDS = ("name", "countries", "regions", "languages", "categories", "partners", "level", "starts_at", "ends_at",
          "notes", "oncall_schedule")


@dataclass
class CrisisInput:
    """What a programme manager says about a crisis (``None`` in a change = leave as it is)."""

    name: str | None = None
    countries: Sequence[str] | None = None
    regions: Sequence[str] | None = None
    languages: Sequence[str] | None = None
    categories: Sequence[str] | None = None
    partners: Sequence[int] | None = None
    level: int | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    notes: str | None = None
    oncall_schedule: int | None = None  # an on-call schedule id; 0 detaches it in a change


def tag_for(crisis: Crisis) -> str:
    return f"{TAG_PREFIX}{crisis.slug}"


def _snapshot(crisis: Crisis, partner_ids: Sequence[int]) -> dict[str, Any]:
    return {
        "name": crisis.name, "countries": list(crisis.countries), "regions": list(crisis.regions),
        "languages": list(crisis.languages), "categories": list(crisis.categories),
        "partners": sorted(partner_ids), "level": crisis.level, "starts_at": crisis.starts_at.isoformat(),
        "ends_at": crisis.ends_at.isoformat() if crisis.ends_at else None, "notes": crisis.notes,
        "oncall_schedule": crisis.oncall_schedule_id,
    }


def _clean(data: CrisisInput, *, current: Crisis | None, current_partners: list[int]) -> dict[str, Any]:
    """Validate every field given (and the combination), collecting every problem with its field path.

    Returns the cleaned values of the crisis as it will be (given fields over current ones).
    """
    errors: dict[str, list[str]] = {}

    def fail(field: str, reason: str) -> None:
        errors.setdefault(field, []).append(reason)

    def pick(name: str, default: Any) -> Any:
        value = getattr(data, name)
        if value is not None:
            return value
        return getattr(current, name) if current is not None else default

    name = str(pick("name", "")).strip()
    if not name or len(name) > MAX_NAME:
        fail("name", f"1 to {MAX_NAME} characters")

    def codes(field: str, values: Sequence[Any], normalise: Any) -> list[str]:
        if len(values) > MAX_LIST:
            fail(field, f"at most {MAX_LIST} entries")
            return []
        out: list[str] = []
        for index, value in enumerate(values):
            try:
                out.append(normalise(str(value), field=f"{field}.{index}"))
            except ValidationFailed as exc:
                for key, reasons in exc.fields.items():
                    errors.setdefault(key, []).extend(reasons)
        return list(dict.fromkeys(out))

    countries = codes("countries", list(pick("countries", [])), normalise_country)
    known_regions = regions()
    region_values = [str(r).strip() for r in pick("regions", [])]
    for index, region in enumerate(region_values):
        if region not in known_regions:
            fail(f"regions.{index}", f"unknown region; one of: {', '.join(sorted(known_regions))}")
    if not countries and not region_values and "countries" not in errors:
        fail("countries", "name at least one country (ISO 3166-1 alpha-2) or region")
    languages = codes("languages", list(pick("languages", [])), normalise_language)
    categories = list(dict.fromkeys(str(c).strip() for c in pick("categories", [])))
    known = set(Category.objects.filter(code__in=categories).values_list("code", flat=True))
    for index, code in enumerate(categories):
        if code not in known:
            fail(f"categories.{index}", f"{code!r} is not a taxonomy category code")
    partner_ids = list(dict.fromkeys(int(p) for p in (data.partners if data.partners is not None
                                                       else current_partners)))
    found = set(Organisation.objects.filter(pk__in=partner_ids, kind=OrganisationKind.PARTNER)
                .values_list("pk", flat=True))
    for index, pk in enumerate(partner_ids):
        if pk not in found:
            fail(f"partners.{index}", "not a partner organisation")
    level = pick("level", None)
    if level not in (1, 2, 3):
        fail("level", "1, 2 or 3 (3 is the most severe)")
    starts_at = pick("starts_at", None) or clock.now()
    ends_at = data.ends_at if data.ends_at is not None else (current.ends_at if current is not None else None)
    for field, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
            fail(field, "give a time zone (e.g. 2026-04-15T00:00:00Z)")
    if "starts_at" not in errors and "ends_at" not in errors and ends_at is not None and ends_at <= starts_at:
        fail("ends_at", "must be after starts_at")
    notes = str(pick("notes", ""))
    if len(notes) > MAX_NOTES:
        fail("notes", f"at most {MAX_NOTES} characters")
    schedule_id = data.oncall_schedule if data.oncall_schedule is not None else (
        current.oncall_schedule_id if current is not None else None)
    schedule_id = schedule_id or None
    if schedule_id is not None and not Schedule.objects.filter(pk=schedule_id).exists():
        fail("oncall_schedule", "no such on-call schedule")
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first][0]}", fields=errors)
    return {"name": name, "countries": countries, "regions": list(dict.fromkeys(region_values)),
            "languages": languages, "categories": categories, "partners": partner_ids, "level": level,
            "starts_at": starts_at, "ends_at": ends_at, "notes": notes, "oncall_schedule_id": schedule_id}


def _unique_slug(name: str) -> str:
    base = (slugify(name) or "crisis")[:36].strip("-") or "crisis"
    slug, n = base, 2
    while Crisis.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _after_commit_rescore(crisis_id: uuid.UUID) -> None:
    from trustline.crisis.tasks import crisis_rescore as rescore_task

    rescore_task.enqueue(str(crisis_id))


def _saved_queue(actor: Actor, crisis: Crisis) -> None:
    """A shared saved queue "Crisis: <name>" (crisis boost and the crisis's label), owned by the designator."""
    from trustline.routing.workspace import saved_queue_create

    if actor.user is None:
        return
    filters = {"crisis": True, "tag": [tag_for(crisis)]}
    for name in (f"Crisis: {crisis.name}"[:100], f"Crisis: {crisis.slug}"):
        try:
            with transaction.atomic():
                queue = saved_queue_create(actor=actor, name=name, filters=filters, shared=True)
        except ApplicationError:
            continue
        Crisis.objects.filter(pk=crisis.pk).update(saved_queue=queue)
        crisis.saved_queue = queue
        return


def crisis_designate(*, actor: Actor, data: CrisisInput) -> Crisis:
    """Put a place into crisis mode (programme managers and administrators).

    1. Partners get NotFound, other staff without ``crisis.manage`` 403.
    2. Validate every field (ValidationFailed names each bad one).
    3. Create the crisis with a unique slug (its case label is
       ``crisis:<slug>``), a shared saved queue of its cases for the
       designator, and audit ``crisis.designated`` with every field.
    4. After commit, re-score the open cases it covers (background task).
    """
    crisis_access(actor, Perm.CRISIS_MANAGE)
    cleaned = _clean(data, current=None, current_partners=[])
    now = clock.now()
    partners = cleaned.pop("partners")
    with transaction.atomic():
        crisis = Crisis.objects.create(slug=_unique_slug(cleaned["name"]), designated_by=actor.user, created_at=now,
                                       updated_at=now, rescore_due=True, **cleaned)
        crisis.partners.set(partners)
        _saved_queue(actor, crisis)
        audit_record(actor=actor, action=AuditAction.CRISIS_DESIGNATED, target=crisis,
                     data={"slug": crisis.slug, **_snapshot(crisis, partners)})
        transaction.on_commit(partial(_after_commit_rescore, crisis.pk), robust=True)
    return crisis


def crisis_change(*, actor: Actor, crisis_id: str | uuid.UUID, data: CrisisInput) -> Crisis:
    """Change a crisis that has not ended (its place, scope, level, times, notes); audited with before and after.

    An ended crisis is history and cannot change (409 ``crisis_ended``).
    """
    crisis = crisis_get(actor=actor, crisis_id=crisis_id)
    crisis_access(actor, Perm.CRISIS_MANAGE)
    with transaction.atomic():
        locked = Crisis.objects.select_for_update().get(pk=crisis.pk)
        if locked.state_at(clock.now()) == CrisisState.ENDED:
            raise Conflict("This crisis has ended; past crises stay as they were.", code="crisis_ended")
        old_partners = list(locked.partners.values_list("pk", flat=True))
        before = _snapshot(locked, old_partners)
        cleaned = _clean(data, current=locked, current_partners=old_partners)
        partners = cleaned.pop("partners")
        for field, value in cleaned.items():
            setattr(locked, field, value)
        locked.updated_at = clock.now()
        locked.rescore_due = True
        locked.save(update_fields=[*cleaned, "updated_at", "rescore_due"])
        locked.partners.set(partners)
        after = _snapshot(locked, partners)
        changed = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
        audit_record(actor=actor, action=AuditAction.CRISIS_CHANGED, target=locked, data={"changes": changed})
        transaction.on_commit(partial(_after_commit_rescore, locked.pk), robust=True)
    return crisis_get(actor=actor, crisis_id=crisis.pk)


def crisis_end(*, actor: Actor, crisis_id: str | uuid.UUID, reason: str = "") -> Crisis:
    """End a crisis now: its cases lose the boost at the next re-score (run at once, after commit).

    Deadlines already tightened stay as they are: a deadline never moves later on its own.
    """
    crisis = crisis_get(actor=actor, crisis_id=crisis_id)
    crisis_access(actor, Perm.CRISIS_MANAGE)
    reason = (reason or "").strip()
    if len(reason) > MAX_NOTES:
        raise ValidationFailed.field("reason", f"at most {MAX_NOTES} characters")
    now = clock.now()
    with transaction.atomic():
        locked = Crisis.objects.select_for_update().get(pk=crisis.pk)
        if locked.state_at(now) == CrisisState.ENDED:
            raise Conflict("This crisis has already ended.", code="crisis_ended")
        locked.ends_at = max(now, locked.starts_at + dt.timedelta(microseconds=1))
        locked.ended_by = actor.user
        locked.updated_at = now
        locked.rescore_due = True
        locked.save(update_fields=["ends_at", "ended_by", "updated_at", "rescore_due"])
        audit_record(actor=actor, action=AuditAction.CRISIS_ENDED, target=locked,
                     data={"ends_at": locked.ends_at.isoformat(), "reason": reason})
        transaction.on_commit(partial(_after_commit_rescore, locked.pk), robust=True)
    return crisis_get(actor=actor, crisis_id=crisis.pk)
