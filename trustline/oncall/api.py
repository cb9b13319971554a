"""On-call schedules, escalation chains, paging and the emergency lane (API)."""

from ninja import Router

router = Router(tags=["oncall"])
