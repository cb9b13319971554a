"""A service's refusal shows on the web form that asked for the change (trustline.core.forms)."""

from __future__ import annotations

from django import forms

from trustline.core.exceptions import Conflict, ValidationFailed
from trustline.core.forms import Placement, errors_onto


class ScheduleForm(forms.Form):
    name = forms.CharField(required=False)
    time_zone = forms.CharField(required=False)


def bound() -> ScheduleForm:
    form = ScheduleForm({"name": "Khartoum nights", "time_zone": "Africa/Khartum"})
    assert form.is_valid()
    return form


def test_each_problem_goes_next_to_its_field_and_the_rest_on_top():
    form = bound()

    errors_onto(form, ValidationFailed("2 problems", fields={
        "time_zone": ["unknown time zone 'Africa/Khartum'; did you mean Africa/Khartoum?"],
        "participants.2": ["no such user 'night-reviewer'"],
    }))

    assert form.errors["time_zone"] == ["unknown time zone 'Africa/Khartum'; did you mean Africa/Khartoum?"]
    assert form.non_field_errors() == ["no such user 'night-reviewer'"]  # no such field: on top, not lost
    assert "name" not in form.errors


def test_a_dotted_path_lands_on_the_field_it_starts_with():
    form = bound()

    errors_onto(form, ValidationFailed("x", fields={"name.0": ["must not be empty"]}))

    assert form.errors["name"] == ["must not be empty"]


def test_a_refusal_that_names_no_field_is_shown_on_the_form():
    form = bound()

    errors_onto(form, Conflict("This schedule is used by the default chain; choose another default first."))

    assert form.non_field_errors() == ["This schedule is used by the default chain; choose another default first."]


def test_a_placement_can_send_a_path_to_a_row_and_reword_it():
    form, rows = bound(), [bound(), bound()]

    def place(path: str, reason: str) -> Placement:
        head, _, rest = path.partition(".")
        index, _, name = rest.partition(".")
        if head == "rows" and index.isdigit():
            return rows[int(index)], name, f"Row {int(index) + 1}: {reason}"
        return form, head, reason

    errors_onto(form, ValidationFailed("x", fields={"rows.1.time_zone": ["unknown"], "name": ["taken"]}),
                place=place)

    assert rows[1].errors["time_zone"] == ["Row 2: unknown"]
    assert not rows[0].errors
    assert form.errors["name"] == ["taken"]
