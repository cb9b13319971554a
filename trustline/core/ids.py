"""Identifiers.

Public objects (reports, items, cases) use UUIDv7: unguessable enough that ids
do not reveal another organisation's volume, and time-ordered so that new rows
land at the end of B-tree indexes instead of scattering writes.
"""

from __future__ import annotations

import uuid

import uuid_utils


def uuid7() -> uuid.UUID:
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)
