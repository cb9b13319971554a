"""Who may review which case, and when: the routing rule, in SQL and in Python.

The rule, for a case C, a reviewer R and the time ``now``:

0. **Qualified** (never relaxes): R holds every clearance C needs
   (``C.routing_clearance``: restricted categories need the clearance named
   after their policy area, e.g. ``child_safety``); R's policy areas are
   empty or include C's; R is not C's excluded reviewer.
1. **exact**: C's language is one of R's tags, or the base language of one
   (a reviewer with ``ar-SD`` is exact for ``ar-SD`` and for plain ``ar``).
2. **language**: from ``C.route_language_at``, C's base language is the base
   of one of R's tags (``ar-EG`` goes to any Arabic reader).
3. **regional**: from ``C.route_regional_at``, R covers C's country, directly
   or through its region (``data/regions.json``).
4. **translation**: from ``C.route_translation_at``, any qualified reviewer.

R may claim C when step 0 holds and any of 1-4 does, and C is not on the
emergency board (an open or acknowledged emergency: the escalation owner has
it until it is resolved or downgraded; :func:`off_board_q`); the pool
recorded on the case is the first of 1-4 that holds. The ``route_*_at``
times are set when the case is triaged (``services.routing_prepare``): each
wait follows the previous one, so the times are ordered and the pool only
ever widens as the case waits. A case whose language is unknown has nothing
to wait for: its language and regional times are its triage time.

The same rule exists twice on purpose: :func:`eligible_q` is what the claim
query filters with (one SQL condition over indexed columns), and
:func:`pool_for` is what the claim records and what the property tests
compare the SQL against. :func:`candidate_sql` only makes the claim fast: it
lists, per routing key, the first few queued cases in queue order, so the
locking query sorts a few hundred rows instead of walking a million; the
final filter is still :func:`eligible_q`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

import langcodes
import pycountry
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.text import slugify

from trustline.cases.choices import CaseStatus
from trustline.cases.models import QUEUE, QUEUE_ORDER, Case
from trustline.oncall.selectors import active_emergency_exists
from trustline.routing.choices import RoutingPool
from trustline.routing.conf import routing_settings
from trustline.routing.language import CaseLanguage, language_base
from trustline.taxonomy.models import Category

MAX_CLEARANCES = 6  # the SQL test lists every combination a reviewer may see: 2**6 at most


@lru_cache(maxsize=1)
def regions() -> dict[str, tuple[str, ...]]:
    """Region name -> its countries (ISO alpha-2), from ``data/regions.json``."""
    raw = json.loads(resources.files("trustline.routing").joinpath("data/regions.json").read_text("utf-8"))
    return {name: tuple(countries) for name, countries in raw["regions"].items()}


@lru_cache(maxsize=1)
def region_of_country() -> dict[str, str]:
    return {country: name for name, countries in regions().items() for country in countries}


def region_for(country: str) -> str:
    return region_of_country().get((country or "").upper(), "")


def clearance_for_area(policy_area: str) -> str:
    """The clearance a restricted category of ``policy_area`` needs: ``Child safety`` -> ``child_safety``."""
    return slugify(policy_area).replace("-", "_")


def clearance_key(clearances: Iterable[str]) -> str:
    """How a case stores the clearances it needs: sorted, comma-separated ("" for none)."""
    return ",".join(sorted(set(clearances)))


def routing_values(
    *,
    language: CaseLanguage,
    country: str,
    categories: Iterable[Category],
    defining: Category | None,
    start: dt.datetime,
    imminent: bool,
) -> dict[str, Any]:
    """The routing columns of a case (``Case`` field name -> value), from its facts and its triage time.

    Each wait follows the previous one, so ``route_language_at <=
    route_regional_at <= route_translation_at``; imminent harm waits
    ``IMMINENT_WAIT_MINUTES`` at each step; an unknown language skips
    straight to the regional step.
    """
    conf = routing_settings()
    if imminent:
        waits = (conf.imminent_wait, conf.imminent_wait, conf.imminent_wait)
    else:
        waits = (conf.language_wait, conf.regional_wait, conf.translation_wait)
    language_at = start + waits[0] if language.tag else start
    regional_at = language_at + waits[1] if language.tag else start
    return {
        "language": language.tag,
        "language_confidence": language.confidence,
        "language_source": language.source,
        "routing_language_base": language.base,
        "routing_region": region_for(country),
        "routing_policy_area": defining.policy_area if defining is not None else "",
        "routing_clearance": clearance_key(clearance_for_area(c.policy_area) for c in categories if c.restricted),
        "route_language_at": language_at,
        "route_regional_at": regional_at,
        "route_translation_at": regional_at + waits[2],
    }


@dataclasses.dataclass(frozen=True)
class Skills:
    """A reviewer's routing skills, read from their ``ReviewerProfile`` (empty when they have none)."""

    user_id: int
    languages: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    policy_areas: frozenset[str] = frozenset()
    clearances: frozenset[str] = frozenset()

    @property
    def exact_tags(self) -> frozenset[str]:
        """Case languages this reviewer matches exactly: their tags and the bare languages of them."""
        return frozenset(self.languages) | self.bases

    @property
    def bases(self) -> frozenset[str]:
        return frozenset(b for b in (language_base(tag) for tag in self.languages) if b)

    def clearance_keys(self) -> list[str]:
        """Every ``routing_clearance`` value this reviewer may see: "" and each combination of their clearances."""
        held = sorted(self.clearances)[:MAX_CLEARANCES]
        keys = [""]
        for size in range(1, len(held) + 1):
            keys += [",".join(combo) for combo in itertools.combinations(held, size)]
        return keys

    def covers_place(self, *, country: str, region: str) -> bool:
        return bool(country and country in self.countries) or bool(region and region in self.regions)


