"""Standard Webhooks signing (https://www.standardwebhooks.com), through the maintained package.

A receiver verifies with any Standard Webhooks library, e.g. in Python
``standardwebhooks.Webhook(secret).verify(body, headers)``: the signature is
HMAC-SHA256 over ``"{webhook-id}.{webhook-timestamp}.{body}"`` with the
base64-decoded secret, sent as ``v1,<base64>``.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import secrets

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the spec's marker, not a secret
SECRET_BYTES = 32  # the spec asks for 24 to 64 random bytes


def webhook_secret_generate() -> str:
    """A new endpoint secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def webhook_headers(*, secret: str, msg_id: str, timestamp: dt.datetime, body: str) -> dict[str, str]:
    """The three signature headers for ``body`` (the exact string that is sent, UTF-8 encoded).

    ``timestamp`` must be the wall-clock time of this attempt: receivers
    reject timestamps more than a few minutes from their own clock, so every
    retry is signed afresh.
    """
    utc = timestamp.astimezone(dt.UTC)  # the package reads the instant as UTC without converting
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=utc, data=body)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(math.floor(utc.timestamp())),
        "webhook-signature": signature,
    }
