"""Law-enforcement channel: the agency directory, inbound requests, holds, disclosures, referrals, NCMEC reports.

Written only by the services of this app (``directory``, ``inbound``,
``holds``, ``referrals``, ``ncmec``); read through :mod:`.selectors`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from trustline.accounts.models import User
from trustline.cases.models import Case
from trustline.core.ids import uuid7
from trustline.lawenforcement.choices import (
    AgencyStatus,
    HoldReason,
    HoldSubject,
    NcmecStatus,
    Outcome,
    ReferralStatus,
    RequestStatus,
    RequestType,
    ReviewDecision,
    SendChannel,
)
from trustline.review.models import Referral


class Agency(models.Model):
    """A law-enforcement agency the team may have to call, or that may write to it.

    Jurisdiction is ``country`` (ISO 3166-1 alpha-2), optionally narrowed to a
    ``region`` (state, province) and a ``city``; ``topics`` lists what it
    handles (:class:`~.choices.Topic`). ``email_domains`` are the domains its
    officers write from: an inbound request's e-mail must match one. A
    ``complete`` agency has at least two active contacts (enforced by the
    services), so one unreachable person never leaves the team without a way
    in. ``public`` puts the agency on the public "how to contact law
    enforcement" page, which shows only the fields marked public.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2)
    region = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=100, blank=True)
    topics = models.JSONField(default=list)
    email_domains = models.JSONField(default=list, help_text="lower-case domains officers write from")
    website = models.URLField(blank=True)
    status = models.CharField(max_length=16, choices=AgencyStatus.choices, default=AgencyStatus.DRAFT)
    public = models.BooleanField(default=False, help_text="listed on the public contact page")
    public_notes = models.TextField(blank=True, help_text="shown on the public page")
    notes = models.TextField(blank=True, help_text="internal")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["country", "region", "name"]
        indexes = [models.Index(fields=["country", "status"], name="le_agency_country_idx")]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"