# --------------------------------------------------------------------------------------------
# The rule in SQL
# --------------------------------------------------------------------------------------------


def off_board_q() -> Q:
    """Not on the emergency board: the case has no open or acknowledged emergency (``trustline.oncall``).

    An imminent-harm case on the board belongs to the escalation owner until
    its emergency is resolved or downgraded; the ordinary queue must not hand
    it out meanwhile. A ``NOT EXISTS`` on ``oncall_emergency.case_id`` (unique:
    one index probe per candidate row), and right for emergencies without a
    case too (a law-enforcement request): ``NULL = id`` never holds.
    """
    return ~Q(active_emergency_exists())


def unheld_q(now: dt.datetime) -> Q:
    """Open cases nobody holds: queued (``triaged``), or in review under a lease that has run out."""
    return Q(is_open=True) & (
        Q(status=CaseStatus.TRIAGED) | Q(status=CaseStatus.IN_REVIEW, lease_expires_at__lte=now)
    )


def claimable_q(now: dt.datetime) -> Q:
    """Cases a reviewer may claim from the queue: unheld (:func:`unheld_q`) and off the emergency board."""
    return unheld_q(now) & off_board_q()


def qualified_q(skills: Skills) -> Q:
    """Step 0: clearances, policy areas, exclusion. Independent of time."""
    q = Q(routing_clearance__in=skills.clearance_keys())
    if skills.policy_areas:
        q &= Q(routing_policy_area__in=sorted(skills.policy_areas))
    return q & ~Q(routing_excluded_user_id=skills.user_id)


def pools_q(skills: Skills, now: dt.datetime) -> Q:
    """Steps 1-4: any pool the reviewer belongs to at ``now``."""
    q = Q(route_translation_at__lte=now)
    if skills.exact_tags:
        q |= Q(language__in=sorted(skills.exact_tags))
    if skills.bases:
        q |= Q(routing_language_base__in=sorted(skills.bases), route_language_at__lte=now)
    place = Q()
    if skills.countries:
        place |= Q(country__in=sorted(skills.countries))
    if skills.regions:
        place |= Q(routing_region__in=sorted(skills.regions))
    if place:
        q |= place & Q(route_regional_at__lte=now)
    return q


def eligible_q(skills: Skills, now: dt.datetime) -> Q:
    return qualified_q(skills) & pools_q(skills, now)


