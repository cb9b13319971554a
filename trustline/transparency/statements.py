"""DSA statements of reasons (Art. 17, Art. 24(5)) in the Transparency Database format, streamed.

A statement is owed for every **restriction decided**: a decision with the
outcome ``violating`` that took effect (``effective_at`` set; still
effective, or superseded later, e.g. reversed after a contest: the
restriction was imposed all the same) and lists at least one action other
than ``no_action``. One case is one piece of content, so one decision is one
statement; its ``puid`` is ``tl-<decision id>``: stable, never reused, and
the same in every export and submission.

How a statement is built (:func:`statement_from_row`), from one row of
:func:`statement_rows` (a ``values()`` query: no model instances):

1. Restrictions: each action maps to a TDB restriction family
   (``choices.TDB_VISIBILITY`` / ``TDB_ACCOUNT`` / ``TDB_PROVISION``). None
   left -> skipped (``no_restriction``).
2. Territorial scope: a geo-restriction alone restricts only the listed
   countries, intersected with the EU/EEA codes the TDB accepts (none left
   -> skipped ``outside_eea``: no statement is owed for a restriction that
   does not apply in the Union). Any other restriction applies everywhere:
   every EU/EEA code.
3. Ground: ``DECISION_GROUND_ILLEGAL_CONTENT`` needs the legal ground and
   its explanation, ``..._INCOMPATIBLE_CONTENT`` the contractual ground and
   its explanation; a missing one -> skipped (``missing_ground`` /
   ``missing_ground_text``), never an invalid statement.
4. Category and keywords from the cited policy's taxonomy row (its
   ``dsa_category`` and ``dsa_keywords`` are TDB keys already).
5. Source: a notice from a trusted partner -> ``SOURCE_TRUSTED_FLAGGER``
   (with ``TRUSTED_FLAGGER_NEEDS_DSC``, only a partner whose status was
   awarded by a Digital Services Coordinator; the other partners' notices
   are then ``SOURCE_ARTICLE_16``); from another kind of organisation (an
   agency, a peer platform) -> ``SOURCE_TYPE_OTHER_NOTIFICATION``; no
   notice -> ``SOURCE_VOLUNTARY``.
   ``source_identity`` is never sent (Art. 24(5): no personal data, and the
   flagger's name is not "strictly necessary").
6. Facts: a sentence built from the facts above, never the reviewer's free
   text (which may name people).

Statements are *not* validated against the JSON Schema on the hot path
(it would cost more than building them); the builder emits only schema
values by construction, and the tests validate every kind of decision.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from django.db import connection
from django.db.models import Case, IntegerField, OuterRef, Q, QuerySet, Subquery, TextField, Value, When
from django.db.models.functions import Cast

from trustline.accounts.choices import OrganisationKind
from trustline.intake.models import Report
from trustline.platforms.choices import ActionType
from trustline.review.choices import AutomatedDecision, DecisionGround, DecisionStatus, Outcome
from trustline.review.models import Decision
from trustline.transparency import conf
from trustline.transparency.choices import (
    TDB_ACCOUNT,
    TDB_CONTENT_TYPE,
    TDB_PROVISION,
    TDB_VISIBILITY,
    SkipReason,
    SourceType,
)

SCHEMA_PATH = Path(__file__).parent / "data" / "dsa_tdb_statement.schema.json"
TDB_BATCH_SIZE = 100  # POST /api/v1/statements takes at most 100 statements
DEFAULT_CHUNK_SIZE = 2000  # rows fetched per round trip of the server-side cursor
PUID_PREFIX = "tl-"

_MAX_GROUND = 500
_MAX_EXPLANATION = 2000
_MAX_FACTS = 5000


@functools.cache
def tdb_schema() -> dict[str, Any]:
    """The statement JSON Schema (derived from the TDB's own validation rules; see data/README in docs)."""
    with SCHEMA_PATH.open(encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


@functools.cache
def eea_codes() -> tuple[str, ...]:
    """The territorial_scope codes the TDB accepts (27 EU members, Greece as GR, plus IS, LI, NO)."""
    return tuple(tdb_schema()["properties"]["territorial_scope"]["items"]["enum"])


@functools.cache
def _language_codes() -> frozenset[str]:
    return frozenset(tdb_schema()["properties"]["content_language"]["enum"])


@functools.cache
def _keywords() -> frozenset[str]:
    return frozenset(tdb_schema()["properties"]["category_specification"]["items"]["enum"])


@functools.cache
def _categories() -> frozenset[str]:
    return frozenset(tdb_schema()["properties"]["category"]["enum"])


def puid_for(decision_id: object) -> str:
    return f"{PUID_PREFIX}{decision_id}"


@dataclasses.dataclass(frozen=True)
class Skipped:
    """A restriction decision that produced no statement, and why."""

    decision_id: str
    puid: str
    reason: SkipReason
    detail: str

    @property
    def needs_attention(self) -> bool:
        """Every reason but ``outside_eea`` (no statement owed) is a gap someone must fix."""
        return self.reason != SkipReason.OUTSIDE_EEA

    def as_dict(self) -> dict[str, Any]:
        return {"decision_id": self.decision_id, "puid": self.puid, "reason": str(self.reason),
                "detail": self.detail, "needs_attention": self.needs_attention}


# --------------------------------------------------------------------------------------------
# Query
# --------------------------------------------------------------------------------------------


def restriction_decisions() -> QuerySet[Decision]:
    """Every decision that imposed a restriction (see the module docstring), any time."""
    return (
        Decision.objects.filter(
            outcome=Outcome.VIOLATING,
            status__in=(DecisionStatus.EFFECTIVE, DecisionStatus.SUPERSEDED),
            effective_at__isnull=False,
        )
        .exclude(actions=[ActionType.NO_ACTION])
        .exclude(actions=[])
    )


def trusted_notice_filter(prefix: str = "") -> Q:
    """Reports (``prefix`` leads from another model to them) sent by a trusted flagger (step 5)."""
    condition = Q(**{f"{prefix}organisation__kind": OrganisationKind.PARTNER})
    if conf.trusted_flagger_needs_dsc():
        condition &= Q(**{f"{prefix}organisation__accreditation__awarding_dsc__gt": ""})
    return condition


ROW_FIELDS = (
    "id", "actions_json", "scope_json", "keywords_json", "decision_ground", "illegal_content_legal_ground",
    "illegal_content_explanation", "incompatible_content_ground", "incompatible_content_explanation",
    "automated_detection", "automated_decision", "effective_at", "case__opened_at", "case__item_kind",
    "case__language", "policy__name", "policy__policy_area", "policy__dsa_category",
    "notice_rank",
)

# The strongest kind of notice behind a case (``notice_rank``): one correlated subquery per row, resolved through
# the index on the items' case, instead of one semi-join per kind over every report.
RANK_TRUSTED, RANK_PARTNER, RANK_OTHER = 3, 2, 1


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[start 00:00 UTC, end+1 00:00 UTC)``: both dates included, as the TDB's dates are UTC days."""
    return (dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC))


def statement_rows(*, start: dt.date, end: dt.date) -> QuerySet[Decision, dict[str, Any]]:
    """The rows to build the statements of restrictions that took effect in ``[start, end]``, oldest first."""
    lower, upper = period_bounds(start, end)
    rank = Case(
        When(trusted_notice_filter(), then=Value(RANK_TRUSTED)),
        When(organisation__kind=OrganisationKind.PARTNER, then=Value(RANK_PARTNER)),
        default=Value(RANK_OTHER),
        output_field=IntegerField(),
    )
    notices = (Report.objects.filter(items__case_id=OuterRef("case_id")).annotate(rank=rank)
               .order_by("-rank").values("rank")[:1])
    return (
        restriction_decisions()
        .filter(effective_at__gte=lower, effective_at__lt=upper)
        .annotate(
            notice_rank=Subquery(notices, output_field=IntegerField()),
            # JSON lists as text: parsed once per distinct value (``_as_tuple``), not once per row.
            actions_json=Cast("actions", TextField()),
            scope_json=Cast("territorial_scope", TextField()),
            keywords_json=Cast("policy__dsa_keywords", TextField()),
        )
        .order_by("effective_at", "id")
        .values(*ROW_FIELDS)
    )


# --------------------------------------------------------------------------------------------
# Mapping
# --------------------------------------------------------------------------------------------


# Plain strings, computed once: the enums' ``values``/``label`` properties cost microseconds per call, and the
# builder runs for every statement of a 200k export.
_AUTOMATED = frozenset(str(v) for v in AutomatedDecision.values)
_NOT_AUTOMATED = str(AutomatedDecision.NOT_AUTOMATED.value)
_GROUNDS = tuple(str(v) for v in DecisionGround.values)


@functools.cache
def _action_words() -> dict[str, str]:
    return {str(a.value): str(a.label).lower() for a in ActionType}


_SOURCE_BY_RANK = {RANK_TRUSTED: str(SourceType.TRUSTED_FLAGGER.value), RANK_PARTNER: str(SourceType.ARTICLE_16.value),
                   RANK_OTHER: str(SourceType.OTHER_NOTIFICATION.value)}
_VOLUNTARY = str(SourceType.VOLUNTARY.value)
_ORIGIN = {
    str(SourceType.TRUSTED_FLAGGER.value): "A trusted flagger notified the content (Art. 22 DSA notice).",
    str(SourceType.OTHER_NOTIFICATION.value): "An organisation notified the content.",
    str(SourceType.ARTICLE_16.value): "The content was notified under Art. 16 DSA.",
    _VOLUNTARY: "The content was found on the provider's own initiative.",
}
_ILLEGAL = str(DecisionGround.ILLEGAL_CONTENT.value)
_INCOMPATIBLE = str(DecisionGround.INCOMPATIBLE_CONTENT.value)
_FULLY = str(AutomatedDecision.FULLY.value)
_NO_ACTION = str(ActionType.NO_ACTION.value)
_NOT_EVERYWHERE = frozenset({str(ActionType.GEO_RESTRICT.value), _NO_ACTION})
_CONTENT_TYPE = {str(k): v for k, v in TDB_CONTENT_TYPE.items()}
_VISIBILITY = {str(k): v for k, v in TDB_VISIBILITY.items()}
_ACCOUNT = {str(k): v for k, v in TDB_ACCOUNT.items()}
_PROVISION = {str(k): v for k, v in TDB_PROVISION.items()}


def _restrictions(actions: Iterable[str]) -> tuple[list[str], str | None, str | None]:
    visibility = [_VISIBILITY[a] for a in actions if a in _VISIBILITY]
    account = next((_ACCOUNT[a] for a in actions if a in _ACCOUNT), None)
    provision = next((_PROVISION[a] for a in actions if a in _PROVISION), None)
    return visibility, account, provision


def _scope(actions: list[str], countries: Iterable[str]) -> list[str]:
    """Step 2: the EU/EEA territories where the restriction applies."""
    everywhere = [a for a in actions if a not in _NOT_EVERYWHERE]
    if everywhere:
        return list(eea_codes())
    wanted = {("GR" if c.upper() == "EL" else c.upper()) for c in countries}
    return [code for code in eea_codes() if code in wanted]


def _facts(policy_name: str, policy_area: str, automated: str, source: str, scope: list[str],
           actions: list[str]) -> str:
    """Step 6: what happened, from facts only (no free text from reviewers or partners)."""
    origin = _ORIGIN[source]
    reviewed = "reviewed by a person" if automated != _FULLY else "decided by automated means"
    words = _action_words()
    done = ", ".join(words.get(a, a) for a in actions)
    where = "" if len(scope) == len(eea_codes()) else f" in {', '.join(scope)}"
    policy = policy_name or "the terms of service"
    area = f" ({policy_area})" if policy_area else ""
    return f"{origin} It was {reviewed} and found to violate the policy \"{policy}\"{area}. " \
           f"Measures taken{where}: {done}."[:_MAX_FACTS]


def _ground(row: Mapping[str, Any], decision_id: str, puid: str) -> dict[str, str] | Skipped:
    """Step 3."""
    ground = row["decision_ground"]
    if ground == _ILLEGAL:
        names = ("illegal_content_legal_ground", "illegal_content_explanation")
    elif ground == _INCOMPATIBLE:
        names = ("incompatible_content_ground", "incompatible_content_explanation")
    else:
        return Skipped(decision_id, puid, SkipReason.MISSING_GROUND,
                       f"decision_ground is {ground!r}; a violating decision needs one of {', '.join(_GROUNDS)}")
    values = [(row[names[0]] or "").strip(), (row[names[1]] or "").strip()]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        return Skipped(decision_id, puid, SkipReason.MISSING_GROUND_TEXT,
                       f"{', '.join(missing)} empty for {ground}")
    return {"decision_ground": ground, names[0]: values[0][:_MAX_GROUND], names[1]: values[1][:_MAX_EXPLANATION]}


def _as_tuple(value: object) -> tuple[str, ...]:
    """A JSON list from the database (text: parsed once per distinct value) or already a list."""
    if isinstance(value, str):
        return _parse_json_list(value)
    return tuple(str(v) for v in (value or ()))  # type: ignore[attr-defined]  # a list or None


@functools.lru_cache(maxsize=4096)
def _parse_json_list(text: str) -> tuple[str, ...]:
    parsed = json.loads(text) if text else []
    return tuple(str(v) for v in parsed) if isinstance(parsed, list) else ()


@functools.lru_cache(maxsize=8192)
def _shape(
    actions_in: tuple[str, ...], countries: tuple[str, ...], category: str, keywords_in: tuple[str, ...],
    policy_name: str, policy_area: str, item_kind: str, language_tag: str, automated_detection: bool,
    automated: str, source: str,
) -> dict[str, Any] | tuple[SkipReason, str]:
    """Steps 1, 2 and 4-6: everything of a statement that does not depend on the individual decision.

    Cached: a programme has few distinct combinations of actions, scope,
    policy, kind, language and flags, so a long export builds each once and
    copies it. Returns the fields, or why there is no statement.
    """
    actions = [a for a in actions_in if a != _NO_ACTION]
    visibility, account, provision = _restrictions(actions)
    if not (visibility or account or provision):
        return SkipReason.NO_RESTRICTION, f"actions {actions!r}"
    scope = _scope(actions, countries)
    if not scope:
        return SkipReason.OUTSIDE_EEA, f"geo-restricted only in {', '.join(countries)}"
    if category not in _categories():
        return SkipReason.MISSING_CATEGORY, f"policy {policy_name!r} has DSA category {category!r}"
    statement: dict[str, Any] = {}
    if visibility:
        statement["decision_visibility"] = visibility
    if account:
        statement["decision_account"] = account
    if provision:
        statement["decision_provision"] = provision
    content_type, content_type_other = _CONTENT_TYPE.get(item_kind, _CONTENT_TYPE["other"])
    statement["content_type"] = [content_type]
    if content_type_other:
        statement["content_type_other"] = content_type_other
    statement["category"] = category
    keywords = [k for k in keywords_in if k in _keywords()]
    if keywords:
        statement["category_specification"] = keywords
        if "KEYWORD_OTHER" in keywords:
            statement["category_specification_other"] = (policy_name or "Other")[:500]
    statement["territorial_scope"] = scope
    language = language_tag.split("-")[0].upper()
    if language in _language_codes():
        statement["content_language"] = language
    statement["decision_facts"] = _facts(policy_name, policy_area, automated, source, scope, actions)
    statement["source_type"] = source
    statement["automated_detection"] = "Yes" if automated_detection else "No"
    statement["automated_decision"] = automated if automated in _AUTOMATED else _NOT_AUTOMATED
    return statement


def statement_from_row(row: Mapping[str, Any]) -> dict[str, Any] | Skipped:
    """One statement of reasons (TDB field names and enums), or why there is none."""
    decision_id = str(row["id"])
    puid = puid_for(decision_id)
    shape = _shape(
        _as_tuple(row["actions_json"]), _as_tuple(row["scope_json"]), row["policy__dsa_category"] or "",
        _as_tuple(row["keywords_json"]), row["policy__name"] or "", row["policy__policy_area"] or "",
        row["case__item_kind"] or "", row["case__language"] or "", bool(row["automated_detection"]),
        row["automated_decision"] or "", _SOURCE_BY_RANK.get(row["notice_rank"], _VOLUNTARY),
    )
    if isinstance(shape, tuple):
        return Skipped(decision_id, puid, shape[0], shape[1])
    ground = _ground(row, decision_id, puid)
    if isinstance(ground, Skipped):
        return ground
    application = row["effective_at"].astimezone(dt.UTC).date()
    opened = row["case__opened_at"]
    content = min(opened.astimezone(dt.UTC).date(), application) if opened is not None else application
    statement = dict(shape)
    statement.update(ground)
    statement["content_date"] = content.isoformat()
    statement["application_date"] = application.isoformat()
    statement["puid"] = puid
    return statement


# --------------------------------------------------------------------------------------------
# Streaming
# --------------------------------------------------------------------------------------------


def statements_iter(
    *, start: dt.date, end: dt.date, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Iterator[dict[str, Any] | Skipped]:
    """Statements (and skips) of the period, read through a server-side cursor ``chunk_size`` rows at a time.

    Memory stays flat whatever the period: nothing is collected, each row is
    mapped and handed on.
    """
    with _no_jit():
        for row in statement_rows(start=start, end=end).iterator(chunk_size=chunk_size):
            yield statement_from_row(row)


@contextlib.contextmanager
def _no_jit() -> Iterator[None]:
    """PostgreSQL: no JIT for the export query.

    Its planner cost grows with the period, and above ``jit_above_cost`` it
    compiled the query for ~10 s before the first row (measured on 200k
    decisions); the query is a plain index-driven scan that gains nothing
    from JIT. Set for this session and reset afterwards.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET jit")


def only_statements(items: Iterable[dict[str, Any] | Skipped], skipped: list[Skipped] | None = None,
                    ) -> Iterator[dict[str, Any]]:
    """The statements of ``items``; skips go to ``skipped`` when given (it grows only with the gaps)."""
    for item in items:
        if isinstance(item, Skipped):
            if skipped is not None:
                skipped.append(item)
        else:
            yield item


def batches(statements: Iterable[dict[str, Any]], size: int = TDB_BATCH_SIZE) -> Iterator[list[dict[str, Any]]]:
    """Groups of at most ``size`` statements, in order (the TDB batch endpoint takes 100)."""
    if not 1 <= size <= TDB_BATCH_SIZE:
        raise ValueError(f"a batch holds 1 to {TDB_BATCH_SIZE} statements")
    batch: list[dict[str, Any]] = []
    for statement in statements:
        batch.append(statement)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def jsonl(statements: Iterable[dict[str, Any]]) -> Iterator[str]:
    """One statement per line."""
    for statement in statements:
        yield _dumps(statement) + "\n"


def jsonl_batches(statements: Iterable[dict[str, Any]], size: int = TDB_BATCH_SIZE) -> Iterator[str]:
    """One TDB batch request body (``{"statements": [...]}``) per line, ready to POST as it is."""
    for batch in batches(statements, size):
        yield _dumps({"statements": batch}) + "\n"


def buffered(lines: Iterable[str], size: int = 64 * 1024) -> Iterator[bytes]:
    """Lines joined into chunks of about ``size`` bytes: one socket write per chunk, not per statement."""
    parts: list[str] = []
    length = 0
    for line in lines:
        parts.append(line)
        length += len(line)
        if length >= size:
            yield "".join(parts).encode()
            parts, length = [], 0
    if parts:
        yield "".join(parts).encode()
