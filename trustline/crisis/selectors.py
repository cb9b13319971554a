"""Reads for crises: what staff may see, which crises are active, and which cases a crisis covers.

Two ways to ask "does this crisis cover this case", kept equivalent by the tests:

* :meth:`ActiveCrises.matching` in Python, over facts triage has already read
  of the case. Triage loads the active crises once per batch
  (:func:`active_crises`: one query, two when any is active) and matches
  each case in memory, then asks :func:`crisis_boost` and
  :func:`crisis_sla_variant` with the result; :func:`crises_matching` does
  the same for one case on its own (the console's banner).
* :func:`crisis_case_q`, a ``Q`` over ``cases.Case``, for the re-score job and
  the crisis view, which work on many cases at once in the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from functools import lru_cache

from django.db.models import Exists, OuterRef, Q, QuerySet

from trustline.accounts.permissions import Actor, Perm, require
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.exceptions import NotFound
from trustline.crisis.choices import LEVEL_BOOST, LEVEL_SLA_FACTOR, MIN_SLA_MINUTES
from trustline.crisis.models import Crisis
from trustline.intake.models import Report, ReportItem
from trustline.routing.eligibility import regions
from trustline.routing.language import language_base
from trustline.triage.selectors import SlaTargets

# --------------------------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------------------------


def crisis_access(actor: Actor, perm: Perm = Perm.CRISIS_VIEW) -> None:
    """NotFound for anyone outside the platform's team (partners must not learn what is declared); 403 for
    staff whose role lacks ``perm``."""
    if not actor.is_staff_side:
        raise NotFound("Not found.")
    require(actor, perm)


def crises_visible(*, actor: Actor) -> QuerySet[Crisis]:
    crisis_access(actor)
    return Crisis.objects.prefetch_related("partners").select_related("designated_by", "ended_by")


def crisis_get(*, actor: Actor, crisis_id: str | uuid.UUID) -> Crisis:
    try:
        pk = crisis_id if isinstance(crisis_id, uuid.UUID) else uuid.UUID(str(crisis_id))
    except ValueError as exc:
        raise NotFound("Crisis not found.") from exc
    crisis = crises_visible(actor=actor).filter(pk=pk).first()
    if crisis is None:
        raise NotFound("Crisis not found.")
    return crisis


def crisis_list(*, actor: Actor, state: str | None = None, now: dt.datetime | None = None) -> QuerySet[Crisis]:
    """Every crisis, newest start first; ``state`` narrows to scheduled, active or ended ones at ``now``."""
    qs = crises_visible(actor=actor)
    now = now or clock.now()
    if state == "active":
        qs = qs.filter(active_q(now))
    elif state == "scheduled":
        qs = qs.filter(starts_at__gt=now)
    elif state == "ended":
        qs = qs.filter(ends_at__lte=now)
    return qs.order_by("-starts_at", "name")


def active_q(now: dt.datetime) -> Q:
    return Q(starts_at__lte=now) & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))


# --------------------------------------------------------------------------------------------
# Matching cases in memory (triage)
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CaseCrisisFacts:
    """What crisis matching needs to know of a case: place, languages, categories and reporting partners."""

    country: str
    languages: frozenset[str]
    categories: frozenset[str]
    organisation_ids: frozenset[int]


def crisis_facts_from(
    case: Case, *, report_languages: Iterable[str], report_categories: Iterable[str], organisation_ids: Iterable[int]
) -> CaseCrisisFacts:
    """The facts of ``case`` from what its reports say (triage reads those anyway: ``triage.selectors.case_facts``).

    The case's own language and category count too: triage may score a case
    before routing has set its language, and a case keeps the category it was
    opened with.
    """
    languages = {lang for lang in report_languages if lang} | ({case.language} if case.language else set())
    categories = {code for code in report_categories if code} | ({case.category_code} if case.category_code else set())
    return CaseCrisisFacts(
        country=(case.country or "").upper(),
        languages=frozenset(languages),
        categories=frozenset(categories),
        organisation_ids=frozenset(organisation_ids),
    )


def case_crisis_facts(case: Case) -> CaseCrisisFacts:
    """One query over the case's reports, for a case on its own (triage builds them from its own facts)."""
    rows = list(
        Report.objects.filter(items__case_id=case.pk)
        .values_list("organisation_id", "language", "category__code").distinct()
    )
    return crisis_facts_from(case, report_languages=[lang for _, lang, _ in rows],
                             report_categories=[code for _, _, code in rows],
                             organisation_ids=[org for org, _, _ in rows])


def crisis_countries(crisis: Crisis) -> frozenset[str]:
    """The crisis's countries and the countries of its regions."""
    places = {str(c).upper() for c in crisis.countries or []}
    by_region = regions()
    for region in crisis.regions or []:
        places |= set(by_region.get(str(region), ()))
    return frozenset(places)


@lru_cache(maxsize=4096)
def language_matches(wanted: str, tag: str) -> bool:
    """A bare language (``ar``) covers every dialect of it; a tag with a subtag (``ar-SD``) only itself."""
    base = language_base(wanted)
    if base and base == wanted.lower():
        return language_base(tag) == base
    return tag.lower() == wanted.lower()


