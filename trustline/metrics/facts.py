"""Keeping the item-fact roll-up in step with the source tables, set-based, on both databases.

The roll-up (:class:`~trustline.metrics.models.ItemFact`) is derived data:
deleting it and running :func:`facts_refresh` with ``full=True`` rebuilds it
exactly. No other app calls into this module; the metrics read their own
table and a periodic job (``tasks.metrics_facts_refresh``, every minute)
catches up with what changed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models import Case as Switch
from django.db.models.functions import Cast, Coalesce, Greatest, Least, NullIf, Round

from trustline.appeals.choices import REPLACING_OUTCOMES
from trustline.appeals.models import Appeal
from trustline.cases.models import Case
from trustline.core import clock
from trustline.intake.models import ReportItem
from trustline.metrics.models import FactsState, ItemFact
from trustline.metrics.sql import EpochSeconds
from trustline.review.choices import FINAL_OUTCOMES, DecisionStatus, ReferralKind
from trustline.review.models import ClockPause, Decision, Referral

STATE = "item_facts"
# Changes stamped up to this long before a refresh began may commit after it read them; re-read them.
SAFETY_MARGIN = dt.timedelta(minutes=5)
CHUNK_CASES = 500

# Column order of the INSERT; each name is an ItemFact field and an annotation of the SELECT.
COLUMNS = [
    "item_id", "case_id", "report_id", "organisation_id", "country", "language", "category_code", "tier",
    "crisis", "imminent_harm", "received_at", "opens_case", "ack_due_at", "decide_due_at", "first_action_at",
    "first_action_seconds", "decided_at", "paused_seconds", "clock_paused", "turnaround_seconds",
    "first_outcome", "outcome", "actions", "referred_policy", "reversed_on_contest", "closed_at", "refreshed_at",
]


def earliest_of(a: Any, b: Any) -> Any:
    """The earlier of two nullable values, ignoring a null.

    PostgreSQL's LEAST ignores nulls but SQLite's MIN(a, b) returns null if
    either is; ``COALESCE(LEAST(a, b), a, b)`` is right on both.
    """
    return Coalesce(Least(a, b), a, b)


@dataclasses.dataclass(frozen=True)
class RefreshResult:
    cases: int
    full: bool
    refreshed_through: dt.datetime


def _item_rows(now: dt.datetime) -> QuerySet[ReportItem]:
    """The SELECT of the fact rows (stage 1): slices, due times, the first decision, the state now.

    Correlated sub-queries all go through indexed ``case_id`` columns
    (decisions, referrals, appeals, pauses, items).
    """
    received = OuterRef("report__received_at")
    final = Decision.objects.filter(case_id=OuterRef("case_id"), outcome__in=FINAL_OUTCOMES,
                                    effective_at__isnull=False)
    first_after = final.filter(effective_at__gte=received).order_by("effective_at", "id")
    earlier = final.filter(effective_at__lt=received).order_by("-effective_at", "-id")
    effective = Decision.objects.filter(case_id=OuterRef("case_id"), status=DecisionStatus.EFFECTIVE)
    first_any = Decision.objects.filter(case_id=OuterRef("case_id")).order_by("decided_at", "id")
    first_item = ReportItem.objects.filter(case_id=OuterRef("case_id")).order_by("report__received_at", "id")
    annotations: dict[str, Any] = {
        "f_item_id": F("id"),
        "f_case_id": F("case_id"),
        "f_report_id": F("report_id"),
        "f_organisation_id": F("report__organisation_id"),
        "f_country": F("report__country"),
        "f_language": Coalesce(NullIf(F("case__language"), Value("")), F("report__language"),
                               output_field=CharField()),
        "f_category_code": F("report__category__code"),
        "f_tier": F("case__tier"),
        "f_crisis": ExpressionWrapper(Q(case__priority_components__crisis__gt=0), output_field=BooleanField()),
        "f_imminent_harm": F("report__imminent_harm"),
        "f_received_at": F("report__received_at"),
        "f_opens_case": ExpressionWrapper(Q(id=Subquery(first_item.values("id")[:1])), output_field=BooleanField()),
        "f_ack_due_at": F("case__ack_due_at"),
        "f_decide_due_at": F("case__decide_due_at"),
        "f_first_action_at": earliest_of(F("case__acknowledged_at"), Subquery(first_any.values("decided_at")[:1])),
        "f_first_action_seconds": Value(None, output_field=FloatField()),
        # An item that joins a case already decided (e.g. referred, still open) gets that decision at once.
        "f_decided_at": Coalesce(
            Subquery(first_after.values("effective_at")[:1]),
            Switch(When(Exists(earlier), then=F("report__received_at")), default=None),
        ),
        "f_paused_seconds": Value(0.0),
        "f_clock_paused": Exists(ClockPause.objects.filter(case_id=OuterRef("case_id"), resumed_at__isnull=True)),
        "f_turnaround_seconds": Value(None, output_field=FloatField()),
        "f_first_outcome": Coalesce(Subquery(first_after.values("outcome")[:1]),
                                    Subquery(earlier.values("outcome")[:1]), Value(""), output_field=CharField()),
        "f_outcome": Coalesce(Subquery(effective.values("outcome")[:1]), Value(""), output_field=CharField()),
        "f_actions": Coalesce(Subquery(effective.annotate(t=Cast("actions", TextField())).values("t")[:1]),
                              Value(""), output_field=TextField()),
        "f_referred_policy": Exists(Referral.objects.filter(case_id=OuterRef("case_id"),
                                                            kind=ReferralKind.POLICY_REVIEW)),
        "f_reversed_on_contest": Exists(Appeal.objects.filter(case_id=OuterRef("case_id"),
                                                              outcome__in=REPLACING_OUTCOMES)),
        "f_closed_at": F("case__closed_at"),
        "f_refreshed_at": Value(now),
    }
    assert list(annotations) == [f"f_{c}" for c in COLUMNS]
    return ReportItem.objects.order_by().annotate(**annotations)


def _insert_facts(items: QuerySet[ReportItem] | None, now: dt.datetime) -> None:
    """``INSERT INTO metrics_itemfact (...) SELECT ...``: the database copies the rows, Python never sees them."""
    select = _item_rows(now).filter(pk__in=items.values("pk")) if items is not None else _item_rows(now)
    sql, params = select.values(*[f"f_{c}" for c in COLUMNS]).query.sql_with_params()
    table = connection.ops.quote_name(ItemFact._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)  # field names are the column names
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)


def _derive(facts: QuerySet[ItemFact], now: dt.datetime) -> None:
    """Stages 2 and 3, on the rows just written: paused time, then the response times.

    2. Paused seconds: the overlap of each ClockPause of the case with
       ``[received_at, decided_at]`` (``now`` for undecided items; an open
       pause counts up to it), summed, only for rows whose case has pauses.
    3. ``turnaround_seconds = decided - received - paused`` and
       ``first_action_seconds = max(0, first action - received)``.

    Durations are rounded to whole seconds: SQLite's julianday() arithmetic
    is off by some microseconds, and no figure needs finer than a second.
    """
    end = Coalesce(EpochSeconds(OuterRef("decided_at")), Value(now.timestamp()))
    overlap = Greatest(
        Value(0.0),
        Least(Coalesce(EpochSeconds(F("resumed_at")), end), end)
        - Greatest(EpochSeconds(F("paused_at")), EpochSeconds(OuterRef("received_at"))),
    )
    pause_sum = (ClockPause.objects.filter(case_id=OuterRef("case_id")).order_by().values("case_id")
                 .annotate(s=Sum(overlap, output_field=FloatField())).values("s"))
    facts.filter(Exists(ClockPause.objects.filter(case_id=OuterRef("case_id")))).update(
        paused_seconds=Coalesce(Round(Subquery(pause_sum, output_field=FloatField())), Value(0.0))
    )
    facts.update(
        turnaround_seconds=Round(EpochSeconds(F("decided_at")) - EpochSeconds(F("received_at"))) - F("paused_seconds"),
        first_action_seconds=Switch(
            When(first_action_at__isnull=False,
                 then=Greatest(Value(0.0), Round(EpochSeconds(F("first_action_at")) - EpochSeconds(F("received_at"))))),
            default=None, output_field=FloatField(),
        ),
    )


def changed_cases(since: dt.datetime) -> set[uuid.UUID]:
    """Cases whose facts may have changed since ``since``: anything stamped later on the case or its rows.

    New items, decisions made/taking effect/superseded, pauses started or
    ended, contests received or decided, referrals, and the case's own
    triage, acknowledgement, rescoring (tier, crisis boost) and closing.
    """
    ids: set[uuid.UUID] = set()
    sources: Iterable[QuerySet[Any]] = (
        ReportItem.objects.filter(report__received_at__gte=since).values_list("case_id", flat=True),
        Decision.objects.filter(Q(decided_at__gte=since) | Q(effective_at__gte=since) | Q(superseded_at__gte=since))
        .values_list("case_id", flat=True),
        ClockPause.objects.filter(Q(paused_at__gte=since) | Q(resumed_at__gte=since)).values_list("case_id", flat=True),
        Appeal.objects.filter(Q(received_at__gte=since) | Q(decided_at__gte=since)).values_list("case_id", flat=True),
        Referral.objects.filter(created_at__gte=since).values_list("case_id", flat=True),
        Case.objects.filter(Q(triaged_at__gte=since) | Q(acknowledged_at__gte=since)
                            | Q(priority_computed_at__gte=since) | Q(closed_at__gte=since))
        .values_list("id", flat=True),
    )
    for source in sources:
        ids.update(source.distinct())
    return ids


def facts_refresh(*, full: bool = False) -> RefreshResult:
    """Bring the roll-up up to date (idempotent; concurrent runs queue on the state row).

    1. Lock the state row; ``since`` = watermark minus the safety margin.
       No watermark (first run) or ``full``: rebuild every row.
    2. Otherwise find the cases changed since then (:func:`changed_cases`)
       and, in chunks, delete their fact rows and insert them again from the
       source tables (one ``INSERT ... SELECT`` per chunk), then derive the
       paused time and response times with two ``UPDATE``s.
    3. Move the watermark to the moment the refresh started.
    """
    started = clock.now()
    with transaction.atomic():
        state, _ = FactsState.objects.select_for_update().get_or_create(name=STATE)
        if full or state.refreshed_through is None:
            ItemFact.objects.all().delete()
            _insert_facts(None, started)  # every item
            _derive(ItemFact.objects.all(), started)
            touched = Case.objects.count()
            full = True
        else:
            cases = sorted(changed_cases(state.refreshed_through - SAFETY_MARGIN))
            for i in range(0, len(cases), CHUNK_CASES):
                chunk = cases[i:i + CHUNK_CASES]
                ItemFact.objects.filter(case_id__in=chunk).delete()
                _insert_facts(ReportItem.objects.filter(case_id__in=chunk), started)
                _derive(ItemFact.objects.filter(case_id__in=chunk), started)
            touched = len(cases)
        FactsState.objects.filter(name=STATE).update(refreshed_through=started, last_run_at=clock.now(),
                                                     last_cases=touched)
    return RefreshResult(cases=touched, full=full, refreshed_through=started)


def facts_as_of() -> dt.datetime | None:
    """When the roll-up was last brought up to date (shown with every figure)."""
    return FactsState.objects.filter(name=STATE).values_list("refreshed_through", flat=True).first()
