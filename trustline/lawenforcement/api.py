"""Law-enforcement directory, requests, referrals and NCMEC reports (API)."""

from ninja import Router

router = Router(tags=["lawenforcement"])
