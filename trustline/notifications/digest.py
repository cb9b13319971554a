"""The optional daily digest: yesterday's received, decided and contested items, once a day.

Run hourly by ``notifications.tasks.send_daily_digests``:

1. Before ``DIGEST_HOUR_UTC`` nothing happens; from that hour on the day
   summarised is yesterday (UTC).
2. For each organisation that switched the digest on (and has a channel on),
   skip it if its digest for that day is already in the outbox: the
   idempotency key ``digest:<organisation>:<YYYY-MM-DD>`` makes it once per
   organisation per day, however many runs, workers or retries there are.
3. Count yesterday's steps from the partner-visible timeline (so the digest
   says exactly what the partner can see on its reports); a quiet day sends
   nothing.
4. Hand the message to ``notification_send`` (e-mail and ``digest.daily``
   webhooks, per the organisation's settings).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from trustline.accounts.models import Organisation
from trustline.intake.choices import TimelineKind
from trustline.intake.models import Report, TimelineEvent
from trustline.notifications.choices import EventType
from trustline.notifications.language import in_language_of
from trustline.notifications.models import NotificationSetting, OutboxMessage
from trustline.notifications.services import notification_send

DEFAULT_DIGEST_HOUR_UTC = 6


def digest_hour() -> int:
    """The UTC hour from which yesterday's digest goes out (``NOTIFICATION_DIGEST_HOUR_UTC``, default 06)."""
    hour = int(getattr(settings, "NOTIFICATION_DIGEST_HOUR_UTC", DEFAULT_DIGEST_HOUR_UTC))
    return min(max(hour, 0), 23)


@dataclass(frozen=True)
class DigestSummary:
    """One organisation's day, as its reports' timelines show it."""

    day: str
    reports_received: int
    items_received: int
    items_triaged: int
    items_decided: int
    contests_submitted: int
    contests_decided: int
    information_requested: int

    @property
    def is_empty(self) -> bool:
        return not any(value for name, value in asdict(self).items() if name != "day")

    def as_text(self, organisation: Organisation) -> str:
        """The e-mail body, in the language active (:func:`~trustline.notifications.language.in_language_of`)."""
        return "\n".join([
            _("Trustline daily digest for %(name)s, %(day)s (UTC)") % {"name": organisation.name, "day": self.day},
            "",
            _("Reports received: %(reports)s (%(items)s items)") % {"reports": self.reports_received,
                                                                   "items": self.items_received},
            _("Items triaged: %(n)s") % {"n": self.items_triaged},
            _("Items decided: %(n)s") % {"n": self.items_decided},
            _("Information requested from you: %(n)s") % {"n": self.information_requested},
            _("Decisions contested: %(n)s") % {"n": self.contests_submitted},
            _("Contests decided: %(n)s") % {"n": self.contests_decided},
            "",
            _("Each report's timeline has the details. Switch this digest off in your notification settings."),
        ])


def digest_summary(*, organisation: Organisation, day: dt.date) -> DigestSummary:
    """Count one UTC day of ``organisation``'s reports (the platform team's digest counts every report)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    end = start + dt.timedelta(days=1)
    reports = Report.objects.all() if organisation.is_platform else Report.objects.filter(organisation=organisation)
    received = reports.filter(received_at__gte=start, received_at__lt=end).aggregate(
        count=Count("id"), items=Sum("item_count")
    )
    events = TimelineEvent.objects.filter(at__gte=start, at__lt=end)
    if not organisation.is_platform:
        events = events.filter(report__organisation=organisation)
    kinds = {TimelineKind.TRIAGED, TimelineKind.DECIDED, TimelineKind.APPEALED, TimelineKind.APPEAL_DECIDED,
             TimelineKind.INFORMATION_REQUESTED}
    counted = events.filter(kind__in=kinds).aggregate(
        **{str(kind): Count("id", filter=Q(kind=kind)) for kind in kinds}
    )
    return DigestSummary(
        day=day.isoformat(),
        reports_received=int(received["count"] or 0),
        items_received=int(received["items"] or 0),
        items_triaged=int(counted[TimelineKind.TRIAGED] or 0),
        items_decided=int(counted[TimelineKind.DECIDED] or 0),
        contests_submitted=int(counted[TimelineKind.APPEALED] or 0),
        contests_decided=int(counted[TimelineKind.APPEAL_DECIDED] or 0),
        information_requested=int(counted[TimelineKind.INFORMATION_REQUESTED] or 0),
    )


def digest_key(*, organisation: Organisation, day: dt.date) -> str:
    return f"digest:{organisation.pk}:{day.isoformat()}"


def daily_digest_send(*, now: dt.datetime) -> dict[str, int]:
    """Send yesterday's digest to every organisation that wants it and has not had it; return counts."""
    counts = {"sent": 0, "already_sent": 0, "quiet": 0}
    utc_now = now.astimezone(dt.UTC)
    if utc_now.hour < digest_hour():
        return counts
    day = utc_now.date() - dt.timedelta(days=1)
    wanted = (
        NotificationSetting.objects.filter(daily_digest_enabled=True)
        .filter(Q(email_enabled=True) | Q(webhook_enabled=True))
        .select_related("organisation")
        .order_by("organisation_id")
    )
    for setting in wanted:
        organisation = setting.organisation
        key = digest_key(organisation=organisation, day=day)
        if OutboxMessage.objects.filter(idempotency_key__startswith=f"{key}:").exists():
            counts["already_sent"] += 1
            continue
        summary = digest_summary(organisation=organisation, day=day)
        if summary.is_empty:
            counts["quiet"] += 1
            continue
        data: dict[str, Any] = {"organisation": organisation.slug, **asdict(summary)}
        with in_language_of(organisation):
            subject = _("Trustline daily digest, %(day)s") % {"day": summary.day}
            body = summary.as_text(organisation)
        with transaction.atomic():
            notification_send(
                organisation=organisation,
                event_type=EventType.DIGEST_DAILY,
                key=key,
                subject=subject,
                body=body,
                data=data,
            )
        counts["sent"] += 1
    return counts
