"""Protected people: partners' nominations of at-risk accounts (API)."""

from ninja import Router

router = Router(tags=["protection"])
