"""Directory pages: add and change agencies and their contacts, and set an agency's status.

Thin, like every view: reads go through the area's selectors, every write
through the directory services (which check ``le_directory.manage``, validate,
audit, in one transaction), and a service's field problems come back onto the
form (``forms.errors_onto``). Who may do what is the API's rule: partners get
404 (``le_require`` raises NotFound, ``portal_view`` maps it), staff without
``le_directory.manage`` 403, before anything is read.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from trustline.accounts.permissions import Actor, Perm
from trustline.accounts.views import portal_view
from trustline.core.exceptions import ApplicationError
from trustline.core.htmx import refused_status, saved_redirect
from trustline.lawenforcement import directory
from trustline.lawenforcement import selectors as sel
from trustline.lawenforcement.forms import AgencyForm, ContactForm, errors_onto
from trustline.lawenforcement.permissions import le_require


@require_http_methods(["GET", "POST"])
@portal_view
def agency_edit(request: HttpRequest, actor: Actor, agency_id: str | None = None) -> HttpResponse:
    """Add (no id) or change an agency; a new one is a draft until it has two contacts and is marked complete."""
    le_require(actor, Perm.LE_DIRECTORY_MANAGE)
    agency = sel.agency_get(actor=actor, agency_id=agency_id) if agency_id is not None else None
    status = 200
    if request.method == "POST":
        form = AgencyForm(request.POST)
        if form.is_valid():
            try:
                if agency is None:
                    saved = directory.agency_create(actor=actor, data=form.data_for_service())
                else:
                    saved = directory.agency_update(actor=actor, agency_id=agency.pk, data=form.data_for_service())
            except ApplicationError as exc:
                errors_onto(form, exc)
            else:
                messages.success(request, _("Agency saved."))
                return saved_redirect(request, reverse("lawenforcement:agency", args=[saved.pk]))
        status = refused_status(request)
    else:
        form = AgencyForm(initial=AgencyForm.initial_of(agency) if agency is not None else {})
    return render(request, "lawenforcement/agency_form.html", {"form": form, "agency": agency}, status=status)


@require_POST
@portal_view
def agency_status(request: HttpRequest, actor: Actor, agency_id: str) -> HttpResponse:
    """Mark the agency complete (the service insists on two active contacts), back to draft, or retired."""
    le_require(actor, Perm.LE_DIRECTORY_MANAGE)
    agency = sel.agency_get(actor=actor, agency_id=agency_id)
    try:
        directory.agency_set_status(actor=actor, agency_id=agency.pk, status=request.POST.get("status", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Status changed."))
    return redirect("lawenforcement:agency", agency_id=agency.pk)


@require_http_methods(["GET", "POST"])
@portal_view
def contact_new(request: HttpRequest, actor: Actor, agency_id: str) -> HttpResponse:
    le_require(actor, Perm.LE_DIRECTORY_MANAGE)
    agency = sel.agency_get(actor=actor, agency_id=agency_id)
    status = 200
    if request.method == "POST":
        form = ContactForm(request.POST, editing=False)
        if form.is_valid():
            try:
                directory.contact_add(actor=actor, agency_id=agency.pk, data=form.data_for_service())
            except ApplicationError as exc:
                errors_onto(form, exc)
            else:
                messages.success(request, _("Contact added."))
                return saved_redirect(request, reverse("lawenforcement:agency", args=[agency.pk]))
        status = refused_status(request)
    else:
        form = ContactForm(editing=False, initial={"public_fields": ["role", "phone", "emergency_line"]})
    return render(request, "lawenforcement/contact_form.html", {"form": form, "agency": agency, "contact": None},
                  status=status)


@require_http_methods(["GET", "POST"])
@portal_view
def contact_edit(request: HttpRequest, actor: Actor, contact_id: str) -> HttpResponse:
    """Change a contact, or deactivate it (a complete agency keeps at least two active ones: the service says so)."""
    le_require(actor, Perm.LE_DIRECTORY_MANAGE)
    contact = sel.contact_get(actor=actor, contact_id=contact_id)
    status = 200
    if request.method == "POST":
        form = ContactForm(request.POST, editing=True)
        if form.is_valid():
            try:
                directory.contact_update(actor=actor, contact_id=contact.pk, data=form.data_for_service(),
                                         active=form.cleaned_data["active"])
            except ApplicationError as exc:
                errors_onto(form, exc)
            else:
                messages.success(request, _("Contact saved."))
                return saved_redirect(request, reverse("lawenforcement:agency", args=[contact.agency_id]))
        status = refused_status(request)
    else:
        form = ContactForm(editing=True, initial=ContactForm.initial_of(contact))
    return render(request, "lawenforcement/contact_form.html",
                  {"form": form, "agency": contact.agency, "contact": contact}, status=status)
