"""Response-time metrics and partner scorecards (API)."""

from ninja import Router

router = Router(tags=["metrics"])
