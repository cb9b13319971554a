"""Forms of the on-call pages: they shape input only; the rota services validate it and save it.

Each form's field names match the field paths of the services' ``ValidationFailed``
(``time_zone``, ``start_at``, ``steps.0.schedule_id`` ...), so ``errors_onto``
puts every problem the service found next to the field it is about. Nothing is
checked twice: a form only refuses what it cannot turn into the service's input
(a date that is not a date, a step row with fields but no target).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trustline.core.exceptions import ApplicationError
from trustline.core.forms import Placement
from trustline.core.forms import errors_onto as core_errors_onto
from trustline.oncall.choices import Rotation, StepTarget
from trustline.oncall.rota import ChainData, ScheduleData, StepData

LOCAL_DATETIME = "%Y-%m-%dT%H:%M"


def _people_choices(usernames: Iterable[str], *, blank: str | None = None) -> list[tuple[str, str]]:
    choices = [("", blank)] if blank is not None else []
    return choices + [(name, name) for name in usernames]


class ScheduleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    time_zone = forms.CharField(
        label=_("Time zone"), max_length=64, required=False,
        help_text=_("An IANA name, e.g. Africa/Khartoum or Europe/Berlin; hand-offs happen at this local time."),
    )
    rotation = forms.ChoiceField(label=_("Rotation"), choices=Rotation.choices)
    handoff_time = forms.TimeField(label=_("Hand-off time (local)"),
                                   widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    start_date = forms.DateField(
        label=_("First shift starts on"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("A local date; for a weekly rotation its weekday is the hand-off day. Empty: today."),
    )
    participants = forms.CharField(
        label=_("Participants, in rotation order"), required=False,
        widget=forms.Textarea(attrs={"rows": 5, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("One username per line: the first is primary on the first shift, the next one secondary."),
    )
    is_active = forms.BooleanField(label=_("Active (pages and shows on the board)"), required=False)

    def data_for_service(self) -> ScheduleData:
        c = self.cleaned_data
        names = [line.strip() for line in (c["participants"] or "").splitlines() if line.strip()]
        return ScheduleData(name=c["name"] or "", time_zone=(c["time_zone"] or "").strip(), rotation=c["rotation"],
                            handoff_time=c["handoff_time"], start_date=c["start_date"], participants=names,
                            is_active=c["is_active"])


class OverrideForm(forms.Form):
    """Times are local to the schedule: the view validates the form inside the schedule's time zone."""

    user = forms.ChoiceField(label=_("Who covers"))
    start_at = forms.DateTimeField(label=_("From"), input_formats=[LOCAL_DATETIME],
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_DATETIME))
    end_at = forms.DateTimeField(label=_("Until"), input_formats=[LOCAL_DATETIME],
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_DATETIME))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300,
                             help_text=_("Kept with the override and in the audit log, e.g. “covers for rita: ill”."))

    def __init__(self, *args: Any, people: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = _people_choices(people, blank="—")  # type: ignore[attr-defined]


class ChainForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    is_default = forms.BooleanField(label=_("Default chain (used for new emergencies)"), required=False)
    repeat_count = forms.IntegerField(label=_("Repeat the whole chain this many more times"), min_value=0,
                                      max_value=9)
    repeat_delay_minutes = forms.IntegerField(label=_("Minutes before each repeat"), min_value=1, max_value=1440)


class StepForm(forms.Form):
    """One step row; a row left completely empty is not a step."""

    target = forms.ChoiceField(label=_("Pages"), required=False)
    schedule_id = forms.TypedChoiceField(label=_("Schedule"), required=False, coerce=int, empty_value=None)
    username = forms.ChoiceField(label=_("Person"), required=False)
    delay_minutes = forms.IntegerField(label=_("Minutes after the previous step"), required=False, min_value=0,
                                       max_value=1440)

    def __init__(self, *args: Any, schedules: list[tuple[int, str]], people: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [("", "—"), *StepTarget.choices]  # type: ignore[attr-defined]
        self.fields["schedule_id"].choices = [  # type: ignore[attr-defined]
            ("", "—"), *[(str(pk), name) for pk, name in schedules]]
        self.fields["username"].choices = _people_choices(people, blank="—")  # type: ignore[attr-defined]

    @property
    def is_blank(self) -> bool:
        c = getattr(self, "cleaned_data", {})
        return not (c.get("target") or c.get("schedule_id") or c.get("username") or c.get("delay_minutes"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("target") and (cleaned.get("schedule_id") or cleaned.get("username")
                                          or cleaned.get("delay_minutes")):
            self.add_error("target", _("Choose who this step pages (or clear the row)."))
        return cleaned


StepFormSet = forms.formset_factory(StepForm, extra=0)


def chain_data(form: ChainForm, steps: list[StepForm]) -> ChainData:
    c = form.cleaned_data
    return ChainData(
        name=c["name"] or "", is_default=c["is_default"], repeat_count=c["repeat_count"],
        repeat_delay_minutes=c["repeat_delay_minutes"],
        steps=[StepData(target=s.cleaned_data["target"], schedule_id=s.cleaned_data["schedule_id"],
                        username=s.cleaned_data["username"] or None,
                        delay_minutes=s.cleaned_data["delay_minutes"] or 0) for s in steps],
    )


def errors_onto(form: forms.Form, exc: ApplicationError, *, rows: list[StepForm] | None = None) -> None:
    """Put a service's field problems on the matching fields (``steps.N.x`` on the N-th non-empty step row)."""

    def place(path: str, reason: str) -> Placement:
        parts = path.split(".")
        if parts[0] == "steps" and rows is not None and len(parts) >= 3 and parts[1].isdigit() \
                and int(parts[1]) < len(rows):
            return rows[int(parts[1])], parts[2], reason
        return form, parts[0], reason

    core_errors_onto(form, exc, place=place)
