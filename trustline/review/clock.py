"""The paused decide-by clock: one :class:`ClockPause` per interval a case waits for a partner.

Two things pause a case's clock, both "waiting for information from the
partner": a reviewer's question (``information.information_requests_open``)
and a hold (``routing.services.case_hold``). Both go through
:func:`clock_pause_open`, which opens a pause only when none is open, so a
hold while a question already pauses the clock (or the other way round)
never pauses it twice or stretches the deadline twice. Whatever ends the
wait (an answer, the last question expiring, an unhold, a decision) calls
:func:`clock_resume`, which closes the one open pause and moves
``decide_due_at`` later by exactly the paused time.

This module only touches ``cases.Case`` and ``review.ClockPause`` and
imports nothing from routing, so routing's hold service can use it without
an import cycle (review's other modules import routing).
"""

from __future__ import annotations

import datetime as dt

from trustline.audit.choices import AuditAction
from trustline.audit.services import AuditEvent
from trustline.cases.models import Case
from trustline.review.models import ClockPause, Decision

PAUSE_QUESTION = "information_request"
PAUSE_HOLD = "hold"


def clock_pause_open(
    *, case: Case, at: dt.datetime, reason: str, decision: Decision | None = None
) -> tuple[ClockPause, bool]:
    """Open a pause of the case's clock unless one is open; returns the open pause and whether it is new.

    The caller holds the case's row lock (the partial unique constraint
    ``clockpause_one_open`` is the second line of defence).
    """
    pause = ClockPause.objects.filter(case=case, resumed_at__isnull=True).first()
    if pause is not None:
        return pause, False
    pause = ClockPause.objects.create(case=case, decision=decision, paused_at=at, pause_reason=reason[:32],
                                      decide_due_before=case.decide_due_at)
    return pause, True


def clock_resume(*, case: Case, at: dt.datetime, reason: str) -> ClockPause | None:
    """Close the open pause, if any, and push ``decide_due_at`` later by the paused duration.

    The caller holds the case's row lock. Returns the closed pause (``None``
    when the clock was running).
    """
    pause = ClockPause.objects.select_for_update().filter(case=case, resumed_at__isnull=True).first()
    if pause is None:
        return None
    paused = max(dt.timedelta(0), at - pause.paused_at)
    due = Case.objects.values_list("decide_due_at", flat=True).get(pk=case.pk)
    new_due = due + paused if due is not None else None
    pause.resumed_at = at
    pause.paused_seconds = int(paused.total_seconds())
    pause.decide_due_before = due
    pause.decide_due_after = new_due
    pause.resume_reason = reason[:32]
    pause.save(update_fields=["resumed_at", "paused_seconds", "decide_due_before", "decide_due_after",
                              "resume_reason"])
    Case.objects.filter(pk=case.pk).update(decide_due_at=new_due)
    case.decide_due_at = new_due
    return pause


def paused_event(case: Case, pause: ClockPause) -> AuditEvent:
    """The ``case.clock_paused`` audit event of a pause just opened."""
    return AuditEvent(
        AuditAction.CLOCK_PAUSED, "cases.case", str(case.pk),
        {"paused_at": pause.paused_at.isoformat(), "reason": pause.pause_reason,
         "decision": str(pause.decision_id) if pause.decision_id else None},
    )


def pause_event(case: Case, pause: ClockPause) -> AuditEvent:
    """The ``case.clock_resumed`` audit event of a pause just closed, with the deadline arithmetic."""
    return AuditEvent(
        AuditAction.CLOCK_RESUMED, "cases.case", str(case.pk),
        {
            "paused_at": pause.paused_at.isoformat(),
            "resumed_at": pause.resumed_at.isoformat() if pause.resumed_at else None,
            "paused_seconds": pause.paused_seconds,
            "decide_due_before": pause.decide_due_before.isoformat() if pause.decide_due_before else None,
            "decide_due_at": pause.decide_due_after.isoformat() if pause.decide_due_after else None,
            "reason": pause.resume_reason,
            "pause_reason": pause.pause_reason,
        },
    )
