"""The platform connector interface and the values that cross it.

A connector is how Trustline talks to the platform whose content partners
report. It has two jobs:

``describe(item) -> ContentDescription``
    What the platform knows about a reported item, for the reviewer: the
    text, the author account (id, handle, display name, followers, verified
    and public-figure flags, creation time), when the content was created,
    its reach, its media, and whether it is still online. ``source`` names
    the connector and ``fetched_at`` says when it was asked, because the
    answer is a snapshot. **It never raises for the platform's trouble**: a
    platform that is down, slow or answers nonsense gives a description with
    ``available=False`` and the reason in ``error``, and the reviewer works
    from what the partner sent.

``apply(action) -> ActionOutcome``
    Carry out an enforcement action (:class:`EnforcementAction`). One action
    type is special: ``reinstate`` undoes an action applied earlier (named by
    ``reverses_key``, the idempotency key it was sent with, and
    ``reverses_type``), when a contest reverses the decision that asked for
    it: the platform puts the content (or account) back as it was before
    that action, and answers ``done`` when there is nothing left to undo. The
    outcome's status says what happened: ``done`` (the platform did it),
    ``queued`` (sent, the platform acts asynchronously), ``pending_confirmation``
    (a person has to act in the platform's own tools and then confirm) or
    ``failed`` (with the reason in ``message``). **It must be idempotent by
    ``action.idempotency_key``**: the service may call it again with the same
    key after a crash, and the platform must act once.

Connectors take and return plain values, never ORM objects, so a connector
can be written and tested without Trustline's models (the reviewer-facing
services translate a ``ReportItem`` into a :class:`ContentRef`). A connector
whose ``apply`` writes to Trustline's database as part of the request (the
webhook connector writes to the outbox) sets ``applies_in_transaction``; the
service then calls it inside the transaction that records the action.
Others are called after that transaction commits, so a slow platform never
holds a database lock.

Connectors are configured in settings (``PLATFORM_CONNECTOR``) and built by
:func:`trustline.platforms.connectors.get_connector`; options arrive as
keyword arguments of the constructor.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import pycountry
from django.core.exceptions import ImproperlyConfigured

from trustline.core.exceptions import ValidationFailed
from trustline.platforms.choices import REINSTATABLE_ACTIONS, ActionType, OutcomeStatus

# Visible ASCII only: the key travels in HTTP headers (``webhook-id``) as it is.
IDEMPOTENCY_KEY_RE = re.compile(r"[!-~]{1,200}")
MAX_LABEL_CHARS = 200
MAX_REASON_CHARS = 2000
MAX_POLICY_CODE_CHARS = 64


@dataclasses.dataclass(frozen=True)
class ContentRef:
    """A reported item as a connector sees it: where it is and what kind of thing it is.

    ``url`` is the canonical URL (empty for items reported by platform id),
    ``platform_id`` the platform's own identifier (empty for URLs), ``kind``
    an :class:`trustline.intake.choices.ItemKind` value (``post``, ``account``...).
    """

    url: str = ""
    platform_id: str = ""
    kind: str = "other"

    @property
    def key(self) -> str:
        """One string naming the item: the URL, or ``id:<platform id>`` (the intake's namespaces)."""
        return self.url or f"id:{self.platform_id}"

    def as_dict(self) -> dict[str, str]:
        return {"url": self.url, "platform_id": self.platform_id, "kind": self.kind}


@dataclasses.dataclass(frozen=True)
class AccountInfo:
    """The author of a piece of content, as the platform knows it."""

    id: str
    handle: str
    display_name: str = ""
    follower_count: int | None = None
    verified: bool = False
    public_figure: bool = False
    created_at: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class MediaInfo:
    """One image, video or file attached to the content. ``url`` is absent when the platform withholds it."""

    kind: str  # "image", "video", "audio", "file"
    description: str = ""
    url: str | None = None


@dataclasses.dataclass(frozen=True)
class Reach:
    """How far the content travelled, where the platform knows (``None`` = unknown, not zero)."""

    views: int | None = None
    shares: int | None = None


@dataclasses.dataclass(frozen=True)
class ContentDescription:
    """What the platform knows about an item (see the module docstring).

    ``available`` is False when the platform could not be asked or could not
    answer; ``error`` then says why. ``online`` is ``None`` when unknown.
    ``restrictions`` lists, in words for the reviewer, what already limits
    the content on the platform ("removed", "geo-restricted in DE, FR", ...).
    """

    item: ContentRef
    source: str
    fetched_at: dt.datetime
    available: bool = True
    error: str = ""
    text: str = ""
    author: AccountInfo | None = None
    created_at: dt.datetime | None = None
    reach: Reach = dataclasses.field(default_factory=Reach)
    media: tuple[MediaInfo, ...] = ()
    online: bool | None = None
    restrictions: tuple[str, ...] = ()

    @classmethod
    def unavailable(cls, *, item: ContentRef, source: str, fetched_at: dt.datetime, error: str) -> ContentDescription:
        return cls(item=item, source=source, fetched_at=fetched_at, available=False, error=error)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _check_country(code: str) -> bool:
    return len(code) == 2 and code.isalpha() and pycountry.countries.get(alpha_2=code) is not None


@dataclasses.dataclass(frozen=True)
class EnforcementAction:
    """One thing a decision asks the platform to do to one target.

    * ``action_type``: an :class:`ActionType`.
    * ``target``: the content (or, for account actions, the content whose
      author is acted on, or the account itself).
    * ``case_id`` / ``decision_id``: where the action comes from, sent to the
      platform so its own records can point back.
    * ``idempotency_key``: 1-200 visible ASCII characters, unique per action;
      the same key means the same action, however often it is sent.
    * ``territorial_scope``: ISO 3166-1 alpha-2 codes, required for (and only
      for) ``geo_restrict``.
    * ``label``: the label text, required for (and only for) ``label``.
    * ``reason`` / ``policy_code``: the ground, for the platform's records.
    * ``reverses_key`` / ``reverses_type``: for (and only for) ``reinstate``,
      the idempotency key and type of the earlier action to undo.

    Values are normalised on creation (type coerced, codes upper-cased,
    sorted and deduplicated); :meth:`validate` raises ``ValidationFailed``
    with one entry per offending field.
    """

    action_type: ActionType
    target: ContentRef
    case_id: str
    idempotency_key: str
    decision_id: str = ""
    territorial_scope: tuple[str, ...] = ()
    label: str = ""
    reason: str = ""
    policy_code: str = ""
    reverses_key: str = ""
    reverses_type: str = ""

    def __post_init__(self) -> None:
        if self.action_type in ActionType.values:
            object.__setattr__(self, "action_type", ActionType(self.action_type))
        scope = tuple(sorted({str(code).strip().upper() for code in self.territorial_scope}))
        object.__setattr__(self, "territorial_scope", scope)
        object.__setattr__(self, "label", self.label.strip())
        object.__setattr__(self, "case_id", str(self.case_id))
        object.__setattr__(self, "decision_id", str(self.decision_id or ""))

    def validate(self) -> None:
        fields: dict[str, list[str]] = {}

        def fail(name: str, reason: str) -> None:
            fields.setdefault(name, []).append(reason)

        if self.action_type not in ActionType.values:
            fail("action_type", f"unknown action {self.action_type!r}; one of {', '.join(ActionType.values)}")
        if not self.target.url and not self.target.platform_id:
            fail("target", "give the content's URL or platform identifier")
        if not IDEMPOTENCY_KEY_RE.fullmatch(self.idempotency_key):
            fail("idempotency_key", "1 to 200 visible ASCII characters (no spaces)")
        if self.action_type == ActionType.GEO_RESTRICT:
            if not self.territorial_scope:
                fail("territorial_scope", "a geo-restriction needs at least one country (ISO 3166-1 alpha-2)")
            unknown = [code for code in self.territorial_scope if not _check_country(code)]
            if unknown:
                fail("territorial_scope", f"not ISO 3166-1 alpha-2 country codes: {', '.join(unknown)}")
        elif self.territorial_scope:
            fail("territorial_scope", "only a geo-restriction has a territorial scope")
        if self.action_type == ActionType.LABEL:
            if not self.label:
                fail("label", "a label action needs the label text")
            elif len(self.label) > MAX_LABEL_CHARS:
                fail("label", f"at most {MAX_LABEL_CHARS} characters")
        elif self.label:
            fail("label", "only a label action has label text")
        if self.action_type == ActionType.REINSTATE:
            if not IDEMPOTENCY_KEY_RE.fullmatch(self.reverses_key):
                fail("reverses_key", "a reinstatement names the idempotency key of the action it undoes")
            if self.reverses_type not in REINSTATABLE_ACTIONS:
                fail("reverses_type", f"one of {', '.join(sorted(REINSTATABLE_ACTIONS))}")
        elif self.reverses_key or self.reverses_type:
            fail("reverses_key", "only a reinstatement undoes another action")
        if len(self.reason) > MAX_REASON_CHARS:
            fail("reason", f"at most {MAX_REASON_CHARS} characters")
        if len(self.policy_code) > MAX_POLICY_CODE_CHARS:
            fail("policy_code", f"at most {MAX_POLICY_CODE_CHARS} characters")
        if fields:
            first, reasons = next(iter(fields.items()))
            raise ValidationFailed(f"{first}: {reasons[0]}", fields=fields)

    def fingerprint(self) -> tuple[Any, ...]:
        """What must match for a repeated key to be the same action (reason texts may be reworded)."""
        return (
            str(self.action_type), self.target.url, self.target.platform_id, self.case_id,
            self.territorial_scope, self.label, self.reverses_key,
        )

    def as_payload(self) -> dict[str, Any]:
        """The action as JSON, as sent to a platform (a reinstatement adds ``reverses``)."""
        payload: dict[str, Any] = {
            "idempotency_key": self.idempotency_key,
            "action_type": str(self.action_type),
            "target": self.target.as_dict(),
            "case_id": self.case_id,
            "decision_id": self.decision_id,
            "territorial_scope": list(self.territorial_scope),
            "label": self.label,
            "reason": self.reason,
            "policy_code": self.policy_code,
        }
        if self.action_type == ActionType.REINSTATE:
            payload["reverses"] = {"idempotency_key": self.reverses_key, "action_type": self.reverses_type}
        return payload


@dataclasses.dataclass(frozen=True)
class ActionOutcome:
    """What happened when a connector was asked to apply an action.

    ``reference`` is the platform's own identifier for what it did (a ticket,
    an enforcement id), when it gives one; ``message`` is for people.
    """

    status: OutcomeStatus
    reference: str = ""
    message: str = ""


class PlatformConnector(abc.ABC):
    """The interface every connector implements (see the module docstring for the contract).

    Subclasses set ``name`` (shown as the ``source`` of descriptions and
    stored on action records) and take their options as keyword arguments;
    an option they do not know is a configuration error, not something to
    ignore silently.
    """

    name: ClassVar[str]
    applies_in_transaction: ClassVar[bool] = False
    option_names: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, **options: Any) -> None:
        unknown = sorted(set(options) - self.option_names)
        if unknown:
            raise ImproperlyConfigured(
                f"PLATFORM_CONNECTOR OPTIONS for {type(self).__name__}: unknown option(s) {', '.join(unknown)}"
            )
        self.options: Mapping[str, Any] = dict(options)

    def can_describe(self) -> bool:
        """Whether ``describe`` can ever answer: false for a connector that reaches no platform.

        The snapshot sweeper asks first, so a manual set-up does not store
        an "unavailable" snapshot of every case.
        """
        return True

    @abc.abstractmethod
    def describe(self, item: ContentRef) -> ContentDescription:
        """What the platform knows about ``item``; never raises for the platform's trouble."""

    @abc.abstractmethod
    def apply(self, action: EnforcementAction) -> ActionOutcome:
        """Carry out ``action`` (already validated); idempotent by its key."""
