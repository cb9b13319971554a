"""Notification settings, webhook endpoints and delivery status of one organisation.

Partner admins manage their own organisation's; administrators manage the
platform team's and, with ``?organisation=<slug>``, any organisation's.
Other roles get 403; another organisation's endpoint answers 404, exactly as
one that does not exist.
"""

import uuid
from typing import Any

from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from trustline.core.types import ApiRequest
from trustline.notifications.language import email_language_of
from trustline.notifications.models import NotificationSetting, WebhookEndpoint
from trustline.notifications.schemas import (
    DeliveryFilter,
    DeliveryOut,
    NotificationSettingsIn,
    NotificationSettingsOut,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookSecretOut,
)
from trustline.notifications.selectors import notification_settings_get
from trustline.notifications.services import (
    NewWebhookSecret,
    delivery_list,
    notification_organisation_get,
    notification_settings_update,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_get,
    webhook_endpoint_rotate_secret,
)

router = Router(tags=["notifications"])

ORGANISATION_HELP = "organisation slug (administrators only; default: your own organisation)"


def settings_out(setting: NotificationSetting) -> dict[str, Any]:
    return {
        "organisation": setting.organisation.slug,
        "email_enabled": setting.email_enabled,
        "webhook_enabled": setting.webhook_enabled,
        "daily_digest_enabled": setting.daily_digest_enabled,
        "email_recipients": list(setting.email_recipients or []),
        "email_language": setting.email_language,
        "email_language_in_use": email_language_of(setting.organisation, setting),
        "updated_at": setting.updated_at,
    }


def endpoint_out(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "organisation": endpoint.organisation.slug,
        "url": endpoint.url,
        "event_types": list(endpoint.event_types or []),
        "is_active": endpoint.is_active,
        "created_at": endpoint.created_at,
        "deactivated_at": endpoint.deactivated_at,
        "deactivated_reason": endpoint.deactivated_reason,
    }


def secret_out(new: NewWebhookSecret) -> dict[str, Any]:
    return {**endpoint_out(new.endpoint), "secret": new.secret}


@router.get("/settings", response=NotificationSettingsOut, summary="How your organisation is notified")
def get_settings(request: ApiRequest, organisation: str | None = Query(None, description=ORGANISATION_HELP)) -> Any:
    org = notification_organisation_get(actor=request.auth, slug=organisation)
    return settings_out(notification_settings_get(organisation=org))


@router.put(
    "/settings",
    response=NotificationSettingsOut,
    summary="Switch e-mail, webhooks and the daily digest on or off; set the e-mail recipients and language",
    description="Fields left out stay as they are. Every change is audited.",
)
def put_settings(
    request: ApiRequest,
    payload: NotificationSettingsIn,
    organisation: str | None = Query(None, description=ORGANISATION_HELP),
) -> Any:
    org = notification_organisation_get(actor=request.auth, slug=organisation)
    setting = notification_settings_update(actor=request.auth, organisation=org, **payload.model_dump())
    return settings_out(setting)


@router.get("/webhooks", response=list[WebhookEndpointOut], summary="Your webhook endpoints (secrets are never shown)")
def list_webhooks(request: ApiRequest, organisation: str | None = Query(None, description=ORGANISATION_HELP)) -> Any:
    org = notification_organisation_get(actor=request.auth, slug=organisation)
    endpoints = WebhookEndpoint.objects.filter(organisation=org).select_related("organisation")
    return [endpoint_out(e) for e in endpoints.order_by("created_at")]


@router.post(
    "/webhooks",
    response={201: WebhookSecretOut},
    summary="Register a webhook endpoint (its signing secret is shown once)",
    description=(
        "Payloads are signed following Standard Webhooks (`webhook-id`, `webhook-timestamp`, "
        "`webhook-signature` headers); verify them with the returned `whsec_` secret. The URL must use https. "
        "`event_types` come from a fixed list (see the schema); an empty list receives every event."
    ),
)
def create_webhook(
    request: ApiRequest,
    payload: WebhookEndpointIn,
    organisation: str | None = Query(None, description=ORGANISATION_HELP),
) -> Status[dict[str, Any]]:
    org = notification_organisation_get(actor=request.auth, slug=organisation)
    new = webhook_endpoint_create(
        actor=request.auth, organisation=org, url=payload.url, event_types=[str(t) for t in payload.event_types]
    )
    return Status(201, secret_out(new))


@router.post(
    "/webhooks/{endpoint_id}/rotate-secret",
    response=WebhookSecretOut,
    summary="Replace an endpoint's signing secret (the new one is shown once)",
    description="Takes effect at once: every delivery attempt from now on, retries included, uses the new secret.",
)
def rotate_webhook_secret(request: ApiRequest, endpoint_id: uuid.UUID) -> Any:
    endpoint = webhook_endpoint_get(actor=request.auth, endpoint_id=endpoint_id)
    return secret_out(webhook_endpoint_rotate_secret(actor=request.auth, endpoint=endpoint))


@router.post(
    "/webhooks/{endpoint_id}/disable",
    response=WebhookEndpointOut,
    summary="Stop sending to an endpoint",
)
def disable_webhook(request: ApiRequest, endpoint_id: uuid.UUID) -> Any:
    endpoint = webhook_endpoint_get(actor=request.auth, endpoint_id=endpoint_id)
    return endpoint_out(webhook_endpoint_disable(actor=request.auth, endpoint=endpoint))


@router.get(
    "/deliveries",
    response=list[DeliveryOut],
    summary="Your organisation's recent e-mails and webhook calls, with delivery status",
    description=(
        "Newest first. `status` is pending, sending, failed (will retry at `next_attempt_at`), sent or dead "
        "(given up); `last_error` says why the last attempt failed."
    ),
)
@paginate(LimitOffsetPagination)
def list_deliveries(request: ApiRequest, filters: Query[DeliveryFilter]) -> Any:
    org = notification_organisation_get(actor=request.auth, slug=filters.organisation)
    messages = delivery_list(actor=request.auth, organisation=org, status=filters.status)
    return messages.defer("body", "payload")  # the list shows status, not content
