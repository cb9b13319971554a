"""The demo programme grows a law-enforcement channel: directory, requests, a hold and a referral."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from trustline.lawenforcement.models import Agency, Disclosure, InboundRequest, LegalHold, LeReferral
from trustline.lawenforcement.selectors import is_on_hold


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
