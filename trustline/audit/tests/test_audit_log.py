"""Every state change writes its audit entry, in the same transaction, naming actor and target."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from trustline.accounts.choices import OrganisationKind, Role
from trustline.accounts.models import ApiKey, Membership, Organisation, User
from trustline.accounts.permissions import SYSTEM
from trustline.accounts.selectors import hash_api_key
from trustline.accounts.services import (
    apikey_create,
    apikey_revoke,
    membership_add,
    organisation_create,
    user_create,
)
from trustline.audit.choices import AuditAction
from trustline.audit.models import AuditEntry
from trustline.conftest import ApiClient, actor_of
from trustline.intake.models import Report
from trustline.partners.choices import AccreditationStatus
from trustline.partners.services import accreditation_set_status, partner_create

pytestmark = pytest.mark.django_db

Payload = Callable[..., dict[str, Any]]


def entries_for(target_type: str, target_id: object) -> list[str]:
    return list(
        AuditEntry.objects.filter(target_type=target_type, target_id=str(target_id)).values_list("action", flat=True)
    )


def new_entries(since: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(id__gt=since).order_by("id"))


def last_seq() -> int:
    """The newest entry's id (entries are numbered in the chain only when sealed)."""
    entry = AuditEntry.objects.order_by("-id").first()
    return entry.pk if entry else 0


# --------------------------------------------------------------------------------------------
# Organisations, people, keys, accreditation
# --------------------------------------------------------------------------------------------


def test_creating_an_organisation_a_person_and_a_membership_is_audited():
    organisation = organisation_create(actor=SYSTEM, name="Georgia Fact Lab", kind=OrganisationKind.PARTNER)
    user = user_create(actor=SYSTEM, username="nino", email="nino@example.org")
    membership = membership_add(actor=SYSTEM, user=user, organisation=organisation, role=Role.PARTNER_ANALYST)

    assert entries_for("accounts.organisation", organisation.pk) == [AuditAction.ORGANISATION_CREATED]
    assert entries_for("accounts.user", user.pk) == [AuditAction.USER_CREATED]
    assert entries_for("accounts.membership", membership.pk) == [AuditAction.MEMBERSHIP_ADDED]
    entry = AuditEntry.objects.get(action=AuditAction.MEMBERSHIP_ADDED)
    assert entry.actor == "system"
    assert entry.data == {"user": user.pk, "organisation": organisation.pk, "role": "partner_analyst"}


def test_adding_the_same_membership_twice_is_audited_once(analyst_amal: User, sudan_partner: Organisation):
    before = last_seq()

    membership_add(actor=SYSTEM, user=analyst_amal, organisation=sudan_partner, role=Role.PARTNER_ANALYST)

    assert new_entries(before) == []


def test_creating_a_partner_audits_the_organisation_and_its_accreditation(db: None):
    organisation = partner_create(actor=SYSTEM, name="Venezuela Rights Watch", countries=["VE"], languages=["es"])

    assert entries_for("accounts.organisation", organisation.pk) == [AuditAction.ORGANISATION_CREATED]
    accreditation = organisation.accreditation
    assert entries_for("partners.accreditation", accreditation.pk) == [AuditAction.ACCREDITATION_CHANGED]
    assert AuditEntry.objects.get(action=AuditAction.ACCREDITATION_CHANGED).data["countries"] == ["VE"]


def test_suspending_a_partner_is_audited_with_the_reason(sudan_partner: Organisation, pm_pablo: User):
    before = last_seq()

    accreditation_set_status(
        actor=actor_of(pm_pablo), organisation=sudan_partner, status=AccreditationStatus.SUSPENDED,
        reason="Accuracy review after three rejected notices",
    )

    (entry,) = new_entries(before)
    assert entry.action == AuditAction.ACCREDITATION_CHANGED
    assert (entry.target_type, entry.target_id) == ("partners.accreditation", str(sudan_partner.accreditation.pk))
    assert entry.data == {"from": "active", "status": "suspended",
                          "reason": "Accuracy review after three rejected notices"}
    assert entry.actor == f"user:{pm_pablo.pk}"
    assert entry.actor_label == "pablo"


def test_creating_and_revoking_a_key_is_audited(admin_omar: User, sudan_partner: Organisation):
    omar = actor_of(admin_omar)

    new = apikey_create(actor=omar, organisation=sudan_partner, name="Scraper")
    apikey_revoke(actor=omar, key=new.key)
    apikey_revoke(actor=omar, key=new.key)

    assert entries_for("accounts.apikey", new.key.pk) == [AuditAction.APIKEY_CREATED, AuditAction.APIKEY_REVOKED]
    created = AuditEntry.objects.get(action=AuditAction.APIKEY_CREATED, target_id=str(new.key.pk))
    assert new.raw not in str(created.data)
    assert created.organisation_id == sudan_partner.pk


