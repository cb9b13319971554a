"""The demo programme grows a law-enforcement channel: directory, requests, a hold and a referral."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from trustline.accounts.permissions import SYSTEM
from trustline.lawenforcement.models import Agency, Disclosure, InboundRequest, LegalHold, LeReferral
from trustline.lawenforcement.selectors import is_on_hold
from trustline.oncall.models import Emergency, PageStep
from trustline.oncall.selectors import emergency_list


@pytest.mark.django_db
def test_the_demo_has_agencies_requests_a_hold_and_a_referral() -> None:
    out = io.StringIO()
    call_command("seed_demo", "--url", "http://127.0.0.1:8030", stdout=out)
    assert set(Agency.objects.values_list("country", flat=True)) == {"SD", "PK", "US", "FR", "KE"}
    assert all(a.contacts.count() == 2 and a.status == "complete" for a in Agency.objects.all())
    assert InboundRequest.objects.filter(emergency=True, status="answered").count() == 1
    assert Disclosure.objects.count() == 1
    assert LegalHold.objects.filter(subject_value="kite-user-55102").exists()
    assert is_on_hold(subject_kind="account", subject_value="kite-user-55102")
    assert LeReferral.objects.filter(status="sent").count() == 1
    assert "Law enforcement" in out.getvalue()
    # Emergency requests go through the on-call lane: the answered one's emergency resolved with it,
    # the fresh one is on the emergency board, acknowledged by the person it paged first.
    answered = Emergency.objects.get(le_request__status="answered")
    assert answered.state == "resolved"
    fresh = Emergency.objects.get(le_request__status="received")
    assert fresh.state == "acknowledged" and fresh.owner is not None
    first = PageStep.objects.filter(emergency=fresh).order_by("sequence").first()
    assert first is not None and first.paged_user_ids == [fresh.owner.pk]
    board = emergency_list(actor=SYSTEM)
    assert fresh in board and answered not in board
