"""The agency directory: agencies, their contacts, staleness, suggestions and the public page.

Writes follow the house pattern (permission, validation naming every bad
field, one transaction, an audit entry); reads of the directory for staff go
through :mod:`.selectors`. The public page (:func:`public_directory`) is the
one read without an actor: it shows only agencies and contacts marked public,
and of a contact only the fields marked public.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import Sequence
from typing import Any

import pycountry
from django.db import transaction
from django.db.models import Prefetch, QuerySet

from trustline.accounts.permissions import Actor, Perm
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound, ValidationFailed
from trustline.lawenforcement.choices import CATEGORY_TOPICS, CONTACT_PUBLIC_FIELDS, AgencyStatus, Topic
from trustline.lawenforcement.conf import le_int
from trustline.lawenforcement.models import Agency, AgencyContact
from trustline.lawenforcement.permissions import le_require

MIN_CONTACTS = 2
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def fail(errors: dict[str, list[str]]) -> None:
    """Raise one ValidationFailed naming every problem, if there are any."""
    if errors:
        first = next(iter(errors))
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ValidationFailed(f"{first}: {errors[first][0]}{more}", fields=errors)


def parse_uuid(raw: str | uuid.UUID, what: str) -> uuid.UUID:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound(f"{what} not found.") from exc


def user_of(actor: Actor) -> Any:
    """The person acting (system jobs have none)."""
    return actor.user


@dataclasses.dataclass(frozen=True)
class AgencyData:
    name: str
    country: str
    region: str = ""
    city: str = ""
    topics: Sequence[str] = ()
    email_domains: Sequence[str] = ()
    website: str = ""
    public: bool = False
    public_notes: str = ""
    notes: str = ""


@dataclasses.dataclass(frozen=True)
class ContactData:
    name: str
    role: str = ""
    email: str = ""
    phone: str = ""
    portal_url: str = ""
    emergency_line: bool = False
    last_verified_on: dt.date | None = None
    public: bool = False
    public_fields: Sequence[str] = ()


def _agency_errors(data: AgencyData) -> tuple[dict[str, list[str]], list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.name.strip():
        errors["name"] = ["required"]
    if pycountry.countries.get(alpha_2=data.country.upper()) is None:
        errors["country"] = ["must be an ISO 3166-1 alpha-2 country code"]
    for i, topic in enumerate(data.topics):
        if topic not in Topic.values:
            errors[f"topics.{i}"] = [f"unknown topic; one of {', '.join(Topic.values)}"]
    if not data.topics:
        errors["topics"] = ["name at least one topic"]
    domains: list[str] = []
    for i, domain in enumerate(data.email_domains):
        clean = domain.strip().lower().lstrip("@")
        if not _DOMAIN_RE.fullmatch(clean):
            errors[f"email_domains.{i}"] = ["not a domain name (e.g. police.example.gov)"]
        domains.append(clean)
    return errors, sorted(set(domains))


def agency_create(*, actor: Actor, data: AgencyData) -> Agency:
    """Add an agency (as a draft: it becomes complete with :func:`agency_set_status` once it has two contacts)."""
    le_require(actor, Perm.LE_DIRECTORY_MANAGE)
    errors, domains = _agency_errors(data)
    fail(errors)
    now = clock.now()
    with transaction.atomic():
        agency = Agency.objects.create(
            name=data.name.strip(), country=data.country.upper(), region=data.region.strip(), city=data.city.strip(),
            topics=list(dict.fromkeys(data.topics)), email_domains=domains, website=data.website,
            public=data.public, public_notes=data.public_notes, notes=data.notes, created_at=now, updated_at=now,
        )
        audit_record(actor=actor, action=AuditAction.LE_AGENCY_CREATED, target=agency,
                     data={"name": agency.name, "country": agency.country, "topics": agency.topics})
    return agency


def agency_update(*, actor: Actor, agency_id: str | uuid.UUID, data: AgencyData) -> Agency:
    le_require(actor, Perm.LE_DIRECTORY_MANAGE)
    errors, domains = _agency_errors(data)
    fail(errors)
    with transaction.atomic():
        agency = _locked_agency(agency_id)
        values = {
            "name": data.name.strip(), "country": data.country.upper(), "region": data.region.strip(),
            "city": data.city.strip(), "topics": list(dict.fromkeys(data.topics)), "email_domains": domains,
            "website": data.website, "public": data.public, "public_notes": data.public_notes, "notes": data.notes,
        }
        changed = {k: v for k, v in values.items() if getattr(agency, k) != v}
        for key, value in values.items():
            setattr(agency, key, value)
        agency.updated_at = clock.now()
        agency.save(update_fields=[*values, "updated_at"])
        audit_record(actor=actor, action=AuditAction.LE_AGENCY_CHANGED, target=agency, data={"changed": changed})
    return agency


def _locked_agency(agency_id: str | uuid.UUID) -> Agency:
    agency = Agency.objects.select_for_update().filter(pk=parse_uuid(agency_id, "Agency")).first()
    if agency is None:
        raise NotFound("Agency not found.")
    return agency


def agency_set_status(*, actor: Actor, agency_id: str | uuid.UUID, status: str) -> Agency:
    """Mark an agency complete (needs at least two active contacts), back to draft, or retired."""
    le_require(actor, Perm.LE_DIRECTORY_MANAGE)
    if status not in AgencyStatus.values:
        fail({"status": [f"one of {', '.join(AgencyStatus.values)}"]})
    with transaction.atomic():
        agency = _locked_agency(agency_id)
        if status == AgencyStatus.COMPLETE:
            count = agency.contacts.filter(active=True).count()
            if count < MIN_CONTACTS:
                raise ValidationFailed(
                    f"A complete agency needs at least {MIN_CONTACTS} active contacts; it has {count}.",
                    code="too_few_contacts", fields={"contacts": [f"at least {MIN_CONTACTS} active contacts"]},
                )
        old = agency.status
        agency.status = status
        agency.updated_at = clock.now()
        agency.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action=AuditAction.LE_AGENCY_CHANGED, target=agency,
                     data={"status": [old, status]})
    return agency


def _contact_errors(data: ContactData) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.name.strip():
        errors["name"] = ["required"]
    if not (data.email or data.phone or data.portal_url):
        errors["channels"] = ["give at least one way to reach them: email, phone or portal_url"]
    if data.emergency_line and not data.phone:
        errors["phone"] = ["a 24/7 emergency line needs its phone number"]
    for i, name in enumerate(data.public_fields):
        if name not in CONTACT_PUBLIC_FIELDS:
            errors[f"public_fields.{i}"] = [f"one of {', '.join(CONTACT_PUBLIC_FIELDS)}"]
    if data.last_verified_on is not None and data.last_verified_on > clock.now().date():
        errors["last_verified_on"] = ["cannot be in the future"]
    return errors


def contact_add(*, actor: Actor, agency_id: str | uuid.UUID, data: ContactData) -> AgencyContact:
    """Add a contact; ``last_verified_on`` defaults to today (the person adding it just checked it)."""
    le_require(actor, Perm.LE_DIRECTORY_MANAGE)
    fail(_contact_errors(data))
    with transaction.atomic():
        agency = _locked_agency(agency_id)
        contact = AgencyContact.objects.create(
            agency=agency, name=data.name.strip(), role=data.role.strip(), email=data.email, phone=data.phone,
            portal_url=data.portal_url, emergency_line=data.emergency_line,
            last_verified_on=data.last_verified_on or clock.now().date(), verified_by=user_of(actor),
            public=data.public, public_fields=list(dict.fromkeys(data.public_fields)),
        )
        audit_record(actor=actor, action=AuditAction.LE_CONTACT_ADDED, target=contact,
                     data={"agency": str(agency.pk), "name": contact.name})
    return contact


def contact_update(
    *, actor: Actor, contact_id: str | uuid.UUID, data: ContactData, active: bool = True
) -> AgencyContact:
    """Change a contact, or deactivate it (``active=False``) unless a complete agency would keep fewer than two."""
    le_require(actor, Perm.LE_DIRECTORY_MANAGE)
    fail(_contact_errors(data))
    with transaction.atomic():
        contact = AgencyContact.objects.select_for_update().filter(pk=parse_uuid(contact_id, "Contact")).first()
        if contact is None:
            raise NotFound("Contact not found.")
        agency = _locked_agency(contact.agency_id)
        if contact.active and not active and agency.status == AgencyStatus.COMPLETE:
            remaining = agency.contacts.filter(active=True).exclude(pk=contact.pk).count()
            if remaining < MIN_CONTACTS:
                raise Conflict(
                    f"A complete agency keeps at least {MIN_CONTACTS} active contacts: add another one first, "
                    "or set the agency back to draft.", code="too_few_contacts",
                )
        values: dict[str, Any] = {
            "name": data.name.strip(), "role": data.role.strip(), "email": data.email, "phone": data.phone,
            "portal_url": data.portal_url, "emergency_line": data.emergency_line, "public": data.public,
            "public_fields": list(dict.fromkeys(data.public_fields)), "active": active,
        }
        changed = {k: v for k, v in values.items() if getattr(contact, k) != v}
        for key, value in values.items():
            setattr(contact, key, value)
        contact.save(update_fields=list(values))
        audit_record(actor=actor, action=AuditAction.LE_CONTACT_CHANGED, target=contact, data={"changed": changed})
    return contact


def contact_verify(*, actor: Actor, contact_id: str | uuid.UUID, note: str = "") -> AgencyContact:
    """Record that someone checked the contact today (it leaves the stale list)."""
    le_require(actor, Perm.LE_DIRECTORY_MANAGE)
    today = clock.now().date()
    with transaction.atomic():
        contact = AgencyContact.objects.select_for_update().filter(pk=parse_uuid(contact_id, "Contact")).first()
        if contact is None:
            raise NotFound("Contact not found.")
        previous = contact.last_verified_on
        contact.last_verified_on = today
        contact.verified_by = user_of(actor)
        contact.save(update_fields=["last_verified_on", "verified_by"])
        audit_record(actor=actor, action=AuditAction.LE_CONTACT_VERIFIED, target=contact,
                     data={"previous": previous.isoformat(), "verified_on": today.isoformat(), "note": note})
    return contact


def stale_before(today: dt.date | None = None) -> dt.date:
    """Contacts last verified before this date are stale."""
    return (today or clock.now().date()) - dt.timedelta(days=le_int("STALE_CONTACT_DAYS"))


def contacts_stale(*, actor: Actor) -> QuerySet[AgencyContact]:
    """Active contacts due for re-verification, the longest unchecked first."""
    le_require(actor, Perm.LE_DIRECTORY_VIEW)
    return stale_contacts_all()


def stale_contacts_all() -> QuerySet[AgencyContact]:
    """The same list without an actor, for the reminder job."""
    return (
        AgencyContact.objects.filter(active=True, last_verified_on__lt=stale_before())
        .exclude(agency__status=AgencyStatus.RETIRED)
        .select_related("agency")
        .order_by("last_verified_on", "id")
    )


@dataclasses.dataclass(frozen=True)
class Suggestion:
    agency: Agency
    score: int
    reasons: list[str]
    emergency_contacts: list[AgencyContact]


def agency_suggestions(
    *, actor: Actor, country: str, region: str = "", city: str = "", category: str = "",
    imminent_harm: bool = False, limit: int = 5,
) -> list[Suggestion]:
    """Which agencies to contact for a case, best first.

    1. Candidates: agencies of the case's country that are not retired. An
       agency bound to another region (or city) than the case's has no
       jurisdiction and is dropped; a region-bound agency stays when the case's
       region is unknown, ranked below national ones.
    2. Jurisdiction: +30 same region, +20 national (no region), +5 same city;
       +0 region-bound when the case's region is unknown.
    3. Topic: the category's topics (``CATEGORY_TOPICS``) in order; the
       agency's best match scores +40 for the first topic, 10 less for each
       later one; an agency with only the ``general`` topic scores +10.
    4. Reachability: +25 if imminent harm and it has an active 24/7 line;
       +10 for a complete agency; -10 if every active contact is stale.
    5. Order by score, then name; keep ``limit``. Reasons list each step.
    """
    le_require(actor, Perm.LE_DIRECTORY_VIEW)
    country, region, city = country.upper(), region.strip().lower(), city.strip().lower()
    topics = list(CATEGORY_TOPICS.get(category, ()))
    stale_date = stale_before()
    agencies = (
        Agency.objects.filter(country=country)
        .exclude(status=AgencyStatus.RETIRED)
        .prefetch_related(Prefetch("contacts", queryset=AgencyContact.objects.filter(active=True)))
    )
    scored: list[Suggestion] = []
    for agency in agencies:
        reasons: list[str] = []
        score = 0
        if agency.region:
            if region and agency.region.lower() != region:
                continue
            if region:
                score += 30
                reasons.append(f"covers {agency.region} (+30)")
            else:
                reasons.append(f"regional ({agency.region}); the case's region is unknown (+0)")
        else:
            score += 20
            reasons.append("national jurisdiction (+20)")
        if agency.city:
            if city and agency.city.lower() != city:
                continue
            if city:
                score += 5
                reasons.append(f"covers {agency.city} (+5)")
        matches = [i for i, topic in enumerate(topics) if topic in agency.topics]
        if matches:
            points = 40 - 10 * matches[0]
            score += points
            reasons.append(f"handles {Topic(topics[matches[0]]).label} (+{points})")
        elif Topic.GENERAL in agency.topics:
            score += 10
            reasons.append("general policing (+10)")
        contacts = list(agency.contacts.all())
        emergency = [c for c in contacts if c.emergency_line]
        if imminent_harm and emergency:
            score += 25
            reasons.append("24/7 emergency line for imminent harm (+25)")
        if agency.status == AgencyStatus.COMPLETE:
            score += 10
            reasons.append("complete directory entry (+10)")
        if contacts and all(c.last_verified_on < stale_date for c in contacts):
            score -= 10
            reasons.append("every contact is due for re-verification (-10)")
        scored.append(Suggestion(agency=agency, score=score, reasons=reasons, emergency_contacts=emergency))
    scored.sort(key=lambda s: (-s.score, s.agency.name))
    return scored[:limit]


def _public_contact(contact: AgencyContact) -> dict[str, Any]:
    allowed = set(contact.public_fields)
    values = {
        "name": contact.name, "role": contact.role, "email": contact.email, "phone": contact.phone,
        "portal_url": contact.portal_url, "emergency_line": contact.emergency_line,
    }
    return {key: value for key, value in values.items() if key in allowed and value not in ("", None)}


def public_directory(*, country: str = "", topic: str = "") -> list[dict[str, Any]]:
    """The public "how to contact law enforcement" listing: only public agencies, contacts and fields.

    Grouped by country (name order), each with its agencies and their topics;
    ``country`` and ``topic`` narrow it. No internal notes, domains or
    verification dates ever appear.
    """
    agencies = (
        Agency.objects.filter(public=True)
        .exclude(status=AgencyStatus.RETIRED)
        .prefetch_related(Prefetch("contacts", queryset=AgencyContact.objects.filter(active=True, public=True)))
        .order_by("country", "region", "name")
    )
    if country:
        agencies = agencies.filter(country=country.upper())
    by_country: dict[str, dict[str, Any]] = {}
    for agency in agencies:
        if topic and topic not in agency.topics:
            continue
        entry = by_country.setdefault(agency.country, {
            "country": agency.country,
            "country_name": getattr(pycountry.countries.get(alpha_2=agency.country), "name", agency.country),
            "agencies": [],
        })
        contacts = [c for c in (_public_contact(c) for c in agency.contacts.all()) if c]
        entry["agencies"].append({
            "name": agency.name, "region": agency.region, "city": agency.city,
            "topics": [{"code": t, "label": str(Topic(t).label)} for t in agency.topics if t in Topic.values],
            "website": agency.website, "notes": agency.public_notes, "contacts": contacts,
        })
    return sorted(by_country.values(), key=lambda c: c["country_name"])


def contacts_stale_remind(*, now: dt.datetime) -> int:
    """Daily digest to liaisons of contacts due for re-verification (one e-mail per liaison per day).

    The outbox idempotency key carries the date, so however often the job
    runs in a day each liaison gets one digest; nothing is sent when no
    contact is stale.
    """
    from trustline.lawenforcement.notify import LIAISONS, notify

    stale = list(stale_contacts_all()[:200])
    if not stale:
        return 0
    lines = [
        f"- {c.agency.name} ({c.agency.country}): {c.name}, {c.role or 'no role'}; last verified "
        f"{c.last_verified_on:%Y-%m-%d}" for c in stale
    ]
    with transaction.atomic():
        return notify(
            roles=LIAISONS, subject=f"{len(stale)} law-enforcement contacts need re-verification",
            body="Call or write to each and record the check in Trustline:\n" + "\n".join(lines) + "\n",
            key=f"le-stale-contacts:{now:%Y%m%d}", event_type="le_contact.stale",
            payload={"contacts": [str(c.pk) for c in stale]},
        )
