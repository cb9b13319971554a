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
from django.db.models import Exists, F, FloatField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least, Round

from trustline.appeals.choices import REPLACING_OUTCOMES
from trustline.appeals.models import Appeal
from trustline.cases.models import Case
from trustline.core import clock
from trustline.intake.models import ReportItem
from trustline.metrics.cube import cube_add, cube_rebuild, cube_subtract
from trustline.metrics.models import FactsState, ItemFact
from trustline.metrics.sql import EpochSeconds
from trustline.review.choices import FINAL_OUTCOMES, DecisionStatus, ReferralKind
from trustline.review.models import ClockPause, Decision, Referral

STATE = "item_facts"
# Changes stamped up to this long before a refresh began may commit after it read them; re-read them.
SAFETY_MARGIN = dt.timedelta(minutes=5)
CHUNK_CASES = 500

# Column order of the INSERT, matching the SELECT list of ``_fact_select``.
COLUMNS = [
    "item_id", "case_id", "report_id", "organisation_id", "country", "language", "category_code", "tier",
    "crisis", "imminent_harm", "received_at", "opens_case", "ack_due_at", "decide_due_at", "first_action_at",
    "first_action_seconds", "decided_at", "paused_seconds", "clock_paused", "turnaround_seconds",
    "first_outcome", "outcome", "actions", "referred_policy", "reversed_on_contest", "closed_at", "refreshed_at",
]
_SCOPED_PARTS = 7  # the id list appears once per sub-query (6) and in the outer WHERE


@dataclasses.dataclass(frozen=True)
class RefreshResult:
    cases: int
    full: bool
    refreshed_through: dt.datetime