def test_a_refused_change_writes_nothing(admin_omar: User, pakistan_partner: Organisation):
    before = last_seq()

    with pytest.raises(Exception, match="not found"):
        apikey_create(actor=actor_of(admin_omar), organisation=pakistan_partner, name="sneaky")

    assert new_entries(before) == []
    assert not ApiKey.objects.filter(organisation=pakistan_partner).exists()


# --------------------------------------------------------------------------------------------
# Reports, cases, bulk uploads, evidence
# --------------------------------------------------------------------------------------------


def test_a_submitted_report_and_the_case_it_opens_are_audited(
    sudan_api: ApiClient, sudan_key: str, sudan_partner: Organisation, report_payload: Payload
):
    before = last_seq()

    body = sudan_api.submit(report_payload()).json()

    case_id = body["items"][0]["case_id"]
    opened, submitted = new_entries(before)
    assert (opened.action, opened.target_type, opened.target_id) == (AuditAction.CASE_OPENED, "cases.case", case_id)
    assert (submitted.action, submitted.target_type, submitted.target_id) == (
        AuditAction.REPORT_SUBMITTED, "intake.report", body["id"],
    )
    key = ApiKey.objects.get(hashed_key=hash_api_key(sudan_key))
    assert submitted.actor == f"api_key:{key.pk}"
    assert submitted.organisation_id == sudan_partner.pk
    assert submitted.data["cases"] == [case_id]
    assert submitted.data["channel"] == "api"


def test_joining_an_existing_case_audits_the_report_only(
    sudan_api: ApiClient, pakistan_api: ApiClient, report_payload: Payload
):
    items = [{"url": "https://kite.example/posts/606", "kind": "post"}]
    sudan_api.submit(report_payload(items=items))
    before = last_seq()

    body = pakistan_api.submit(report_payload(items=items)).json()

    assert [(e.action, e.target_id) for e in new_entries(before)] == [(AuditAction.REPORT_SUBMITTED, body["id"])]


def test_an_idempotent_replay_and_a_rejected_report_write_nothing(sudan_api: ApiClient, report_payload: Payload):
    payload = report_payload()
    sudan_api.submit(payload, headers={"Idempotency-Key": "k1"})
    before = last_seq()

    sudan_api.submit(payload, headers={"Idempotency-Key": "k1"})
    sudan_api.submit(report_payload(country="XX"))

    assert new_entries(before) == []


def test_a_bulk_upload_is_audited_with_each_report(pakistan_api: ApiClient):
    csv_text = (
        "url,kind,category,explanation,country,bona_fide\r\n"
        "https://kite.example/posts/71,post,misinformation,Fabricated ballot-stuffing video.,PK,true\r\n"
        "https://kite.example/posts/72,post,misinformation,Fabricated ballot-stuffing video.,PK,true\r\n"
        "javascript:alert(1),post,misinformation,Bad row.,PK,true\r\n"
    )
    before = last_seq()

    body = pakistan_api.upload("/reports/bulk", {"file": ("march.csv", csv_text.encode(), "text/csv")}).json()

    actions = [e.action for e in new_entries(before)]
    assert actions.count(AuditAction.CASE_OPENED) == 2
    assert actions.count(AuditAction.REPORT_SUBMITTED) == 2
    bulk = AuditEntry.objects.get(action=AuditAction.BULK_UPLOADED)
    assert (bulk.target_type, bulk.target_id) == ("intake.bulk", "march.csv")
    assert bulk.data == {"rows": 3, "reports": 2, "rejected_rows": 1}
    assert {e.target_id for e in new_entries(before) if e.action == AuditAction.REPORT_SUBMITTED} == {
        r["id"] for r in body["reports"]
    }


def test_attaching_and_reading_evidence_is_audited(sudan_api: ApiClient, submitted: dict[str, Any]):
    note = b"Witness statement, translated from Arabic.\n"
    before = last_seq()

    evidence = sudan_api.upload(
        f"/reports/{submitted['id']}/evidence", {"file": ("statement.txt", note, "text/plain")}
    ).json()
    response = sudan_api.get(f"/reports/{submitted['id']}/evidence/{evidence['id']}")
    b"".join(response.streaming_content)

    added, viewed = new_entries(before)
    assert (added.action, added.target_type, added.target_id) == (
        AuditAction.EVIDENCE_ADDED, "intake.evidence", evidence["id"],
    )
    assert added.data["sha256"] == evidence["sha256"]
    assert (viewed.action, viewed.target_id) == (AuditAction.EVIDENCE_VIEWED, evidence["id"])


def test_personas_are_built_through_audited_services(
    kite: Organisation, reviewer_rita: User, sudan_partner: Organisation, analyst_amal: User
):
    assert entries_for("accounts.organisation", kite.pk) == [AuditAction.ORGANISATION_CREATED]
    assert entries_for("accounts.user", reviewer_rita.pk) == [AuditAction.USER_CREATED]
    membership = Membership.objects.get(user=analyst_amal)
    assert entries_for("accounts.membership", membership.pk) == [AuditAction.MEMBERSHIP_ADDED]
    assert Report.objects.count() == 0
