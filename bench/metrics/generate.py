"""Synthetic programme data for the metrics (and transparency) benchmarks, generated inside PostgreSQL.

Importable: ``setup_django(url)`` then ``generate(items=..., start=..., end=...)``
writes organisations, reports, items, cases, decisions, clock pauses,
referrals and contests with ``INSERT ... SELECT generate_series`` (Python
never sees a row), in chunks so memory stays flat and progress shows.

Shape (deterministic: pseudo-random draws are hashes of the row number, so
two runs give the same data):

* ``items`` reported items in pairs (two items per report), received evenly
  over ``[start, end)``; 40 partners with a skewed share (the first few
  report most); every tenth item reports content an earlier report already
  named, so it joins that case (90 % as many cases as items);
* per case: tier 1/2/3 at 10/35/55 %; 10 % of tier 1 imminent harm; 3 % in a
  crisis (``priority_components.crisis = 5``); country and language from a
  weighted list; SLA due times of the default policies;
* 95 % decided (none in the last 2 days before ``end``), after an
  exponential time with a mean of 8/36/60 hours by tier; 5 % had their clock
  paused for 24 hours waiting for the partner (the decision comes 24 h
  later); outcomes violating 55 %, not violating 30 %, out of scope 8 %,
  referred to policy review 4 %, to law enforcement 3 %; decided cases are
  closed a minute later; 70 % of the rest acknowledged;
* 1 % of decided cases contested two days after the decision, 30 % of those
  reversed, the rest upheld, a day later.

Command line (creates the database if missing, migrates, generates, builds
the metrics roll-up, ``VACUUM ANALYZE``)::

    .venv/bin/python bench/metrics/generate.py --items 10000000 \
        [--url postgres://postgres@127.0.0.1:5432/tl_metrics_bench] [--fresh]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tl_metrics_bench"
START = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)  # Q2 and Q3 2026: the benchmark reads Q3 against Q2
PARTNERS = 40
CHUNK = 1_000_000

COUNTRIES = [("SD", "ar-SD", 0.12), ("PK", "ur", 0.12), ("NG", "en", 0.10), ("IN", "hi", 0.10),
             ("EG", "ar-EG", 0.08), ("VE", "es-VE", 0.08), ("BR", "pt-BR", 0.08), ("ET", "am", 0.06),
             ("MM", "my", 0.06), ("SY", "ar", 0.06), ("KE", "sw", 0.05), ("PH", "tl", 0.05),
             ("UA", "uk", 0.04)]


def setup_django(url: str) -> None:
    """Point Django at ``url`` (creating the database if needed) and set it up."""
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustline.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def drop_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- SQL helpers ------------------------------------------------------------------------


def u(x: str, salt: int) -> str:
    """A deterministic draw in [0, 1) from integer expression ``x``."""
    return f"(((({x})::bigint * 2654435761 + {salt * 40503 + 17}) % 1000003)::float8 / 1000003.0::float8)"


def uid(prefix: int, x: str) -> str:
    """A uuid whose first hex digit is ``prefix`` and last 12 are ``x`` (stable ids across tables)."""
    return f"('{prefix:x}0000000-0000-7000-8000-' || lpad(to_hex({x}), 12, '0'))::uuid"


def weighted(draw: str, choices: list[tuple[str, float]]) -> str:
    parts, total = [], 0.0
    for value, weight in choices[:-1]:
        total += weight
        parts.append(f"WHEN {draw} < {total:.6f} THEN {value}")
    return f"(CASE {' '.join(parts)} ELSE {choices[-1][0]} END)"


def q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def fill(model: Any, given: dict[str, str]) -> tuple[str, str]:
    """Column list and SELECT list for ``model``: ``given`` expressions, neutral values for other NOT NULLs.

    Other apps add columns over time; this keeps the generator inserting
    valid rows without knowing every one of them.
    """
    from django.db.models import NOT_PROVIDED, JSONField

    columns, exprs = [], []
    for field in model._meta.concrete_fields:
        column = field.column
        if column in given:
            expr = given[column]
        elif field.null:
            continue
        elif field.default is not NOT_PROVIDED and not callable(field.default):
            value = field.default
            if isinstance(field, JSONField):
                import json

                expr = q(json.dumps(value)) + "::jsonb"
            elif isinstance(value, bool):
                expr = "true" if value else "false"
            elif isinstance(value, int | float):
                expr = str(value)
            else:
                expr = q(str(value))
        else:
            kind = field.get_internal_type()
            if kind in ("CharField", "TextField", "SlugField", "EmailField", "URLField", "FileField"):
                expr = "''"
            elif kind == "BooleanField":
                expr = "false"
            elif kind.endswith("IntegerField") or kind in ("FloatField", "DecimalField", "BigAutoField", "AutoField"):
                if kind in ("BigAutoField", "AutoField"):
                    continue
                expr = "0"
            elif kind == "DateTimeField":
                expr = "now()"
            elif kind == "JSONField":
                expr = "'{}'::jsonb"
            elif kind == "UUIDField":
                expr = "gen_random_uuid()"
            else:
                raise RuntimeError(f"no neutral value for {model.__name__}.{field.name} ({kind})")
        columns.append(column)
        exprs.append(expr)
    return ", ".join(columns), ", ".join(exprs)


def execute(sql: str, label: str) -> float:
    from django.db import connection

    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql)
    took = time.perf_counter() - began
    print(f"  {label}: {took:.1f} s", flush=True)
    return took


# --- The generator ----------------------------------------------------------------------


def partners() -> list[int]:
    """Forty trusted partners (created once; reused on later runs)."""
    from trustline.accounts.choices import OrganisationKind
    from trustline.accounts.models import Organisation

    ids = []
    for n in range(PARTNERS):
        org, _ = Organisation.objects.get_or_create(
            slug=f"bench-partner-{n:02d}",
            defaults={"name": f"Bench partner {n:02d}", "kind": OrganisationKind.PARTNER},
        )
        ids.append(org.pk)
    return ids


TABLES = ["intake_report", "intake_reportitem", "cases_case", "review_decision", "review_clockpause",
          "review_referral", "appeals_appeal"]


def _plain_indexes() -> list[tuple[str, str]]:
    """(name, definition) of the secondary indexes of the loaded tables that back no constraint."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)", [TABLES])
        return list(cursor.fetchall())


