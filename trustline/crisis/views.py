"""Crisis pages for staff: the list (with a designation form for programme managers) and the crisis view.

Thin: the same selectors and services as the API. The figures panel is an
htmx fragment: switching between hourly and daily volume swaps only it.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trustline.accounts.permissions import Actor, Perm
from trustline.accounts.views import portal_view
from trustline.core import clock
from trustline.core.exceptions import Conflict, ValidationFailed
from trustline.core.forms import split_list
from trustline.crisis.choices import LEVEL_BOOST
from trustline.crisis.selectors import crisis_get, crisis_list
from trustline.crisis.services import CrisisInput, crisis_designate, crisis_end, tag_for
from trustline.crisis.stats import Bucket, crisis_figures


@require_http_methods(["GET", "POST"])
@portal_view
def crisis_index(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Every crisis (active, scheduled, past); programme managers designate one with the form."""
    crises = list(crisis_list(actor=actor))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            level = int(request.POST.get("level") or 0)
        except ValueError:
            level = 0
        try:
            ends = request.POST.get("ends_at") or ""
            crisis = crisis_designate(actor=actor, data=CrisisInput(
                name=request.POST.get("name", ""), countries=split_list(request.POST.get("countries", "")),
                regions=split_list(request.POST.get("regions", "")),
                languages=split_list(request.POST.get("languages", "")),
                categories=split_list(request.POST.get("categories", "")), level=level,
                ends_at=dt.datetime.fromisoformat(ends).replace(tzinfo=dt.UTC) if ends else None,
                notes=request.POST.get("notes", ""),
            ))
        except ValidationFailed as exc:
            errors = exc.fields
        except ValueError:
            errors = {"ends_at": ["use YYYY-MM-DDTHH:MM (UTC)"]}
        else:
            messages.success(request, _("Crisis “%(name)s” designated; its cases are being re-scored.")
                             % {"name": crisis.name})
            return redirect("crisis:detail", crisis_id=crisis.pk)
    now = clock.now()
    rows = [{"crisis": c, "state": c.state_at(now), "tag": tag_for(c)} for c in crises]
    return render(request, "crisis/index.html", {
        "rows": rows, "can_manage": actor.has(Perm.CRISIS_MANAGE), "errors": errors, "form": request.POST,
    }, status=422 if errors else 200)


@require_GET
@portal_view
def crisis_detail(request: HttpRequest, actor: Actor, crisis_id: str) -> HttpResponse:
    """The crisis view; an htmx request (bucket switch) gets only the figures panel."""
    crisis = crisis_get(actor=actor, crisis_id=crisis_id)
    bucket: Bucket = "hour" if request.GET.get("bucket") == "hour" else "day"
    note = ""
    try:
        figures = crisis_figures(crisis=crisis, bucket=bucket)
    except ValidationFailed as exc:
        bucket, note = "day", exc.message
        figures = crisis_figures(crisis=crisis, bucket=bucket)
    context = {"note": note, "crisis": crisis, "figures": figures, "bucket": bucket,
               "state": crisis.state_at(clock.now()), "tag": tag_for(crisis), "boost": LEVEL_BOOST.get(crisis.level, 0),
               "can_manage": actor.has(Perm.CRISIS_MANAGE)}
    if request.headers.get("HX-Request"):
        return render(request, "crisis/partials/figures.html", context)
    return render(request, "crisis/detail.html", context)


@require_POST
@portal_view
def crisis_end_view(request: HttpRequest, actor: Actor, crisis_id: str) -> HttpResponse:
    try:
        crisis = crisis_end(actor=actor, crisis_id=crisis_id, reason=request.POST.get("reason", ""))
    except (Conflict, ValidationFailed) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Crisis “%(name)s” ended; its cases lose the boost.") % {"name": crisis.name})
    return redirect("crisis:detail", crisis_id=crisis_id)
