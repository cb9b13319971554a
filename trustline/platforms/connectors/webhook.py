"""The webhook connector: signed HTTP calls to the platform's own enforcement service.

Options (``PLATFORM_CONNECTOR["OPTIONS"]``):

``URL``
    Where enforcement requests are POSTed (required).
``SECRET``
    The Standard Webhooks secret (``whsec_`` + base64) both sides sign with
    (required). The platform verifies requests with any Standard Webhooks
    library.
``DESCRIBE_URL``
    Where describe requests are POSTed; without it ``describe`` answers
    "not available".
``DESCRIBE_TIMEOUT_SECONDS``
    How long a reviewer waits for a description (default 3).
``ORGANISATION``
    Slug of the platform organisation that owns the endpoint row (default:
    the oldest platform organisation).

**apply** records the request in the outbox (event type
``enforcement.requested``, body ``{"type", "timestamp", "data": <the
action>}``, ``webhook-id`` = the action's idempotency key) inside the
transaction that records the action, and returns ``queued``. The outbox
signs and delivers it after commit and retries with backoff until the
platform answers 2xx, so a platform outage delays an action but never loses
it, and the platform drops repeats by ``webhook-id``. The outbox needs a
:class:`~trustline.notifications.models.WebhookEndpoint` row for the URL and
secret: the connector keeps one (owned by the platform organisation,
subscribed only to ``enforcement.requested`` so partner notifications to
that organisation never go there).

**describe** POSTs ``{"url", "platform_id", "kind"}`` to ``DESCRIBE_URL``,
signed the same way, and waits at most ``DESCRIBE_TIMEOUT_SECONDS``. The
platform answers 200 with JSON::

    {"text": "...", "online": true, "created_at": "2026-03-01T10:00:00Z",
     "author": {"id": "...", "handle": "...", "display_name": "...", "follower_count": 1200,
                "verified": false, "public_figure": false, "created_at": "..."},
     "reach": {"views": 5400, "shares": 120},
     "media": [{"kind": "image", "url": "https://...", "description": "..."}],
     "restrictions": ["labelled: ..."]}

Every field is optional. Anything else (refused connection, timeout, non-200,
malformed JSON) becomes a description with ``available=False`` and the error.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from typing import Any

import pydantic
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from trustline.core import clock
from trustline.core.ids import uuid7
from trustline.notifications.signing import SECRET_PREFIX, webhook_headers
from trustline.platforms.choices import ENFORCEMENT_EVENT_TYPE, ActionType, OutcomeStatus
from trustline.platforms.connectors.base import (
    AccountInfo,
    ActionOutcome,
    ContentDescription,
    ContentRef,
    EnforcementAction,
    MediaInfo,
    PlatformConnector,
    Reach,
)

logger = logging.getLogger(__name__)

USER_AGENT = "Trustline-Platform-Connector/1"
DEFAULT_DESCRIBE_TIMEOUT = 3.0
MAX_DESCRIBE_BYTES = 1024 * 1024


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A signed request must reach the configured URL, not wherever a redirect points."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


# --- The platform's describe answer, checked field by field ------------------------------------


class _Lenient(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="ignore")


class _AuthorIn(_Lenient):
    id: str = ""
    handle: str = ""
    display_name: str = ""
    follower_count: int | None = None
    verified: bool = False
    public_figure: bool = False
    created_at: dt.datetime | None = None


class _MediaIn(_Lenient):
    kind: str = "file"
    url: str | None = None
    description: str = ""


class _ReachIn(_Lenient):
    views: int | None = None
    shares: int | None = None


class _DescribeIn(_Lenient):
    text: str = ""
    online: bool | None = None
    created_at: dt.datetime | None = None
    author: _AuthorIn | None = None
    reach: _ReachIn = pydantic.Field(default_factory=_ReachIn)
    media: list[_MediaIn] = pydantic.Field(default_factory=list)
    restrictions: list[str] = pydantic.Field(default_factory=list)


class WebhookConnector(PlatformConnector):
    """Signed HTTP calls to the platform: actions through the outbox, descriptions synchronously."""

    name = "webhook"
    applies_in_transaction = True
    option_names = frozenset({"URL", "SECRET", "DESCRIBE_URL", "DESCRIBE_TIMEOUT_SECONDS", "ORGANISATION"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.url = str(options.get("URL") or "")
        self.secret = str(options.get("SECRET") or "")
        self.describe_url = str(options.get("DESCRIBE_URL") or "")
        self.organisation_slug = str(options.get("ORGANISATION") or "")
        try:
            self.describe_timeout = float(options.get("DESCRIBE_TIMEOUT_SECONDS") or DEFAULT_DESCRIBE_TIMEOUT)
        except (TypeError, ValueError) as exc:
            raise ImproperlyConfigured("PLATFORM_CONNECTOR OPTIONS DESCRIBE_TIMEOUT_SECONDS must be a number") from exc
        for name, url in (("URL", self.url), ("DESCRIBE_URL", self.describe_url)):
            if url and not url.startswith(("http://", "https://")):
                raise ImproperlyConfigured(f"PLATFORM_CONNECTOR OPTIONS {name} must be an http(s) URL, got {url!r}")
        if not self.url:
            raise ImproperlyConfigured("the webhook platform connector needs OPTIONS URL (PLATFORM_WEBHOOK_URL)")
        if not self.secret.startswith(SECRET_PREFIX):
            raise ImproperlyConfigured(
                "the webhook platform connector needs OPTIONS SECRET (PLATFORM_WEBHOOK_SECRET), a Standard "
                f"Webhooks secret starting with {SECRET_PREFIX!r}"
            )

    # --- apply ---------------------------------------------------------------------------------

    def apply(self, action: EnforcementAction) -> ActionOutcome:
        """Record the signed request in the outbox (inside the caller's transaction); see the module docstring."""
        # Imported here: the connector module stays importable without the app registry (settings checks).
        from trustline.notifications.choices import Channel
        from trustline.notifications.services import outbox_enqueue

        if action.action_type == ActionType.NO_ACTION:
            return ActionOutcome(status=OutcomeStatus.DONE, message="No action: nothing sent to the platform.")
        endpoint = self._endpoint()
        if endpoint is None:
            return ActionOutcome(
                status=OutcomeStatus.FAILED,
                message="No platform organisation exists to own the platform's webhook endpoint.",
            )
        message = outbox_enqueue(
            channel=Channel.WEBHOOK,
            recipient=endpoint.url,
            payload={
                "type": ENFORCEMENT_EVENT_TYPE,
                "timestamp": clock.now().isoformat(),
                "data": action.as_payload(),
            },
            idempotency_key=action.idempotency_key,
            endpoint=endpoint,
            event_type=ENFORCEMENT_EVENT_TYPE,
        )
        return ActionOutcome(
            status=OutcomeStatus.QUEUED,
            reference=f"outbox:{message.id}",
            message=f"Sent to the platform at {endpoint.url}; retried until it answers.",
        )

    def _endpoint(self) -> Any:
        """The endpoint row for the configured URL and secret, created or updated as the settings say."""
        from trustline.accounts.choices import OrganisationKind
        from trustline.accounts.models import Organisation
        from trustline.notifications.models import WebhookEndpoint

        organisations = Organisation.objects.filter(kind=OrganisationKind.PLATFORM)
        if self.organisation_slug:
            organisations = organisations.filter(slug=self.organisation_slug)
        organisation = organisations.order_by("created_at", "pk").first()
        if organisation is None:
            return None
        candidates = (
            WebhookEndpoint.objects.select_for_update()
            .filter(organisation=organisation, url=self.url)
            .order_by("created_at")
        )
        endpoint = next((e for e in candidates if e.event_types == [ENFORCEMENT_EVENT_TYPE]), None)
        if endpoint is None:
            return WebhookEndpoint.objects.create(
                organisation=organisation,
                url=self.url,
                secret=self.secret,
                event_types=[ENFORCEMENT_EVENT_TYPE],
                created_at=clock.now(),
            )
        if endpoint.secret != self.secret:
            endpoint.secret = self.secret  # the secret was rotated in the settings
            endpoint.save(update_fields=["secret"])
        return endpoint

    # --- describe ------------------------------------------------------------------------------

    def can_describe(self) -> bool:
        return bool(self.describe_url)

    def describe(self, item: ContentRef) -> ContentDescription:
        fetched_at = clock.now()
        if not self.describe_url:
            return ContentDescription.unavailable(
                item=item, source=self.name, fetched_at=fetched_at,
                error="The platform connector has no describe URL configured.",
            )
        try:
            answer = self._post_describe(item)
        except _DescribeFailed as exc:
            logger.warning("platform describe failed for %s: %s", item.key, exc)
            return ContentDescription.unavailable(item=item, source=self.name, fetched_at=fetched_at, error=str(exc))
        author = answer.author
        return ContentDescription(
            item=item,
            source=self.name,
            fetched_at=fetched_at,
            text=answer.text,
            online=answer.online,
            created_at=answer.created_at,
            author=AccountInfo(**author.model_dump()) if author is not None else None,
            reach=Reach(views=answer.reach.views, shares=answer.reach.shares),
            media=tuple(MediaInfo(kind=m.kind, url=m.url, description=m.description) for m in answer.media),
            restrictions=tuple(answer.restrictions),
        )

    def _post_describe(self, item: ContentRef) -> _DescribeIn:
        body = json.dumps(item.as_dict(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            # Wall-clock time: the platform checks the signature timestamp against its own clock.
            **webhook_headers(secret=self.secret, msg_id=f"describe_{uuid7().hex}", timestamp=timezone.now(),
                              body=body),
        }
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.describe_url, data=body.encode("utf-8"), headers=headers, method="POST"
        )
        try:
            with _opener.open(request, timeout=self.describe_timeout) as response:
                status = int(response.status)
                raw = response.read(MAX_DESCRIBE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise _DescribeFailed(f"the platform answered HTTP {exc.code}") from exc
        except TimeoutError as exc:
            raise _DescribeFailed(f"the platform did not answer within {self.describe_timeout:g} s") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise _DescribeFailed(f"cannot reach the platform: {reason}") from exc
        if status != 200:
            raise _DescribeFailed(f"the platform answered HTTP {status}")
        if len(raw) > MAX_DESCRIBE_BYTES:
            raise _DescribeFailed("the platform's answer is larger than 1 MB")
        try:
            return _DescribeIn.model_validate_json(raw)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "body"
            raise _DescribeFailed(f"the platform's answer is not a description ({where}: {first['msg']})") from exc


class _DescribeFailed(Exception):
    pass