def crisis_matches(crisis: Crisis, facts: CaseCrisisFacts, partner_ids: Sequence[int]) -> bool:
    """Every dimension the crisis names must match (see ``Crisis``); any value within one will do."""
    if facts.country not in crisis_countries(crisis):
        return False
    if crisis.languages and not any(language_matches(str(w), t) for w in crisis.languages for t in facts.languages):
        return False
    if crisis.categories and not (set(map(str, crisis.categories)) & facts.categories):
        return False
    return not (partner_ids and not (set(partner_ids) & facts.organisation_ids))


@dataclasses.dataclass(frozen=True)
class ActiveCrises:
    """The crises active at one moment, most severe first, each with its partners: read once, matched in memory.

    Triage scores a batch of cases against the same crises, so it reads them
    once per batch (:func:`active_crises`) instead of once per case.
    """

    crises: tuple[tuple[Crisis, tuple[int, ...]], ...]  # (crisis, its partner organisation ids)

    def matching(self, facts: CaseCrisisFacts) -> list[Crisis]:
        """The crises that cover a case with these facts, most severe first (none for a case without a country)."""
        if not facts.country:
            return []
        return [crisis for crisis, partner_ids in self.crises if crisis_matches(crisis, facts, partner_ids)]


def active_crises(now: dt.datetime) -> ActiveCrises:
    """The crises active at ``now``: one query when none is (the usual day), two otherwise (their partners)."""
    active = Crisis.objects.filter(active_q(now)).prefetch_related("partners").order_by("-level", "starts_at")
    return ActiveCrises(crises=tuple((c, tuple(p.pk for p in c.partners.all())) for c in active))


def crises_matching(case: Case, *, now: dt.datetime | None = None) -> list[Crisis]:
    """The active crises that cover ``case``, most severe first (one query when none is active).

    For one case on its own (the console's banner); triage matches a whole
    batch against one :func:`active_crises`.
    """
    active = active_crises(now or clock.now())
    if not active.crises or not case.country:
        return []
    return active.matching(case_crisis_facts(case))


def crisis_boost(matching: Sequence[Crisis]) -> int:
    """Priority points from the most severe of the crises covering a case (0 when none does).

    ``matching`` comes from :meth:`ActiveCrises.matching`. The triage formula
    clamps the result to ``CRISIS_MAX``; crises do not add up, because two
    overlapping designations of one emergency are still one.
    """
    return max((LEVEL_BOOST.get(c.level, 0) for c in matching), default=0)


def crisis_sla_variant(*, targets: SlaTargets, matching: Sequence[Crisis]) -> SlaTargets:
    """The tighter SLA variant while a crisis covers a case: the targets scaled by the level's factor.

    The most severe matching crisis (``matching[0]``) decides; no target
    drops below ``MIN_SLA_MINUTES``, and none ever gets longer. The
    snapshot's name says which crisis tightened it, so the case shows why its
    deadline is short.
    """
    if not matching:
        return targets
    crisis = matching[0]
    factor = LEVEL_SLA_FACTOR.get(crisis.level, 1.0)

    def tighter(minutes: int) -> int:
        return min(minutes, max(MIN_SLA_MINUTES, round(minutes * factor)))

    return dataclasses.replace(
        targets,
        name=f"{targets.name} (crisis {crisis.slug}, level {crisis.level})"[:120],
        ack_minutes=tighter(targets.ack_minutes),
        decide_minutes=tighter(targets.decide_minutes),
    )


# --------------------------------------------------------------------------------------------
# Matching many cases (re-score, crisis view)
# --------------------------------------------------------------------------------------------


def crisis_case_q(crisis: Crisis, partner_ids: Sequence[int] | None = None) -> Q:
    """The cases ``crisis`` covers, as a filter on ``Case`` (same rules as :func:`crisis_matches`)."""
    q = Q(country__in=sorted(crisis_countries(crisis)))
    if crisis.languages:
        lang = Q()
        for wanted in map(str, crisis.languages):
            base = language_base(wanted)
            if base and base == wanted.lower():
                lang |= Q(routing_language_base=base) | Q(Exists(ReportItem.objects.filter(
                    Q(report__language__iexact=base) | Q(report__language__istartswith=f"{base}-"),
                    case_id=OuterRef("pk"))))
            else:
                lang |= Q(language__iexact=wanted) | Q(Exists(ReportItem.objects.filter(
                    case_id=OuterRef("pk"), report__language__iexact=wanted)))
        q &= lang
    if crisis.categories:
        codes = [str(c) for c in crisis.categories]
        q &= Q(category_code__in=codes) | Q(Exists(ReportItem.objects.filter(
            case_id=OuterRef("pk"), report__category__code__in=codes)))
    ids = list(partner_ids) if partner_ids is not None else list(crisis.partners.values_list("pk", flat=True))
    if ids:
        q &= Q(Exists(ReportItem.objects.filter(case_id=OuterRef("pk"), report__organisation_id__in=ids)))
    return q