def candidate_branches(skills: Skills, now: dt.datetime, per_key: int) -> list[QuerySet[Case, Any]]:
    """Per routing key, the first ``per_key`` queued cases the reviewer may take, in queue order.

    Each branch is an equality (or range) test on the leading column of one
    partial index (``Case.Meta.indexes``), so PostgreSQL reads a few dozen
    index entries per branch. A reviewer limited to some policy areas gets
    one branch per area instead (``case_queue_area_idx``, the pools as a
    filter): walking a language's queue for the one area in ten that a
    specialist reviews would read thousands of rows. The last branch covers
    leases that ran out, through the small ``case_lease_idx``. Every branch
    skips cases on the emergency board (:func:`off_board_q`) before its
    limit, so a few emergencies at the head of a queue never hide the cases
    behind them.
    """
    queued = Case.objects.filter(QUEUE).filter(qualified_q(skills), off_board_q()).order_by(*QUEUE_ORDER)
    if skills.policy_areas:
        branches = [
            queued.filter(pools_q(skills, now), routing_policy_area=area) for area in sorted(skills.policy_areas)
        ]
    else:
        branches = [queued.filter(language=tag) for tag in sorted(skills.exact_tags)]
        branches += [
            queued.filter(routing_language_base=b, route_language_at__lte=now) for b in sorted(skills.bases)
        ]
        branches += [queued.filter(country=c, route_regional_at__lte=now) for c in sorted(skills.countries)]
        branches += [queued.filter(routing_region=r, route_regional_at__lte=now) for r in sorted(skills.regions)]
        branches.append(queued.filter(route_translation_at__lte=now))
    branches.append(
        Case.objects.filter(status=CaseStatus.IN_REVIEW, lease_expires_at__lte=now)
        .filter(eligible_q(skills, now), off_board_q())
        .order_by(*QUEUE_ORDER)
    )
    return [branch.values("id")[:per_key] for branch in branches]


def candidate_sql(skills: Skills, now: dt.datetime, per_key: int) -> tuple[str, list[Any]]:
    """The branches as one ``SELECT id ... UNION ALL ...`` (for ``pk__in=RawSQL(...)``)."""
    parts: list[str] = []
    params: list[Any] = []
    for n, branch in enumerate(candidate_branches(skills, now, per_key)):
        sql, branch_params = branch.query.sql_with_params()
        # Only the ORM's own compiled SQL (values are parameters) and a counter go into the string.
        parts.append(f"SELECT id FROM ({sql}) AS routing_candidates_{n}")  # noqa: S608
        params.extend(branch_params)
    return " UNION ALL ".join(parts), params


def claim_queryset(skills: Skills, now: dt.datetime, per_key: int) -> QuerySet[Case, Case]:
    """The claim's query before locking: candidates, still claimable and eligible, in queue order.

    The candidates are already off the emergency board (each branch of
    :func:`candidate_branches` leaves those out before its limit), so the
    final filter does not probe the emergencies again for each of them
    (about a tenth of the query's time on a million cases); the claim's
    conditional UPDATE (``fastsql.take``) checks the chosen case once more.
    """
    sql, params = candidate_sql(skills, now, per_key)
    return (
        Case.objects.filter(pk__in=RawSQL(sql, params))  # noqa: S611 - the ORM's own parameterised SQL
        .filter(unheld_q(now), eligible_q(skills, now))
        .order_by(*QUEUE_ORDER)
    )


_SENTINEL = dt.datetime(1970, 1, 1, 0, 0, 7, tzinfo=dt.UTC)  # stands for "now" in the compiled claim query


def _db_datetime(value: dt.datetime) -> Any:
    """A datetime as the database driver receives it (the ORM's own adaptation)."""
    return Case._meta.get_field("lease_expires_at").get_db_prep_value(value, connection)


@dataclasses.dataclass(frozen=True)
class CompiledClaim:
    """The claim query's SQL for one set of skills, compiled once, with the positions of "now" in its params."""

    sql: str
    params: tuple[Any, ...]
    now_at: tuple[int, ...]

    def params_at(self, now: dt.datetime) -> list[Any]:
        params, value = list(self.params), _db_datetime(now)
        for position in self.now_at:
            params[position] = value
        return params


@lru_cache(maxsize=512)
def compiled_claim(skills: Skills, per_key: int, vendor: str) -> CompiledClaim:
    """``claim_queryset(...)`` with ``FOR UPDATE SKIP LOCKED LIMIT 1``, compiled once per reviewer skills.

    Building and compiling a dozen ORM querysets costs about 15 ms of Python
    per claim, ten times the query itself; reviewers' skills rarely change,
    so the SQL is compiled with a sentinel time and only the times are
    swapped in per claim. Must be called inside a transaction (the ORM
    refuses to compile ``FOR UPDATE`` outside one).
    """
    qs = claim_queryset(skills, _SENTINEL, per_key).select_for_update(skip_locked=True)[:1]
    sql, params = qs.query.sql_with_params()
    marker = _db_datetime(_SENTINEL)
    return CompiledClaim(sql=sql, params=tuple(params), now_at=tuple(i for i, p in enumerate(params) if p == marker))


