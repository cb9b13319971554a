"""API shapes of the signal exchange: In, Out and Filter schemas, never one for both ways."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import ConfigDict, Field

from trustline.signals.choices import Direction, Opinion, SignalStatus, SignalType, Tlp


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AgreementIn(StrictIn):
    categories: list[str] = Field(default_factory=list, max_length=100,
                                  description="taxonomy category codes the peer receives; empty: every category")
    max_tlp: Tlp = Field(Tlp.GREEN, description="the most restricted marking the peer receives (never red)")
    accepts_inbound: bool = Field(True, description="the peer may send us signals")
    is_active: bool = True
    note: str = Field("", max_length=2000, description="e.g. the reference of the signed agreement")


class AgreementOut(Schema):
    peer: str = Field(description="the peer platform's slug")
    peer_name: str
    categories: list[str]
    max_tlp: Tlp
    accepts_inbound: bool
    is_active: bool
    note: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ShareIn(StrictIn):
    """From a case (``case_id``), or a signal of its own (``signal_type``, ``value``, ``category``)."""

    case_id: uuid.UUID | None = Field(None, description="a case decided as violating: its URL and category")
    signal_type: SignalType | None = None
    value: str = Field("", max_length=4096)
    category: str = Field("", max_length=64, description="taxonomy code; default: the case's")
    tlp: Tlp
    opinion: Opinion = Opinion.POSITIVE_CLASS
    tags: list[str] = Field(default_factory=list, max_length=20)
    description: str = Field("", max_length=1000, description="what peers should know; no personal data")


class InboundIn(StrictIn):
    signal_type: SignalType
    value: str = Field(max_length=4096)
    category: str = Field("", max_length=64, description="our taxonomy code, if you know it")
    tlp: Tlp
    opinion: Opinion = Opinion.POSITIVE_CLASS
    tags: list[str] = Field(default_factory=list, max_length=20)
    description: str = Field("", max_length=1000)
    external_id: str = Field("", max_length=200, description="your own id of this signal")


class InboundBatchIn(StrictIn):
    signals: list[InboundIn] = Field(min_length=1, max_length=500, description="1 to 500 signals")


class WithdrawIn(StrictIn):
    reason: str = Field(max_length=2000, description="why; peers and auditors read it")


class FeedbackIn(StrictIn):
    opinion: Opinion = Field(description="POSITIVE_CLASS: you agree; NEGATIVE_CLASS: not violating on your side")
    note: str = Field("", max_length=1000, description="why, for our staff; no personal data")


class FeedbackOut(Schema):
    signal_id: uuid.UUID
    peer: str
    opinion: Opinion
    note: str
    created_at: dt.datetime
    updated_at: dt.datetime


class FeedSignalOut(Schema):
    """A signal as a peer receives it: no case, no person, no internal note."""

    id: uuid.UUID
    signal_type: SignalType
    value: str
    category: str
    tlp: Tlp
    opinion: Opinion
    tags: list[str]
    description: str
    status: SignalStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    withdrawn_reason: str


class FeedOut(Schema):
    items: list[FeedSignalOut]
    next_cursor: str = Field(description="ask with this next; it is the one you sent when nothing changed")
    has_more: bool


class SignalOut(FeedSignalOut):
    direction: Direction
    organisation: str = Field(description="slug of the source: ours, or the peer platform's")
    case_id: uuid.UUID | None
    external_id: str
    matched_case_ids: list[uuid.UUID]
    feedback: list[FeedbackOut] = Field(description="peers' opinions of our signal")
    disputed: bool = Field(description="a peer called it not violating (ThreatExchange's DISPUTED)")


class ReceivedOut(FeedSignalOut):
    """What a peer gets back for its signal: never whether, or which, of our cases it names."""

    external_id: str
    new: bool


class BatchOut(Schema):
    received: list[ReceivedOut] = Field(description="in the order sent")
    new: int
    updated: int


class WithdrawnOut(FeedSignalOut):
    direction: Direction


class SignalFilter(Schema):
    direction: Direction | None = None
    status: SignalStatus | None = None
    signal_type: SignalType | None = None
    organisation: str | None = Field(None, description="source organisation slug")


class MatchOut(Schema):
    signal_id: uuid.UUID
    case_id: uuid.UUID
    peer: str
    signal_type: SignalType
    value: str
    tlp: Tlp
    opinion: Opinion
    matched_at: dt.datetime
