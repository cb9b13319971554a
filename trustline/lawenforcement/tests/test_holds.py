"""Legal holds: one extension only, release, expiry reminders."""

from __future__ import annotations

import datetime as dt

import pytest

from trustline.accounts.models import User
from trustline.conftest import actor_of
from trustline.core.clock import frozen_at
from trustline.core.exceptions import Conflict, NotFound
from trustline.lawenforcement.holds import hold_create, hold_extend, hold_release, holds_remind
from trustline.lawenforcement.models import LegalHold
from trustline.lawenforcement.selectors import is_on_hold
from trustline.lawenforcement.tests.conftest import T0
from trustline.notifications.models import OutboxMessage


@pytest.fixture
def hold(liaison_lucas: User) -> LegalHold:
    with frozen_at(T0):
        return hold_create(actor=actor_of(liaison_lucas), subject_kind="case", subject_value="c-1",
                           note="counsel's instruction")


def test_a_hold_extends_once_by_90_days_and_never_twice(hold: LegalHold, legal_leila: User) -> None:
    with frozen_at(T0 + dt.timedelta(days=80)):
        extended = hold_extend(actor=actor_of(legal_leila), hold_id=hold.pk)
        assert extended.expires_at == T0 + dt.timedelta(days=180)
        with pytest.raises(Conflict) as err:
            hold_extend(actor=actor_of(legal_leila), hold_id=hold.pk)
    assert err.value.code == "hold_already_extended"
    assert is_on_hold(subject_kind="case", subject_value="c-1", at=T0 + dt.timedelta(days=179))


def test_an_expired_hold_cannot_be_extended(hold: LegalHold, liaison_lucas: User) -> None:
    with frozen_at(T0 + dt.timedelta(days=91)), pytest.raises(Conflict):
        hold_extend(actor=actor_of(liaison_lucas), hold_id=hold.pk)
    assert not is_on_hold(subject_kind="case", subject_value="c-1", at=T0 + dt.timedelta(days=91))


def test_a_released_hold_no_longer_holds(hold: LegalHold, liaison_lucas: User) -> None:
    with frozen_at(T0 + dt.timedelta(days=1)):
        hold_release(actor=actor_of(liaison_lucas), hold_id=hold.pk, reason="agency withdrew the request")
        assert not is_on_hold(subject_kind="case", subject_value="c-1")


def test_liaisons_are_reminded_once_before_expiry_and_again_after_an_extension(
    hold: LegalHold, liaison_lucas: User
) -> None:
    assert holds_remind(now=T0 + dt.timedelta(days=70)) == 0
    with frozen_at(T0 + dt.timedelta(days=77)):
        assert holds_remind(now=T0 + dt.timedelta(days=77)) == 1
        assert holds_remind(now=T0 + dt.timedelta(days=78)) == 0
        hold_extend(actor=actor_of(liaison_lucas), hold_id=hold.pk)
    with frozen_at(T0 + dt.timedelta(days=170)):
        assert holds_remind(now=T0 + dt.timedelta(days=170)) == 1
    assert OutboxMessage.objects.filter(recipient=liaison_lucas.email,
                                        idempotency_key__startswith="le-hold-reminder").count() == 2


def test_partners_cannot_touch_holds(hold: LegalHold, analyst_amal: User) -> None:
    with pytest.raises(NotFound):
        hold_extend(actor=actor_of(analyst_amal), hold_id=hold.pk)
