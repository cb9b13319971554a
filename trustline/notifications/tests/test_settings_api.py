"""Notification settings, webhook endpoints and delivery status through the API.

Every operation is checked for anonymous (401), another organisation (404),
a role that may not manage notifications (403) and the allowed people (200).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from trustline.accounts.choices import Role
from trustline.accounts.models import Organisation, User
from trustline.appeals.choices import EVENT_APPEAL_DECIDED, EVENT_APPEAL_RECEIVED
from trustline.audit.choices import AuditAction
from trustline.audit.models import AuditEntry
from trustline.conftest import ApiClient, assert_error, make_person
from trustline.notifications.choices import Channel, EventType, MessageStatus
from trustline.notifications.models import NotificationSetting, OutboxMessage, WebhookEndpoint
from trustline.notifications.services import notification_send, outbox_deliver_due
from trustline.notifications.tests.conftest import WebhookReceiver
from trustline.platforms.choices import ENFORCEMENT_EVENT_TYPE
from trustline.policy.choices import EVENT_FEEDBACK_RECEIVED, EVENT_POLICY_CONCLUDED
from trustline.protection.choices import EVENT_NOMINATION_DECIDED, EVENT_PROTECTION_EXPIRED
from trustline.review.telling import EVENT_DECIDED, EVENT_INFORMATION_REQUESTED
from trustline.trends.announce import EVENT as INSIGHT_EVENT

pytestmark = pytest.mark.django_db

SessionApi = Callable[[User], ApiClient]


@pytest.fixture
def admin_pervez(pakistan_partner: Organisation) -> User:
    """The Pakistan partner's admin: "another organisation" for the Sudan partner's endpoints."""
    return make_person(pakistan_partner, "pervez", "Pervez Partner-Admin", Role.PARTNER_ADMIN)


@pytest.fixture
def omar(session_api: SessionApi, admin_omar: User) -> ApiClient:
    return session_api(admin_omar)


@pytest.fixture
def strict_urls(settings: Any) -> None:
    """Production rules: https only, no local addresses."""
    settings.DEBUG = False
    settings.OUTBOX_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False


def create_endpoint(client: ApiClient, url: str = "https://hooks.sudan-monitor.example.org/trustline",
                    **extra: Any) -> dict[str, Any]:
    response = client.post("/notifications/webhooks", {"url": url, **extra})
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------


def test_a_partner_admin_reads_the_defaults_and_changes_the_settings(omar: ApiClient, sudan_partner: Organisation):
    response = omar.get("/notifications/settings")
    assert response.status_code == 200
    assert response.json() == {
        "organisation": sudan_partner.slug, "email_enabled": True, "webhook_enabled": True,
        "daily_digest_enabled": False, "email_recipients": [], "updated_at": None,
        "email_language": "", "email_language_in_use": "ar",  # the partner covers Arabic
    }

    response = omar.client.put(
        "/api/v1/notifications/settings",
        data={"daily_digest_enabled": True, "email_recipients": ["duty@sudan-monitor.example.org"]},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["daily_digest_enabled"] is True
    assert body["email_enabled"] is True  # left out, so unchanged
    assert body["email_recipients"] == ["duty@sudan-monitor.example.org"]
    entry = AuditEntry.objects.get(action=AuditAction.NOTIFICATION_SETTINGS_CHANGED)
    assert entry.target_id == str(sudan_partner.pk)
    assert entry.data["changes"]["daily_digest_enabled"] == {"from": False, "to": True}


def test_e_mails_go_to_the_configured_recipients(omar: ApiClient, sudan_partner: Organisation):
    omar.client.put("/api/v1/notifications/settings", content_type="application/json",
                    data={"email_recipients": ["duty@sudan-monitor.example.org", "lead@sudan-monitor.example.org"]})

    with transaction.atomic():
        sent = notification_send(organisation=sudan_partner, event_type="case.decided", key="case:1:decided",
                                 subject="Decided", body="We removed the post.", data={})

    assert sorted(m.recipient for m in sent) == ["duty@sudan-monitor.example.org", "lead@sudan-monitor.example.org"]


def test_a_partner_admin_chooses_the_language_of_e_mails(omar: ApiClient, sudan_partner: Organisation):
    response = omar.client.put("/api/v1/notifications/settings", content_type="application/json",
                               data={"email_language": "fr"})

    assert response.status_code == 200, response.content
    assert response.json()["email_language"] == "fr"
    assert response.json()["email_language_in_use"] == "fr"
    entry = AuditEntry.objects.get(action=AuditAction.NOTIFICATION_SETTINGS_CHANGED)
    assert entry.data["changes"] == {"email_language": {"from": "", "to": "fr"}}

    response = omar.client.put("/api/v1/notifications/settings", content_type="application/json",
                               data={"email_language": ""})  # back to the default
    assert response.json()["email_language_in_use"] == "ar"


def test_it_rejects_a_language_trustline_does_not_write_in(omar: ApiClient):
    response = omar.client.put("/api/v1/notifications/settings", content_type="application/json",
                               data={"email_language": "ur"})

    body = assert_error(response, 422, "invalid", "email_language")
    assert "en, fr, es, ar" in body["message"]
    assert not NotificationSetting.objects.exists()


def test_it_rejects_a_bad_recipient_address(omar: ApiClient):
    response = omar.client.put("/api/v1/notifications/settings", content_type="application/json",
                               data={"email_recipients": ["duty@sudan-monitor.example.org", "not-an-address"]})

    assert_error(response, 422, "invalid", "email_recipients.1")
    assert not NotificationSetting.objects.exists()


def test_settings_authorisation(api: ApiClient, session_api: SessionApi, analyst_amal: User,
                                reviewer_rita: User, admin_pervez: User, admin_ada: User,
                                sudan_partner: Organisation, sudan_key: str):
    assert_error(api.get("/notifications/settings"), 401, "unauthenticated")
    # Partner analysts (and their API keys) and reviewers do not manage notifications.
    assert_error(session_api(analyst_amal).get("/notifications/settings"), 403, "forbidden")
    assert_error(api.with_key(sudan_key).get("/notifications/settings"), 403, "forbidden")
    assert_error(session_api(reviewer_rita).get("/notifications/settings"), 403, "forbidden")
    # Another partner's admin cannot name the Sudan partner.
    pervez = session_api(admin_pervez)
    assert_error(pervez.get("/notifications/settings", {"organisation": sudan_partner.slug}), 404, "not_found")
    assert pervez.get("/notifications/settings").json()["organisation"] == "pakistan-media-watch"
    # An administrator manages the platform's own settings and, by slug, any organisation's.
    ada = session_api(admin_ada)
    assert ada.get("/notifications/settings").json()["organisation"] == "kite-trust-safety"
    response = ada.client.put(f"/api/v1/notifications/settings?organisation={sudan_partner.slug}",
                              data={"webhook_enabled": False}, content_type="application/json")
    assert response.status_code == 200
    assert NotificationSetting.objects.get(organisation=sudan_partner).webhook_enabled is False


# --------------------------------------------------------------------------------------------
# Webhook endpoints
# --------------------------------------------------------------------------------------------


def test_creating_an_endpoint_shows_the_secret_once(omar: ApiClient, sudan_partner: Organisation):
    created = create_endpoint(omar, event_types=["report.decided", "appeal.decided"])

    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == ["report.decided", "appeal.decided"]
    assert created["is_active"] is True
    listed = omar.get("/notifications/webhooks").json()
    assert [e["id"] for e in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert created["secret"] not in str(AuditEntry.objects.get(action=AuditAction.WEBHOOK_CREATED).data)


def test_rotating_the_secret_signs_later_deliveries_with_the_new_one(
    session_api: SessionApi, admin_omar: User, sudan_partner: Organisation, webhook_receiver: WebhookReceiver
):
    omar = session_api(admin_omar)
    created = create_endpoint(omar, url=webhook_receiver.url("/hooks"))
    rotated = omar.post(f"/notifications/webhooks/{created['id']}/rotate-secret")
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != created["secret"]
    webhook_receiver.secrets["/hooks"] = new_secret

    with transaction.atomic():
        notification_send(organisation=sudan_partner, event_type="case.decided", key="case:9:decided",
                          subject="Decided", body="", data={"case": "9"}, email_to=[])
    outbox_deliver_due(now=OutboxMessage.objects.get().created_at)

    assert [r.payload["data"] for r in webhook_receiver.received] == [{"case": "9"}]
    assert webhook_receiver.rejected == []
    assert AuditEntry.objects.filter(action=AuditAction.WEBHOOK_SECRET_ROTATED).count() == 1


def test_a_disabled_endpoint_gets_nothing(omar: ApiClient, sudan_partner: Organisation):
    created = create_endpoint(omar)

    response = omar.post(f"/notifications/webhooks/{created['id']}/disable")

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert "omar" in response.json()["deactivated_reason"]
    assert AuditEntry.objects.get(action=AuditAction.WEBHOOK_DISABLED).target_id == created["id"]
    with transaction.atomic():
        sent = notification_send(organisation=sudan_partner, event_type="case.decided", key="case:2:decided",
                                 subject="", body="", data={}, email_to=[])
    assert sent == []
    assert_error(omar.post(f"/notifications/webhooks/{created['id']}/rotate-secret"), 409, "conflict")


@pytest.mark.usefixtures("strict_urls")
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.org/x", "must use https"),
        ("https://localhost/x", "local"),
        ("https://10.1.2.3/x", "public address"),
        ("https://[::1]/x", "public address"),
        ("ftp://hooks.example.org/x", "http(s) URL"),
        ("https://user:pw@hooks.example.org/x", "user name"),
        ("not a url", "http(s) URL"),
    ],
)
def test_it_refuses_unsafe_webhook_urls(omar: ApiClient, url: str, reason: str):
    body = assert_error(omar.post("/notifications/webhooks", {"url": url}), 422, "invalid", "url")

    assert reason in body["fields"]["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_plain_http_to_a_local_receiver_is_allowed_in_development(omar: ApiClient, settings: Any):
    settings.DEBUG = False
    settings.OUTBOX_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True

    assert create_endpoint(omar, url="http://127.0.0.1:9000/hooks")["url"] == "http://127.0.0.1:9000/hooks"


def test_it_refuses_unknown_event_types(omar: ApiClient):
    response = omar.post("/notifications/webhooks", {"url": "https://hooks.example.org/x",
                                                      "event_types": ["report.decided", "everything.please"]})

    assert_error(response, 422, "invalid", "event_types.1")


def test_webhook_authorisation(api: ApiClient, session_api: SessionApi, admin_omar: User, analyst_amal: User,
                               admin_pervez: User, admin_ada: User, reviewer_rita: User, sudan_partner: Organisation):
    endpoint = create_endpoint(session_api(admin_omar))
    rotate, disable = (f"/notifications/webhooks/{endpoint['id']}/{op}" for op in ("rotate-secret", "disable"))
    new = {"url": "https://hooks.example.org/other"}

    for request in (lambda c: c.get("/notifications/webhooks"), lambda c: c.post("/notifications/webhooks", new),
                    lambda c: c.post(rotate), lambda c: c.post(disable)):
        assert_error(request(api), 401, "unauthenticated")
        assert_error(request(session_api(analyst_amal)), 403, "forbidden")
        assert_error(request(session_api(reviewer_rita)), 403, "forbidden")

    pervez = session_api(admin_pervez)
    assert pervez.get("/notifications/webhooks").json() == []
    assert_error(pervez.post(rotate), 404, "not_found")
    assert_error(pervez.post(disable), 404, "not_found")
    assert_error(pervez.get("/notifications/webhooks", {"organisation": sudan_partner.slug}), 404, "not_found")
    assert_error(pervez.post("/notifications/webhooks/not-a-uuid/disable"), 422, "invalid")

    ada = session_api(admin_ada)
    listed = ada.get("/notifications/webhooks", {"organisation": sudan_partner.slug})
    assert [e["id"] for e in listed.json()] == [endpoint["id"]]
    assert ada.post(disable).status_code == 200
    assert WebhookEndpoint.objects.get(pk=endpoint["id"]).is_active is False


def test_every_event_type_that_is_sent_can_be_subscribed_to():
    sent = {EVENT_APPEAL_DECIDED, EVENT_APPEAL_RECEIVED, ENFORCEMENT_EVENT_TYPE, EVENT_FEEDBACK_RECEIVED,
            EVENT_POLICY_CONCLUDED, EVENT_DECIDED, EVENT_INFORMATION_REQUESTED, "sla.breached", "sla.watchdog",
            EVENT_NOMINATION_DECIDED, EVENT_PROTECTION_EXPIRED, INSIGHT_EVENT}
    assert sent <= set(EventType.values)


# --------------------------------------------------------------------------------------------
# Delivery status
# --------------------------------------------------------------------------------------------


def test_deliveries_show_status_attempts_and_the_last_error(
    session_api: SessionApi, admin_omar: User, admin_pervez: User, sudan_partner: Organisation,
    pakistan_partner: Organisation, smtp_server: Any,
):
    with transaction.atomic():
        notification_send(organisation=sudan_partner, event_type="case.decided", key="case:3:decided",
                          subject="Decided", body="...", data={},
                          email_to=["desk@sudan-monitor.example.org", "gone@refused.example.org"])
        notification_send(organisation=pakistan_partner, event_type="case.decided", key="case:4:decided",
                          subject="Decided", body="...", data={}, email_to=["desk@pakistan.example.org"])
    outbox_deliver_due(now=max(m.created_at for m in OutboxMessage.objects.all()))

    response = session_api(admin_omar).get("/notifications/deliveries")

    assert response.status_code == 200
    rows = {row["recipient"]: row for row in response.json()["items"]}
    assert set(rows) == {"desk@sudan-monitor.example.org", "gone@refused.example.org"}
    assert rows["desk@sudan-monitor.example.org"]["status"] == MessageStatus.SENT
    refused = rows["gone@refused.example.org"]
    assert refused["status"] in {MessageStatus.FAILED, MessageStatus.DEAD}
    assert refused["attempts"] == 1 and "550" in refused["last_error"]
    assert all(row["channel"] == Channel.EMAIL for row in rows.values())
    failed = session_api(admin_omar).get("/notifications/deliveries", {"status": refused["status"]}).json()
    assert [row["recipient"] for row in failed["items"]] == ["gone@refused.example.org"]
    others = session_api(admin_pervez).get("/notifications/deliveries").json()["items"]
    assert [row["recipient"] for row in others] == ["desk@pakistan.example.org"]
