"""Contesting decisions (DSA Art. 20): submit, take, decide, withdraw. Each is one audited transaction.

The rules, enforced here so no interface can skip them:

* A partner contests a decision on content it reported, within six calendar
  months of being told of it (:func:`contest_deadline`), with reasons; one
  open contest per decision and partner.
* A contest is handled by a reviewer who neither made nor cross-checked the
  contested decision (:func:`_check_may_handle`, applied when claiming,
  assigning and deciding).
* The outcome (upheld, reversed, partially reversed) is recorded with a
  partner-facing explanation; a reversal replaces the decision through
  :func:`trustline.appeals.decisions.contest_decision_record`, so it takes
  effect exactly as any decision does. Withdrawal by the partner is recorded
  as ``omitted``.
* The partner sees the contest on its report's timeline (``appealed``, then
  ``appeal_decided``) and is notified (``appeal.received``,
  ``appeal.decided``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from trustline.accounts.models import User
from trustline.accounts.permissions import Actor, Perm, require
from trustline.accounts.selectors import actor_for_user
from trustline.appeals.choices import (
    ACTIVE_STATUSES,
    EVENT_APPEAL_DECIDED,
    EVENT_APPEAL_RECEIVED,
    REPLACING_OUTCOMES,
    REVIEWER_OUTCOMES,
    AppealOutcome,
    AppealStatus,
)
from trustline.appeals.decisions import (
    CONTESTABLE_OUTCOMES,
    DecisionInput,
    contest_decision_record,
    decision_handlers_excluded,
    decision_informed_at,
    decision_took_no_action,
    partner_reports_refresh,
    partner_timeline_add,
)
from trustline.appeals.models import Appeal
from trustline.appeals.selectors import appeal_get, appeal_queue_for, parse_id
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core import clock
from trustline.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from trustline.intake.choices import TimelineKind
from trustline.intake.models import Report, ReportItem
from trustline.notifications.language import in_language_of
from trustline.notifications.services import notification_send
from trustline.review.choices import DecisionStatus
from trustline.review.models import Decision

CONTEST_WINDOW_MONTHS = 6
MAX_REASONS_CHARS = 10_000
MAX_EXPLANATION_CHARS = 5_000
MAX_NOTE_CHARS = 5_000
CLAIM_CANDIDATES = 20


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """``moment`` plus calendar months, on the same day (or the month's last day: 31 Aug + 6 = 28/29 Feb)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def contest_deadline(informed_at: dt.datetime) -> dt.datetime:
    """The last moment a decision told at ``informed_at`` can be contested (DSA Art. 20(1): six months)."""
    return add_months(informed_at, CONTEST_WINDOW_MONTHS)


# --------------------------------------------------------------------------------------------
# Submitting
# --------------------------------------------------------------------------------------------


def _own_reports_in_case(*, actor: Actor, case_id: uuid.UUID) -> list[Report]:
    return list(
        Report.objects.filter(organisation=actor.organisation, items__case_id=case_id).distinct()
        .order_by("received_at", "id")
    )


def _contested(
    *, actor: Actor, decision_id: str | uuid.UUID | None, report_id: str | uuid.UUID | None
) -> tuple[Decision, Report]:
    """The decision the partner contests and the report it contests it through (404 if not its own)."""
    if decision_id:
        decision = Decision.objects.filter(pk=parse_id(decision_id, "Decision")).first()
        reports = _own_reports_in_case(actor=actor, case_id=decision.case_id) if decision is not None else []
        if decision is None or not reports or decision.status == DecisionStatus.PENDING_SECOND_REVIEW:
            raise NotFound("Decision not found.")
        if not report_id:
            return decision, reports[0]
        wanted = parse_id(report_id, "Report")
        report = next((r for r in reports if r.pk == wanted), None)
        if report is None:
            raise ValidationFailed.field("report_id", "this report is not about the decided content")
        return decision, report
    if not report_id:
        raise ValidationFailed("Give decision_id or report_id.", fields={"decision_id": ["required"]})
    report = Report.objects.filter(pk=parse_id(report_id, "Report"), organisation=actor.organisation).first()
    if report is None:
        raise NotFound("Report not found.")
    case_ids = set(ReportItem.objects.filter(report=report).values_list("case_id", flat=True))
    decisions = list(
        Decision.objects.filter(case_id__in=case_ids, status=DecisionStatus.EFFECTIVE, outcome__in=CONTESTABLE_OUTCOMES)
    )
    if not decisions:
        raise ValidationFailed.field("report_id", "nothing on this report has been decided yet")
    if len(decisions) > 1:
        raise ValidationFailed.field(
            "decision_id", "this report's items were decided separately; give the decision_id to contest"
        )
    return decisions[0], report


def _check_contestable(decision: Decision, informed_at: dt.datetime | None, now: dt.datetime) -> None:
    if decision.outcome not in CONTESTABLE_OUTCOMES:
        raise ValidationFailed.field(
            "decision_id", "only a decision on the content (violating, not violating, out of scope) can be contested"
        )
    if decision.status == DecisionStatus.SUPERSEDED:
        raise Conflict("This decision was replaced by a later one; contest that one instead.",
                       code="decision_superseded")
    if informed_at is None:
        raise NotFound("Decision not found.")
    deadline = contest_deadline(informed_at)
    if now > deadline:
        raise ValidationFailed(
            f"The six months to contest this decision ended on {deadline:%Y-%m-%d %H:%M} UTC "
            f"(you were told of it on {informed_at:%Y-%m-%d %H:%M} UTC).",
            code="contest_window_closed",
            fields={"decision_id": ["the six-month window to contest this decision has ended"]},
        )


def appeal_submit(
    *,
    actor: Actor,
    reasons: str,
    decision_id: str | uuid.UUID | None = None,
    report_id: str | uuid.UUID | None = None,
) -> Appeal:
    """A partner contests a decision on content it reported (by decision, or by report when it has one).

    1. ``appeal.submit`` and a partner organisation; the decision must be on
       the partner's own content (else 404, as for one that does not exist).
    2. Only an effective decision on the content, within six months of the
       partner being told of it (else 422 ``contest_window_closed``).
    3. One open contest per decision and partner (else 409); the same
       reasons sent again return that contest unchanged (a retry after a lost
       reply, on a weak connection).
    4. Store it with the transparency facts, put ``appealed`` on the
       partner's timeline, mark its reports appealed, notify, audit.
    """
    require(actor, Perm.APPEAL_SUBMIT)
    if actor.organisation is None or actor.is_staff_side:
        raise PermissionDenied("Only trusted partners contest decisions on their reports.")
    reasons = (reasons or "").strip()
    if not reasons:
        raise ValidationFailed.field("reasons", "say why the decision should change")
    if len(reasons) > MAX_REASONS_CHARS:
        raise ValidationFailed.field("reasons", f"at most {MAX_REASONS_CHARS} characters")
    now = clock.now()
    decision, report = _contested(actor=actor, decision_id=decision_id, report_id=report_id)
    retried = _open_contest(actor, decision, reasons)
    if retried is not None:
        return retried
    informed_at = decision_informed_at(decision=decision, organisation=actor.organisation)
    _check_contestable(decision, informed_at, now)
    assert informed_at is not None  # checked above
    case = decision.case
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                organisation=actor.organisation,
                decision=decision,
                case=case,
                report=report,
                reasons=reasons,
                submitted_by=actor.user,
                submitted_by_actor=actor.audit_id,
                received_at=now,
                informed_at=informed_at,
                contested_outcome=decision.outcome,
                about_no_action=decision_took_no_action(decision),
                category_code=case.category_code,
                country=case.country,
            )
            view = {"appeal_id": str(appeal.pk), "decision_id": str(decision.pk), "status": appeal.status}
            reports = partner_timeline_add(case_id=case.pk, organisation=actor.organisation,
                                           kind=TimelineKind.APPEALED, data=view, at=now)
            partner_reports_refresh(reports, appealed=True)
            audit_record(actor=actor, action=AuditAction.APPEAL_SUBMITTED, target=appeal, data={
                "decision": str(decision.pk), "case": str(case.pk), "report": str(report.pk),
                "informed_at": informed_at.isoformat(), "about_no_action": appeal.about_no_action,
            })
            with in_language_of(actor.organisation):
                subject = _("We received your contest of a decision")
                body = "\n".join([
                    _("We received your contest of our decision on content you reported."),
                    _("Contest: %(id)s") % {"id": appeal.pk},
                    (_("Report: %(id)s (your reference %(reference)s)") % {"id": report.pk,
                                                                          "reference": report.reference}
                     if report.reference else _("Report: %(id)s") % {"id": report.pk}),
                    "",
                    _("A reviewer who was not involved in the decision will look at it again and tell you "
                      "the outcome."),
                ])
            notification_send(
                organisation=actor.organisation,
                event_type=EVENT_APPEAL_RECEIVED,
                key=f"appeal:{appeal.pk}:received",
                subject=subject,
                body=body,
                data={**view, "report_id": str(report.pk), "received_at": now.isoformat()},
            )
    except IntegrityError as exc:
        retried = _open_contest(actor, decision, reasons)  # the same contest, sent twice at once
        if retried is not None:
            return retried
        if Appeal.objects.filter(decision=decision, organisation=actor.organisation,
                                 status__in=ACTIVE_STATUSES).exists():
            raise Conflict("You already have an open contest of this decision.", code="appeal_exists") from exc
        raise
    return appeal


