"""Signals as a STIX 2.1 bundle, for peers whose tooling speaks STIX rather than our JSON.

What goes in a bundle (docs/signals.md explains the choices):

* an ``identity`` for the sharing platform (``created_by_ref`` of every
  indicator), its id derived from the organisation's slug so it is stable;
* the TLP 2.0 ``marking-definition`` objects the indicators use, with their
  fixed ids (never minted here), exactly as OASIS publishes them
  (``data/tlp2_marking_definitions.json``);
* one ``indicator`` per signal, id ``indicator--<signal id>``: a STIX
  pattern for the types STIX can express (``[url:value = '...']``,
  ``[file:hashes.MD5 = '...']``, ``[file:hashes.'SHA-256' = '...']``), and
  for the others (PDQ, URL MD5, text, trend query) ``pattern_type`` set to
  the ThreatExchange signal type name with the raw value as the pattern
  (``pattern_type`` is an open vocabulary). A withdrawn signal is
  ``revoked: true``. ``labels`` carry the category, the tags and the
  opinion (``opinion:POSITIVE_CLASS``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from pathlib import Path
from typing import Any

from trustline.accounts.models import Organisation
from trustline.signals.choices import SignalStatus, SignalType
from trustline.signals.models import Signal

DATA = Path(__file__).parent / "data"
_IDENTITY_NAMESPACE = uuid.UUID("5b1c3b0e-2f5e-4d7a-9f51-7a1f0b6f9d20")  # Trustline's: identity ids from slugs


@functools.cache
def tlp_markings() -> dict[str, dict[str, Any]]:
    """TLP level (``clear``, ``amber+strict``...) -> its published marking-definition object."""
    objects = json.loads((DATA / "tlp2_marking_definitions.json").read_text(encoding="utf-8"))
    return {next(iter(o["extensions"].values()))["tlp_2_0"]: o for o in objects}


def _timestamp(moment: dt.datetime) -> str:
    """STIX timestamps: UTC, ``Z``, millisecond precision."""
    utc = moment.astimezone(dt.UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def _quoted(value: str) -> str:
    """A STIX pattern string literal: backslash and quote escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern_of(signal: Signal) -> tuple[str, str]:
    """``(pattern_type, pattern)`` of one signal."""
    if signal.signal_type == SignalType.URL:
        return "stix", f"[url:value = {_quoted(signal.value)}]"
    if signal.signal_type == SignalType.VIDEO_MD5:
        return "stix", f"[file:hashes.MD5 = {_quoted(signal.value)}]"
    if signal.signal_type == SignalType.VIDEO_SHA256:
        return "stix", f"[file:hashes.'SHA-256' = {_quoted(signal.value)}]"
    return str(signal.signal_type), signal.value


def identity_of(organisation: Organisation | None) -> dict[str, Any]:
    slug, name = (organisation.slug, organisation.name) if organisation is not None else ("trustline", "Trustline")
    return {
        "type": "identity", "spec_version": "2.1", "id": f"identity--{uuid.uuid5(_IDENTITY_NAMESPACE, slug)}",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": name, "identity_class": "organization",
    }


def indicator_of(signal: Signal, identity_id: str) -> dict[str, Any]:
    pattern_type, pattern = pattern_of(signal)
    labels = [label for label in (signal.category, *signal.tags, f"opinion:{signal.opinion}") if label]
    indicator: dict[str, Any] = {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{signal.pk}",
        "created": _timestamp(signal.created_at), "modified": _timestamp(signal.updated_at),
        "created_by_ref": identity_id,
        "name": f"{signal.signal_type}: {signal.value[:120]}",
        "pattern_type": pattern_type, "pattern": pattern, "valid_from": _timestamp(signal.created_at),
        "labels": labels,
        "object_marking_refs": [tlp_markings()[signal.tlp]["id"]],
    }
    if signal.description:
        indicator["description"] = signal.description
    if signal.status == SignalStatus.WITHDRAWN:
        indicator["revoked"] = True
    return indicator


def bundle_of(signals: list[Signal], *, source: Organisation | None) -> dict[str, Any]:
    """A STIX 2.1 bundle of ``signals`` shared by ``source`` (markings used, then the indicators)."""
    identity = identity_of(source)
    used = sorted({s.tlp for s in signals})
    objects: list[dict[str, Any]] = [identity]
    objects += [tlp_markings()[level] for level in used]
    objects += [indicator_of(s, identity["id"]) for s in signals]
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
