"""DSA statements of reasons and transparency reports (API)."""

from ninja import Router

router = Router(tags=["transparency"])
