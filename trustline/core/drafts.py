"""Telling the browser that a form's draft was stored (``static/trustline/drafts.js``).

Forms on weak connections keep a draft in the browser (``data-draft``). The
draft must go once the server has stored what it held, and only then, even
when the answer to the POST is lost on the way back. So a view that stored a
form's content calls :func:`draft_stored`: the form key waits in the session
and the next full page (``base.html``) names it in ``data-draft-done``,
whichever page the partner opens next. A lost redirect loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

SESSION_KEY = "trustline.drafts_stored"
KEEP = 20  # keys waiting for a page: a partner answering many questions offline, then opening none


def draft_stored(request: HttpRequest, key: str) -> None:
    """Remember that the draft ``key`` (the form's ``data-draft`` value) was stored."""
    waiting = [k for k in request.session.get(SESSION_KEY, []) if k != key]
    request.session[SESSION_KEY] = [*waiting, key][-KEEP:]


def drafts_stored_pop(request: HttpRequest) -> list[str]:
    """The keys waiting, forgotten now that a page names them."""
    if not hasattr(request, "session") or SESSION_KEY not in request.session:
        return []
    keys: list[str] = request.session.pop(SESSION_KEY)
    return keys


def drafts(request: HttpRequest) -> dict[str, Callable[[], list[str]]]:
    """Context processor: ``drafts_stored``, popped only when a template reads it.

    A callable, because templates call it only where they use it: an htmx
    partial that never reads it leaves the keys for the next full page.
    """
    return {"drafts_stored": lambda: drafts_stored_pop(request)}
