"""Nominating, deciding, expiring and renewing protections; who sees the registry; partners are told."""

from __future__ import annotations

import datetime as dt

import pytest

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.conftest import actor_of, said_in
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from trustline.notifications.models import OutboxMessage
from trustline.protection.models import ProtectedAccount
from trustline.protection.services import nomination_renew, protection_expire_due
from trustline.protection.tests.conftest import DAY, Decide, Nominate

pytestmark = pytest.mark.django_db


def test_a_partner_nominates_an_account_which_is_canonicalised(
    analyst_amal: User, nominate: Nominate, at_t0: dt.datetime,
):
    nomination = nominate(analyst_amal, account_url="http://m.kite.example/@Amna.Journalist?utm_source=x")

    assert nomination.status == "pending"
    assert nomination.account_url == "https://kite.example/@Amna.Journalist"
    assert nomination.account_key == "url:https://kite.example/@Amna.Journalist"
    assert nomination.handle == "amna.journalist"
    assert AuditEntry.objects.filter(action="protection.nominated", target_id=str(nomination.pk)).exists()
    assert not ProtectedAccount.objects.exists()


def test_a_nomination_names_every_bad_field(analyst_amal: User, nominate: Nominate):
    with pytest.raises(ValidationFailed) as caught:
        nominate(analyst_amal, platform="Kite!", account_url="ftp://x", category="celebrity", justification=" ")

    assert set(caught.value.fields) == {"platform", "account_url", "category", "justification"}


def test_one_pending_nomination_per_partner_and_account(analyst_amal: User, nominate: Nominate):
    nominate(analyst_amal)

    with pytest.raises(Conflict):
        nominate(analyst_amal)


def test_staff_approve_with_a_reason_and_the_partner_is_told(
    analyst_amal: User, pm_pablo: User, sudan_partner: object, nominate: Nominate, decide: Decide,
    at_t0: dt.datetime,
):
    nomination = decide(pm_pablo, nominate(analyst_amal), reason="Known to our Khartoum desk.")

    assert nomination.status == "approved"
    account = ProtectedAccount.objects.get()
    assert (account.status, account.expires_at) == ("active", at_t0 + 180 * DAY)
    assert nomination.protected_until == account.expires_at
    message = OutboxMessage.objects.get(event_type="protection.nomination_decided")
    assert message.organisation_id == sudan_partner.pk  # type: ignore[attr-defined]
    # In Arabic, the language the Sudanese partner covers; the reason as staff wrote it.
    assert message.subject == said_in("ar", "Protection approved: %(account)s", account=nomination.account_url)
    assert said_in("ar", "Reason: %(reason)s", reason="Known to our Khartoum desk.") in message.body
    assert AuditEntry.objects.filter(action="protection.approved", target_id=str(nomination.pk)).exists()


def test_staff_reject_with_a_reason_and_nothing_is_protected(
    analyst_amal: User, lead_lena: User, nominate: Nominate, decide: Decide,
):
    nomination = decide(lead_lena, nominate(analyst_amal), approve=False, reason="Not the account described.")

    assert (nomination.status, nomination.reason) == ("rejected", "Not the account described.")
    assert not ProtectedAccount.objects.exists()
    message = OutboxMessage.objects.get(event_type="protection.nomination_decided")
    assert message.subject == said_in("ar", "Protection not approved: %(account)s", account=nomination.account_url)
    with pytest.raises(Conflict):
        decide(lead_lena, nomination)


def test_a_decision_needs_a_reason_and_sensible_days(analyst_amal: User, pm_pablo: User, nominate: Nominate,
                                                    decide: Decide):
    nomination = nominate(analyst_amal)

    with pytest.raises(ValidationFailed) as caught:
        decide(pm_pablo, nomination, reason="", days=0)
    assert set(caught.value.fields) == {"reason", "days"}


def test_who_may_decide(analyst_amal: User, reviewer_rita: User, auditor_aziz: User, analyst_bilal: User,
                        nominate: Nominate, decide: Decide):
    nomination = nominate(analyst_amal)

    for person in (reviewer_rita, auditor_aziz, analyst_bilal, analyst_amal):
        with pytest.raises(NotFound):  # the registry's people are invisible to them
            decide(person, nomination)


def test_staff_cannot_nominate(pm_pablo: User, nominate: Nominate):
    with pytest.raises(PermissionDenied):
        nominate(pm_pablo)


def test_protection_expires_once_and_the_partner_is_told(
    analyst_amal: User, pm_pablo: User, nominate: Nominate, decide: Decide, at_t0: dt.datetime,
):
    decide(pm_pablo, nominate(analyst_amal), days=30)

    assert protection_expire_due(now=at_t0 + 29 * DAY) == 0
    assert protection_expire_due(now=at_t0 + 30 * DAY) == 1
    assert protection_expire_due(now=at_t0 + 31 * DAY) == 0

    account = ProtectedAccount.objects.get()
    assert (account.status, account.expired_at) == ("expired", at_t0 + 30 * DAY)
    assert OutboxMessage.objects.filter(event_type="protection.expired").count() == 1
    assert AuditEntry.objects.filter(action="protection.expired", target_id=str(account.pk)).count() == 1


def test_renewal_extends_from_the_current_expiry(
    analyst_amal: User, pm_pablo: User, nominate: Nominate, decide: Decide, at_t0: dt.datetime,
):
    approved = decide(pm_pablo, nominate(analyst_amal), days=30)

    with clock.frozen_at(at_t0 + 20 * DAY):
        renewal = nomination_renew(actor=actor_of(analyst_amal), nomination_id=approved.pk,
                                   justification="Threats continue after the election.")
        assert renewal.kind == "renewal" and renewal.status == "pending"
        renewed = decide(pm_pablo, renewal, days=60)

    account = ProtectedAccount.objects.get()
    assert account.expires_at == at_t0 + 90 * DAY
    assert renewed.protected_until == account.expires_at
    assert AuditEntry.objects.filter(action="protection.renewal_requested", target_id=str(renewal.pk)).exists()
    assert OutboxMessage.objects.filter(event_type="protection.nomination_decided").count() == 2


def test_renewal_after_expiry_protects_the_same_account_again(
    analyst_amal: User, pm_pablo: User, nominate: Nominate, decide: Decide, at_t0: dt.datetime,
):
    approved = decide(pm_pablo, nominate(analyst_amal), days=10)
    protection_expire_due(now=at_t0 + 11 * DAY)

    with clock.frozen_at(at_t0 + 12 * DAY):
        renewal = nomination_renew(actor=actor_of(analyst_amal), nomination_id=approved.pk, justification="Again.")
        decide(pm_pablo, renewal, days=10)

    account = ProtectedAccount.objects.get()
    assert (account.status, account.expires_at) == ("active", at_t0 + 22 * DAY)


def test_only_the_partners_own_approved_nomination_can_be_renewed(
    analyst_amal: User, analyst_bilal: User, pm_pablo: User, nominate: Nominate, decide: Decide,
):
    pending = nominate(analyst_amal)
    with pytest.raises(Conflict):
        nomination_renew(actor=actor_of(analyst_amal), nomination_id=pending.pk, justification="x")
    approved = decide(pm_pablo, pending)
    with pytest.raises(NotFound):
        nomination_renew(actor=actor_of(analyst_bilal), nomination_id=approved.pk, justification="x")
