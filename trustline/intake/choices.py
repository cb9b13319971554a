from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemKind(models.TextChoices):
    POST = "post", _("Post")
    COMMENT = "comment", _("Comment")
    ACCOUNT = "account", _("Account")
    GROUP = "group", _("Group or page")
    AD = "ad", _("Ad")
    MESSAGE = "message", _("Message")
    MEDIA = "media", _("Media")
    OTHER = "other", _("Other")


class Target(models.TextChoices):
    HUMAN_RIGHTS_DEFENDER = "human_rights_defender", _("Human-rights defender")
    JOURNALIST = "journalist", _("Journalist")
    MINOR = "minor", _("Minor")
    ELECTION_CANDIDATE = "election_candidate", _("Election candidate")
    ELECTION_OFFICIAL = "election_official", _("Election official")
    ACTIVIST = "activist", _("Activist")
    WITNESS = "witness", _("Witness")
    RELIGIOUS_OR_ETHNIC_MINORITY = "religious_or_ethnic_minority", _("Religious or ethnic minority")
    LGBTQI_PERSON = "lgbtqi_person", _("LGBTQI+ person")
    WOMEN_AND_GIRLS = "women_and_girls", _("Women and girls")
    REFUGEE_OR_MIGRANT = "refugee_or_migrant", _("Refugee or migrant")
    PUBLIC_FIGURE = "public_figure", _("Public figure")
    OTHER = "other", _("Other")


class ReportStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    TRIAGED = "triaged", _("Triaged")
    IN_REVIEW = "in_review", _("In review")
    DECIDED = "decided", _("Decided")
    APPEALED = "appealed", _("Appealed")
    CLOSED = "closed", _("Closed")


class Channel(models.TextChoices):
    API = "api", _("API")
    WEB = "web", _("Web form")
    BULK = "bulk", _("Bulk CSV")


class TimelineKind(models.TextChoices):
    RECEIVED = "received", _("Received")
    EVIDENCE_ADDED = "evidence_added", _("Evidence added")
    EVIDENCE_PURGED = "evidence_purged", _("Evidence file deleted (retention)")
    TRIAGED = "triaged", _("Triaged")
    IN_REVIEW = "in_review", _("In review")
    DECIDED = "decided", _("Decided")
    APPEALED = "appealed", _("Appealed")
    CLOSED = "closed", _("Closed")
    # Decisions (trustline.review)
    INFORMATION_REQUESTED = "information_requested", _("Information requested")
    INFORMATION_PROVIDED = "information_provided", _("Information provided")
    # Contests and policy review (trustline.appeals, trustline.policy)
    APPEAL_DECIDED = "appeal_decided", _("Contest decided")
    POLICY_REVIEWED = "policy_reviewed", _("Policy review concluded")
    # Emergency lane (trustline.oncall): the partner sees that a human took the case, and when
    EMERGENCY_OPENED = "emergency_opened", _("Emergency: on-call staff paged")
    EMERGENCY_ACKNOWLEDGED = "emergency_acknowledged", _("Emergency: a person has taken the case")
    EMERGENCY_HANDED_OVER = "emergency_handed_over", _("Emergency: handed to another person")
    EMERGENCY_RESOLVED = "emergency_resolved", _("Emergency: resolved")
    EMERGENCY_DOWNGRADED = "emergency_downgraded", _("Emergency: not imminent, back in the ordinary queue")
    # Enforcement verification (trustline.platforms.verification): the platform no longer shows the content
    CONTENT_OFFLINE = "content_offline", _("Checked: the content is no longer on the platform")