def generate(*, items: int, start: dt.datetime = START, end: dt.datetime = END, chunk: int = CHUNK) -> dict[str, float]:
    """Insert ``items`` items (and everything around them); returns seconds per table.

    Bulk-load practice: the secondary indexes of the loaded tables are
    dropped first and built again at the end (one sort each instead of
    millions of insertions), and foreign-key triggers are off for the
    session (``session_replication_role = replica``; the generator writes
    consistent ids by construction). Constraint-backed indexes stay.
    """
    from django.db import connection

    indexes = _plain_indexes()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    try:
        return _generate(items=items, start=start, end=end, chunk=chunk)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
        began = time.perf_counter()
        for _, definition in indexes:
            with connection.cursor() as cursor:
                cursor.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
        print(f"  indexes rebuilt ({len(indexes)}): {time.perf_counter() - began:.1f} s", flush=True)


def _generate(*, items: int, start: dt.datetime, end: dt.datetime, chunk: int) -> dict[str, float]:
    from trustline.appeals.models import Appeal
    from trustline.cases.models import Case
    from trustline.intake.models import Report, ReportItem
    from trustline.review.models import ClockPause, Decision, Referral
    from trustline.taxonomy.models import Category

    org_ids = partners()
    # Skewed partner shares: partner k gets weight 1/(k+1).
    weights = [1 / (k + 1) for k in range(len(org_ids))]
    total = sum(weights)
    org_choices = [(str(pk), w / total) for pk, w in zip(org_ids, weights, strict=True)]
    cats = list(Category.objects.values_list("id", "code", "severity_tier"))
    by_tier = {t: [c for c in cats if c[2] == t] or cats for t in (1, 2, 3)}
    reports = (items + 1) // 2
    span = (end - start).total_seconds()
    t_start = f"'{start.isoformat()}'::timestamptz"
    timings: dict[str, float] = {}

    def received(report_no: str) -> str:
        return f"({t_start} + (({report_no})::float8 / {reports}) * {span} * interval '1 second')"

    def case_facts(cn: str) -> dict[str, str]:
        """Expressions of case number ``cn`` (its opening report is ``(cn + 1) / 2``)."""
        rn = f"(({cn} + 1) / 2)"
        tier = weighted(u(cn, 1), [("1", 0.10), ("2", 0.35), ("3", 0.55)])
        country_i = weighted(u(rn, 2), [(str(i + 1), w) for i, (_, _, w) in enumerate(COUNTRIES)])
        return {"rn": rn, "tier": tier, "country_i": country_i, "opened": received(rn)}

    def category(tier_expr: str, draw: str, what: int) -> str:
        parts = []
        for t, options in by_tier.items():
            arr = "ARRAY[" + ",".join(str(c[what]) if what == 0 else q(c[what]) for c in options) + "]"
            parts.append(f"WHEN {t} THEN ({arr})[1 + floor({draw} * {len(options)})::int]")
        return f"(CASE {tier_expr} {' '.join(parts)} END)"

    countries = "ARRAY[" + ",".join(q(c) for c, _, _ in COUNTRIES) + "]"
    languages = "ARRAY[" + ",".join(q(lang) for _, lang, _ in COUNTRIES) + "]"
    decided_cut = f"'{(end - dt.timedelta(days=2)).isoformat()}'::timestamptz"
    mean_hours = "(CASE tier WHEN 1 THEN 8 WHEN 2 THEN 36 ELSE 60 END)"

    # 1. Reports (pairs of items); category, country and language of the case they open.
    for first in range(1, reports + 1, chunk):
        last = min(reports, first + chunk - 1)
        f = case_facts("(2 * g - 1)")
        cols, exprs = fill(Report, {
            "id": uid(2, "g"), "organisation_id": weighted(u("g", 3), org_choices), "channel": "'api'",
            "category_id": category(f["tier"], u("(2 * g - 1)", 9), 0), "explanation": "'Synthetic report.'",
            "country": f"({countries})[{f['country_i']}]", "language": f"({languages})[{f['country_i']}]",
            "imminent_harm": f"({f['tier']} = 1 AND {u('(2 * g - 1)', 4)} < 0.1)", "bona_fide": "true",
            "dsa_elements": "'{}'::jsonb", "status": "'received'", "received_at": received("g"),
            "item_count": f"(CASE WHEN 2 * g <= {items} THEN 2 ELSE 1 END)", "targets": "'[]'::jsonb",
        })
        timings["reports"] = timings.get("reports", 0) + execute(
            f"INSERT INTO intake_report ({cols}) SELECT {exprs} FROM generate_series({first}, {last}) AS g",
            f"reports {first:,}-{last:,}")

    # 2. Cases (one per item not joining an earlier case), with triage, acknowledgement and closing.
    for first in range(1, items + 1, chunk):
        last = min(items, first + chunk - 1)
        f = case_facts("cn")
        dec = (f"(opened + ((-ln(1 - {u('cn', 5)}) * {mean_hours}) + CASE WHEN paused THEN 24 ELSE 0 END)"
               " * interval '1 hour')")
        inner = (
            f"SELECT cn, tier, opened, paused, crisis, country_i, "
            f"CASE WHEN {u('cn', 6)} < 0.95 AND {dec} < {decided_cut} THEN {dec} END AS decided "
            f"FROM (SELECT cn, {f['tier']} AS tier, {f['opened']} AS opened, {f['country_i']} AS country_i, "
            f"{u('cn', 7)} < 0.05 AS paused, {u('cn', 8)} < 0.03 AS crisis "
            f"FROM generate_series({first}, {last}) AS cn WHERE cn % 10 <> 0 OFFSET 0) AS base OFFSET 0"
        )
        cols, exprs = fill(Case, {
            "id": uid(0, "cn"), "key_hash": "md5('bench:' || cn)", "canonical_key": "'https://kite.example/b/' || cn",
            "canonical_url": "'https://kite.example/b/' || cn", "item_kind": "'post'",
            "status": "CASE WHEN decided IS NULL THEN 'triaged' ELSE 'closed' END", "is_open": "decided IS NULL",
            "opened_at": "opened", "last_reported_at": "opened", "closed_at": "decided + interval '1 minute'",
            "item_count": "1", "partner_count": "1", "country": f"({countries})[country_i]",
            "category_code": category("tier", u("cn", 9), 1), "imminent_harm": f"(tier = 1 AND {u('cn', 4)} < 0.1)",
            "tier": "tier", "priority": "tier * 100", "priority_components":
            "jsonb_build_object('crisis', CASE WHEN crisis THEN 5 ELSE 0 END)", "priority_computed_at": "opened",
            "triaged_at": "opened", "sla_policy_snapshot": "'{}'::jsonb",
            "acknowledged_at": f"CASE WHEN decided IS NOT NULL OR {u('cn', 10)} < 0.7 THEN opened + "
                               f"(-ln(1 - {u('cn', 11)}) * {mean_hours} * 0.3) * interval '1 hour' END",
            "ack_due_at": "opened + (CASE tier WHEN 1 THEN 4 WHEN 2 THEN 24 ELSE 48 END) * interval '1 hour'",
            "decide_due_at": "opened + ((CASE tier WHEN 1 THEN 24 WHEN 2 THEN 72 ELSE 120 END)"
                             " + CASE WHEN paused THEN 24 ELSE 0 END) * interval '1 hour'",
            "language": f"({languages})[country_i]",
        })
        timings["cases"] = timings.get("cases", 0) + execute(
            f"INSERT INTO cases_case ({cols}) SELECT {exprs} FROM ({inner}) AS c", f"cases {first:,}-{last:,}")

    # 3. Items: item i is in report (i + 1) / 2; every tenth joins the case of item i - 3.
    for first in range(1, items + 1, chunk):
        last = min(items, first + chunk - 1)
        cols, exprs = fill(ReportItem, {
            "id": uid(1, "i"), "report_id": uid(2, "(i + 1) / 2"), "position": "(i + 1) % 2", "kind": "'post'",
            "url": "'https://kite.example/b/' || (CASE WHEN i % 10 = 0 THEN i - 3 ELSE i END)",
            "canonical_url": "'https://kite.example/b/' || (CASE WHEN i % 10 = 0 THEN i - 3 ELSE i END)",
            "case_id": uid(0, "CASE WHEN i % 10 = 0 THEN i - 3 ELSE i END"),
        })
        timings["items"] = timings.get("items", 0) + execute(
            f"INSERT INTO intake_reportitem ({cols}) SELECT {exprs} FROM generate_series({first}, {last}) AS i",
            f"items {first:,}-{last:,}")

    # 4. Decisions, pauses, referrals and contests, from the decided cases.
    outcome = weighted(u("cn", 12), [("'violating'", 0.55), ("'not_violating'", 0.30), ("'out_of_scope'", 0.08),
                                     ("'referred_to_policy_review'", 0.04), ("'referred_to_law_enforcement'", 0.03)])
    cols, exprs = fill(Decision, {
        "id": uid(3, "cn"), "case_id": "id", "outcome": "outcome",
        "actions": f"CASE WHEN outcome = 'violating' THEN (CASE WHEN {u('cn', 13)} < 0.8 THEN '[\"remove\"]' "
                   "ELSE '[\"label\"]' END)::jsonb ELSE '[]'::jsonb END",
        "territorial_scope": "'[]'::jsonb", "explanation": "'Synthetic decision.'", "decided_by_actor": "'system'",
        "decided_at": "closed_at - interval '1 minute'", "effective_at": "closed_at - interval '1 minute'",
        "status": "'effective'", "language": "'en'", "automated_decision": "'AUTOMATED_DECISION_NOT_AUTOMATED'",
        "second_review_reasons": "'[]'::jsonb", "precision_counts": "'[]'::jsonb",
    })
    source = (f"SELECT c.*, {outcome} AS outcome FROM (SELECT *, ('x' || right(id::text, 12))::bit(48)::bigint AS cn "
              f"FROM cases_case WHERE closed_at IS NOT NULL) AS c")
    timings["decisions"] = execute(f"INSERT INTO review_decision ({cols}) SELECT {exprs} FROM ({source}) AS s",
                                   "decisions")
    cols, exprs = fill(ClockPause, {
        "case_id": "id", "paused_at": "opened_at + interval '1 hour'", "resumed_at": "opened_at + interval '25 hours'",
        "paused_seconds": "86400", "resume_reason": "'answered'",
    })
    timings["pauses"] = execute(
        f"INSERT INTO review_clockpause ({cols}) SELECT {exprs} FROM (SELECT *, "
        f"('x' || right(id::text, 12))::bit(48)::bigint AS cn FROM cases_case) AS c WHERE {u('cn', 7)} < 0.05",
        "clock pauses")
    cols, exprs = fill(Referral, {
        "id": uid(4, "('x' || right(d.id::text, 12))::bit(48)::bigint"), "case_id": "d.case_id",
        "decision_id": "d.id", "kind": "'policy_review'", "status": "'open'", "created_at": "d.effective_at",
    })
    timings["referrals"] = execute(
        f"INSERT INTO review_referral ({cols}) SELECT {exprs} FROM review_decision d "
        "WHERE d.outcome = 'referred_to_policy_review'", "referrals")
    cols, exprs = fill(Appeal, {
        "id": uid(5, "cn"), "organisation_id": "r.organisation_id", "decision_id": "d.id", "case_id": "d.case_id",
        "report_id": "r.id", "reasons": "'Synthetic contest.'", "submitted_by_actor": "'system'",
        "received_at": "d.effective_at + interval '2 days'", "informed_at": "d.effective_at",
        "status": "'decided'", "outcome": f"CASE WHEN {u('cn', 15)} < 0.3 THEN 'reversed' ELSE 'upheld' END",
        "decided_at": "d.effective_at + interval '3 days'", "decided_by_actor": "'system'",
        "contested_outcome": "d.outcome", "about_no_action": "d.outcome <> 'violating'",
        "category_code": "c.category_code", "country": "c.country", "human_reviewed": "true",
    })
    timings["contests"] = execute(
        f"INSERT INTO appeals_appeal ({cols}) SELECT {exprs} FROM (SELECT d.*, "
        "('x' || right(d.case_id::text, 12))::bit(48)::bigint AS cn FROM review_decision d) AS d "
        "JOIN cases_case c ON c.id = d.case_id "
        f"JOIN intake_report r ON r.id = {uid(2, '((d.cn + 1) / 2)')} "
        f"WHERE {u('d.cn', 14)} < 0.01", "contests")
    return timings


