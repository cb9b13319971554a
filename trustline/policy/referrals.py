"""The seam between the policy queue and the review app: everything policy needs from it.

The review app records a :class:`~trustline.review.models.Referral` (kind
``policy_review``) whenever a decision refers a case to policy review. The
policy app picks those rows up on its own (a periodic job), so review needs
to know nothing about policy; review may also call
``policy.services.policy_item_open_for_referral`` for an immediate pick-up.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet

from trustline.accounts.permissions import Actor
from trustline.intake.models import Report
from trustline.review.choices import ReferralKind, ReferralStatus
from trustline.review.models import Referral
from trustline.review.telling import timeline_add

__all__ = ["Referral", "case_timeline_add", "referral_mark_concluded", "referrals_waiting", "reports_of"]


def referrals_waiting() -> QuerySet[Referral]:
    """Open policy-review referrals that have no policy item yet, oldest first."""
    return (
        Referral.objects.filter(kind=ReferralKind.POLICY_REVIEW, status=ReferralStatus.OPEN, policy_item__isnull=True)
        .select_related("case", "decision", "decision__policy")
        .order_by("created_at", "id")
    )


def referral_mark_concluded(*, referral_id: uuid.UUID, actor: Actor, conclusion: str, at: dt.datetime) -> None:
    """Close the review app's referral row with the policy team's conclusion (once: conditional UPDATE)."""
    Referral.objects.filter(pk=referral_id, status=ReferralStatus.OPEN).update(
        status=ReferralStatus.CONCLUDED, conclusion=conclusion, concluded_at=at, concluded_by=actor.audit_id
    )


def case_timeline_add(*, case_id: uuid.UUID, kind: str, data: dict[str, Any], at: dt.datetime) -> set[uuid.UUID]:
    """A ``kind`` event on every reported item of the case; returns the reports touched."""
    return timeline_add(case_id=case_id, kind=kind, data=data, at=at, since=at)


def reports_of(report_ids: set[uuid.UUID]) -> list[Report]:
    return list(Report.objects.filter(pk__in=report_ids).select_related("organisation").order_by("received_at"))
