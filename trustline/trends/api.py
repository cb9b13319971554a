"""Spike detection, incident clustering and insight reports (API)."""

from ninja import Router

router = Router(tags=["trends"])
