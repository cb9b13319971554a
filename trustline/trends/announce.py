"""The monthly insight report: telling partners and policy staff that last month's report is ready.

The report itself is built on demand (``insight.py``), always from current
data and for the reader's own scope, so nothing is stored; what is periodic
is the announcement. ``insight_reports_announce`` (periodic job, every six
hours, acting in the first ``ANNOUNCE_DAYS`` days of a month):

1. The period is the previous calendar month (UTC).
2. Every partner with an active accreditation is e-mailed, if its
   notification settings allow e-mail, at its configured recipients (or its
   contact address), with the link to its PDF for that month.
3. Every programme manager and policy analyst of the platform team is
   e-mailed the link to the programme-wide report.

All through the outbox, in one transaction, with idempotency keys per month
and recipient: running it every six hours for a week sends each e-mail once.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import transaction
from django.utils import formats
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from trustline.accounts.choices import OrganisationKind, Role
from trustline.accounts.models import Membership, Organisation
from trustline.notifications.choices import Channel
from trustline.notifications.language import in_language_of
from trustline.notifications.selectors import notification_settings_get
from trustline.notifications.services import outbox_enqueue
from trustline.partners.choices import AccreditationStatus

ANNOUNCE_DAYS = 7
EVENT = "insight_report.ready"


def previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def _tag(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()[:16]


def insight_reports_announce(*, today: dt.date) -> int:
    """Steps 1-3 of the module docstring; returns the number of messages written (new or not)."""
    if today.day > ANNOUNCE_DAYS:
        return 0
    start, end = previous_month(today)
    month = f"{start:%Y-%m}"
    link = (f"{str(getattr(settings, 'SITE_URL', '')).rstrip('/')}/trends/insight/?"
            + urlencode({"period_from": start.isoformat(), "period_to": end.isoformat(), "format": "pdf"}))
    subject = f"Trustline insight report for {start:%B %Y}"  # the platform's staff read English
    sent = 0
    with transaction.atomic():
        partners = Organisation.objects.filter(
            kind=OrganisationKind.PARTNER, accreditation__status=AccreditationStatus.ACTIVE
        ).order_by("slug")
        for organisation in partners:
            setting = notification_settings_get(organisation=organisation)
            if not setting.email_enabled:
                continue
            recipients = list(setting.email_recipients or []) or [organisation.contact_email]
            with in_language_of(organisation):
                month_name = formats.date_format(start, "YEAR_MONTH_FORMAT")
                own_subject = _("Trustline insight report for %(month)s") % {"month": month_name}
                body = _("The insight report of %(name)s for %(month)s is ready: trends in your countries, spikes, "
                         "what was actioned and new campaigns (counts only).") % {
                    "name": organisation.name, "month": month_name} + f"\n\n{link}\n"
            for address in dict.fromkeys(a for a in recipients if a):
                outbox_enqueue(channel=Channel.EMAIL, recipient=address, subject=own_subject, body=body,
                               organisation=organisation, event_type=EVENT,
                               idempotency_key=f"trends:insight:{month}:{organisation.slug}:{_tag(address)}"[:200])
                sent += 1
        staff = (
            Membership.objects.filter(role__in=[Role.PROGRAMME_MANAGER, Role.POLICY_ANALYST],
                                      organisation__kind=OrganisationKind.PLATFORM, user__is_active=True)
            .exclude(user__email="").order_by("user__email").values_list("user__email", flat=True)
        )
        body = (f"The programme-wide insight report for {start:%B %Y} is ready (all countries; add "
                f"&partner=<slug> for one partner's version).\n\n{link}\n")
        for address in dict.fromkeys(staff):
            outbox_enqueue(channel=Channel.EMAIL, recipient=address, subject=subject, body=body, event_type=EVENT,
                           idempotency_key=f"trends:insight:{month}:staff:{_tag(address)}")
            sent += 1
    return sent
