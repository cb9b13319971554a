"""Law-enforcement vocabularies: stable string values, labels. Append, never rename."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Topic(models.TextChoices):
    """What an agency handles; also what the public page groups contacts by."""

    THREAT_TO_LIFE = "threat_to_life", _("Threat to life")
    CHILD_SAFETY = "child_safety", _("Child safety")
    TERRORISM = "terrorism", _("Terrorism and violent extremism")
    FRAUD = "fraud", _("Fraud and scams")
    MISSING_PERSONS = "missing_persons", _("Missing persons")
    HUMAN_TRAFFICKING = "human_trafficking", _("Human trafficking")
    CYBERCRIME = "cybercrime", _("Cybercrime")
    HATE_CRIME = "hate_crime", _("Hate crime")
    SELF_HARM = "self_harm", _("Suicide and self-harm")
    GENERAL = "general", _("General policing")


# Taxonomy category (trustline/taxonomy/data/categories.json) -> the directory topics that fit it, best first.
CATEGORY_TOPICS: dict[str, tuple[str, ...]] = {
    "threat_to_life": (Topic.THREAT_TO_LIFE,),
    "blasphemy_allegation": (Topic.THREAT_TO_LIFE, Topic.HATE_CRIME),
    "terrorism": (Topic.TERRORISM, Topic.THREAT_TO_LIFE),
    "child_sexual_exploitation": (Topic.CHILD_SAFETY,),
    "outing_endangering": (Topic.THREAT_TO_LIFE, Topic.HATE_CRIME),
    "human_trafficking": (Topic.HUMAN_TRAFFICKING, Topic.MISSING_PERSONS),
    "self_harm": (Topic.SELF_HARM, Topic.THREAT_TO_LIFE),
    "incitement_violence": (Topic.THREAT_TO_LIFE, Topic.HATE_CRIME),
    "hateful_conduct": (Topic.HATE_CRIME,),
    "doxxing": (Topic.CYBERCRIME,),
    "ncii": (Topic.CYBERCRIME,),
    "scams_fraud": (Topic.FRAUD,),
    "impersonation": (Topic.FRAUD, Topic.CYBERCRIME),
}


class AgencyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft: being compiled")
    COMPLETE = "complete", _("Complete: at least two contacts")
    RETIRED = "retired", _("Retired")


# Contact fields that can be marked public one by one (the public page shows only those).
CONTACT_PUBLIC_FIELDS = ("name", "role", "email", "phone", "portal_url", "emergency_line")


class RequestType(models.TextChoices):
    """Inbound request types; US names and sections as in 18 U.S.C. ch. 121 (formats.md §5)."""

    EMERGENCY_DISCLOSURE = "emergency_disclosure", _("Emergency disclosure request (18 U.S.C. §2702(b)(8), (c)(4))")
    PRESERVATION = "preservation", _("Preservation request (18 U.S.C. §2703(f))")
    SUBPOENA = "subpoena", _("Subpoena (18 U.S.C. §2703(c)(2))")
    COURT_ORDER = "court_order", _("Court order (18 U.S.C. §2703(d))")
    SEARCH_WARRANT = "search_warrant", _("Search warrant (18 U.S.C. §2703(a)/(b))")
    FOREIGN_MLAT = "foreign_mlat", _("Foreign request: MLAT")
    FOREIGN_CLOUD_ACT = "foreign_cloud_act", _("Foreign request: CLOUD Act agreement")
    FOREIGN_OTHER = "foreign_other", _("Foreign request: other")
    OTHER = "other", _("Other")


class DataType(models.TextChoices):
    """What an agency asks for, grouped by the data class the law ties to a kind of process."""

    BASIC_SUBSCRIBER = "basic_subscriber", _("Basic subscriber information")
    IP_LOGS = "ip_logs", _("IP and session logs")
    PAYMENT = "payment", _("Means and source of payment")
    NON_CONTENT = "non_content", _("Other non-content records")
    LOCATION = "location", _("Location data")
    CONTENT = "content", _("Content of communications")
    PRESERVATION_ONLY = "preservation_only", _("Preservation only (nothing disclosed)")


class DataClass(models.TextChoices):
    BSI = "bsi", _("Basic subscriber information")
    NON_CONTENT = "non_content", _("Non-content records")
    CONTENT = "content", _("Content")
    NONE = "none", _("Nothing")


DATA_CLASS: dict[str, str] = {
    DataType.BASIC_SUBSCRIBER: DataClass.BSI,
    DataType.IP_LOGS: DataClass.BSI,  # session times and temporarily assigned addresses are BSI under §2703(c)(2)
    DataType.PAYMENT: DataClass.BSI,
    DataType.NON_CONTENT: DataClass.NON_CONTENT,
    DataType.LOCATION: DataClass.NON_CONTENT,
    DataType.CONTENT: DataClass.CONTENT,
    DataType.PRESERVATION_ONLY: DataClass.NONE,
}

# The data classes each US process type reaches (§2703): a warning, not a rule, for the legal reviewer.
PROCESS_REACH: dict[str, frozenset[str]] = {
    RequestType.SUBPOENA: frozenset({DataClass.BSI, DataClass.NONE}),
    RequestType.COURT_ORDER: frozenset({DataClass.BSI, DataClass.NON_CONTENT, DataClass.NONE}),
    RequestType.SEARCH_WARRANT: frozenset({DataClass.BSI, DataClass.NON_CONTENT, DataClass.CONTENT, DataClass.NONE}),
    RequestType.PRESERVATION: frozenset({DataClass.NONE}),
}


class IdentifierKind(models.TextChoices):
    ACCOUNT = "account", _("Account identifier")
    CASE = "case", _("Trustline case id")
    REPORT = "report", _("Trustline report id")
    URL = "url", _("Content URL")


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received, not verified")
    VERIFIED = "verified", _("Requester verified")
    DECIDED = "decided", _("Legal review decided")
    ANSWERED = "answered", _("Answered (data disclosed)")
    CLOSED = "closed", _("Closed without disclosure")


OPEN_REQUEST_STATUSES = (RequestStatus.RECEIVED, RequestStatus.VERIFIED, RequestStatus.DECIDED)


class ReviewDecision(models.TextChoices):
    COMPLY = "comply", _("Comply")
    COMPLY_IN_PART = "comply_in_part", _("Comply in part")
    REJECT = "reject", _("Reject")
    CLARIFY = "clarify", _("Ask for clarification")


class ReviewReason(models.TextChoices):
    VALID = "valid", _("Valid legal process")
    EMERGENCY_GOOD_FAITH = "emergency_good_faith", _("Good-faith belief of an emergency (danger of death or injury)")
    INVALID = "invalid", _("Invalid legal process")
    OVERBROAD = "overbroad", _("Overbroad")
    WRONG_PROCESS = "wrong_process", _("Process does not reach the data asked for")
    NO_JURISDICTION = "no_jurisdiction", _("No jurisdiction over the provider or the data")
    HUMAN_RIGHTS = "human_rights", _("Inconsistent with international human-rights standards")
    NO_DATA = "no_data", _("No data found")
    UNVERIFIED = "unverified", _("Requester could not be verified")
    INSUFFICIENT_DETAIL = "insufficient_detail", _("Insufficient detail to identify the data")
    OTHER = "other", _("Other")


# Decisions that let data go out (after verification); the others close or pause the request.
DISCLOSING_DECISIONS = frozenset({ReviewDecision.COMPLY, ReviewDecision.COMPLY_IN_PART})


class Outcome(models.TextChoices):
    """How a request ended, for the transparency figures."""

    PENDING = "pending", _("Pending")
    COMPLIED = "complied", _("Data disclosed in full")
    COMPLIED_IN_PART = "complied_in_part", _("Data disclosed in part")
    PRESERVED = "preserved", _("Data preserved")
    REJECTED = "rejected", _("Rejected")
    CLARIFICATION = "clarification", _("Clarification requested")
    NO_DATA = "no_data", _("No data found")


class HoldSubject(models.TextChoices):
    ACCOUNT = "account", _("Account identifier")
    CASE = "case", _("Case")
    REPORT = "report", _("Report")


class HoldReason(models.TextChoices):
    PRESERVATION_REQUEST = "preservation_request", _("Preservation request (§2703(f))")
    NCMEC_REPORT = "ncmec_report", _("CyberTipline report (§2258A(h), 1 year)")
    REFERRAL = "referral", _("Outbound referral")
    MANUAL = "manual", _("Manual legal hold")


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_APPROVAL = "awaiting_approval", _("Waiting for a second approval")
    APPROVED = "approved", _("Approved, ready to send")
    SENT = "sent", _("Sent")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by the agency")
    CANCELLED = "cancelled", _("Cancelled")


class SendChannel(models.TextChoices):
    EMAIL = "email", _("E-mail (through the outbox)")
    PHONE = "phone", _("Phone call")
    PORTAL = "portal", _("Agency portal")


class NcmecStatus(models.TextChoices):
    DRAFT = "draft", _("Generated and valid")
    OPENED = "opened", _("Opened at NCMEC (report id received)")
    FINISHED = "finished", _("Finished: filed with NCMEC")
    RETRACTED = "retracted", _("Retracted")
    FAILED = "failed", _("Failed")


NCMEC_INCIDENT_TYPES = (
    "Child Pornography (possession, manufacture, and distribution)",
    "Child Sex Trafficking",
    "Child Sex Tourism",
    "Child Sexual Molestation",
    "Misleading Domain Name",
    "Misleading Words or Digital Images on the Internet",
    "Online Enticement of Children for Sexual Acts",
    "Unsolicited Obscene Material Sent to a Child",
)
