"""The emergency detail page's hand-over and downgrade forms: who sees them, who may post them, and bad input."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.cases.models import Case
from trustline.core import clock
from trustline.oncall.choices import EmergencyState
from trustline.oncall.models import Emergency
from trustline.oncall.tests.conftest import T0

pytestmark = pytest.mark.usefixtures("chain")


def _emergency(open_imminent: Callable[..., Case]) -> Emergency:
    return Emergency.objects.get(case=open_imminent())


def _messages(response: object) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]


def _audited(emergency: Emergency, action: str) -> int:
    return AuditEntry.objects.filter(action=action, target_id=str(emergency.pk)).count()


def test_anonymous_is_sent_to_sign_in(open_imminent: Callable[..., Case]) -> None:
    emergency = _emergency(open_imminent)
    client = Client()
    for action, data in [("hand-over", {"to": "ravi"}), ("downgrade", {"reason": "satire"})]:
        response = client.post(f"/emergency/{emergency.pk}/{action}", data)
        assert response.status_code == 302
        assert "login" in response["Location"]
    emergency.refresh_from_db()
    assert emergency.state == EmergencyState.OPEN
    assert emergency.owner_id is None


def test_a_partner_gets_not_found(
    open_imminent: Callable[..., Case], analyst_amal: User, staff_client: Callable[[User], Client],
) -> None:
    emergency = _emergency(open_imminent)
    client = staff_client(analyst_amal)
    assert client.get(f"/emergency/{emergency.pk}").status_code == 404
    assert client.post(f"/emergency/{emergency.pk}/hand-over", {"to": "ravi"}).status_code == 404
    assert client.post(f"/emergency/{emergency.pk}/downgrade", {"reason": "satire"}).status_code == 404
    emergency.refresh_from_db()
    assert emergency.state == EmergencyState.OPEN


def test_a_wrong_role_is_refused(
    open_imminent: Callable[..., Case], liaison_lars: User, reviewer_rita: User, reviewer_ravi: User,
    staff_client: Callable[[User], Client],
) -> None:
    """Lars has no emergency role at all; Rita may respond but not downgrade (that is for escalation leads)."""
    emergency = _emergency(open_imminent)
    lars = staff_client(liaison_lars)
    assert lars.post(f"/emergency/{emergency.pk}/hand-over", {"to": "ravi"}).status_code == 403
    assert lars.post(f"/emergency/{emergency.pk}/downgrade", {"reason": "satire"}).status_code == 403
    rita = staff_client(reviewer_rita)
    page = rita.get(f"/emergency/{emergency.pk}")
    assert page.status_code == 200
    assert b"/hand-over" in page.content
    assert b"/downgrade" not in page.content
    assert rita.post(f"/emergency/{emergency.pk}/downgrade", {"reason": "satire"}).status_code == 403
    emergency.refresh_from_db()
    assert emergency.state == EmergencyState.OPEN
    assert _audited(emergency, "emergency.downgraded") == 0


def test_a_responder_hands_over(
    open_imminent: Callable[..., Case], reviewer_rita: User, reviewer_ravi: User,
    staff_client: Callable[[User], Client],
) -> None:
    emergency = _emergency(open_imminent)
    rita = staff_client(reviewer_rita)
    with clock.frozen_at(T0):
        response = rita.post(f"/emergency/{emergency.pk}/hand-over", {"to": "ravi", "note": "my shift ends"})
    assert response.status_code == 302
    assert response["Location"] == f"/emergency/{emergency.pk}"
    emergency.refresh_from_db()
    assert emergency.owner == reviewer_ravi
    assert emergency.state == EmergencyState.ACKNOWLEDGED  # handing over an open emergency also takes it
    assert _audited(emergency, "emergency.handed_over") == 1
    assert any("ravi" in m for m in _messages(response))


def test_a_lead_downgrades_with_a_reason(
    open_imminent: Callable[..., Case], lead_lena: User, staff_client: Callable[[User], Client],
) -> None:
    emergency = _emergency(open_imminent)
    lena = staff_client(lead_lena)
    assert b"/downgrade" in lena.get(f"/emergency/{emergency.pk}").content
    with clock.frozen_at(T0):
        response = lena.post(f"/emergency/{emergency.pk}/downgrade", {"reason": "The post is a film quote."})
    assert response.status_code == 302
    emergency.refresh_from_db()
    assert emergency.state == EmergencyState.DOWNGRADED
    assert emergency.close_reason == "The post is a film quote."
    assert _audited(emergency, "emergency.downgraded") == 1
    assert Case.objects.get(emergency=emergency).imminent_harm is False


def test_bad_input_is_a_message_and_changes_nothing(
    open_imminent: Callable[..., Case], lead_lena: User, analyst_amal: User, outsider_charlie: User,
    staff_client: Callable[[User], Client],
) -> None:
    """Each bad form comes back to the detail page with the service's message; nothing is changed or audited."""
    emergency = _emergency(open_imminent)
    lena = staff_client(lead_lena)
    not_a_responder = b"to: not a person of the platform team who may respond to emergencies"
    cases: list[tuple[str, dict[str, str], bytes]] = [
        ("downgrade", {"reason": "   "}, b"reason: required"),
        ("downgrade", {}, b"reason: required"),
        ("hand-over", {"to": ""}, not_a_responder),
        ("hand-over", {"to": "nobody-by-that-name"}, not_a_responder),
        ("hand-over", {"to": outsider_charlie.username}, not_a_responder),
        ("hand-over", {"to": analyst_amal.username}, not_a_responder),  # a partner's person, not the team
    ]
    for action, data, expected in cases:
        page = lena.post(f"/emergency/{emergency.pk}/{action}", data, follow=True)
        assert page.status_code == 200, (action, data)
        assert page.redirect_chain == [(f"/emergency/{emergency.pk}", 302)]
        assert expected in page.content, (action, data)
    emergency.refresh_from_db()
    assert emergency.state == EmergencyState.OPEN
    assert emergency.owner_id is None
    assert _audited(emergency, "emergency.downgraded") == 0
    assert _audited(emergency, "emergency.handed_over") == 0
    # A closed emergency: a second downgrade is a conflict shown as a message, not an error page.
    assert lena.post(f"/emergency/{emergency.pk}/downgrade", {"reason": "film quote"}).status_code == 302
    again = lena.post(f"/emergency/{emergency.pk}/downgrade", {"reason": "film quote"}, follow=True)
    assert again.status_code == 200
    assert b"already downgraded" in again.content
    assert _audited(emergency, "emergency.downgraded") == 1
    assert lena.post("/emergency/00000000-0000-0000-0000-000000000000/downgrade", {"reason": "x"}).status_code == 404