def _open_contest(actor: Actor, decision: Decision, reasons: str) -> Appeal | None:
    """The partner's open contest of ``decision`` with exactly these reasons, if there is one."""
    return Appeal.objects.filter(decision=decision, organisation=actor.organisation, reasons=reasons,
                                 status__in=ACTIVE_STATUSES).first()


@transaction.atomic
def appeal_withdraw(*, actor: Actor, appeal_id: str | uuid.UUID) -> Appeal:
    """The partner withdraws its open contest; it is recorded as ``omitted`` (no review took place)."""
    require(actor, Perm.APPEAL_SUBMIT)
    found = appeal_get(actor=actor, appeal_id=appeal_id)
    if found.organisation_id != actor.organisation_id:
        raise NotFound("Contest not found.")
    appeal = Appeal.objects.select_for_update().get(pk=found.pk)
    if appeal.status not in ACTIVE_STATUSES:
        raise Conflict(f"This contest is already {appeal.get_status_display().lower()}.", code="appeal_closed")
    now = clock.now()
    appeal.status, appeal.outcome, appeal.decided_at = AppealStatus.WITHDRAWN, AppealOutcome.OMITTED, now
    appeal.save(update_fields=["status", "outcome", "decided_at"])
    _tell_partner_timeline(appeal, now)
    audit_record(actor=actor, action=AuditAction.APPEAL_WITHDRAWN, target=appeal,
                 data={"decision": str(appeal.decision_id), "assigned_to": appeal.assigned_to_id})
    return appeal


