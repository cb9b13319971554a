"""The on-call pages: schedules, the quick override form and escalation chains, through the Django test client.

The rota is weekly, Monday 09:00 Berlin (rita, ravi, sara); at T0 (Monday
12:00 UTC, 13:00 in Berlin) rita is primary and ravi secondary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.core import clock
from trustline.oncall.models import EscalationChain, EscalationStep, Schedule, ScheduleOverride
from trustline.oncall.tests.conftest import T0

StaffClient = Callable[[User], Client]


def _override_post(schedule: Schedule, **changes: str) -> dict[str, str]:
    data = {"user": "sara", "start_at": "2026-01-05T13:00", "end_at": "2026-01-05T21:00",
            "reason": "covers for rita: ill"}
    return {**data, **changes}


def _schedule_post(**changes: str) -> dict[str, str]:
    data = {"name": "Arabic desk", "time_zone": "Africa/Khartoum", "rotation": "daily", "handoff_time": "08:00",
            "start_date": "2026-01-05", "participants": "ravi\nrita\n", "is_active": "on"}
    return {**data, **changes}


def _chain_post(chain: EscalationChain, rota: Schedule, **changes: str) -> dict[str, str]:
    data = {
        "name": chain.name, "is_default": "on", "repeat_count": "1", "repeat_delay_minutes": "10",
        "steps-TOTAL_FORMS": "3", "steps-INITIAL_FORMS": "0",
        "steps-0-target": "schedule_primary", "steps-0-schedule_id": str(rota.pk), "steps-0-delay_minutes": "0",
        "steps-1-target": "user", "steps-1-username": "lena", "steps-1-delay_minutes": "3",
        "steps-2-target": "", "steps-2-delay_minutes": "",
    }
    return {**data, **changes}


def _urls(rota: Schedule, chain: EscalationChain) -> list[str]:
    return ["/emergency/schedules/", f"/emergency/schedules/{rota.pk}/", "/emergency/schedules/new",
            f"/emergency/schedules/{rota.pk}/edit", f"/emergency/schedules/{rota.pk}/override",
            "/emergency/chains/", f"/emergency/chains/{chain.pk}/", f"/emergency/chains/{chain.pk}/edit"]


# --- Who may -------------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(rota: Schedule, chain: EscalationChain) -> None:
    client = Client()
    for url in _urls(rota, chain):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "login" in response["Location"]
    assert client.post(f"/emergency/schedules/{rota.pk}/override", _override_post(rota)).status_code == 302
    assert not ScheduleOverride.objects.exists()


def test_a_partner_gets_not_found(rota: Schedule, chain: EscalationChain, analyst_amal: User,
                                  staff_client: StaffClient) -> None:
    client = staff_client(analyst_amal)
    for url in _urls(rota, chain):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/emergency/schedules/{rota.pk}/override", _override_post(rota)).status_code == 404
    assert client.post("/emergency/schedules/new", _schedule_post()).status_code == 404
    assert not ScheduleOverride.objects.exists()
    assert Schedule.objects.count() == 1


def test_staff_without_the_lane_are_refused(rota: Schedule, chain: EscalationChain, liaison_lars: User,
                                            staff_client: StaffClient) -> None:
    client = staff_client(liaison_lars)
    for url in _urls(rota, chain):
        assert client.get(url).status_code == 403, url


def test_a_reviewer_reads_but_may_not_change(rota: Schedule, chain: EscalationChain, reviewer_rita: User,
                                             staff_client: StaffClient) -> None:
    """As in the API: oncall.view reads the rotas and chains, oncall.manage (leads, administrators) writes."""
    client = staff_client(reviewer_rita)
    with clock.frozen_at(T0):
        listing = client.get("/emergency/schedules/")
        board = client.get("/emergency/")
    assert listing.status_code == 200
    assert b"Responders" in listing.content
    assert b"/override" not in board.content  # no "someone covers" link without the right to add one
    assert client.get(f"/emergency/chains/{chain.pk}/").status_code == 200
    assert client.get(f"/emergency/schedules/{rota.pk}/override").status_code == 403
    assert client.post(f"/emergency/schedules/{rota.pk}/override", _override_post(rota)).status_code == 403
    assert client.post(f"/emergency/chains/{chain.pk}/edit", _chain_post(chain, rota)).status_code == 403
    assert client.post("/emergency/schedules/new", _schedule_post()).status_code == 403
    assert not ScheduleOverride.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="oncall.", actor=f"user:{reviewer_rita.pk}").exists()


# --- Schedules -----------------------------------------------------------------------------------------------


def test_a_lead_creates_a_schedule(rota: Schedule, lead_lena: User, staff_client: StaffClient) -> None:
    client = staff_client(lead_lena)
    assert client.get("/emergency/schedules/new").status_code == 200
    response = client.post("/emergency/schedules/new", _schedule_post())
    created = Schedule.objects.get(name="Arabic desk")
    assert response.status_code == 302
    assert response["Location"] == f"/emergency/schedules/{created.pk}/"
    assert created.time_zone == "Africa/Khartoum"
    assert created.rotation == "daily"
    assert created.handoff_time == dt.time(8, 0)
    assert [p.user.username for p in created.participants.order_by("position")] == ["ravi", "rita"]
    entry = AuditEntry.objects.filter(action="oncall.schedule_changed", target_id=str(created.pk)).order_by("id").last()
    assert entry is not None
    assert entry.actor == f"user:{lead_lena.pk}"
    assert entry.data["created"] is True


def test_a_bad_schedule_shows_field_errors_and_saves_nothing(rota: Schedule, lead_lena: User,
                                                             staff_client: StaffClient) -> None:
    client = staff_client(lead_lena)
    before = AuditEntry.objects.count()
    response = client.post("/emergency/schedules/new",
                           _schedule_post(time_zone="Mars/Olympus", participants="ravi\nnobody-here"))
    assert response.status_code == 400
    form = response.context["form"]
    assert "not an IANA time zone" in form.errors["time_zone"][0]
    assert "nobody-here" in form.errors["participants"][0]
    assert b'id="id_time_zone_error"' in response.content
    assert not Schedule.objects.filter(name="Arabic desk").exists()
    assert AuditEntry.objects.count() == before


def test_editing_a_schedule_reorders_its_participants(rota: Schedule, lead_lena: User,
                                                      staff_client: StaffClient) -> None:
    client = staff_client(lead_lena)
    page = client.get(f"/emergency/schedules/{rota.pk}/edit")
    assert page.context["form"].initial["participants"] == "rita\nravi\nsara"
    response = client.post(f"/emergency/schedules/{rota.pk}/edit", _schedule_post(
        name="Responders", time_zone="Europe/Berlin", rotation="weekly", handoff_time="09:00",
        participants="sara\nrita\nravi"))
    assert response.status_code == 302
    assert [p.user.username for p in rota.participants.order_by("position")] == ["sara", "rita", "ravi"]


def test_the_detail_shows_the_next_fourteen_days(rota: Schedule, lead_lena: User, staff_client: StaffClient) -> None:
    """Weekly Monday 09:00 Berlin from T0: rita to the 12th, ravi to the 19th, then sara, in Berlin time."""
    client = staff_client(lead_lena)
    with clock.frozen_at(T0):
        response = client.get(f"/emergency/schedules/{rota.pk}/")
    assert response.status_code == 200
    rows = [(s.on_call.primary.username, s.end) for s in response.context["segments"]]
    assert rows == [("rita", dt.datetime(2026, 1, 12, 8, 0, tzinfo=dt.UTC)),
                    ("ravi", dt.datetime(2026, 1, 19, 8, 0, tzinfo=dt.UTC)),
                    ("sara", T0 + dt.timedelta(days=14))]
    assert b"Mon 2026-01-12 09:00" in response.content  # the hand-off in the schedule's local time


# --- Overrides -----------------------------------------------------------------------------------------------


def test_the_board_links_the_override_form_for_the_person_on_call(rota: Schedule, lead_lena: User,
                                                                  staff_client: StaffClient) -> None:
    client = staff_client(lead_lena)
    with clock.frozen_at(T0):
        board = client.get("/emergency/")
        link = f"/emergency/schedules/{rota.pk}/override?covering=rita"
        assert link.encode() in board.content
        form = client.get(link)
    assert form.status_code == 200
    initial = form.context["form"].initial
    assert initial["start_at"] == dt.datetime(2026, 1, 5, 13, 0)  # now, Berlin wall clock
    assert initial["end_at"] == dt.datetime(2026, 1, 12, 9, 0)  # the end of rita's shift
    assert initial["reason"] == "covers for rita"


def test_a_lead_adds_an_override_and_the_board_shows_who_covers(rota: Schedule, lead_lena: User,
                                                                 staff_client: StaffClient) -> None:
    client = staff_client(lead_lena)
    with clock.frozen_at(T0):
        response = client.post(f"/emergency/schedules/{rota.pk}/override", _override_post(rota))
        assert response.status_code == 302
        board = client.get("/emergency/")
    override = ScheduleOverride.objects.get()
    assert override.user.username == "sara"
    # The form's times are Berlin time (UTC+1 in January), whatever the viewer's zone.
    assert override.start_at == dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
    assert override.end_at == dt.datetime(2026, 1, 5, 20, 0, tzinfo=dt.UTC)
    assert override.created_by_id == lead_lena.pk
    assert "primary sara, secondary rita" in board.content.decode()
    entry = AuditEntry.objects.filter(action="oncall.override_changed").order_by("id").last()
    assert entry is not None
    assert entry.actor == f"user:{lead_lena.pk}"
    assert entry.data["user"] == override.user_id
    assert entry.data["reason"] == "covers for rita: ill"


def test_an_override_ending_before_it_starts_saves_nothing(rota: Schedule, lead_lena: User,
                                                           staff_client: StaffClient) -> None:
    client = staff_client(lead_lena)
    before = AuditEntry.objects.count()
    with clock.frozen_at(T0):
        response = client.post(f"/emergency/schedules/{rota.pk}/override",
                               _override_post(rota, end_at="2026-01-05T11:00"))
    assert response.status_code == 400
    assert response.context["form"].errors["end_at"] == ["must be after start_at"]
    assert b'id="id_end_at_error"' in response.content
    assert not ScheduleOverride.objects.exists()
    assert AuditEntry.objects.count() == before


def test_an_unknown_person_or_a_missing_time_is_a_field_error(rota: Schedule, lead_lena: User,
                                                              staff_client: StaffClient) -> None:
    client = staff_client(lead_lena)
    response = client.post(f"/emergency/schedules/{rota.pk}/override",
                           _override_post(rota, user="amal", start_at="yesterday"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "user" in errors
    assert "start_at" in errors
    assert not ScheduleOverride.objects.exists()


def test_with_htmx_the_form_comes_back_as_a_fragment_or_a_redirect(rota: Schedule, lead_lena: User,
                                                                   staff_client: StaffClient) -> None:
    client = staff_client(lead_lena)
    url = f"/emergency/schedules/{rota.pk}/override"
    with clock.frozen_at(T0):
        bad = client.post(url, _override_post(rota, end_at="2026-01-05T11:00"), HTTP_HX_REQUEST="true")
        good = client.post(url, _override_post(rota), HTTP_HX_REQUEST="true")
    assert bad.status_code == 200  # htmx swaps only 2xx: the fragment with its errors
    assert bad.content.lstrip().startswith(b'<div id="override-panel">')
    assert b"must be after start_at" in bad.content
    assert good.status_code == 204
    assert good["HX-Redirect"] == f"/emergency/schedules/{rota.pk}/"
    assert ScheduleOverride.objects.count() == 1


def test_a_lead_removes_an_override(rota: Schedule, lead_lena: User, staff_client: StaffClient) -> None:
    client = staff_client(lead_lena)
    with clock.frozen_at(T0):
        client.post(f"/emergency/schedules/{rota.pk}/override", _override_post(rota))
        override = ScheduleOverride.objects.get()
        response = client.post(f"/emergency/schedules/{rota.pk}/overrides/{override.pk}/remove")
    assert response.status_code == 302
    assert not ScheduleOverride.objects.exists()
    assert AuditEntry.objects.filter(action="oncall.override_changed", data__deleted=True).count() == 1


# --- Escalation chains ---------------------------------------------------------------------------------------


def test_a_lead_edits_a_chain(rota: Schedule, chain: EscalationChain, lead_lena: User,
                              staff_client: StaffClient) -> None:
    client = staff_client(lead_lena)
    page = client.get(f"/emergency/chains/{chain.pk}/edit")
    assert page.status_code == 200
    assert b"keep the copy of the chain they started with" in page.content
    assert page.context["formset"].total_form_count() == 6  # four steps and two empty rows
    response = client.post(f"/emergency/chains/{chain.pk}/edit", _chain_post(chain, rota))
    assert response.status_code == 302
    steps = list(EscalationStep.objects.filter(chain=chain).order_by("position"))
    assert [(s.target, s.schedule_id, s.user_id, s.delay_minutes) for s in steps] == [
        ("schedule_primary", rota.pk, None, 0), ("user", None, lead_lena.pk, 3)]
    chain.refresh_from_db()
    assert (chain.repeat_count, chain.repeat_delay_minutes, chain.is_default) == (1, 10, True)
    entry = AuditEntry.objects.filter(action="oncall.chain_changed", target_id=str(chain.pk)).order_by("id").last()
    assert entry is not None
    assert entry.actor == f"user:{lead_lena.pk}"
    assert entry.data["created"] is False
    assert len(entry.data["steps"]) == 2
    detail = client.get(f"/emergency/chains/{chain.pk}/")
    assert b"changes only future emergencies" in detail.content


def test_a_bad_chain_step_shows_field_errors_and_saves_nothing(rota: Schedule, chain: EscalationChain,
                                                               lead_lena: User, staff_client: StaffClient) -> None:
    client = staff_client(lead_lena)
    before = (AuditEntry.objects.count(), list(EscalationStep.objects.filter(chain=chain).values_list("target")))
    # A row with a delay but no target: the form refuses it.
    response = client.post(f"/emergency/chains/{chain.pk}/edit", _chain_post(chain, rota, **{
        "steps-2-delay_minutes": "5"}))
    assert response.status_code == 400
    assert "Choose who this step pages" in response.context["formset"].forms[2].errors["target"][0]
    # A schedule step without its schedule: the service refuses it, on that row's field.
    response = client.post(f"/emergency/chains/{chain.pk}/edit", _chain_post(chain, rota, **{
        "steps-0-schedule_id": ""}))
    assert response.status_code == 400
    assert response.context["formset"].forms[0].errors["schedule_id"] == ["a schedule is required for this target"]
    assert (AuditEntry.objects.count(), list(EscalationStep.objects.filter(chain=chain).values_list("target"))) \
        == before


def test_a_lead_creates_a_chain_and_marks_it_default(rota: Schedule, chain: EscalationChain, lead_lena: User,
                                                    staff_client: StaffClient) -> None:
    client = staff_client(lead_lena)
    response = client.post("/emergency/chains/new", _chain_post(chain, rota, name="Night chain"))
    created = EscalationChain.objects.get(name="Night chain")
    assert response.status_code == 302
    assert created.is_default
    chain.refresh_from_db()
    assert not chain.is_default  # one default at a time
    listing = client.get("/emergency/chains/")
    assert b"Night chain" in listing.content


@pytest.mark.parametrize("url", ["/emergency/chains/999999/", "/emergency/schedules/999999/override"])
def test_an_unknown_id_is_not_found(url: str, lead_lena: User, staff_client: StaffClient) -> None:
    assert staff_client(lead_lena).get(url).status_code == 404


def test_add_a_step_gives_one_more_row_and_keeps_what_was_typed(rota: Schedule, chain: EscalationChain,
                                                                 lead_lena: User, staff_client: StaffClient) -> None:
    """A plain submit button (no JavaScript needed): the form comes back unsaved with one more empty row."""
    client = staff_client(lead_lena)
    url = f"/emergency/chains/{chain.pk}/edit"
    assert b'name="add_step"' in client.get(url).content
    before = (AuditEntry.objects.count(), list(EscalationStep.objects.filter(chain=chain).values_list("target")))
    response = client.post(url, _chain_post(chain, rota, name="Renamed", **{"steps-2-target": "escalation_leads",
                                                                            "add_step": "1"}))
    assert response.status_code == 200
    formset = response.context["formset"]
    assert formset.total_form_count() == 4
    assert [f.initial.get("target") for f in formset.forms] == ["schedule_primary", "user", "escalation_leads", None]
    assert formset.forms[0].initial["schedule_id"] == str(rota.pk)
    assert formset.forms[1].initial["username"] == "lena"
    assert response.context["form"].initial["name"] == "Renamed"
    assert not response.context["form"].errors and not formset.total_error_count()
    assert b'name="steps-TOTAL_FORMS" value="4"' in response.content
    assert b'name="steps-3-target"' in response.content
    # Nothing was saved by adding a row.
    assert (AuditEntry.objects.count(), list(EscalationStep.objects.filter(chain=chain).values_list("target"))) \
        == before
    chain.refresh_from_db()
    assert chain.name == "Imminent harm"
    # Then saving the re-rendered form saves every step, the added one included.
    saved = client.post(url, _chain_post(chain, rota, **{
        "steps-TOTAL_FORMS": "4", "steps-2-target": "escalation_leads", "steps-3-target": "everyone",
        "steps-3-delay_minutes": "7"}))
    assert saved.status_code == 302
    assert list(EscalationStep.objects.filter(chain=chain).order_by("position").values_list("target", flat=True)) \
        == ["schedule_primary", "user", "escalation_leads", "everyone"]


def test_no_more_rows_than_a_chain_may_have_steps(rota: Schedule, chain: EscalationChain, lead_lena: User,
                                                  staff_client: StaffClient) -> None:
    client = staff_client(lead_lena)
    response = client.post(f"/emergency/chains/{chain.pk}/edit", _chain_post(chain, rota, **{
        "steps-TOTAL_FORMS": "10", "add_step": "1"}))
    assert response.status_code == 200
    assert response.context["formset"].total_form_count() == 10
    assert b'name="add_step"' not in response.content
