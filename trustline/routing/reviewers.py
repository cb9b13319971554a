"""Reviewer skills and shifts: validated against the taxonomy and the region list, set by managers, audited."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Sequence
from functools import lru_cache

from django.db import transaction

from trustline.accounts.models import User
from trustline.accounts.permissions import Actor, Perm, require
from trustline.accounts.selectors import actor_for_user
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.exceptions import ApplicationError, ValidationFailed
from trustline.partners.services import normalise_country, normalise_language
from trustline.routing.eligibility import Skills, clearance_for_area, regions
from trustline.routing.models import ReviewerProfile
from trustline.routing.selectors import person_required, reviewer_profile_for, skills_of, staff_required
from trustline.taxonomy.models import Category

MAX_ENTRIES = 50

SKILL_FIELDS = ("languages", "countries", "regions", "policy_areas", "clearances", "timezone", "is_active", "on_shift")


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _policy_areas() -> dict[str, str]:
    """Lower-case policy area -> its name as the taxonomy spells it."""
    names = Category.objects.values_list("policy_area", flat=True).distinct()
    return {name.lower(): name for name in names if name}


def _clean(values: Sequence[str], field: str, errors: dict[str, list[str]],
           check: Callable[[str, str], str]) -> list[str]:
    """Validate each entry (``check(value, dotted field) -> canonical``), dropping duplicates, keeping order."""
    if len(values) > MAX_ENTRIES:
        errors[field] = [f"at most {MAX_ENTRIES} entries"]
        return []
    cleaned: list[str] = []
    for n, value in enumerate(values):
        try:
            canonical = check(str(value), f"{field}.{n}")
        except ApplicationError as exc:
            for name, reasons in exc.fields.items():
                errors.setdefault(name, []).extend(reasons)
            continue
        if canonical not in cleaned:
            cleaned.append(canonical)
    return cleaned


def _region(value: str, field: str) -> str:
    by_lower = {name.lower(): name for name in regions()}
    found = by_lower.get(value.strip().lower())
    if found is None:
        raise ValidationFailed.field(field, f"{value!r} is not a routing region; use one of: {', '.join(regions())}")
    return found


def _area_checker(areas: dict[str, str]) -> Callable[[str, str], str]:
    def check(value: str, field: str) -> str:
        found = areas.get(value.strip().lower())
        if found is None:
            raise ValidationFailed.field(field, f"{value!r} is not a policy area of the taxonomy")
        return found

    return check


def _clearance_checker(areas: dict[str, str]) -> Callable[[str, str], str]:
    known = {clearance_for_area(name) for name in areas.values()}

    def check(value: str, field: str) -> str:
        slug = value.strip().lower()
        if slug not in known:
            raise ValidationFailed.field(
                field, f"{value!r} is not a clearance; clearances are named after policy areas, e.g. child_safety"
            )
        return slug

    return check


def _as_dict(profile: ReviewerProfile | None) -> dict[str, object]:
    if profile is None:
        return {}
    return {name: getattr(profile, name) for name in SKILL_FIELDS}


def _reviewer_user(user_id: int, field: str) -> User:
    """A person on the platform's team whose role lets them claim cases."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    actor = actor_for_user(user) if user is not None else None
    if user is None or actor is None or not actor.is_staff_side or not actor.has(Perm.CASE_CLAIM):
        raise ValidationFailed.field(field, "not a reviewer: a person on the platform team whose role claims cases")
    return user


def reviewer_skills_set(
    *,
    actor: Actor,
    user_id: int,
    languages: Sequence[str],
    countries: Sequence[str] = (),
    regions: Sequence[str] = (),
    policy_areas: Sequence[str] = (),
    clearances: Sequence[str] = (),
    timezone: str = "",
    is_active: bool = True,
) -> ReviewerProfile:
    """Set a reviewer's skills (all of them: this is a replacement, not a patch); audited with before and after.

    Languages are BCP 47 tags, stored in standard form (``ar-sd`` -> ``ar-SD``);
    countries ISO alpha-2; regions from ``data/regions.json``; policy areas
    and clearances from the taxonomy; the time zone an IANA name (or empty).
    Every invalid entry is named in the error.
    """
    staff_required(actor)
    require(actor, Perm.REVIEWER_SKILLS_MANAGE)
    user = _reviewer_user(user_id, "user")
    areas = _policy_areas()
    errors: dict[str, list[str]] = {}
    values = {
        "languages": _clean(languages, "languages", errors,
                            lambda v, f: normalise_language(v, field=f)),
        "countries": _clean(countries, "countries", errors, lambda v, f: normalise_country(v, field=f)),
        "regions": _clean(regions, "regions", errors, _region),
        "policy_areas": _clean(policy_areas, "policy_areas", errors, _area_checker(areas)),
        "clearances": _clean(clearances, "clearances", errors, _clearance_checker(areas)),
    }
    zone = (timezone or "").strip()
    if zone and zone not in _zones():
        errors["timezone"] = [f"{zone!r} is not an IANA time zone, e.g. Africa/Nairobi"]
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first][0]}", fields=errors)
    with transaction.atomic():
        profile = ReviewerProfile.objects.select_for_update().filter(user=user).first()
        before = _as_dict(profile)
        if profile is None:
            profile = ReviewerProfile(user=user)
        for name, value in values.items():
            setattr(profile, name, value)
        profile.timezone = zone
        profile.is_active = is_active
        profile.updated_at = clock.now()
        profile.updated_by = actor.user
        profile.save()
        audit_record(actor=actor, action=AuditAction.REVIEWER_SKILLS_CHANGED, target=profile,
                     data={"user": user.pk, "before": before, "after": _as_dict(profile)})
    return profile


def reviewer_shift_set(*, actor: Actor, on_shift: bool) -> ReviewerProfile:
    """A reviewer starts or ends their shift: only reviewers on shift are routed cases."""
    staff_required(actor)
    require(actor, Perm.CASE_CLAIM)
    user = person_required(actor)
    with transaction.atomic():
        profile = ReviewerProfile.objects.select_for_update().filter(user=user).first()
        if profile is None:
            profile = ReviewerProfile(user=user, updated_at=clock.now())
        if profile.pk is not None and profile.on_shift == on_shift:
            return profile
        profile.on_shift = on_shift
        profile.updated_at = clock.now()
        profile.updated_by = user
        profile.save()
        audit_record(actor=actor, action=AuditAction.REVIEWER_SHIFT_CHANGED, target=profile,
                     data={"user": user.pk, "on_shift": on_shift})
    return profile


def reviewer_for_assignment(user_id: int) -> tuple[User, Skills]:
    """The reviewer a lead names for a case, with their skills; ValidationFailed on ``reviewer`` if unfit."""
    user = _reviewer_user(user_id, "reviewer")
    profile = reviewer_profile_for(user)
    if profile is not None and not profile.is_active:
        raise ValidationFailed.field("reviewer", "this reviewer's profile is inactive")
    return user, skills_of(profile, user.pk)