# --------------------------------------------------------------------------------------------
# Taking a contest: claim the next one, assign, release
# --------------------------------------------------------------------------------------------


def _check_may_handle(decision: Decision, *, actor: Actor | None = None, user: User | None = None) -> None:
    """Refuse the contested decision's author and second reviewer (as actor, or as the ``user`` assigned)."""
    users, actors = decision_handlers_excluded(decision)
    person = user if user is not None else (actor.user if actor is not None else None)
    same = (person is not None and person.pk in users) or (actor is not None and actor.audit_id in actors)
    if same:
        raise PermissionDenied(
            "A contest must be handled by someone who neither made nor cross-checked the contested decision.",
            code="own_decision",
        )


def _require_handler(actor: Actor) -> User:
    require(actor, Perm.APPEAL_HANDLE)
    if actor.user is None:
        raise PermissionDenied("Contests are handled by a signed-in reviewer.")
    return actor.user


def appeal_claim_next(*, actor: Actor) -> Appeal | None:
    """Take the oldest open contest the actor may handle; ``None`` when there is none.

    Candidates come from :func:`appeal_queue_for` (which leaves out the
    actor's own decisions); each is taken with ``UPDATE ... WHERE status =
    'open'``, so two reviewers claiming at once never get the same contest:
    the loser's UPDATE changes no row and it tries the next candidate.
    """
    user = _require_handler(actor)
    now = clock.now()
    for candidate in appeal_queue_for(actor=actor).values_list("pk", flat=True)[:CLAIM_CANDIDATES]:
        with transaction.atomic():
            taken = Appeal.objects.filter(pk=candidate, status=AppealStatus.OPEN).update(
                status=AppealStatus.IN_REVIEW, assigned_to=user, assigned_at=now
            )
            if taken != 1:
                continue
            appeal = Appeal.objects.select_related("decision").get(pk=candidate)
            _check_may_handle(appeal.decision, actor=actor)  # the queue already excludes; belt and braces
            audit_record(actor=actor, action=AuditAction.APPEAL_CLAIMED, target=appeal,
                         data={"decision": str(appeal.decision_id)})
            return appeal
    return None


