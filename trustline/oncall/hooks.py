"""What triage calls: rule matching before scoring, and opening emergencies for imminent cases.

Kept in one small module so the hook in ``trustline/triage/services.py`` is
two lines, and so triage imports nothing else of this app.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from trustline.cases.models import Case
from trustline.intake.models import Report
from trustline.oncall.choices import EmergencySource
from trustline.oncall.models import Emergency, ImminentRule
from trustline.oncall.rules import imminent_rules_match

__all__ = ["emergencies_open_for", "imminent_rules_match"]


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
