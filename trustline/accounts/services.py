"""Writes for organisations, people and API keys. Each is one audited transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils.text import slugify

from trustline.accounts.choices import ROLES_BY_KIND, OrganisationKind, Role
from trustline.accounts.models import ApiKey, Membership, Organisation, User
from trustline.accounts.permissions import Actor, Perm, require
from trustline.accounts.selectors import hash_api_key
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed

API_KEY_PREFIX = "tl_"


def unique_slug(name: str) -> str:
    base = slugify(name)[:60] or "org"
    slug, n = base, 2
    while Organisation.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def organisation_create(
    *, actor: Actor, name: str, kind: OrganisationKind, slug: str = "", contact_email: str = ""
) -> Organisation:
    name = name.strip()
    if not name:
        raise ValidationFailed.field("name", "must not be empty")
    if Organisation.objects.filter(name__iexact=name).exists():
        raise Conflict(f"An organisation named {name!r} already exists.", fields={"name": ["already exists"]})
    organisation = Organisation.objects.create(
        name=name, kind=kind, slug=slug or unique_slug(name), contact_email=contact_email
    )
    audit_record(
        actor=actor,
        action=AuditAction.ORGANISATION_CREATED,
        target=organisation,
        data={"name": name, "kind": str(kind), "slug": organisation.slug},
    )
    return organisation


@transaction.atomic
def user_create(
    *, actor: Actor, username: str, email: str, full_name: str = "", password: str | None = None
) -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"The username {username!r} is taken.", fields={"username": ["already taken"]})
    user = User(username=username, email=email, full_name=full_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(actor=actor, action=AuditAction.USER_CREATED, target=user, data={"username": username})
    return user


@transaction.atomic
def membership_add(*, actor: Actor, user: User, organisation: Organisation, role: Role) -> Membership:
    if role not in ROLES_BY_KIND[organisation.kind]:
        raise ValidationFailed.field(
            "role", f"{role} is not a role in a {organisation.get_kind_display().lower()} organisation"
        )
    other = Membership.objects.filter(user=user).exclude(organisation=organisation).first()
    if other is not None:
        raise Conflict(f"{user} already belongs to {other.organisation}.", fields={"user": ["has another org"]})
    membership, created = Membership.objects.get_or_create(user=user, organisation=organisation, role=role)
    if created:
        audit_record(
            actor=actor,
            action=AuditAction.MEMBERSHIP_ADDED,
            target=membership,
            data={"user": user.pk, "organisation": organisation.pk, "role": str(role)},
        )
    return membership


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    raw: str  # shown once, never stored


def _can_manage_keys_of(actor: Actor, organisation: Organisation) -> bool:
    if actor.has(Perm.APIKEY_MANAGE_ALL):
        return True
    return actor.has(Perm.APIKEY_MANAGE_OWN) and actor.organisation_id == organisation.pk


@transaction.atomic
def apikey_create(*, actor: Actor, organisation: Organisation, name: str) -> NewApiKey:
    if not _can_manage_keys_of(actor, organisation):
        # Same answer as for an organisation that does not exist.
        raise NotFound("Organisation not found.")
    # A partner's key submits and reads reports; a peer platform's key exchanges signals (trustline.signals).
    role = {OrganisationKind.PARTNER: Role.PARTNER_ANALYST, OrganisationKind.PEER_PLATFORM: Role.PEER_EXCHANGE}.get(
        OrganisationKind(organisation.kind))
    if role is None:
        raise ValidationFailed.field("organisation", "API keys are issued to trusted partners and peer platforms")
    name = name.strip() or "API key"
    if len(name) > 100:
        raise ValidationFailed.field("name", "must be at most 100 characters")
    secret = secrets.token_urlsafe(32)
    raw = f"{API_KEY_PREFIX}{secret}"
    key = ApiKey.objects.create(
        organisation=organisation,
        name=name,
        role=role,
        prefix=raw[: len(API_KEY_PREFIX) + 6],
        hashed_key=hash_api_key(raw),
        created_by=actor.user,
    )
    audit_record(
        actor=actor,
        action=AuditAction.APIKEY_CREATED,
        target=key,
        data={"organisation": organisation.pk, "name": name, "prefix": key.prefix},
    )
    return NewApiKey(key=key, raw=raw)


@transaction.atomic
def apikey_revoke(*, actor: Actor, key: ApiKey) -> ApiKey:
    if not _can_manage_keys_of(actor, key.organisation):
        raise NotFound("API key not found.")
    if actor.api_key is not None and actor.api_key.pk == key.pk:
        raise PermissionDenied("A key cannot revoke itself; use another key or the web portal.")
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        key.revoked_by = actor.user
        key.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(actor=actor, action=AuditAction.APIKEY_REVOKED, target=key, data={"prefix": key.prefix})
    return key


def require_key_manager(actor: Actor) -> None:
    if not (actor.has(Perm.APIKEY_MANAGE_OWN) or actor.has(Perm.APIKEY_MANAGE_ALL)):
        require(actor, Perm.APIKEY_MANAGE_OWN)