def build_facts() -> float:
    """The metrics roll-up from scratch (the real ``facts_refresh(full=True)``), timed."""
    from trustline.core import clock
    from trustline.metrics.facts import facts_refresh

    began = time.perf_counter()
    with clock.frozen_at(END):
        facts_refresh(full=True)
    took = time.perf_counter() - began
    print(f"  metrics facts (full rebuild): {took:.1f} s", flush=True)
    return took


def vacuum() -> float:
    from django.db import connection

    began = time.perf_counter()
    connection.ensure_connection()
    raw = connection.connection
    previous = raw.autocommit
    raw.autocommit = True
    with raw.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    raw.autocommit = previous
    took = time.perf_counter() - began
    print(f"  VACUUM ANALYZE: {took:.1f} s", flush=True)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description="Generate the metrics benchmark database.")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--url", default=os.environ.get("BENCH_METRICS_URL", DEFAULT_URL))
    parser.add_argument("--chunk", type=int, default=CHUNK)
    parser.add_argument("--fresh", action="store_true", help="drop the database first")
    parser.add_argument("--no-facts", action="store_true", help="skip building the metrics roll-up")
    args = parser.parse_args()
    if args.fresh:
        drop_database(args.url)
    setup_django(args.url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"Generating {args.items:,} items into {args.url}", flush=True)
    began = time.perf_counter()
    generate(items=args.items, chunk=args.chunk)
    vacuum()
    if not args.no_facts:
        build_facts()
        vacuum()
    print(f"Done in {time.perf_counter() - began:.0f} s", flush=True)


if __name__ == "__main__":
    main()
