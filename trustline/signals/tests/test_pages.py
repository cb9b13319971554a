"""The signal-exchange page and the case page's share form, as staff use them (password and code)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from trustline.accounts.models import User
from trustline.conftest import ApiClient
from trustline.console.tests.conftest import signed_in  # noqa: F401 - fixture
from trustline.core.clock import frozen_at
from trustline.signals.models import Signal
from trustline.signals.tests.conftest import T0, ViolatingCase

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]
PAGE = "/signals/"


def test_a_lead_shares_a_case_from_its_page_and_finds_it_on_the_exchange_page(
    signed_in: SignedIn, lead_lena: User, violating_case: ViolatingCase, otter_api: ApiClient,  # noqa: F811
):
    case = violating_case()
    lena = signed_in(lead_lena)
    case_page = reverse("console:case", args=[case.pk])
    assert "Share with peer platforms" in lena.get(case_page).content.decode()

    with frozen_at(T0):
        response = lena.post(reverse("signals:share_case", args=[case.pk]), {
            "tlp": "amber", "tags": "el-fasher, shelter", "description": "Calls to attack a shelter."})

    assert response.status_code == 302 and response["Location"] == case_page
    signal = Signal.objects.get()
    assert (signal.value, signal.tlp, signal.tags) == (case.canonical_url, "amber", ["el-fasher", "shelter"])
    shown = lena.get(case_page).content.decode()
    assert "Shared with peer platforms:" in shown and "Share with peer platforms</summary>" not in shown
    assert otter_api.post(f"/signals/{signal.pk}/feedback", {"opinion": "NEGATIVE_CLASS",
                                                            "note": "Satire on our side."}).status_code == 201
    page = lena.get(PAGE).content.decode()
    assert case.canonical_url in page and "TLP:AMBER" in page
    assert "Not violating (a known false positive)" in page and "Satire on our side." in page
    # Withdrawn, it may be shared again from the case.
    withdrawn = lena.post(reverse("signals:withdraw", args=[signal.pk]), {"reason": "Reversed on contest."})
    assert withdrawn.status_code == 302
    assert "Share with peer platforms</summary>" in lena.get(case_page).content.decode()


def test_a_reviewer_reads_the_page_but_is_offered_no_share_form(
    signed_in: SignedIn, reviewer_rita: User, violating_case: ViolatingCase,  # noqa: F811
):
    case = violating_case()
    rita = signed_in(reviewer_rita)

    assert "Share with peer platforms" not in rita.get(reverse("console:case", args=[case.pk])).content.decode()
    page = rita.get(PAGE)
    assert page.status_code == 200 and b"Share a value" not in page.content
    assert rita.post(reverse("signals:share_case", args=[case.pk]), {"tlp": "green"}).status_code == 302
    assert not Signal.objects.exists()  # refused, with the reason shown on the case page


def test_sharing_a_value_shows_each_bad_field_and_stores_nothing(signed_in: SignedIn, lead_lena: User):  # noqa: F811
    lena = signed_in(lead_lena)

    page = lena.post(PAGE, {"signal_type": "video_md5", "value": "not-a-hash", "category": "incitement_violence",
                            "tlp": "green"})

    assert page.status_code == 400
    assert b"field-error" in page.content and b"32 hexadecimal digits" in page.content
    assert not Signal.objects.exists()
    no_marking = lena.post(PAGE, {"signal_type": "video_md5", "value": "9E107D9D372BB6826BD81D3542A419D6",
                                  "category": "incitement_violence", "tlp": ""})
    assert no_marking.status_code == 400 and not Signal.objects.exists()
    ok = lena.post(PAGE, {"signal_type": "video_md5", "value": "9E107D9D372BB6826BD81D3542A419D6",
                          "category": "incitement_violence", "tlp": "green", "tags": "zamzam"})
    assert ok.status_code == 302
    signal = Signal.objects.get()
    assert (signal.value, signal.tags) == ("9e107d9d372bb6826bd81d3542a419d6", ["zamzam"])

    withdrawn = lena.post(reverse("signals:withdraw", args=[signal.pk]), {"reason": "Wrong file."})
    assert withdrawn.status_code == 302
    signal.refresh_from_db()
    assert (signal.status, signal.withdrawn_reason) == ("withdrawn", "Wrong file.")


def test_the_page_is_for_staff_who_see_the_exchange(
    client: Client, signed_in: SignedIn, analyst_amal: User, staff_client: SignedIn,  # noqa: F811
):
    assert client.get(PAGE).status_code == 302  # to sign in
    assert staff_client(analyst_amal).get(PAGE).status_code == 404  # a partner
