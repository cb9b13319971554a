"""Reads of the transparency app, starting from what the actor may see.

The exports are programme-wide aggregates and statements without personal
data, so "what the actor may see" is all or nothing: staff with
``transparency.export``. Partners read only their own annual report
(:mod:`trustline.transparency.partner`) and what the platform told their
Digital Services Coordinator about them (:func:`own_dsc_communications`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Count

from trustline.accounts.permissions import Actor, Perm, require
from trustline.transparency import conf
from trustline.transparency.choices import SubmissionStatus
from trustline.transparency.models import DscCommunication, StatementSubmission
from trustline.transparency.report import TransparencyReport, transparency_report
from trustline.transparency.statements import Skipped, statements_iter

NEEDS_ATTENTION_SHOWN = 100


def statements_for(*, actor: Actor, start: dt.date, end: dt.date) -> Iterator[dict[str, Any] | Skipped]:
    require(actor, Perm.TRANSPARENCY_EXPORT)
    return statements_iter(start=start, end=end)


def report_for(*, actor: Actor, start: dt.date, end: dt.date) -> TransparencyReport:
    require(actor, Perm.TRANSPARENCY_EXPORT)
    return transparency_report(start=start, end=end)


def submission_summary(*, actor: Actor) -> dict[str, Any]:
    """Where the statements are on their way to the TDB, and the ones a person must look at."""
    require(actor, Perm.TRANSPARENCY_EXPORT)
    counts = {status: 0 for status in SubmissionStatus.values}
    for row in StatementSubmission.objects.values("status").annotate(n=Count("id")).order_by():
        counts[row["status"]] = row["n"]
    attention = StatementSubmission.objects.filter(
        status__in=(SubmissionStatus.REJECTED, SubmissionStatus.UNMAPPABLE)
    ).exclude(last_error__startswith="no statement owed").order_by("created_at")[:NEEDS_ATTENTION_SHOWN]
    return {
        "enabled": conf.submit_enabled(),
        "base_url": conf.base_url(),
        "counts": counts,
        "needs_attention": [{"puid": r.puid, "status": r.status, "error": r.last_error} for r in attention],
    }


def own_dsc_communications(*, actor: Actor) -> list[DscCommunication]:
    """The Art. 22(6) communications about the actor's own organisation, newest first (partners; staff: none)."""
    if actor.is_staff_side or actor.organisation_id is None:
        return []
    return list(DscCommunication.objects.filter(organisation_id=actor.organisation_id).order_by("-sent_at")[:20])