def _epoch(expr: str) -> str:
    """SQL for the epoch seconds of a datetime (as :class:`~trustline.metrics.sql.EpochSeconds` compiles it)."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {expr})::float8"
    return f"((julianday({expr}) - 2440587.5) * 86400.0)"


def _literals(values: Iterable[str]) -> str:
    """A SQL list of constant choice values (our own enumerations, never input)."""
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in sorted(values))


def _fact_select(*, scoped: int | None) -> str:
    """The SELECT of fact rows (stage 1): items joined to per-case aggregates (hash joins, not per-row look-ups).

    Every per-case fact is one grouped sub-query, joined once:

    * ``d``: the first decision of any outcome (first human action, with the
      case's ``acknowledged_at``) and the first *final* decision that took
      effect; an item's decision time is ``max(received, that)``, so an item
      that joins a case already decided (a referral keeps it open) is
      answered at once;
    * ``fo``: the outcome of that first final decision (a window function);
    * ``e``: the decision in effect now (outcome, actions);
    * ``p``: whether a clock pause is open now; ``rf``: a policy-review
      referral; ``ap``: a contest that reversed a decision; ``fi``: the
      case's first item (smallest UUIDv7, i.e. earliest), which counts the case.

    ``scoped``: limit every part to that many case ids, passed as parameters
    (the same list once per part, in textual order). Durations are rounded
    to whole seconds (SQLite's julianday() arithmetic is off by microseconds).
    """
    final = _literals(o.value for o in FINAL_OUTCOMES)
    replacing = _literals(o.value for o in REPLACING_OUTCOMES)
    ids = "(" + ", ".join(["%s"] * scoped) + ")" if scoped else ""
    where = f" WHERE case_id IN {ids}" if scoped else ""
    and_scope = f" AND case_id IN {ids}" if scoped else ""
    if connection.vendor == "postgresql":
        crisis = "COALESCE((c.priority_components ->> 'crisis')::numeric > 0, false)"
        actions, greatest, as_text = "e.actions::text", "GREATEST", "::text"  # PostgreSQL has no min(uuid)
    else:
        crisis = "COALESCE(json_extract(c.priority_components, '$.crisis') > 0, 0)"
        actions, greatest, as_text = "e.actions", "MAX", ""
    decided = ("(CASE WHEN d.first_final IS NULL THEN NULL WHEN d.first_final < r.received_at THEN r.received_at "
               "ELSE d.first_final END)")
    first_action = ("COALESCE(CASE WHEN c.acknowledged_at < d.first_any THEN c.acknowledged_at ELSE d.first_any END, "
                    "c.acknowledged_at, d.first_any)")
    received = _epoch("r.received_at")
    # Only our own constants and quoted identifiers are formatted in; ids and times are parameters.
    return f"""
SELECT i.id, i.case_id, i.report_id, r.organisation_id, r.country,
       COALESCE(NULLIF(c.language, ''), r.language), cat.code, c.tier, {crisis}, r.imminent_harm, r.received_at,
       (i.id{as_text} = fi.first_item), c.ack_due_at, c.decide_due_at, {first_action},
       CASE WHEN {first_action} IS NULL THEN NULL
            ELSE {greatest}(0.0, ROUND({_epoch(first_action)} - {received})) END,
       {decided}, 0.0, COALESCE(p.open_pauses > 0, false),
       ROUND({_epoch(decided)} - {received}),
       COALESCE(fo.outcome, ''), COALESCE(e.outcome, ''), COALESCE({actions}, ''),
       COALESCE(rf.n > 0, false), COALESCE(ap.n > 0, false), c.closed_at, %s
FROM intake_reportitem i
JOIN intake_report r ON r.id = i.report_id
JOIN taxonomy_category cat ON cat.id = r.category_id
JOIN cases_case c ON c.id = i.case_id
LEFT JOIN (SELECT case_id, MIN(decided_at) AS first_any,
                  MIN(CASE WHEN outcome IN ({final}) THEN effective_at END) AS first_final
           FROM review_decision{where} GROUP BY case_id) d ON d.case_id = i.case_id
LEFT JOIN (SELECT case_id, outcome FROM (
               SELECT case_id, outcome, ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY effective_at, id) AS rn
               FROM review_decision WHERE outcome IN ({final}) AND effective_at IS NOT NULL{and_scope}) ranked
           WHERE rn = 1) fo ON fo.case_id = i.case_id
LEFT JOIN review_decision e ON e.case_id = i.case_id AND e.status = '{DecisionStatus.EFFECTIVE.value}'
LEFT JOIN (SELECT case_id, SUM(CASE WHEN resumed_at IS NULL THEN 1 ELSE 0 END) AS open_pauses
           FROM review_clockpause{where} GROUP BY case_id) p ON p.case_id = i.case_id
LEFT JOIN (SELECT case_id, COUNT(*) AS n FROM review_referral
           WHERE kind = '{ReferralKind.POLICY_REVIEW.value}'{and_scope} GROUP BY case_id) rf ON rf.case_id = i.case_id
LEFT JOIN (SELECT case_id, COUNT(*) AS n FROM appeals_appeal
           WHERE outcome IN ({replacing}){and_scope} GROUP BY case_id) ap ON ap.case_id = i.case_id
LEFT JOIN (SELECT case_id, MIN(id{as_text}) AS first_item FROM intake_reportitem{where} GROUP BY case_id) fi
       ON fi.case_id = i.case_id
{f"WHERE i.case_id IN {ids}" if scoped else ""}
"""  # noqa: S608


def _insert_facts(case_ids: list[uuid.UUID] | None, now: dt.datetime) -> None:
    """``INSERT INTO metrics_itemfact (...) SELECT ...``: the database copies the rows, Python never sees them.

    ``case_ids``: only the items of these cases; ``None``: every item.
    """
    field = ItemFact._meta.get_field("case_id")
    ids = [field.get_db_prep_value(c, connection) for c in case_ids or []]
    sql = _fact_select(scoped=len(ids) if case_ids is not None else None)
    params = [connection.ops.adapt_datetimefield_value(now), *(ids * _SCOPED_PARTS)]
    table = connection.ops.quote_name(ItemFact._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)  # field names are the column names
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)


def _derive_pauses(facts: QuerySet[ItemFact], now: dt.datetime) -> None:
    """Stage 2, only on rows whose case had its clock paused: paused seconds, and turnaround without them.

    Paused seconds = the overlap of each ClockPause of the case with
    ``[received_at, decided_at]`` (``now`` for undecided items; an open pause
    counts up to it), summed and rounded to whole seconds.
    """
    end = Coalesce(EpochSeconds(OuterRef("decided_at")), Value(now.timestamp()))
    overlap = Greatest(
        Value(0.0),
        Least(Coalesce(EpochSeconds(F("resumed_at")), end), end)
        - Greatest(EpochSeconds(F("paused_at")), EpochSeconds(OuterRef("received_at"))),
    )
    pause_sum = (ClockPause.objects.filter(case_id=OuterRef("case_id")).order_by().values("case_id")
                 .annotate(s=Sum(overlap, output_field=FloatField())).values("s"))
    paused = facts.filter(Exists(ClockPause.objects.filter(case_id=OuterRef("case_id"))))
    paused.update(paused_seconds=Coalesce(Round(Subquery(pause_sum, output_field=FloatField())), Value(0.0)))
    paused.filter(turnaround_seconds__isnull=False).update(
        turnaround_seconds=F("turnaround_seconds") - F("paused_seconds"))


def _rebuild_all(now: dt.datetime) -> None:
    """Every row from scratch: empty the table, drop its secondary indexes, load, index again.

    Building an index once over the loaded table is much cheaper than
    maintaining them row by row for millions of inserts, and ``TRUNCATE``
    leaves no dead rows behind. PostgreSQL only (DDL is transactional there,
    so readers see the old table until the new one is complete); SQLite
    deletes and re-inserts.
    """
    if connection.vendor != "postgresql":  # small databases; SQLite cannot alter tables mid-transaction
        ItemFact.objects.all().delete()
        _insert_facts(None, now)
        _derive_pauses(ItemFact.objects.all(), now)
        cube_rebuild()
        return
    indexes = list(ItemFact._meta.indexes)
    with connection.schema_editor(atomic=False) as editor:
        for index in indexes:
            editor.remove_index(ItemFact, index)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {connection.ops.quote_name(ItemFact._meta.db_table)}")
    _insert_facts(None, now)
    with connection.schema_editor(atomic=False) as editor:
        for index in indexes:
            editor.add_index(ItemFact, index)
    _derive_pauses(ItemFact.objects.all(), now)
    cube_rebuild()


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
       paused time with ``UPDATE``s of the rows whose case was ever paused.
       The hourly counts (:mod:`.cube`) lose the old rows' counts before
       the delete and gain the new ones after, in the same transaction.
    3. Move the watermark to the moment the refresh started.
    """
    started = clock.now()
    with transaction.atomic():
        state, _ = FactsState.objects.select_for_update().get_or_create(name=STATE)
        if connection.vendor == "postgresql":  # compiling the big SELECT (JIT) costs more than it saves
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        if full or state.refreshed_through is None:
            _rebuild_all(started)
            touched = Case.objects.count()
            full = True
        else:
            cases = sorted(changed_cases(state.refreshed_through - SAFETY_MARGIN))
            for i in range(0, len(cases), CHUNK_CASES):
                chunk = cases[i:i + CHUNK_CASES]
                cube_subtract(chunk)
                ItemFact.objects.filter(case_id__in=chunk).delete()
                _insert_facts(chunk, started)
                _derive_pauses(ItemFact.objects.filter(case_id__in=chunk), started)
                cube_add(chunk)
            touched = len(cases)
        FactsState.objects.filter(name=STATE).update(refreshed_through=started, last_run_at=clock.now(),
                                                     last_cases=touched)
    return RefreshResult(cases=touched, full=full, refreshed_through=started)


def facts_as_of() -> dt.datetime | None:
    """When the roll-up was last brought up to date (shown with every figure)."""
    return FactsState.objects.filter(name=STATE).values_list("refreshed_through", flat=True).first()
