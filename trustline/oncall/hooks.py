"""What triage calls: rule matching before scoring, and opening emergencies for imminent cases.

Kept in one small module so the hook in ``trustline/triage/services.py`` is
two lines, and so triage imports nothing else of this app.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from django.db.models import Q

from trustline.cases.models import Case
from trustline.core.models import PeriodicJob
from trustline.intake.models import Report
from trustline.oncall.choices import EmergencySource
from trustline.oncall.models import Emergency, ImminentRule
from trustline.oncall.rules import imminent_rules_match

__all__ = ["emergencies_open_for", "fast_lane_cases", "imminent_rules_match"]

# How long batch triage leaves a flagged case to the emergency fast lane before taking it itself
# (so a stopped fast lane delays an emergency by this much, never loses it).
FAST_LANE_GRACE = dt.timedelta(seconds=30)
FAST_LANE_ALIVE = dt.timedelta(seconds=10)
FAST_LANE_JOB = "trustline.oncall.tasks.emergency_fast_lane"


def fast_lane_cases(now: dt.datetime) -> Q:
    """Untriaged cases the fast lane triages one by one: flagged imminent and opened in the last 30 s.

    Batch triage (``triage_pending``, 50 cases per transaction) would hold
    their first page until its whole batch commits, which under load is
    tens of seconds; the fast lane commits, and pages, each on its own. Only
    while the fast lane is alive (its periodic job finished a run in the last
    10 s): otherwise batch triage takes every case as before.
    """
    alive = PeriodicJob.objects.filter(name=FAST_LANE_JOB, last_finished_at__gte=now - FAST_LANE_ALIVE).exists()
    if not alive:
        return Q(pk__in=[])  # excludes nothing
    return Q(imminent_harm=True, opened_at__gt=now - FAST_LANE_GRACE)


def _partner_reason(case_id: uuid.UUID) -> str:
    reason = (
        Report.objects.filter(items__case_id=case_id, imminent_harm=True)
        .order_by("-received_at").values_list("imminent_harm_reason", flat=True).first()
    )
    return reason or ""


def emergencies_open_for(
    *, cases: Sequence[Case], rule_hits: dict[uuid.UUID, ImminentRule], now: dt.datetime
) -> int:
    """Open (and start paging) the emergency of every imminent case here that has none; in the caller's transaction."""
    from trustline.oncall.paging import emergency_open  # paging reads triage selectors: import late

    imminent = [c for c in cases if c.imminent_harm or c.pk in rule_hits]
    if not imminent:
        return 0
    existing = set(Emergency.objects.filter(case_id__in=[c.pk for c in imminent]).values_list("case_id", flat=True))
    opened = 0
    for case in imminent:
        if case.pk in existing:
            continue
        partner_reason = _partner_reason(case.pk)
        rule = rule_hits.get(case.pk)
        if partner_reason or rule is None:
            source, reason, rule_name = EmergencySource.PARTNER, partner_reason, ""
        else:
            source, reason, rule_name = EmergencySource.RULE, f"matched triage rule {rule.name!r}", rule.name
        if emergency_open(case=case, source=source, reason=reason, rule_name=rule_name, now=now) is not None:
            opened += 1
    return opened
