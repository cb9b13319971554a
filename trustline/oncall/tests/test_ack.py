"""Acknowledge links (valid, expired, reused, for another case), responding, and what the partner sees."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.conftest import ApiClient, actor_of, assert_error
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound, ValidationFailed
from trustline.notifications.models import OutboxMessage
from trustline.notifications.services import outbox_deliver_due
from trustline.oncall.choices import EmergencyState
from trustline.oncall.models import Emergency, PageStep
from trustline.oncall.services import (
    emergency_acknowledge,
    emergency_acknowledge_by_link,
    emergency_downgrade,
    emergency_hand_over,
    emergency_resolve,
)
from trustline.oncall.tests.conftest import T0

pytestmark = pytest.mark.usefixtures("chain")


def _link_token(to: str) -> str:
    with clock.frozen_at(clock.now()):
        outbox_deliver_due(now=clock.now())
    bodies = [str(m.body) for m in mail.outbox if to in m.to]
    assert bodies, f"no page to {to}"
    found = re.search(r"/emergency/ack/([A-Za-z0-9_-]+)", bodies[-1])
    assert found is not None
    return found.group(1)


def test_a_valid_link_acknowledges_once_as_the_person_paged(
    open_imminent: Callable[..., Case], reviewer_rita: User,
) -> None:
    emergency = Emergency.objects.get(case=open_imminent())
    token = _link_token("rita@example.org")
    client = Client()
    with clock.frozen_at(T0 + dt.timedelta(minutes=3)):
        page = client.get(f"/emergency/ack/{token}")
        assert page.status_code == 200
        assert Emergency.objects.get(pk=emergency.pk).state == EmergencyState.OPEN  # GET never acknowledges
        done = client.post(f"/emergency/ack/{token}")
    assert done.status_code == 200
    emergency.refresh_from_db()
    assert emergency.state == EmergencyState.ACKNOWLEDGED
    assert emergency.acknowledged_by == reviewer_rita
    assert emergency.acknowledged_via == "link"
    assert emergency.acknowledged_at == T0 + dt.timedelta(minutes=3)
    # Reused: refused, and nothing changes.
    with clock.frozen_at(T0 + dt.timedelta(minutes=4)):
        again = client.post(f"/emergency/ack/{token}")
        assert again.status_code == 409
        with pytest.raises(Conflict) as used:
            emergency_acknowledge_by_link(token=token)
    assert used.value.code == "ack_link_used"


def test_an_expired_link_is_refused(open_imminent: Callable[..., Case]) -> None:
    emergency = Emergency.objects.get(case=open_imminent())
    token = _link_token("rita@example.org")
    with clock.frozen_at(T0 + dt.timedelta(hours=4, seconds=1)), pytest.raises(Conflict) as expired:
        emergency_acknowledge_by_link(token=token)
    assert expired.value.code == "ack_link_expired"
    assert Emergency.objects.get(pk=emergency.pk).state == EmergencyState.OPEN


def test_a_link_for_another_case_or_a_made_up_one_is_not_found(
    open_imminent: Callable[..., Case], api: ApiClient,
) -> None:
    first = Emergency.objects.get(case=open_imminent())
    token = _link_token("rita@example.org")
    other = Emergency.objects.get(case=open_imminent())
    with clock.frozen_at(T0 + dt.timedelta(minutes=1)):
        with pytest.raises(NotFound):
            emergency_acknowledge_by_link(token=token, emergency_id=other.pk)
        response = api.post(f"/oncall/emergencies/{other.pk}/acknowledge-link", {"token": token})
        assert_error(response, 404, "ack_link_invalid")
        assert_error(api.post(f"/oncall/emergencies/{other.pk}/acknowledge-link", {"token": "x" * 43}), 404,
                     "ack_link_invalid")
        assert Client().get("/emergency/ack/made-up").status_code == 404
    assert Emergency.objects.get(pk=other.pk).state == EmergencyState.OPEN
    assert Emergency.objects.get(pk=first.pk).state == EmergencyState.OPEN  # the link still works for its own
    with clock.frozen_at(T0 + dt.timedelta(minutes=1)):
        response = api.post(f"/oncall/emergencies/{first.pk}/acknowledge-link", {"token": token})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "acknowledged"


def test_the_partner_sees_that_and_when_a_person_took_the_case_never_who(
    open_imminent: Callable[..., Case], reviewer_rita: User, sudan_api: ApiClient,
) -> None:
    case = open_imminent()
    emergency = Emergency.objects.get(case=case)
    with clock.frozen_at(T0 + dt.timedelta(minutes=4)):
        emergency_acknowledge(actor=actor_of(reviewer_rita), emergency_id=emergency.pk, via="ui")
    report_id = case.items.first().report_id  # type: ignore[union-attr]
    timeline = sudan_api.get(f"/reports/{report_id}").json()["timeline"]
    taken = [e for e in timeline if e["kind"] == "emergency_acknowledged"]
    assert len(taken) == 1
    assert taken[0]["at"].startswith("2026-01-05T12:04")
    assert "rita" not in str(taken[0]).lower()


def test_hand_over_resolve_and_downgrade(
    open_imminent: Callable[..., Case], reviewer_rita: User, reviewer_ravi: User, lead_lena: User,
) -> None:
    emergency = Emergency.objects.get(case=open_imminent())
    with clock.frozen_at(T0 + dt.timedelta(minutes=1)):
        handed = emergency_hand_over(actor=actor_of(reviewer_rita), emergency_id=emergency.pk, to_username="ravi",
                                     note="I am off in 10 minutes")
    assert handed.state == EmergencyState.ACKNOWLEDGED  # handing over an open emergency also takes it
    assert handed.owner == reviewer_ravi
    told = OutboxMessage.objects.get(event_type="emergency.handover")
    assert told.recipient == "ravi@example.org" and "I am off in 10 minutes" in told.body
    with pytest.raises(ValidationFailed):
        emergency_hand_over(actor=actor_of(reviewer_ravi), emergency_id=emergency.pk, to_username="ravi")
    resolved = emergency_resolve(actor=actor_of(reviewer_ravi), emergency_id=emergency.pk, note="Platform removed it")
    assert resolved.state == EmergencyState.RESOLVED
    with pytest.raises(Conflict):
        emergency_downgrade(actor=actor_of(lead_lena), emergency_id=emergency.pk, reason="late")

    second = Emergency.objects.get(case=open_imminent())
    with pytest.raises(ValidationFailed) as no_reason:
        emergency_downgrade(actor=actor_of(lead_lena), emergency_id=second.pk, reason="  ")
    assert "reason" in no_reason.value.fields
    with clock.frozen_at(T0 + dt.timedelta(minutes=2)):
        down = emergency_downgrade(actor=actor_of(lead_lena), emergency_id=second.pk,
                                   reason="Old video, the event is over")
    assert down.state == EmergencyState.DOWNGRADED
    case = Case.objects.get(emergency=second)
    assert case.imminent_harm is False
    assert case.sla_policy_snapshot["applies_to"] != "imminent"  # re-tiered with the ordinary policy
    assert not PageStep.objects.filter(emergency=second, fired_at__isnull=True, cancelled_at__isnull=True).exists()
