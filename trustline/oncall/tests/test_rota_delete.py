"""Deleting schedules and escalation chains from the on-call pages: a confirmation page, then the rota services.

``rota`` (Responders) is paged by the default chain ``chain`` (Imminent harm), so neither may go; ``spare_desk``
and ``night_chain`` are used by nothing and may.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of, assert_error
from trustline.core import clock
from trustline.oncall.models import (
    Emergency,
    EscalationChain,
    EscalationStep,
    Schedule,
    ScheduleOverride,
    ScheduleParticipant,
)
from trustline.oncall.rota import ChainData, ScheduleData, StepData, chain_save, override_create, schedule_save
from trustline.oncall.services import emergency_resolve
from trustline.oncall.tests.conftest import T0

StaffClient = Callable[[User], Client]


@pytest.fixture
def spare_desk(reviewer_rita: User, reviewer_ravi: User) -> Schedule:
    schedule = schedule_save(actor=SYSTEM, data=ScheduleData(
        name="Spare desk", time_zone="Africa/Khartoum", start_date=dt.date(2026, 1, 5), participants=["ravi", "rita"]))
    override_create(actor=SYSTEM, schedule_id=schedule.pk, username="rita", start_at=T0,
                    end_at=T0 + dt.timedelta(hours=4), reason="swap")
    return schedule


@pytest.fixture
def night_chain(lead_lena: User) -> EscalationChain:
    return chain_save(actor=SYSTEM, data=ChainData(name="Night", steps=[
        StepData(target="user", username="lena"), StepData(target="escalation_leads", delay_minutes=5)]))


def _urls(schedule: Schedule, chain: EscalationChain) -> list[str]:
    return [f"/emergency/schedules/{schedule.pk}/delete", f"/emergency/chains/{chain.pk}/delete"]


def _state() -> tuple[Any, ...]:
    """Everything a delete could change."""
    return (sorted(Schedule.objects.values_list("name", flat=True)),
            sorted(EscalationChain.objects.values_list("name", flat=True)),
            EscalationStep.objects.count(), ScheduleParticipant.objects.count(), ScheduleOverride.objects.count(),
            AuditEntry.objects.count())


# --- Who may -------------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(spare_desk: Schedule, night_chain: EscalationChain) -> None:
    client, before = Client(), _state()
    for url in _urls(spare_desk, night_chain):
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 302, url
            assert "login" in response["Location"]
    assert _state() == before


def test_a_partner_gets_not_found(spare_desk: Schedule, night_chain: EscalationChain, analyst_amal: User,
                                  staff_client: StaffClient) -> None:
    client, before = staff_client(analyst_amal), _state()
    for url in _urls(spare_desk, night_chain):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert _state() == before


@pytest.mark.parametrize("persona", ["reviewer_rita", "liaison_lars"])
def test_staff_who_do_not_run_the_rotas_are_refused(persona: str, spare_desk: Schedule, night_chain: EscalationChain,
                                                    staff_client: StaffClient, request: pytest.FixtureRequest) -> None:
    """Reviewers read the rotas (oncall.view) but only oncall.manage deletes; liaisons do not even read them."""
    client, before = staff_client(request.getfixturevalue(persona)), _state()
    for url in _urls(spare_desk, night_chain):
        assert client.get(url).status_code == 403, url
        assert client.post(url).status_code == 403, url
    assert _state() == before
    if persona == "reviewer_rita":  # reads the chain, with no way offered to delete it
        assert b"/delete" not in client.get(f"/emergency/chains/{night_chain.pk}/").content


# --- Deleting ------------------------------------------------------------------------------------------------


def test_a_lead_deletes_an_unused_schedule_and_it_is_audited(spare_desk: Schedule, lead_lena: User,
                                                             staff_client: StaffClient) -> None:
    client = staff_client(lead_lena)
    url = f"/emergency/schedules/{spare_desk.pk}/delete"
    assert url.encode() in client.get(f"/emergency/schedules/{spare_desk.pk}/").content
    page = client.get(url)
    assert page.status_code == 200
    assert b"Delete the schedule" in page.content
    assert b"(2 people)" in page.content and b"1 overrides" in page.content
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == "/emergency/schedules/"
    assert not Schedule.objects.filter(pk=spare_desk.pk).exists()
    assert not ScheduleParticipant.objects.filter(schedule_id=spare_desk.pk).exists()
    assert not ScheduleOverride.objects.filter(schedule_id=spare_desk.pk).exists()
    entry = AuditEntry.objects.filter(action="oncall.schedule_changed", target_id=str(spare_desk.pk),
                                      data__deleted=True).get()
    assert entry.actor == f"user:{lead_lena.pk}"
    assert entry.data["name"] == "Spare desk"
    assert len(entry.data["participants"]) == 2 and entry.data["overrides"] == 1
    assert "Schedule “Spare desk” deleted." in client.get("/emergency/schedules/").content.decode()


def test_a_lead_deletes_an_unused_chain_and_it_is_audited(night_chain: EscalationChain, chain: EscalationChain,
                                                          lead_lena: User, staff_client: StaffClient) -> None:
    client = staff_client(lead_lena)
    url = f"/emergency/chains/{night_chain.pk}/delete"
    assert url.encode() in client.get(f"/emergency/chains/{night_chain.pk}/").content
    page = client.get(url)
    assert page.status_code == 200
    assert b"Its 2 steps are deleted with it" in page.content
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == "/emergency/chains/"
    assert not EscalationChain.objects.filter(pk=night_chain.pk).exists()
    assert not EscalationStep.objects.filter(chain_id=night_chain.pk).exists()
    assert EscalationChain.objects.filter(pk=chain.pk).exists()
    entry = AuditEntry.objects.filter(action="oncall.chain_changed", target_id=str(night_chain.pk),
                                      data__deleted=True).get()
    assert entry.actor == f"user:{lead_lena.pk}"
    assert [s["target"] for s in entry.data["steps"]] == ["user", "escalation_leads"]


def test_with_htmx_a_delete_answers_with_a_redirect(night_chain: EscalationChain, lead_lena: User,
                                                    staff_client: StaffClient) -> None:
    response = staff_client(lead_lena).post(f"/emergency/chains/{night_chain.pk}/delete", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/emergency/chains/"


# --- Refused: nothing changes --------------------------------------------------------------------------------


def _refused(client: Client, url: str, reason: str) -> None:
    before = _state()
    page = client.get(url)
    assert page.status_code == 200
    assert reason in page.content.decode()
    assert b"btn-danger" not in page.content  # no delete button while it cannot be deleted
    response = client.post(url)
    assert response.status_code == 409
    assert "Nothing was deleted" in response.content.decode() and reason in response.content.decode()
    assert _state() == before


def test_a_schedule_a_chain_step_pages_is_not_deleted(rota: Schedule, chain: EscalationChain, lead_lena: User,
                                                      staff_client: StaffClient) -> None:
    """A step's schedule is ``on_delete=PROTECT``: the page says which chain to change first."""
    _refused(staff_client(lead_lena), f"/emergency/schedules/{rota.pk}/delete",
             "Escalation chain steps page it (Imminent harm)")


