"""The connector interface contract, checked against each built-in connector, and action validation."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from trustline.accounts.models import Organisation
from trustline.core import clock
from trustline.core.exceptions import ValidationFailed
from trustline.platforms.choices import ActionType, OutcomeStatus
from trustline.platforms.connectors import (
    ActionOutcome,
    ContentDescription,
    ContentRef,
    DemoPlatformConnector,
    EnforcementAction,
    ManualConnector,
    PlatformConnector,
    WebhookConnector,
    get_connector,
)
from trustline.platforms.tests.conftest import (
    DEMO_BACKEND,
    HALFAYA_POST,
    MANUAL_BACKEND,
    WEBHOOK_BACKEND,
    FakePlatform,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
REF = ContentRef(url=HALFAYA_POST, kind="post")


@pytest.fixture
def frozen() -> Iterator[dt.datetime]:
    with clock.frozen_at(NOW):
        yield NOW


@pytest.fixture(params=["manual", "webhook", "demo"])
def connector(request: pytest.FixtureRequest, kite: Organisation) -> PlatformConnector:
    """Each built-in connector, the webhook one talking to a fake platform."""
    if request.param == "manual":
        return ManualConnector()
    if request.param == "demo":
        return DemoPlatformConnector()
    platform: FakePlatform = request.getfixturevalue("fake_platform")
    platform.describe_body = {"text": "a post", "online": True}
    request.getfixturevalue("settings").OUTBOX_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    return WebhookConnector(**platform.options())


def make_action(action_type: ActionType, key: str) -> EnforcementAction:
    extra: dict[str, Any] = {}
    if action_type == ActionType.GEO_RESTRICT:
        extra["territorial_scope"] = ("de", "FR")
    if action_type == ActionType.LABEL:
        extra["label"] = "Misleading: the photo is from 2019"
    if action_type == ActionType.REINSTATE:
        extra.update(reverses_key="contract:remove", reverses_type="remove")
    return EnforcementAction(action_type=action_type, target=REF, case_id="case-1", idempotency_key=key, **extra)


def test_describe_answers_with_a_snapshot_that_names_its_source(connector: PlatformConnector, frozen: dt.datetime):
    description = connector.describe(REF)

    assert isinstance(description, ContentDescription)
    assert description.item == REF
    assert description.source.split(":")[0] == connector.name
    assert description.fetched_at == NOW
    assert description.available or description.error


@pytest.mark.parametrize("action_type", list(ActionType))
def test_apply_answers_an_outcome_and_the_same_key_twice_gives_the_same_outcome(
    connector: PlatformConnector, action_type: ActionType
):
    action = make_action(action_type, key=f"contract:{action_type}")
    action.validate()

    with transaction.atomic():  # the webhook connector writes to the outbox inside the caller's transaction
        first = connector.apply(action)
        again = connector.apply(action)

    assert isinstance(first, ActionOutcome)
    assert first.status in OutcomeStatus.values
    assert (again.status, again.reference) == (first.status, first.reference)
    if action_type == ActionType.NO_ACTION:
        assert first.status == OutcomeStatus.DONE
    else:
        expected = {"manual": OutcomeStatus.PENDING_CONFIRMATION, "webhook": OutcomeStatus.QUEUED,
                    "demo": OutcomeStatus.DONE}[connector.name]
        assert first.status == expected
        assert first.message


def test_the_connector_in_force_comes_from_settings(settings: Any, fake_platform: FakePlatform):
    settings.PLATFORM_CONNECTOR = {"BACKEND": WEBHOOK_BACKEND, "OPTIONS": fake_platform.options()}
    webhook = get_connector()
    assert isinstance(webhook, WebhookConnector)
    assert webhook.describe_url == fake_platform.url("/describe")
    assert get_connector() is webhook  # built once per configuration

    settings.PLATFORM_CONNECTOR = {"BACKEND": MANUAL_BACKEND}
    assert isinstance(get_connector(), ManualConnector)


@pytest.mark.parametrize(("debug", "expected"), [(True, DemoPlatformConnector), (False, ManualConnector)])
def test_without_a_setting_it_is_the_demo_platform_only_in_debug(
    settings: Any, debug: bool, expected: type[PlatformConnector]
):
    del settings.PLATFORM_CONNECTOR
    settings.DEBUG = debug
    assert isinstance(get_connector(), expected)


@pytest.mark.parametrize(
    ("config", "complaint"),
    [
        ({"BACKEND": "trustline.platforms.connectors.Nope"}, "cannot be imported"),
        ({"BACKEND": "trustline.platforms.connectors.ContentRef"}, "not a PlatformConnector"),
        ({"BACKEND": DEMO_BACKEND, "OPTIONS": {"URL": "x"}}, "unknown option"),
        ({"BACKEND": WEBHOOK_BACKEND, "OPTIONS": {"SECRET": "whsec_abc"}}, "needs OPTIONS URL"),
        ({"BACKEND": WEBHOOK_BACKEND, "OPTIONS": {"URL": "https://p.example/e", "SECRET": "hunter2"}}, "whsec_"),
        ({"BACKEND": WEBHOOK_BACKEND, "OPTIONS": {"URL": "ftp://p.example/e", "SECRET": "whsec_abc"}}, "http"),
    ],
)
def test_a_misconfigured_connector_is_refused_with_the_reason(settings: Any, config: dict[str, Any], complaint: str):
    settings.PLATFORM_CONNECTOR = config
    with pytest.raises(ImproperlyConfigured, match=complaint):
        get_connector()


# --------------------------------------------------------------------------------------------
# EnforcementAction
# --------------------------------------------------------------------------------------------


def test_an_action_is_normalised_when_created():
    action = make_action(ActionType.GEO_RESTRICT, key="k:1")
    assert action.action_type is ActionType.GEO_RESTRICT
    assert action.territorial_scope == ("DE", "FR")
    assert action.as_payload()["territorial_scope"] == ["DE", "FR"]
    assert action.as_payload()["target"] == {"url": HALFAYA_POST, "platform_id": "", "kind": "post"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"action_type": "delete_everything"}, "action_type"),
        ({"target": ContentRef()}, "target"),
        ({"idempotency_key": "has a space"}, "idempotency_key"),
        ({"idempotency_key": "k" * 201}, "idempotency_key"),
        ({"action_type": ActionType.GEO_RESTRICT, "territorial_scope": ()}, "territorial_scope"),
        ({"action_type": ActionType.GEO_RESTRICT, "territorial_scope": ("DE", "XX")}, "territorial_scope"),
        ({"action_type": ActionType.REMOVE, "territorial_scope": ("DE",)}, "territorial_scope"),
        ({"action_type": ActionType.LABEL, "label": "   "}, "label"),
        ({"action_type": ActionType.LABEL, "label": "x" * 201}, "label"),
        ({"action_type": ActionType.REMOVE, "label": "False"}, "label"),
        ({"policy_code": "p" * 65}, "policy_code"),
    ],
)
def test_an_invalid_action_is_refused_naming_the_field(change: dict[str, Any], field: str):
    action = dataclasses.replace(make_action(ActionType.REMOVE, key="k:2"), **change)
    with pytest.raises(ValidationFailed) as caught:
        action.validate()
    assert field in caught.value.fields


def test_connectors_take_and_return_plain_values(connector: PlatformConnector, frozen: dt.datetime):
    """No ORM object crosses the interface: the description serialises to plain JSON types."""
    data = connector.describe(REF).as_dict()

    def plain(value: Any) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list | tuple):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, str | int | float | bool | dt.datetime)

    assert plain(data)

