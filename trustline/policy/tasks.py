"""Background jobs of the policy queue."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from trustline.core.periodic import periodic
from trustline.policy.services import policy_referrals_pick_up


@periodic(every=dt.timedelta(minutes=1))
@task()
def pick_up_policy_referrals() -> dict[str, int]:
    """Turn new policy-review referrals (recorded by the review app) into policy queue items."""
    return {"opened": policy_referrals_pick_up()}