def test_the_default_chain_is_not_deleted(chain: EscalationChain, lead_lena: User,
                                          staff_client: StaffClient) -> None:
    _refused(staff_client(lead_lena), f"/emergency/chains/{chain.pk}/delete", "It is the default chain")


def test_the_law_enforcement_chain_is_not_deleted(night_chain: EscalationChain, lead_lena: User,
                                                  staff_client: StaffClient, settings: Any) -> None:
    settings.ONCALL_LAW_ENFORCEMENT_CHAIN = "Night"
    _refused(staff_client(lead_lena), f"/emergency/chains/{night_chain.pk}/delete",
             "ONCALL_LAW_ENFORCEMENT_CHAIN names it")


def test_a_chain_and_a_schedule_an_open_emergency_pages_through_wait_until_it_closes(
    open_imminent: Callable[..., Case], rota: Schedule, chain: EscalationChain, lead_lena: User,
    staff_client: StaffClient,
) -> None:
    emergency = Emergency.objects.get(case=open_imminent())
    # No longer the default and no longer paging the rota: only the open emergency's copy still uses both.
    EscalationChain.objects.filter(pk=chain.pk).update(is_default=False)
    EscalationStep.objects.filter(chain=chain).exclude(schedule=None).delete()
    client = staff_client(lead_lena)
    _refused(client, f"/emergency/chains/{chain.pk}/delete", "An open emergency is still being paged through it")
    _refused(client, f"/emergency/schedules/{rota.pk}/delete", "An open emergency is still being paged through it")
    with clock.frozen_at(T0 + dt.timedelta(minutes=2)):
        emergency_resolve(actor=actor_of(lead_lena), emergency_id=emergency.pk, note="dealt with")
    assert client.post(f"/emergency/chains/{chain.pk}/delete").status_code == 302
    assert client.post(f"/emergency/schedules/{rota.pk}/delete").status_code == 302
    assert not EscalationChain.objects.exists() and not Schedule.objects.exists()


def test_the_api_refuses_to_delete_the_default_chain(chain: EscalationChain, lead_lena: User,
                                                     session_api: Callable[[User], ApiClient]) -> None:
    """The API's DELETE goes through the same service, so it is refused for the same reasons."""
    before, lena = _state(), session_api(lead_lena)
    response = lena.client.delete(f"/api/v1/oncall/chains/{chain.pk}", headers=lena._headers(None))
    body = assert_error(response, 409, "in_use")
    assert "default chain" in body["message"]
    assert _state() == before
