"""Crisis Policy Protocol: designated crises and their boost (API)."""

from ninja import Router

router = Router(tags=["crisis"])