@transaction.atomic
def appeal_assign(*, actor: Actor, appeal_id: str | uuid.UUID, username: str) -> Appeal:
    """An escalation lead hands an open or taken contest to a reviewer (never the decision's own reviewers)."""
    require(actor, Perm.APPEAL_ASSIGN)
    found = appeal_get(actor=actor, appeal_id=appeal_id)
    assignee = User.objects.filter(username=username, is_active=True).first()
    assignee_actor = actor_for_user(assignee) if assignee is not None else None
    if assignee is None or assignee_actor is None or not assignee_actor.is_staff_side \
            or not assignee_actor.has(Perm.APPEAL_HANDLE):
        raise ValidationFailed.field("reviewer", "not a reviewer who may handle contests")
    appeal = Appeal.objects.select_for_update(of=("self",)).select_related("decision").get(pk=found.pk)
    if appeal.status not in ACTIVE_STATUSES:
        raise Conflict(f"This contest is already {appeal.get_status_display().lower()}.", code="appeal_closed")
    _check_may_handle(appeal.decision, actor=assignee_actor)
    previous = appeal.assigned_to_id
    appeal.status, appeal.assigned_to, appeal.assigned_at = AppealStatus.IN_REVIEW, assignee, clock.now()
    appeal.save(update_fields=["status", "assigned_to", "assigned_at"])
    audit_record(actor=actor, action=AuditAction.APPEAL_ASSIGNED, target=appeal,
                 data={"to": assignee.pk, "from": previous})
    return appeal


@transaction.atomic
def appeal_release(*, actor: Actor, appeal_id: str | uuid.UUID) -> Appeal:
    """Put a taken contest back in the queue: its holder, or an escalation lead."""
    found = appeal_get(actor=actor, appeal_id=appeal_id)
    appeal = Appeal.objects.select_for_update().get(pk=found.pk)
    holder = actor.user is not None and appeal.assigned_to_id == actor.user.pk
    if not holder:
        require(actor, Perm.APPEAL_ASSIGN)
    if appeal.status != AppealStatus.IN_REVIEW:
        raise Conflict("Only a contest in review can be released.", code="not_in_review")
    previous = appeal.assigned_to_id
    appeal.status, appeal.assigned_to, appeal.assigned_at = AppealStatus.OPEN, None, None
    appeal.save(update_fields=["status", "assigned_to", "assigned_at"])
    audit_record(actor=actor, action=AuditAction.APPEAL_RELEASED, target=appeal, data={"from": previous})
    return appeal


# --------------------------------------------------------------------------------------------
# Deciding
# --------------------------------------------------------------------------------------------


def _check_outcome(outcome: str, contested: Decision, new_decision: DecisionInput | None) -> AppealOutcome:
    if outcome not in REVIEWER_OUTCOMES:
        raise ValidationFailed.field("outcome", "one of upheld, reversed, partially_reversed")
    result = AppealOutcome(outcome)
    if result in REPLACING_OUTCOMES and new_decision is None:
        raise ValidationFailed.field("new_decision", f"required: a {result.value} contest replaces the decision")
    if result == AppealOutcome.UPHELD and new_decision is not None:
        raise ValidationFailed.field("new_decision", "an upheld decision stays as it is; leave this out")
    if new_decision is None:
        return result
    same_outcome = new_decision.outcome == contested.outcome
    same_actions = sorted(new_decision.actions) == sorted(contested.actions or [])
    if result == AppealOutcome.REVERSED and same_outcome:
        raise ValidationFailed.field("new_decision.outcome", "a reversal changes the outcome; "
                                     "use partially_reversed to change only the actions")
    if result == AppealOutcome.PARTIALLY_REVERSED and same_outcome and same_actions and \
            sorted(new_decision.territorial_scope) == sorted(contested.territorial_scope or []):
        raise ValidationFailed.field("new_decision", "a partial reversal changes the actions or their scope")
    return result


def _tell_partner_timeline(appeal: Appeal, now: dt.datetime) -> None:
    view = {"appeal_id": str(appeal.pk), "decision_id": str(appeal.decision_id), "outcome": appeal.outcome,
            "explanation": appeal.explanation,
            "new_decision_id": str(appeal.new_decision_id) if appeal.new_decision_id else None}
    reports = partner_timeline_add(case_id=appeal.case_id, organisation=appeal.organisation,
                                   kind=TimelineKind.APPEAL_DECIDED, data=view, at=now)
    still_open = set(
        Appeal.objects.filter(report_id__in=reports, status__in=ACTIVE_STATUSES).values_list("report_id", flat=True)
    )
    partner_reports_refresh(reports - still_open, appealed=False)


