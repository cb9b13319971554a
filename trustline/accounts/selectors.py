from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import Model, QuerySet

from trustline.accounts.models import ApiKey, Membership, Organisation, User
from trustline.accounts.permissions import Actor, Perm
from trustline.core import clock
from trustline.core.conf import limit
from trustline.core.exceptions import AuthenticationFailed, NotFound, PermissionDenied
from trustline.core.prepared import execute_prepared


def hash_api_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def actor_for_api_key(raw_key: str) -> Actor:
    """Resolve a bearer key to an actor, or say exactly why not.

    ``last_used_at`` is refreshed at most once a minute per key so busy
    integrations do not turn every read into a write.
    """
    key = _api_key_with_organisation(hash_api_key(raw_key))
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


def _api_key_with_organisation(hashed_key: str) -> ApiKey | None:
    """The key, its organisation and the organisation's accreditation, in one statement.

    The same as ``ApiKey.objects.select_related("organisation",
    "organisation__accreditation").filter(hashed_key=...)``, with the SQL
    written once per process instead of compiled per request: this runs for
    every partner API call, and compiling the ORM query cost more CPU than
    the rest of authentication (docs/performance.md, 7 December 2026). The
    instances are built the way the ORM builds them (``from_db``, the
    backend's converters, the related objects cached on each other). Being
    the first statement of an API call, it is also the connection's health
    check (``checks_connection``), one round trip fewer per call.
    """
    lookup = _key_lookup()
    rows = execute_prepared(lookup.sql, [hashed_key], fetch=True, checks_connection=True)
    if not rows:
        return None
    row = rows[0]
    values = [value if value is None or not convert else _converted(value, convert) for value, convert in
              zip(row, lookup.converters, strict=True)]
    key = ApiKey.from_db(connection.alias, lookup.names[0], values[:lookup.split[0]])
    organisation = Organisation.from_db(connection.alias, lookup.names[1], values[lookup.split[0]:lookup.split[1]])
    accreditation_values = values[lookup.split[1]:]
    accreditation = None
    if accreditation_values[0] is not None:  # the LEFT JOIN found one (its id is never null)
        accreditation = lookup.accreditation_model.from_db(connection.alias, lookup.names[2], accreditation_values)
        lookup.accreditation_organisation.set_cached_value(accreditation, organisation)
    ApiKey._meta.get_field("organisation").set_cached_value(key, organisation)
    lookup.organisation_accreditation.set_cached_value(organisation, accreditation)  # None: "has none", as the ORM
    return key


@dataclass(frozen=True)
class _KeyLookup:
    sql: str
    names: tuple[list[str], list[str], list[str]]
    split: tuple[int, int]
    converters: tuple[tuple[Any, ...], ...]
    accreditation_model: type[Model]
    accreditation_organisation: Any  # the accreditation's forward one-to-one field
    organisation_accreditation: Any  # its reverse relation on the organisation


def _converted(value: Any, convert: tuple[Any, ...]) -> Any:
    expression, functions = convert
    for function in functions:
        value = function(value, expression, connection)
    return value


@functools.cache
def _key_lookup() -> _KeyLookup:
    from trustline.partners.models import Accreditation  # partners builds on accounts

    quote = connection.ops.quote_name
    models: tuple[type[Model], ...] = (ApiKey, Organisation, Accreditation)
    aliases = ("k", "o", "a")
    names: list[list[str]] = []
    columns: list[str] = []
    converters: list[tuple[Any, ...]] = []
    for model, alias in zip(models, aliases, strict=True):
        fields = list(model._meta.concrete_fields)
        names.append([f.attname for f in fields])
        columns += [f"{alias}.{quote(f.column)}" for f in fields]
        for f in fields:
            col = f.get_col(alias)
            functions = connection.ops.get_db_converters(col) + f.get_db_converters(connection)  # type: ignore[attr-defined]  # not in django-stubs
            converters.append((col, tuple(functions)) if functions else ())
    table = {m: quote(m._meta.db_table) for m in models}
    link = Accreditation._meta.get_field("organisation")
    org_id = quote(Organisation._meta.pk.column)
    key_org = quote(ApiKey._meta.get_field("organisation").column)
    key_hash = quote(ApiKey._meta.get_field("hashed_key").column)
    sql = (
        f"SELECT {', '.join(columns)} FROM {table[ApiKey]} k "  # noqa: S608 - model identifiers; the key is a parameter
        f"INNER JOIN {table[Organisation]} o ON o.{org_id} = k.{key_org} "
        f"LEFT OUTER JOIN {table[Accreditation]} a ON a.{quote(link.column)} = o.{org_id} "
        f"WHERE k.{key_hash} = %s"
    )
    return _KeyLookup(
        sql=sql,
        names=(names[0], names[1], names[2]),
        split=(len(names[0]), len(names[0]) + len(names[1])),
        converters=tuple(converters),
        accreditation_model=Accreditation,
        accreditation_organisation=link,
        organisation_accreditation=link.remote_field,
    )


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
