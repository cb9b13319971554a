"""The demo's trends: spikes over the demo's sixty days, and its cases clustered into incidents.

The demo plan (``demo/plan.py``) has a crisis week in Sudan two to three
weeks ago, when the partners covering Sudan send several reports a day: a
realistic spike the detector should find, against the weeks before it.
Detection runs over every demo day with a full baseline week behind it,
quietly (programme managers are not e-mailed about history); clustering
runs over every case, through the demo platform connector.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from trustline.core import clock
from trustline.demo.extensions import DemoContext
from trustline.demo.plan import DAYS
from trustline.trends.clustering import incidents_cluster_new
from trustline.trends.detection import spikes_detect
from trustline.trends.models import Incident, Spike

FIRST_TESTED_DAY = 7  # days after the first demo day: at least one week of baseline


def demo_extend(*, ctx: DemoContext) -> list[str]:
    today = ctx.now.astimezone(dt.UTC).date()
    with clock.frozen_at(ctx.now):
        detection = spikes_detect(day_from=today - dt.timedelta(days=DAYS - 1 - FIRST_TESTED_DAY), day_to=today,
                                  notify=False)
        clustered = 0
        while True:
            step = incidents_cluster_new()
            clustered += step.cases
            if step.cases == 0:
                break
    spikes = Counter(Spike.objects.values_list("country", flat=True))
    incidents = Incident.objects.filter(merged_into__isnull=True, member_count__gt=1)
    campaigns = incidents.filter(kind="campaign").count()
    where = ", ".join(f"{n} in {country}" for country, n in spikes.most_common(4)) or "none"
    return [
        f"Trends: {detection.spikes_new} spikes over {detection.days} days ({where}); "
        f"{clustered} cases clustered into {incidents.count()} incidents ({campaigns} campaigns). "
        "See /trends/.",
    ]
