"""Typed access to the ``ENFORCEMENT_RETRY`` settings, with the defaults documented in ``trustline/settings.py``.

* ``BACKOFF_SECONDS``: the wait before each retry of a failed action, in
  order (default 1 min, 5 min, 30 min, 2 h, 12 h); when there are more
  attempts than waits, the last wait repeats.
* ``MAX_ATTEMPTS``: connector calls in all, the first one included
  (default 6: the first call and five retries). After the last, the action
  stays ``failed`` and the escalation leads and the case's reviewer are told.
* ``REQUESTED_GRACE_SECONDS``: how long a record may sit in ``requested``
  (the connector is being called) before the sweeper drives it again
  (default 300); also the lease a retry holds while it calls the connector.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "BACKOFF_SECONDS": [60, 300, 1800, 7200, 43200],
    "MAX_ATTEMPTS": 6,
    "REQUESTED_GRACE_SECONDS": 300,
}


@dataclasses.dataclass(frozen=True)
class RetrySettings:
    backoff: tuple[dt.timedelta, ...]
    max_attempts: int
    requested_grace: dt.timedelta

    def next_attempt_at(self, *, attempts: int, now: dt.datetime) -> dt.datetime | None:
        """When to call the connector again after ``attempts`` calls failed; ``None``: give up."""
        if attempts >= self.max_attempts:
            return None
        return now + self.backoff[min(max(attempts, 1), len(self.backoff)) - 1]


def retry_settings() -> RetrySettings:
    """Read ``settings.ENFORCEMENT_RETRY`` each call (tests override it), falling back to :data:`DEFAULTS`."""
    raw: dict[str, Any] = {**DEFAULTS, **getattr(settings, "ENFORCEMENT_RETRY", {})}
    backoff = tuple(dt.timedelta(seconds=int(s)) for s in raw["BACKOFF_SECONDS"])
    if not backoff or any(wait <= dt.timedelta(0) for wait in backoff):
        raise ValueError("ENFORCEMENT_RETRY['BACKOFF_SECONDS'] must list positive waits")
    max_attempts = int(raw["MAX_ATTEMPTS"])
    if max_attempts < 1:
        raise ValueError("ENFORCEMENT_RETRY['MAX_ATTEMPTS'] must be at least 1")
    grace = int(raw["REQUESTED_GRACE_SECONDS"])
    if grace <= 0:
        raise ValueError("ENFORCEMENT_RETRY['REQUESTED_GRACE_SECONDS'] must be positive")
    return RetrySettings(backoff=backoff, max_attempts=max_attempts, requested_grace=dt.timedelta(seconds=grace))