class AgencyContact(models.Model):
    """A person or desk at an agency, with how to reach them and when that was last checked.

    ``last_verified_on`` drives staleness (older than the configured number of
    days: listed for re-verification and in the daily reminder); it is indexed
    because the reminder job filters on it. ``emergency_line`` marks a channel
    answered around the clock. ``public`` puts the contact on the public page,
    showing only the fields named in ``public_fields``.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    portal_url = models.URLField(blank=True)
    emergency_line = models.BooleanField(default=False, help_text="answered 24/7")
    last_verified_on = models.DateField()
    verified_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    public = models.BooleanField(default=False)
    public_fields = models.JSONField(default=list, help_text="which fields the public page may show")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["agency_id", "-emergency_line", "name"]
        indexes = [models.Index(fields=["last_verified_on"], condition=Q(active=True), name="le_contact_stale_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"


class InboundRequest(models.Model):
    """A request from law enforcement for data or its preservation, from receipt to answer.

    What was asked (``request_type``, ``legal_basis``, ``identifiers`` and
    ``date_ranges`` in scope, ``data_types``) is recorded as received. The
    requester is verified in three recorded steps before any data may leave:
    the agency is known (``agency``), the officer's e-mail domain is one the
    directory has for it (``email_domain_ok``), and someone called back a
    number taken from the directory, never from the request
    (``callback_contact``, ``callback_number``, ``callback_by``,
    ``callback_at``). ``due_at`` is the deadline (hours for an emergency),
    indexed for the sweeper that claims overdue requests with a conditional
    UPDATE on ``overdue_alerted_at``. ``responded_at`` and ``outcome`` feed
    the transparency figures.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    request_type = models.CharField(max_length=24, choices=RequestType.choices)
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.RECEIVED)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    reference = models.CharField(max_length=200, blank=True, help_text="the agency's own reference")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="requests")
    agency_name_given = models.CharField(max_length=200, help_text="the agency as the request names it")
    country = models.CharField(max_length=2, help_text="country of the requesting authority")
    officer_name = models.CharField(max_length=200)
    officer_email = models.EmailField()
    officer_phone = models.CharField(max_length=50, blank=True, help_text="as given: never used for call-backs")
    legal_basis = models.TextField()
    identifiers = models.JSONField(default=list, help_text='[{"kind": "account", "value": "..."}]')
    date_ranges = models.JSONField(default=list, help_text='[{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}]')
    data_types = models.JSONField(default=list)
    summary = models.TextField(blank=True)
    emergency = models.BooleanField(default=False)
    emergency_reason = models.TextField(blank=True)
    received_at = models.DateTimeField()
    due_at = models.DateTimeField()
    overdue_alerted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    email_domain_ok = models.BooleanField(null=True, blank=True)
    callback_contact = models.ForeignKey(
        AgencyContact, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    callback_number = models.CharField(max_length=50, blank=True, help_text="copied from the directory")
    callback_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    callback_at = models.DateTimeField(null=True, blank=True)
    callback_notes = models.TextField(blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(responded_at__isnull=True), name="le_request_due_idx"),
            models.Index(fields=["received_at"], name="le_request_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_request_type_display()} from {self.agency_name_given}"

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


class LegalReview(models.Model):
    """A legal reviewer's decision on a request: comply, comply in part, reject or ask for clarification.

    Append-only history; the latest row is in force. ``approved_data_types``
    bounds what a disclosure under this review may contain (all requested
    types for ``comply``, a subset for ``comply_in_part``).
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    request = models.ForeignKey(InboundRequest, on_delete=models.PROTECT, related_name="reviews")
    decision = models.CharField(max_length=16, choices=ReviewDecision.choices)
    reasons = models.JSONField(default=list)
    notes = models.TextField(blank=True)
    approved_data_types = models.JSONField(default=list)
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.decision} on {self.request_id}"


class LegalHold(models.Model):
    """Records that must not be deleted: an account, a case or a report, until ``expires_at``.

    Created by preservation requests (90 days), CyberTipline reports (one
    year, §2258A(h)) or by hand; extendable once by 90 days (§2703(f) allows
    one renewal). The evidence retention sweep asks :func:`.selectors.hold_until`
    before deleting a file. ``expires_at`` is indexed for the reminder sweeper,
    which claims ``reminder_sent_at`` with a conditional UPDATE.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    subject_kind = models.CharField(max_length=16, choices=HoldSubject.choices)
    subject_value = models.CharField(max_length=256)
    reason = models.CharField(max_length=24, choices=HoldReason.choices)
    request = models.ForeignKey(
        InboundRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="holds"
    )
    ncmec_report = models.ForeignKey(
        "NcmecReport", null=True, blank=True, on_delete=models.PROTECT, related_name="holds"
    )
    note = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    extension_count = models.PositiveSmallIntegerField(default=0)
    extended_at = models.DateTimeField(null=True, blank=True)
    extended_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.CharField(max_length=64, help_text="audit actor id")

    class Meta:
        ordering = ["expires_at", "id"]
        indexes = [
            models.Index(fields=["subject_kind", "subject_value"], name="le_hold_subject_idx"),
            models.Index(fields=["expires_at"], condition=Q(released_at__isnull=True), name="le_hold_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"hold on {self.subject_kind} {self.subject_value} until {self.expires_at:%Y-%m-%d}"


class Disclosure(models.Model):
    """One sending of data to an agency under a request: append-only (a database trigger refuses updates).

    Records what was sent (``data_types``, ``fields``, ``files`` with their
    SHA-256), to whom (``agency``, ``recipient``), when, under which request
    and legal review, approved by whom (the reviewer) and sent by whom.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    request = models.ForeignKey(InboundRequest, on_delete=models.PROTECT, related_name="disclosures")
    review = models.ForeignKey(LegalReview, on_delete=models.PROTECT, related_name="disclosures")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="disclosures")
    recipient = models.CharField(max_length=254, help_text="the officer or address the data went to")
    data_types = models.JSONField(default=list)
    fields = models.JSONField(default=list, help_text="field names disclosed")
    files = models.JSONField(default=list, help_text='[{"name", "sha256", "size"}]')
    channel = models.CharField(max_length=16, choices=SendChannel.choices)
    note = models.TextField(blank=True)
    approved_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    sent_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["sent_at", "id"]

    def __str__(self) -> str:
        return f"disclosure {self.pk} under {self.request_id}"


class LeReferral(models.Model):
    """A case referred by the team to an agency (typically imminent harm), with a minimised package.

    ``fields`` is what the liaison chose to include, each with a
    justification; ``package`` is built only from those (a field not chosen
    is never read into it) and frozen with its ``package_sha256`` when sent.
    A package with personal data needs a second approval by someone else
    (``approved_by`` differs from ``created_by``). ``review_referral`` links
    the review app's law-enforcement flag when the referral came from one.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="le_referrals")
    review_referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="le_referrals"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="referrals")
    contact = models.ForeignKey(AgencyContact, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT)
    facts = models.TextField(help_text="the liaison's summary of what is happening")
    fields = models.JSONField(default=list, help_text='[{"name", "justification"}]')
    personal_data = models.BooleanField(default=False)
    package = models.JSONField(default=dict, blank=True)
    package_sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    approved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_channel = models.CharField(max_length=16, choices=SendChannel.choices, blank=True)
    sent_to = models.CharField(max_length=254, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement = models.TextField(blank=True, help_text="the agency's reference or words")

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"referral of case {self.case_id} to {self.agency_id}"


class NcmecReport(models.Model):
    """A CyberTipline report of a child-safety case: the XML as generated and validated, and its submission.

    ``xml`` always validated against the XSD when stored. ``ncmec_report_id``
    is stored the moment /submit answers, so a retry can retract first.
    Finishing the report creates the one-year hold (§2258A(h)).
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="ncmec_reports")
    status = models.CharField(max_length=16, choices=NcmecStatus.choices, default=NcmecStatus.DRAFT)
    incident_type = models.CharField(max_length=100)
    xml = models.TextField()
    account_identifiers = models.JSONField(default=list)
    ncmec_report_id = models.CharField(max_length=32, blank=True)
    file_ids = models.JSONField(default=list)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    retracted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"CyberTipline report of case {self.case_id} ({self.status})"
