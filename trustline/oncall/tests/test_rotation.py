"""Who is on call: rotations in local time, across time zones and DST changes, with overrides."""

from __future__ import annotations

import datetime as dt

import pytest

from trustline.accounts.models import User
from trustline.accounts.permissions import SYSTEM
from trustline.conftest import actor_of
from trustline.core.exceptions import ValidationFailed
from trustline.oncall.models import Schedule
from trustline.oncall.rota import ScheduleData, override_create, schedule_save
from trustline.oncall.rotation import oncall_now

UTC = dt.UTC


def _names(schedule: Schedule, at: dt.datetime) -> tuple[str | None, str | None]:
    on = oncall_now(schedule, at)
    return (on.primary.username if on.primary else None, on.secondary.username if on.secondary else None)


def _daily(zone: str, hand_off: dt.time = dt.time(9, 0), start: dt.date = dt.date(2026, 3, 1)) -> Schedule:
    return schedule_save(actor=SYSTEM, data=ScheduleData(
        name=f"daily {zone}", time_zone=zone, rotation="daily", handoff_time=hand_off, start_date=start,
        participants=["rita", "ravi", "sara"],
    ))


def test_it_rotates_weekly_at_the_local_hand_off(rota: Schedule) -> None:
    # Berlin is UTC+1 in January: the Monday 09:00 hand-off is 08:00 UTC.
    assert _names(rota, dt.datetime(2026, 1, 5, 8, 0, tzinfo=UTC)) == ("rita", "ravi")
    assert _names(rota, dt.datetime(2026, 1, 12, 7, 59, tzinfo=UTC)) == ("rita", "ravi")
    assert _names(rota, dt.datetime(2026, 1, 12, 8, 0, tzinfo=UTC)) == ("ravi", "sara")
    assert _names(rota, dt.datetime(2026, 1, 19, 8, 0, tzinfo=UTC)) == ("sara", "rita")
    assert _names(rota, dt.datetime(2026, 1, 26, 8, 0, tzinfo=UTC)) == ("rita", "ravi")
    # Before the first shift the rotation runs backwards consistently.
    assert _names(rota, dt.datetime(2026, 1, 5, 7, 59, tzinfo=UTC)) == ("sara", "rita")


@pytest.mark.usefixtures("reviewer_rita", "reviewer_ravi", "reviewer_sara")
def test_it_hands_off_at_local_time_in_different_time_zones() -> None:
    tokyo = _daily("Asia/Tokyo")  # UTC+9, no DST
    la = _daily("America/Los_Angeles")  # UTC-8 in March before the change
    # 2026-03-02 09:00 in Tokyo = 00:00 UTC: the second shift starts.
    assert _names(tokyo, dt.datetime(2026, 3, 1, 23, 59, tzinfo=UTC))[0] == "rita"
    assert _names(tokyo, dt.datetime(2026, 3, 2, 0, 0, tzinfo=UTC))[0] == "ravi"
    # The same instant in Los Angeles is 2026-03-01 16:00: still the first shift.
    assert _names(la, dt.datetime(2026, 3, 2, 0, 0, tzinfo=UTC))[0] == "rita"
    # 2026-03-02 09:00 in LA (PST, UTC-8) = 17:00 UTC.
    assert _names(la, dt.datetime(2026, 3, 2, 16, 59, tzinfo=UTC))[0] == "rita"
    assert _names(la, dt.datetime(2026, 3, 2, 17, 0, tzinfo=UTC))[0] == "ravi"


