"""Outbound referrals: minimisation, second approval for personal data, sending and acknowledgement."""

from __future__ import annotations

import json
from typing import Any

import pytest

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.core.exceptions import Conflict, NotFound, ValidationFailed
from trustline.lawenforcement.models import Agency
from trustline.lawenforcement.referrals import (
    referral_acknowledge,
    referral_approve,
    referral_create,
    referral_send,
)
from trustline.lawenforcement.tests.conftest import MakeCase
from trustline.notifications.models import OutboxMessage
from trustline.platforms.snapshots import payload_sha256, snapshot_take

FACTS = "A user threatens to kill a named journalist in Khartoum tonight."


def test_a_field_not_selected_never_appears_in_the_package(
    make_case: MakeCase, sudan_police: Agency, liaison_lucas: User
) -> None:
    case = make_case(platform_id="kite-user-4711")
    referral = referral_create(
        actor=actor_of(liaison_lucas), case_id=case.pk, agency_id=sudan_police.pk, facts=FACTS,
        fields=[{"name": "category", "justification": "tells the agency what kind of harm"},
                {"name": "country", "justification": "jurisdiction"}],
    )
    text = json.dumps(referral.package)
    assert [f["name"] for f in referral.package["fields"]] == ["category", "country"]
    for absent in ("kite-user-4711", "SECRET-EXCERPT", "threatened tonight", "displaced people"):
        assert absent not in text
    assert referral.personal_data is False and referral.status == "approved"


def test_selected_personal_fields_are_included_with_their_justification(
    make_case: MakeCase, sudan_police: Agency, liaison_lucas: User
) -> None:
    case = make_case(platform_id="kite-user-4711")
    referral = referral_create(
        actor=actor_of(liaison_lucas), case_id=case.pk, agency_id=sudan_police.pk, facts=FACTS,
        fields=[{"name": "account_identifiers", "justification": "the agency must identify the account"}],
    )
    assert referral.package["fields"][0]["value"] == ["kite-user-4711"]
    assert referral.personal_data and referral.status == "awaiting_approval"
    assert "SECRET-EXCERPT" not in json.dumps(referral.package)


def test_preserved_snapshots_go_only_when_chosen_and_can_be_checked_against_their_hash(
    threat_case: Case, sudan_police: Agency, liaison_lucas: User, settings: Any
) -> None:
    settings.PLATFORM_CONNECTOR = {"BACKEND": "trustline.platforms.connectors.DemoPlatformConnector", "OPTIONS": {}}
    snapshot = snapshot_take(actor=actor_of(liaison_lucas), case_id=threat_case.pk)
    plain = referral_create(actor=actor_of(liaison_lucas), case_id=threat_case.pk, agency_id=sudan_police.pk,
                            facts=FACTS, fields=[{"name": "category", "justification": "kind of harm"}])
    assert snapshot.sha256 not in json.dumps(plain.package)

    referral = referral_create(
        actor=actor_of(liaison_lucas), case_id=threat_case.pk, agency_id=sudan_police.pk, facts=FACTS,
        fields=[{"name": "content_snapshots", "justification": "the post may be deleted before a warrant"}],
    )

    [sent] = referral.package["fields"][0]["value"]
    assert sent["sha256"] == snapshot.sha256 == payload_sha256(sent["description"])
    assert sent["description"]["text"] == snapshot.payload["text"]
    assert referral.personal_data and referral.status == "awaiting_approval"


def test_every_field_needs_a_justification(threat_case: Case, sudan_police: Agency, liaison_lucas: User) -> None:
    with pytest.raises(ValidationFailed) as err:
        referral_create(actor=actor_of(liaison_lucas), case_id=threat_case.pk, agency_id=sudan_police.pk,
                        facts=FACTS, fields=[{"name": "content_url", "justification": " "},
                                             {"name": "password", "justification": "x"}])
    assert set(err.value.fields) == {"fields.0.justification", "fields.1.name"}


def test_personal_data_needs_a_second_approval_by_someone_else(
    threat_case: Case, sudan_police: Agency, liaison_lucas: User, legal_leila: User
) -> None:
    referral = referral_create(actor=actor_of(liaison_lucas), case_id=threat_case.pk, agency_id=sudan_police.pk,
                               facts=FACTS, fields=[{"name": "content_url", "justification": "to find the post"}])
    with pytest.raises(Conflict) as err:
        referral_send(actor=actor_of(liaison_lucas), referral_id=referral.pk, channel="phone", sent_to="+249 1")
    assert err.value.code == "not_approved"
    with pytest.raises(Conflict) as err:
        referral_approve(actor=actor_of(liaison_lucas), referral_id=referral.pk)
    assert err.value.code == "same_person"
    approved = referral_approve(actor=actor_of(legal_leila), referral_id=referral.pk)
    assert approved.approved_by == legal_leila


def test_a_referral_is_sent_by_email_through_the_outbox_and_acknowledged(
    threat_case: Case, sudan_police: Agency, liaison_lucas: User
) -> None:
    duty = sudan_police.contacts.get(name="Duty desk")
    referral = referral_create(actor=actor_of(liaison_lucas), case_id=threat_case.pk, agency_id=sudan_police.pk,
                               contact_id=duty.pk, facts=FACTS,
                               fields=[{"name": "category", "justification": "kind of harm"}])
    sent = referral_send(actor=actor_of(liaison_lucas), referral_id=referral.pk, channel="email")
    assert (sent.status, sent.sent_to) == ("sent", duty.email)
    message = OutboxMessage.objects.get(idempotency_key=f"le-referral:{referral.pk}")
    assert message.recipient == duty.email and FACTS in message.body
    done = referral_acknowledge(actor=actor_of(liaison_lucas), referral_id=referral.pk,
                                acknowledgement="Case KSP-2026-311 opened")
    assert done.status == "acknowledged"


def test_partners_cannot_build_referrals(threat_case: Case, sudan_police: Agency, analyst_amal: User) -> None:
    with pytest.raises(NotFound):
        referral_create(actor=actor_of(analyst_amal), case_id=threat_case.pk, agency_id=sudan_police.pk,
                        facts=FACTS, fields=[])


def test_a_referral_links_the_review_apps_law_enforcement_flag(
    threat_case: Case, sudan_police: Agency, liaison_lucas: User, lead_lena: User
) -> None:
    from trustline.review.models import Referral
    from trustline.review.services import decision_record
    from trustline.review.validation import DecisionInput
    from trustline.triage.services import triage_pending

    triage_pending()
    decision_record(actor=actor_of(lead_lena), case_id=threat_case.pk, data=DecisionInput(
        outcome="referred_to_law_enforcement", explanation="Imminent threat: refer to the police."))
    flag = Referral.objects.get(case=threat_case, kind="law_enforcement")
    referral = referral_create(actor=actor_of(liaison_lucas), case_id=threat_case.pk, agency_id=sudan_police.pk,
                               facts=FACTS, fields=[], review_referral_id=flag.pk)
    assert referral.review_referral == flag
    with pytest.raises(ValidationFailed) as err:  # an unknown flag (or another case's) is refused
        referral_create(actor=actor_of(liaison_lucas), case_id=threat_case.pk, agency_id=sudan_police.pk, facts=FACTS,
              fields=[], review_referral_id="00000000-0000-0000-0000-000000000001")
    assert "review_referral_id" in err.value.fields
