"""Views while waiting: how many times reported content was seen between the first look and its going offline.

Story: on 2 March 2026 at 09:00 UTC Amal (Sudan partner) reports a Kite post
naming four volunteers (tier 1). The demo platform counts views by the hour.
Triage looks at it at 09:00:05; the six-hour refresh sees more views; Rita has
it removed at 16:00, and the check five minutes later finds it offline with
the count it had when it went. The case page, and the month's insight report
for the programme, say how many views it gained while the case waited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.conftest import actor_of
from trustline.console.tests.conftest import enrol, sign_in
from trustline.core import clock
from trustline.intake.choices import Channel
from trustline.intake.schemas import ReportIn
from trustline.intake.services import report_submit
from trustline.platforms.connectors import ContentRef, DemoPlatformConnector
from trustline.platforms.reach import Look, case_reach_while_waiting, reach_while_waiting
from trustline.platforms.services import action_request
from trustline.platforms.snapshots import snapshot_sweep
from trustline.platforms.tests.conftest import DEMO_BACKEND, HALFAYA_POST, HALFAYA_POST_SHARED, action_for
from trustline.platforms.verification import verification_sweep
from trustline.trends.insight import insight_report_build, insight_report_html
from trustline.triage.services import triage_pending

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
FIRST_LOOK = T0 + dt.timedelta(seconds=5)
REFRESH = FIRST_LOOK + dt.timedelta(hours=6)
REMOVED = T0 + dt.timedelta(hours=7)
CHECKED = REMOVED + dt.timedelta(minutes=5)


def views_at(at: dt.datetime) -> int:
    with clock.frozen_at(at):
        views = DemoPlatformConnector().describe(ContentRef(url=HALFAYA_POST, kind="post")).reach.views
    assert views is not None
    return views


@pytest.fixture
def waited(analyst_amal: User, reviewer_rita: User, report_payload: Callable[..., dict[str, Any]],
           settings: Any) -> tuple[Case, int, int]:
    """The story up to the check; returns the case, the views at the first look and at the removal.

    The counts are read from Kite before the removal: the demo platform keeps
    its state, not its past, so asking it about 15:00 after 16:00 shows the removal.
    """
    settings.PLATFORM_CONNECTOR = {"BACKEND": DEMO_BACKEND, "OPTIONS": {}}
    with clock.frozen_at(T0):
        data = ReportIn(**report_payload(items=[{"url": HALFAYA_POST_SHARED, "kind": "post"}],
                                         category="threat_to_life"))
        case = report_submit(actor=actor_of(analyst_amal), data=data, channel=Channel.API).items[0].case
        triage_pending()
    first, refreshed, at_removal = views_at(FIRST_LOOK), views_at(REFRESH), views_at(REMOVED)
    assert first < refreshed < at_removal  # Kite counts views by the hour while the post is up
    for at in (FIRST_LOOK, REFRESH):
        with clock.frozen_at(at):
            snapshot_sweep(now=at)
    with clock.frozen_at(REMOVED):
        action_request(actor=actor_of(reviewer_rita), case=case, action=action_for(case))
    with clock.frozen_at(CHECKED):
        assert verification_sweep(now=CHECKED).offline == 1
    return case, first, at_removal


def test_the_demo_platform_stops_counting_when_the_content_goes(
    waited: tuple[Case, int, int],
) -> None:
    case, _first, at_removal = waited

    assert views_at(CHECKED) == views_at(CHECKED + dt.timedelta(hours=5)) == at_removal
    assert [s.views for s in case.snapshots.all()][-1] == at_removal


def test_the_views_gained_while_the_case_waited_are_measured_from_its_snapshots(
    waited: tuple[Case, int, int],
) -> None:
    case, first, at_removal = waited

    reach = case_reach_while_waiting(case.snapshots.all())

    assert reach is not None
    assert (reach.first_at, reach.first_views) == (FIRST_LOOK, first)
    assert (reach.last_at, reach.last_views, reach.offline_at) == (CHECKED, at_removal, CHECKED)
    assert reach.gained == at_removal - first > 0


def test_the_case_page_says_how_many_more_views_before_it_went_offline(
    waited: tuple[Case, int, int], reviewer_rita: User,
) -> None:
    case, first, at_removal = waited
    enrol(reviewer_rita)

    page = sign_in(reviewer_rita).get(f"/console/cases/{case.pk}/").content.decode()

    assert f"{at_removal - first:,} more views</strong> before it went offline" in page
    assert f"{first:,} at the first look, {at_removal:,} when it was seen offline 7" in page


def test_the_insight_report_adds_up_the_views_before_content_went_down_by_tier_and_names_nothing(
    waited: tuple[Case, int, int], pm_pablo: User, analyst_bilal: User,
) -> None:
    case, first, at_removal = waited
    period = (dt.date(2026, 3, 1), dt.date(2026, 3, 7))

    report = insight_report_build(actor=actor_of(pm_pablo), period_from=period[0], period_to=period[1])

    case.refresh_from_db()
    assert [line.tier for line in report.reach] == [None, case.tier] == [None, 1]
    everything = report.reach[0].summary
    assert (everything.cases, everything.offline) == (1, 1)
    assert everything.total_gained == everything.median_gained == everything.largest_gained == at_removal - first
    assert everything.median_hours_to_offline == round((CHECKED - FIRST_LOOK).total_seconds() / 3600, 1)
    html = insight_report_html(report)
    assert "Views before the content went down" in html and f"{at_removal - first:,}" in html
    assert "kite.example" not in html and "halfaya" not in html
    pakistan = insight_report_build(actor=actor_of(analyst_bilal), period_from=period[0], period_to=period[1])
    assert pakistan.reach == []  # Bilal's countries had nothing taken down


def test_the_reporting_partner_sees_the_views_before_removal_in_its_figures_and_others_do_not(
    waited: tuple[Case, int, int], analyst_amal: User, analyst_bilal: User,
    staff_client: Callable[[User], Client],
) -> None:
    _case, first, at_removal = waited

    amal = staff_client(analyst_amal).get("/console/portal/figures/")
    bilal = staff_client(analyst_bilal).get("/console/portal/figures/")

    reach = amal.context["figures"].reach
    assert (reach.cases, reach.total_gained) == (1, at_removal - first)
    assert "Views before the content went down" in amal.content.decode()
    assert f"{at_removal - first:,}" in amal.content.decode()
    assert bilal.context["figures"].reach.cases == 0
    assert "Views before the content went down" not in bilal.content.decode()


def _look(minutes: int, views: int, online: bool | None = True) -> Look:
    return Look(taken_at=T0 + dt.timedelta(minutes=minutes), online=online, views=views)


@pytest.mark.parametrize(("looks", "expected"), [
    pytest.param([_look(0, 100)], None, id="one look measures nothing"),
    pytest.param([_look(60, 900), _look(0, 100)], (100, 900, None), id="in time order, whatever the input order"),
    pytest.param([_look(0, 100), _look(60, 400, online=False), _look(600, 5000)], (100, 400, 60),
                 id="views after the content went offline (a reinstatement) are not counted"),
    pytest.param([_look(0, 100, online=False), _look(60, 400)], None,
                 id="already offline at the first look: nothing waited"),
    pytest.param([_look(0, 100), _look(30, 200, online=None), _look(60, 300)], (100, 300, None),
                 id="a look that could not say whether it was online does not end the wait"),
])
def test_which_looks_count(looks: list[Look], expected: tuple[int, int, int | None] | None) -> None:
    reach = reach_while_waiting(looks)

    if expected is None:
        assert reach is None
        return
    assert reach is not None
    offline_minutes = None if reach.offline_at is None else int((reach.offline_at - T0).total_seconds() // 60)
    assert (reach.first_views, reach.last_views, offline_minutes) == expected


def test_a_platform_that_recounts_lower_gains_nothing_rather_than_a_negative() -> None:
    reach = reach_while_waiting([_look(0, 500), _look(60, 450)])

    assert reach is not None and reach.gained == 0


def test_kite_counts_never_go_down_across_a_month_boundary(settings: Any) -> None:
    settings.PLATFORM_CONNECTOR = {"BACKEND": DEMO_BACKEND, "OPTIONS": {}}
    night = dt.datetime(2026, 10, 31, 20, 0, tzinfo=dt.UTC)

    counts = [views_at(night + dt.timedelta(hours=h)) for h in (0, 2, 4, 6, 30, 200, 2000)]

    assert counts == sorted(counts) and counts[0] < counts[-1]
    assert (counts[-1] - counts[-2]) / 1800 < (counts[1] - counts[0]) / 2  # views per hour: fastest at first
