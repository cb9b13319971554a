from __future__ import annotations

import hashlib
from datetime import timedelta

from django.db.models import QuerySet

from trustline.accounts.models import ApiKey, Membership, User
from trustline.accounts.permissions import Actor, Perm
from trustline.core import clock
from trustline.core.conf import limit
from trustline.core.exceptions import AuthenticationFailed, NotFound, PermissionDenied


def hash_api_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def actor_for_api_key(raw_key: str) -> Actor:
    """Resolve a bearer key to an actor, or say exactly why not.

    ``last_used_at`` is refreshed at most once a minute per key so busy
    integrations do not turn every read into a write.
    """
    key = (
        ApiKey.objects.select_related("organisation", "organisation__accreditation")
        .filter(hashed_key=hash_api_key(raw_key))
        .first()
    )
    if key is None:
        raise AuthenticationFailed("The API key is not valid.", code="api_key_invalid")
    if key.revoked_at is not None:
        raise AuthenticationFailed(
            f"This API key was revoked on {key.revoked_at:%Y-%m-%d %H:%M} UTC.", code="api_key_revoked"
        )
    from trustline.partners.selectors import partner_can_submit  # partners builds on accounts

    blocked = partner_can_submit(key.organisation)
    if blocked:
        raise AuthenticationFailed(blocked, code="organisation_inactive")
    now = clock.now()
    touch_after = now - timedelta(seconds=limit("API_KEY_TOUCH_SECONDS"))
    if key.last_used_at is None or key.last_used_at < touch_after:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return Actor(kind="api_key", organisation=key.organisation, roles=frozenset({key.role}), api_key=key)


def actor_for_user(user: User) -> Actor | None:
    """The actor for a signed-in person: their organisation and every role they hold there.

    A person belongs to one organisation; if data ever gives them several, the
    platform membership wins, then the oldest, so the choice is stable.
    """
    memberships = list(
        Membership.objects.filter(user=user).select_related("organisation").order_by("created_at", "pk")
    )
    if not memberships:
        return None
    platform = [m for m in memberships if m.organisation.is_platform]
    organisation = (platform or memberships)[0].organisation
    roles = frozenset(m.role for m in memberships if m.organisation_id == organisation.pk)
    return Actor(kind="user", organisation=organisation, roles=roles, user=user)


def apikey_list(*, actor: Actor, organisation_id: int | None = None) -> QuerySet[ApiKey]:
    qs = ApiKey.objects.select_related("organisation", "created_by")
    if actor.has(Perm.APIKEY_MANAGE_ALL):
        return qs.filter(organisation_id=organisation_id) if organisation_id else qs
    if actor.has(Perm.APIKEY_MANAGE_OWN):
        return qs.filter(organisation=actor.organisation)
    raise PermissionDenied("Only partner admins and programme staff manage API keys.")


def apikey_get(*, actor: Actor, key_id: int) -> ApiKey:
    key = apikey_list(actor=actor).filter(pk=key_id).first()
    if key is None:
        raise NotFound("API key not found.")
    return key