@pytest.mark.usefixtures("reviewer_rita", "reviewer_ravi", "reviewer_sara")
def test_it_keeps_the_wall_clock_hand_off_across_dst_changes() -> None:
    la = _daily("America/Los_Angeles")
    # DST starts 2026-03-08 02:00 in LA. 09:00 PST on the 7th = 17:00 UTC; 09:00 PDT on the 8th = 16:00 UTC.
    shift_7 = oncall_now(la, dt.datetime(2026, 3, 7, 17, 0, tzinfo=UTC))
    assert shift_7.shift_start == dt.datetime(2026, 3, 7, 17, 0, tzinfo=UTC)
    assert shift_7.shift_end == dt.datetime(2026, 3, 8, 16, 0, tzinfo=UTC)  # a 23-hour shift
    assert _names(la, dt.datetime(2026, 3, 8, 15, 59, tzinfo=UTC))[0] == shift_7.primary.username  # type: ignore[union-attr]
    assert _names(la, dt.datetime(2026, 3, 8, 16, 0, tzinfo=UTC))[0] != shift_7.primary.username  # type: ignore[union-attr]
    # DST ends 2026-11-01 in LA: the shift over the change lasts 25 hours.
    autumn = oncall_now(la, dt.datetime(2026, 10, 31, 20, 0, tzinfo=UTC))
    assert autumn.shift_start == dt.datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert autumn.shift_end == dt.datetime(2026, 11, 1, 17, 0, tzinfo=UTC)


@pytest.mark.usefixtures("reviewer_rita", "reviewer_ravi", "reviewer_sara")
def test_it_hands_off_right_after_the_gap_when_the_hand_off_time_does_not_exist() -> None:
    # Europe/Berlin jumps from 02:00 to 03:00 on 2026-03-29; a 02:30 hand-off happens at 03:00 CEST (01:00 UTC).
    berlin = _daily("Europe/Berlin", hand_off=dt.time(2, 30))
    before = oncall_now(berlin, dt.datetime(2026, 3, 29, 0, 59, tzinfo=UTC))
    after = oncall_now(berlin, dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC))
    assert before.primary != after.primary
    assert after.shift_start == dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert before.shift_end == after.shift_start


def test_an_override_makes_its_person_primary_for_its_window(rota: Schedule, lead_lena: User) -> None:
    start = dt.datetime(2026, 1, 6, 0, 0, tzinfo=UTC)
    end = dt.datetime(2026, 1, 7, 0, 0, tzinfo=UTC)
    override_create(actor=actor_of(lead_lena), schedule_id=rota.pk, username="sara", start_at=start, end_at=end,
                    reason="Rita on holiday")
    assert _names(rota, start - dt.timedelta(seconds=1)) == ("rita", "ravi")
    assert _names(rota, start) == ("sara", "rita")  # the rota's primary steps down to secondary
    assert _names(rota, end - dt.timedelta(seconds=1)) == ("sara", "rita")
    assert _names(rota, end) == ("rita", "ravi")


def test_the_newest_override_wins_where_two_overlap(rota: Schedule, lead_lena: User) -> None:
    start = dt.datetime(2026, 1, 6, 0, 0, tzinfo=UTC)
    override_create(actor=actor_of(lead_lena), schedule_id=rota.pk, username="sara", start_at=start,
                    end_at=start + dt.timedelta(days=2))
    override_create(actor=actor_of(lead_lena), schedule_id=rota.pk, username="ravi", start_at=start,
                    end_at=start + dt.timedelta(days=1), reason="swap")
    assert _names(rota, start + dt.timedelta(hours=1))[0] == "ravi"
    assert _names(rota, start + dt.timedelta(days=1, hours=1))[0] == "sara"


def test_it_refuses_a_bad_time_zone_and_an_override_that_ends_before_it_starts(rota: Schedule,
                                                                              lead_lena: User) -> None:
    with pytest.raises(ValidationFailed) as bad_zone:
        schedule_save(actor=actor_of(lead_lena), data=ScheduleData(name="x", time_zone="Mars/Olympus",
                                                                   participants=["nobody"]))
    assert {"time_zone", "participants.0"} <= set(bad_zone.value.fields)
    start = dt.datetime(2026, 1, 6, tzinfo=UTC)
    with pytest.raises(ValidationFailed) as backwards:
        override_create(actor=actor_of(lead_lena), schedule_id=rota.pk, username="sara", start_at=start,
                        end_at=start - dt.timedelta(hours=1))
    assert "end_at" in backwards.value.fields
