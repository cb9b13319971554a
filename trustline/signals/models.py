"""Signals exchanged with peer platforms, the agreements that govern them, and their matches to our cases."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from trustline.accounts.models import Organisation, User
from trustline.cases.models import Case
from trustline.core.ids import uuid7
from trustline.signals.choices import Direction, Opinion, SignalStatus, SignalType, Tlp


class SharingAgreement(models.Model):
    """The explicit rules under which we exchange signals with one peer platform.

    A peer receives our active and withdrawn signals whose TLP is at most
    ``max_tlp`` (never TLP:RED, which names individual recipients and so
    never goes into a feed) and whose category is in ``categories`` (empty:
    every category). It may send us signals when ``accepts_inbound``. No
    agreement, or an inactive one, means nothing either way.
    """

    peer = models.OneToOneField(Organisation, on_delete=models.PROTECT, related_name="sharing_agreement")
    categories = models.JSONField(default=list, blank=True, help_text="taxonomy category codes; empty: every one")
    max_tlp = models.CharField(max_length=16, choices=Tlp.choices, default=Tlp.GREEN)
    accepts_inbound = models.BooleanField(default=True, help_text="the peer may send us signals")
    is_active = models.BooleanField(default=True)
    note = models.TextField(blank=True, help_text="e.g. the reference of the signed data-sharing agreement")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Sharing agreement with {self.peer}"


class Signal(models.Model):
    """One indicator (a URL, a hash, a text) with its category, TLP marking and opinion.

    ``outbound`` signals are ours (``organisation`` is the platform team),
    usually taken from a case decided as violating; ``inbound`` ones come
    from a peer platform (``organisation`` is the peer). One row per source,
    type and value: sharing the same content again updates the row, so a
    peer's feed carries it once. ``updated_at`` orders the feed.
    ``key_hash`` is, for URLs, the same SHA-256 of the canonical key that
    cases carry, so an inbound URL finds the open case for that content.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    direction = models.CharField(max_length=16, choices=Direction.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="signals")
    signal_type = models.CharField(max_length=32, choices=SignalType.choices)
    value = models.TextField()
    key_hash = models.CharField(max_length=64, blank=True)
    category = models.CharField(max_length=64, blank=True)
    tlp = models.CharField(max_length=16, choices=Tlp.choices)
    opinion = models.CharField(max_length=32, choices=Opinion.choices, default=Opinion.POSITIVE_CLASS)
    tags = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=SignalStatus.choices, default=SignalStatus.ACTIVE)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="signals",
                             help_text="outbound: the case it was taken from")
    external_id = models.CharField(max_length=200, blank=True, help_text="inbound: the peer's own id")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by_actor = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "signal_type", "value"], name="signal_one_per_source"),
        ]
        indexes = [
            models.Index(fields=["direction", "updated_at", "id"], name="signal_feed_idx"),
            models.Index(fields=["key_hash"], condition=Q(direction="inbound", status="active"),
                         name="signal_inbound_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.signal_type} {self.value[:60]} ({self.get_tlp_display()})"


class SignalMatch(models.Model):
    """An inbound signal that names content one of our cases is about: reviewers see it on the case."""

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="matches")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="signal_matches")
    matched_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["signal", "case"], name="signal_match_once")]

    def __str__(self) -> str:
        return f"{self.signal_id} matches case {self.case_id}"


class SignalFeedback(models.Model):
    """A peer platform's opinion of one of our signals (ThreatExchange's ``SignalOpinion``; StopNCII's feedback).

    Why: a peer that found our URL was not violating on its side tells us, and
    our staff see which signals peers dispute. One row per signal and peer;
    giving feedback again replaces it.
    """

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="feedback")
    peer = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="signal_feedback")
    opinion = models.CharField(max_length=32, choices=Opinion.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["signal", "peer"], name="signal_feedback_once")]

    def __str__(self) -> str:
        return f"{self.peer_id} on {self.signal_id}: {self.opinion}"


class MatchSweep(models.Model):
    """Where the sweep that matches newly opened cases against inbound signals has got to (one row)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    swept_until = models.DateTimeField()

    def __str__(self) -> str:
        return f"Cases matched up to {self.swept_until:%Y-%m-%d %H:%M:%S}"