def appeal_decide(
    *,
    actor: Actor,
    appeal_id: str | uuid.UUID,
    outcome: str,
    explanation: str,
    internal_note: str = "",
    new_decision: DecisionInput | None = None,
) -> Appeal:
    """Record the outcome of a contest the actor holds, and tell the partner.

    1. ``appeal.handle``; the actor holds the contest (claimed or assigned)
       and did not make or cross-check the contested decision.
    2. Upheld: nothing else changes. Reversed (the outcome changes) or
       partially reversed (the actions or their scope change): the new
       decision is recorded and applied through review
       (``contest_decision_record``), in this transaction.
    3. The contest is closed with its outcome, the partner's timeline gets
       ``appeal_decided``, the partner is notified, and it is audited.
    """
    user = _require_handler(actor)
    explanation = (explanation or "").strip()
    internal_note = (internal_note or "").strip()
    if not explanation:
        raise ValidationFailed.field("explanation", "required: the partner is told why")
    if len(explanation) > MAX_EXPLANATION_CHARS:
        raise ValidationFailed.field("explanation", f"at most {MAX_EXPLANATION_CHARS} characters")
    if len(internal_note) > MAX_NOTE_CHARS:
        raise ValidationFailed.field("internal_note", f"at most {MAX_NOTE_CHARS} characters")
    found = appeal_get(actor=actor, appeal_id=appeal_id)
    with transaction.atomic():
        # Lock the contest row only: review locks cases, then decisions, and so does the reversal below.
        locked = Appeal.objects.select_for_update(of=("self",)).select_related("decision", "organisation")
        appeal = locked.get(pk=found.pk)
        _check_may_handle(appeal.decision, actor=actor)
        if appeal.status != AppealStatus.IN_REVIEW or appeal.assigned_to_id != user.pk:
            if appeal.status not in ACTIVE_STATUSES:
                raise Conflict(f"This contest is already {appeal.get_status_display().lower()}.",
                               code="appeal_closed")
            raise PermissionDenied("Take this contest first (claim it, or ask an escalation lead to assign it).",
                                   code="appeal_not_held")
        result = _check_outcome(outcome, appeal.decision, new_decision)
        now = clock.now()
        replacement = None
        if new_decision is not None:
            replacement = contest_decision_record(actor=actor, contested=appeal.decision, data=new_decision)
        appeal.status = AppealStatus.DECIDED
        appeal.outcome = result
        appeal.explanation = explanation
        appeal.internal_note = internal_note
        appeal.decided_by = user
        appeal.decided_by_actor = actor.audit_id
        appeal.decided_at = now
        appeal.new_decision = replacement
        appeal.human_reviewed = True
        appeal.save(update_fields=["status", "outcome", "explanation", "internal_note", "decided_by",
                                   "decided_by_actor", "decided_at", "new_decision", "human_reviewed"])
        _tell_partner_timeline(appeal, now)
        audit_record(actor=actor, action=AuditAction.APPEAL_DECIDED, target=appeal, data={
            "decision": str(appeal.decision_id), "outcome": result.value,
            "new_decision": str(replacement.pk) if replacement is not None else None,
        })
        _notify_decided(appeal, replacement)
    return appeal


def _notify_decided(appeal: Appeal, replacement: Decision | None) -> None:
    outcome = AppealOutcome(appeal.outcome)
    with in_language_of(appeal.organisation):
        label = str(outcome.label)
        lines = [
            _("We reviewed your contest of our decision again: %(outcome)s.") % {"outcome": label},
            _("Contest: %(id)s") % {"id": appeal.pk},
            "",
            appeal.explanation,
        ]
        subject = _("Your contest was decided: %(outcome)s") % {"outcome": label}
        if replacement is not None:
            lines += ["", _("The new decision: %(outcome)s.") % {"outcome": replacement.get_outcome_display()},
                      replacement.explanation]
    data: dict[str, Any] = {
        "appeal_id": str(appeal.pk), "decision_id": str(appeal.decision_id), "report_id": str(appeal.report_id),
        "outcome": outcome.value, "explanation": appeal.explanation,
        "decided_at": appeal.decided_at.isoformat() if appeal.decided_at else None,
        "new_decision": None,
    }
    if replacement is not None:
        data["new_decision"] = {"id": str(replacement.pk), "outcome": replacement.outcome,
                                "actions": list(replacement.actions), "explanation": replacement.explanation}
    notification_send(
        organisation=appeal.organisation,
        event_type=EVENT_APPEAL_DECIDED,
        key=f"appeal:{appeal.pk}:decided",
        subject=subject,
        body="\n".join(lines),
        data=data,
    )

