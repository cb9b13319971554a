"""Kite, the demo platform: fake content to describe and real (local) state to enforce on.

The demo programme (``trustline seed_demo``) reports content on the fictional
network Kite (``https://kite.example``). This module plays the platform, so
a reviewer can look at the reported post, decide, act, and see the post go
down, all on one machine:

* **Content** comes from ``data/kite_catalogue.json`` (accounts and the
  reported excerpts of the demo's report templates). A URL is matched in
  this order:

  1. ``/@<handle>/posts/<id>`` whose id is a catalogue ``post_id`` (content
     that several partners report by the same id);
  2. ``/@<handle>/<posts|comments|media|items>/<id>``, ``/groups/<handle>``:
     the handle's catalogue entries of that kind, one picked by a hash of the
     URL (the demo programme draws post ids at random);
  3. ``/@<handle>``: the account itself, with its bio;
  4. ``/ads/<id>`` and message ids ``msg-<id>`` carry no handle: an entry of
     that kind picked by a hash of the id;
  5. anything else on Kite (and a known handle with no entry of that kind):
     a **synthetic** description derived from a hash of the address, so
     every demo item shows something, the same every time.

  Addresses on other hosts are "not on Kite" (``available=False``). Times
  are relative (content was created ``age_days`` before the first of the
  month it is fetched in), so the demo stays believable whenever it is run.
  Views grow from the first time Kite is asked about the content, fastest in
  its first days, while it is online, and stop when it goes offline
  (:func:`_grown`), so the demo's snapshots show reach while waiting.
* One catalogue entry carries ``removal_lost``: Kite answers "Removed" to the
  first removal of it and leaves it up (a lost job in its removal queue), so
  the demo shows Trustline's enforcement check finding content still online;
  asking again removes it.
* **State** is kept in :class:`~trustline.platforms.models.DemoContentState`
  rows: :func:`demo_apply` really removes, restricts, labels... and
  :func:`demo_describe` shows it (``online=False`` and "removed"). Account
  actions land on the author's account row and show on all its content.
  A ``reinstate`` undoes the earlier action it names (a reversed contest):
  the content is back online.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import re
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction

from trustline.core import clock
from trustline.platforms.choices import ACCOUNT_ACTIONS, ActionType, OutcomeStatus
from trustline.platforms.connectors.base import (
    AccountInfo,
    ActionOutcome,
    ContentDescription,
    ContentRef,
    EnforcementAction,
    MediaInfo,
    Reach,
)
from trustline.platforms.models import DemoContentState

SOURCE = "demo"

_CONTENT_PATH = re.compile(r"^/@(?P<handle>[^/]+)/(?P<section>posts|comments|media|items)/(?P<ident>[^/]+)$")
_ACCOUNT_PATH = re.compile(r"^/@(?P<handle>[^/]+)$")
_GROUP_PATH = re.compile(r"^/groups/(?P<handle>[^/]+)$")
_AD_PATH = re.compile(r"^/ads/(?P<ident>[^/]+)$")
_SECTION_KIND = {"posts": "post", "comments": "comment", "media": "media"}

_SYNTHETIC_TEXTS = (
    "Everyone needs to see this before they delete it. Share it everywhere.",
    "We know who they are and where they meet. Pass it on.",
    "They keep lying to you. Here is what really happened last night.",
    "Look at this and tell me again that nothing is going on.",
    "Posting this again because the first one was taken down.",
    "The whole neighbourhood should know what this family is up to.",
)


@dataclasses.dataclass(frozen=True)
class Catalogue:
    """The demo platform's content (``data/kite_catalogue.json``), indexed for lookup."""

    platform_url: str
    hosts: frozenset[str]
    media_url: str
    accounts: dict[str, dict[str, Any]]
    by_handle_kind: dict[tuple[str, str], list[dict[str, Any]]]
    by_post_id: dict[str, dict[str, Any]]
    by_kind: dict[str, list[dict[str, Any]]]


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    raw = json.loads(resources.files("trustline.platforms").joinpath("data/kite_catalogue.json").read_text("utf-8"))
    by_handle_kind: dict[tuple[str, str], list[dict[str, Any]]] = {}
    by_kind: dict[str, list[dict[str, Any]]] = {}
    by_post_id: dict[str, dict[str, Any]] = {}
    for entry in raw["content"]:
        by_handle_kind.setdefault((entry["handle"], entry["kind"]), []).append(entry)
        by_kind.setdefault(entry["kind"], []).append(entry)
        if entry.get("post_id"):
            by_post_id[str(entry["post_id"])] = entry
    return Catalogue(
        platform_url=str(raw["platform_url"]).rstrip("/"),
        hosts=frozenset(raw["hosts"]),
        media_url=str(raw["media_url"]).rstrip("/"),
        accounts=dict(raw["accounts"]),
        by_handle_kind=by_handle_kind,
        by_post_id=by_post_id,
        by_kind=by_kind,
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _pick(entries: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return entries[int(_digest(key)[:8], 16) % len(entries)]


def _days_ago(now: dt.datetime, days: int, salt: str) -> dt.datetime:
    """``days`` before the first of ``now``'s month (UTC), at a minute of the day drawn from ``salt``.

    Relative, so the demo's content is always older than its reports, whenever
    the demo is loaded; anchored on the month rather than the day, so a post's
    creation time does not move from one look to the next (content snapshots
    compare what the platform says, and a real platform's dates do not drift).
    """
    first = now.astimezone(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return first - dt.timedelta(days=days) + dt.timedelta(minutes=int(_digest(salt)[:6], 16) % 1440)


# --- Where an address points ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Located:
    handle: str | None  # the author, when the address names one
    kind: str
    ident: str


def _locate(ref: ContentRef) -> _Located | None:
    """Parse a Kite address (or message id); ``None`` when it is not Kite's."""
    if not ref.url:
        ident = ref.platform_id
        return _Located(None, "message" if ident.startswith("msg-") else ref.kind, ident)
    parts = urlsplit(ref.url)
    if (parts.hostname or "").lower() not in catalogue().hosts:
        return None
    path = parts.path.rstrip("/") or "/"
    if match := _CONTENT_PATH.match(path):
        kind = _SECTION_KIND.get(match["section"], ref.kind)
        return _Located(match["handle"], kind, match["ident"])
    if match := _ACCOUNT_PATH.match(path):
        return _Located(match["handle"], "account", match["handle"])
    if match := _GROUP_PATH.match(path):
        return _Located(match["handle"], "group", match["handle"])
    if match := _AD_PATH.match(path):
        return _Located(None, "ad", match["ident"])
    return _Located(None, ref.kind, path)


def _entry_for(ref: ContentRef, where: _Located) -> dict[str, Any] | None:
    cat = catalogue()
    if where.kind == "post" and where.ident in cat.by_post_id:
        return cat.by_post_id[where.ident]
    if where.handle is not None:
        entries = cat.by_handle_kind.get((where.handle, where.kind))
        return _pick(entries, ref.key) if entries else None
    if where.kind in {"ad", "message"} and cat.by_kind.get(where.kind):
        return _pick(cat.by_kind[where.kind], ref.key)
    return None


def _account(handle: str, now: dt.datetime) -> AccountInfo:
    """The catalogue's account, or a synthetic one for an unknown handle."""
    known = catalogue().accounts.get(handle)
    if known is not None:
        return AccountInfo(
            id=str(known["id"]),
            handle=handle,
            display_name=str(known["display_name"]),
            follower_count=int(known["follower_count"]),
            verified=bool(known["verified"]),
            public_figure=bool(known["public_figure"]),
            created_at=_days_ago(now, int(known["age_days"]), f"account:{handle}"),
        )
    digest = _digest(f"account:{handle}")
    return AccountInfo(
        id=str(7_400_000_000 + int(digest[:8], 16) % 90_000_000),
        handle=handle,
        display_name=handle,
        follower_count=int(digest[8:14], 16) % 5000,
        created_at=_days_ago(now, 200 + int(digest[14:18], 16) % 2000, f"account:{handle}"),
    )


def _media(entry: dict[str, Any], key: str) -> tuple[MediaInfo, ...]:
    base = catalogue().media_url
    result = []
    for index, media in enumerate(entry.get("media") or []):
        extension = "mp4" if media.get("kind") == "video" else "jpg"
        result.append(MediaInfo(
            kind=str(media.get("kind") or "image"),
            description=str(media.get("description") or ""),
            url=f"{base}/{_digest(f'{key}#{index}')[:20]}.{extension}",
        ))
    return tuple(result)


def _describe_content(ref: ContentRef, where: _Located, now: dt.datetime) -> ContentDescription:
    """The description before any enforcement state is applied."""
    entry = _entry_for(ref, where)
    if where.kind == "account" and where.handle is not None:
        author = _account(where.handle, now)
        bio = str(catalogue().accounts.get(where.handle, {}).get("bio", ""))
        return ContentDescription(
            item=ref, source=SOURCE, fetched_at=now, text=bio, author=author, created_at=author.created_at,
            reach=Reach(views=None, shares=None),
        )
    if entry is not None:
        return ContentDescription(
            item=ref,
            source=SOURCE,
            fetched_at=now,
            text=str(entry.get("text") or ""),
            author=_account(str(entry["handle"]), now),
            created_at=_days_ago(now, int(entry.get("age_days") or 61), f"content:{ref.key}"),
            reach=Reach(views=entry.get("views"), shares=entry.get("shares")),
            media=_media(entry, ref.key),
        )
    digest = _digest(f"synthetic:{ref.key}")
    handle = where.handle or f"kite_user_{digest[:6]}"
    views = int(digest[6:12], 16) % 40_000 if where.kind != "message" else None
    return ContentDescription(
        item=ref,
        source=f"{SOURCE}:synthetic",
        fetched_at=now,
        text=_SYNTHETIC_TEXTS[int(digest[12:16], 16) % len(_SYNTHETIC_TEXTS)],
        author=_account(handle, now),
        created_at=_days_ago(now, 61 + int(digest[16:18], 16) % 15, f"content:{ref.key}"),
        reach=Reach(views=views, shares=(views // 40 if views is not None else None)),
    )


# --- State ---------------------------------------------------------------------------------


def _state_key(ref: ContentRef) -> str:
    return _digest(ref.key)


def _account_ref(handle: str) -> ContentRef:
    return ContentRef(url=f"{catalogue().platform_url}/@{handle}", kind="account")


def _restrictions(content: DemoContentState | None, account: DemoContentState | None) -> tuple[list[str], bool]:
    """The reviewer-facing list of what limits the content, and whether it is still online."""
    words: list[str] = []
    online = True
    if content is not None:
        if content.removed:
            words.append("removed")
            online = False
        if content.visibility_restricted:
            words.append("visibility restricted")
        if content.geo_restricted_in:
            words.append(f"geo-restricted in {', '.join(content.geo_restricted_in)}")
        words.extend(f"labelled: {label}" for label in content.labels)
        if content.age_restricted:
            words.append("age-restricted")
    if account is not None:
        if account.account_suspended:
            words.append("account suspended")
            online = False
        if account.account_restricted:
            words.append("account restricted")
    return words, online


def demo_describe(ref: ContentRef) -> ContentDescription:
    """What Kite knows about ``ref``, with what has been done to it (see the module docstring)."""
    now = clock.now()
    where = _locate(ref)
    if where is None:
        return ContentDescription.unavailable(
            item=ref, source=SOURCE, fetched_at=now, error=f"Not on the demo platform ({catalogue().platform_url})."
        )
    description = _describe_content(ref, where, now)
    author = description.author
    keys = [_state_key(ref)] + ([_state_key(_account_ref(author.handle))] if author is not None else [])
    states = {state.key_hash: state for state in DemoContentState.objects.filter(key_hash__in=keys)}
    content_state = states.get(keys[0])
    account_state = states.get(keys[1]) if len(keys) > 1 else None
    words, online = _restrictions(content_state, account_state)
    reach = description.reach
    if reach.views is not None:
        counted_until = now if online else min(now, _offline_since(content_state, account_state, now))
        reach = _grown(reach, ref.key, since=_first_seen(ref, content_state, now), until=counted_until)
    return dataclasses.replace(description, online=online, restrictions=tuple(words), reach=reach)


def _first_seen(ref: ContentRef, state: DemoContentState | None, now: dt.datetime) -> dt.datetime:
    """When Kite was first asked about the content: kept on its state row (created or completed now)."""
    if state is not None and state.first_seen_at is not None:
        return state.first_seen_at
    if state is None:
        state, _created = DemoContentState.objects.get_or_create(
            key_hash=_state_key(ref),
            defaults={"url": ref.url, "platform_id": ref.platform_id, "updated_at": now, "first_seen_at": now},
        )
    if state.first_seen_at is None:  # a row an action created before anyone asked
        DemoContentState.objects.filter(pk=state.pk, first_seen_at__isnull=True).update(first_seen_at=now)
        state.refresh_from_db(fields=["first_seen_at"])
    return state.first_seen_at or now


def _offline_since(content: DemoContentState | None, account: DemoContentState | None,
                   now: dt.datetime) -> dt.datetime:
    """When the content went offline: the last change of the row that took it down (removal or suspension)."""
    moments = []
    if content is not None and content.removed:
        moments.append(content.updated_at)
    if account is not None and account.account_suspended:
        moments.append(account.updated_at)
    return min(moments, default=now)


def _grown(reach: Reach, key: str, *, since: dt.datetime, until: dt.datetime) -> Reach:
    """The catalogue's counts are those of the moment Kite was first asked; views keep coming while it is up.

    Like real posts, an item gains most of its views in its first days: by
    ``until`` (now, or when it went offline, see :func:`demo_describe`) it
    has gained ``G * (1 - exp(-hours / 72))`` times its catalogue count since
    ``since`` (:func:`_first_seen`), with ``G`` between 0.5 and 3 drawn from
    its address. So snapshots show reach growing while a case waits, fastest
    at first, and stopping at the removal; a count never goes down.
    """
    if reach.views is None:
        return reach
    hours = max(0.0, (until - since).total_seconds() / 3600)
    ceiling = 0.5 + (int(_digest(f"growth:{key}")[:4], 16) % 251) / 100
    gained = int(reach.views * ceiling * (1 - math.exp(-hours / 72)))
    shares = reach.shares + gained // 40 if reach.shares is not None else None
    return Reach(views=reach.views + gained, shares=shares)


def _reference(key: str) -> str:
    return f"KITE-ENF-{_digest(key)[:10].upper()}"


def _removal_lost(ref: ContentRef) -> bool:
    where = _locate(ref)
    entry = _entry_for(ref, where) if where is not None else None
    return bool(entry and entry.get("removal_lost"))


def _change(state: DemoContentState, action: EnforcementAction) -> str:
    """Apply ``action`` to ``state``; return what happened, in words."""
    return _effect(state, ActionType(action.action_type), action.territorial_scope, action.label)


def _effect(state: DemoContentState, kind: ActionType, scope: tuple[str, ...] | list[str], label: str) -> str:
    """Set the flags one action of ``kind`` sets (reinstatements are handled by :func:`_reinstate`)."""
    if kind == ActionType.REMOVE:
        state.removed = True
        return "Removed from Kite."
    if kind == ActionType.RESTRICT_VISIBILITY:
        state.visibility_restricted = True
        return "Visibility restricted on Kite (no longer recommended or searchable)."
    if kind == ActionType.GEO_RESTRICT:
        state.geo_restricted_in = sorted(set(state.geo_restricted_in) | set(scope))
        return f"Withheld on Kite in {', '.join(scope)}."
    if kind == ActionType.LABEL:
        if label not in state.labels:
            state.labels = [*state.labels, label]
        return f"Labelled on Kite: {label}"
    if kind == ActionType.AGE_RESTRICT:
        state.age_restricted = True
        return "Age-restricted on Kite."
    if kind == ActionType.RESTRICT_ACCOUNT:
        state.account_restricted = True
        return "Account restricted on Kite."
    if kind == ActionType.SUSPEND_ACCOUNT:
        state.account_suspended = True
        return "Account suspended on Kite."
    return "No action taken on Kite."


def _reinstate(state: DemoContentState, action: EnforcementAction) -> str:
    """Undo the earlier action keyed ``action.reverses_key``: mark it undone and replay what is left.

    Replaying the history (rather than clearing one flag) keeps what other,
    still standing actions did: undoing one of two labels keeps the other.
    """
    undone = next((p for p in state.history if p.get("key") == action.reverses_key), None)
    if undone is None:
        return f"Nothing to undo on Kite: no action {action.reverses_key} was applied here."
    if undone.get("undone_by"):
        return f"Already reinstated on Kite ({undone['undone_by']})."
    undone["undone_by"] = action.idempotency_key
    state.removed = state.visibility_restricted = state.age_restricted = False
    state.account_restricted = state.account_suspended = False
    state.geo_restricted_in, state.labels = [], []
    for past in state.history:
        kind = past.get("action_type")
        if past.get("undone_by") or kind not in ActionType.values or kind == ActionType.REINSTATE:
            continue
        _effect(state, ActionType(kind), list(past.get("territorial_scope") or []), str(past.get("label") or ""))
    return f"Reinstated on Kite: '{ActionType(undone['action_type']).label}' undone."


def demo_apply(action: EnforcementAction) -> ActionOutcome:
    """Carry out ``action`` on Kite; idempotent by the action's key.

    1. Find the row to change: the content's own, or for account actions
       the author's account row (the author as ``describe`` sees it).
    2. Lock it (creating it if needed); if its history already holds this
       idempotency key, answer as the first time and change nothing.
    3. Change the flags, append to the history, save.
    """
    now = clock.now()
    ref = action.target
    where = _locate(ref)
    if where is None:
        return ActionOutcome(
            status=OutcomeStatus.FAILED, message=f"Not on the demo platform ({catalogue().platform_url})."
        )
    target = ref
    on_account = action.action_type in ACCOUNT_ACTIONS or (
        action.action_type == ActionType.REINSTATE and action.reverses_type in ACCOUNT_ACTIONS
    )
    if on_account and where.kind != "account":
        author = _describe_content(ref, where, now).author
        if author is None:
            return ActionOutcome(status=OutcomeStatus.FAILED, message="Kite does not know who posted this.")
        target = _account_ref(author.handle)
    reference = _reference(action.idempotency_key)
    with transaction.atomic():
        DemoContentState.objects.get_or_create(
            key_hash=_state_key(target),
            defaults={"url": target.url, "platform_id": target.platform_id, "updated_at": now},
        )
        state = DemoContentState.objects.select_for_update().get(key_hash=_state_key(target))
        for past in state.history:
            if past.get("key") == action.idempotency_key:
                return ActionOutcome(status=OutcomeStatus.DONE, reference=reference, message=str(past["result"]))
        reinstating = action.action_type == ActionType.REINSTATE
        first_removal = not any(past.get("action_type") == ActionType.REMOVE for past in state.history)
        if action.action_type == ActionType.REMOVE and first_removal and _removal_lost(target):
            result = "Removed from Kite."  # what Kite says; its removal queue lost the job (module docstring)
        else:
            result = _reinstate(state, action) if reinstating else _change(state, action)
        state.history = [*state.history, {
            "at": now.isoformat(),
            "key": action.idempotency_key,
            "action_type": str(action.action_type),
            "case_id": action.case_id,
            "decision_id": action.decision_id,
            "territorial_scope": list(action.territorial_scope),
            "label": action.label,
            "reverses_key": action.reverses_key,
            "reference": reference,
            "result": result,
        }]
        state.updated_at = now
        state.save()
    return ActionOutcome(status=OutcomeStatus.DONE, reference=reference, message=result)


def demo_platform_reset() -> int:
    """Undo everything done on the demo platform (for re-seeding the demo); returns the rows removed."""
    deleted, _ = DemoContentState.objects.all().delete()
    return deleted
