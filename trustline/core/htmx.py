"""The two answers a console form gives, the same for a plain POST and for htmx.

Forms in several areas (on-call rotas, the law-enforcement directory) are
posted either plainly or by htmx; these keep their answers the same everywhere.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


def saved_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """After a save: a plain redirect, or for htmx an ``HX-Redirect`` (htmx follows it as a full page load)."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def refused_status(request: HttpRequest) -> int:
    """A form sent back with its errors: 400, except to htmx (which swaps only 2xx answers in)."""
    return 200 if is_htmx(request) else 400
