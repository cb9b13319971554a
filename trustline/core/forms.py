"""Showing a service's refusal on the web form that asked for the change.

Services raise :class:`~trustline.core.exceptions.ApplicationError` with the
problems by field path (``ValidationFailed.fields``: ``{"time_zone": [...],
"steps.0.schedule_id": [...]}``), the same paths the API answers with. A page
shows each one next to the field it is about, so the person fixes them all at
once, and a refusal that names no field (a conflict, a permission) on top of
the form: never silently.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms

from trustline.core.exceptions import ApplicationError


def split_list(raw: str | None) -> list[str]:
    """A free-text list field ("SD, SS; TD") as its items: split on commas and semicolons, trimmed, no blanks."""
    return [part.strip() for part in (raw or "").replace(";", ",").split(",") if part.strip()]


# (form, field or None for the form's own errors, text), from a path and one reason.
Placement = tuple[forms.BaseForm, str | None, str]


def errors_onto(
    form: forms.BaseForm, exc: ApplicationError, *, place: Callable[[str, str], Placement] | None = None
) -> None:
    """Put ``exc``'s problems on ``form``: each on the field its path starts with, else on the form.

    ``place(path, reason)`` sends a path somewhere else (a row of a formset)
    or rewords it ("Line 2: ..."); the field it returns is used only if that
    form has it. With no problem by field, ``exc.message`` goes on the form.
    """
    fields: dict[str, list[str]] = getattr(exc, "fields", None) or {}
    for path, reasons in fields.items():
        for reason in reasons:
            target, name, text = place(str(path), reason) if place else (form, str(path).split(".")[0], reason)
            target.add_error(name if name is not None and name in target.fields else None, text)
    if not fields:
        form.add_error(None, exc.message)