# --------------------------------------------------------------------------------------------
# The rule in Python
# --------------------------------------------------------------------------------------------


def qualified(case: Case, skills: Skills) -> bool:
    if case.routing_clearance not in skills.clearance_keys():
        return False
    if skills.policy_areas and case.routing_policy_area not in skills.policy_areas:
        return False
    return case.routing_excluded_user_id != skills.user_id


def _reached(moment: dt.datetime | None, now: dt.datetime) -> bool:
    return moment is not None and moment <= now


def pool_for(case: Case, skills: Skills, now: dt.datetime) -> RoutingPool | None:
    """The narrowest pool through which ``skills`` may take ``case`` at ``now``; None when they may not."""
    if not qualified(case, skills):
        return None
    if case.language and case.language in skills.exact_tags:
        return RoutingPool.EXACT
    if case.routing_language_base in skills.bases and _reached(case.route_language_at, now):
        return RoutingPool.LANGUAGE
    if skills.covers_place(country=case.country, region=case.routing_region) and _reached(
        case.route_regional_at, now
    ):
        return RoutingPool.REGIONAL
    if _reached(case.route_translation_at, now):
        return RoutingPool.TRANSLATION
    return None


def language_name(tag: str) -> str:
    """``ar-SD`` -> ``Arabic (Sudan)``, from pycountry's ISO tables (no extra language-name data needed)."""
    if not tag:
        return "an unknown language"
    try:
        parsed = langcodes.Language.get(tag)
    except ValueError:
        return tag
    language = pycountry.languages.get(alpha_2=parsed.language or "") or pycountry.languages.get(
        alpha_3=parsed.language or ""
    )
    name = str(language.name) if language is not None else tag
    territory = pycountry.countries.get(alpha_2=parsed.territory or "") if parsed.territory else None
    return f"{name} ({territory.name})" if territory is not None else name


def _minutes(start: dt.datetime | None, end: dt.datetime | None) -> str:
    if start is None or end is None:
        return "its wait"
    return f"{max(0, round((end - start).total_seconds() / 60))} min"


def routing_reason(case: Case, skills: Skills, pool: RoutingPool) -> str:
    """Why this reviewer got this case, in words a reviewer or an auditor reads on the case."""
    tag, start = case.language, case.triaged_at
    place = case.country + (f" ({case.routing_region})" if case.routing_region else "")
    if pool == RoutingPool.EXACT:
        return f"Language match: the content is in {language_name(tag)} [{tag}], which you read."
    if pool == RoutingPool.LANGUAGE:
        yours = ", ".join(sorted(t for t in skills.languages if language_base(t) == case.routing_language_base))
        return (
            f"No reader of {language_name(tag)} [{tag}] took it within {_minutes(start, case.route_language_at)}; "
            f"routed to readers of {language_name(case.routing_language_base)} (you read {yours})."
        )
    if pool == RoutingPool.REGIONAL:
        if not tag:
            return f"The language of the content is unknown; routed by place: you cover {place}."
        return (
            f"No reader of {language_name(tag)} took it within {_minutes(start, case.route_regional_at)}; "
            f"routed to reviewers covering {place}, which you do."
        )
    if pool == RoutingPool.TRANSLATION:
        what = f"reading {language_name(tag)} [{tag}]" if tag else "who could read it"
        where = f" or covering {place}" if place else ""
        return (
            f"Translation needed: nobody {what}{where} took it within {_minutes(start, case.route_translation_at)}; "
            "open to every reviewer qualified for its category."
        )
    return "Assigned by hand."


def current_pool(case: Case, now: dt.datetime) -> RoutingPool | None:
    """The widest pool a queued case has reached at ``now`` (for the queue listing); None before triage."""
    if case.route_translation_at is None:
        return None
    if _reached(case.route_translation_at, now):
        return RoutingPool.TRANSLATION
    if _reached(case.route_regional_at, now):
        return RoutingPool.REGIONAL
    if _reached(case.route_language_at, now):
        return RoutingPool.LANGUAGE
    return RoutingPool.EXACT
