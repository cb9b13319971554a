"""The language of a case's content: the partner's tag when they gave one, else detected with lingua.

Why the content and not the explanation first: the reviewer must read the
reported post, and partners often explain in English what was said in
Arabic or Urdu. So detection reads the items' excerpts (the content as the
partner saw it) and falls back to the explanations only when there is no
usable excerpt.

The detector is built once per process (``lru_cache``) from the languages the
programme covers (``ROUTING["DETECT_LANGUAGES"]``): fewer candidate languages
make detection faster and more accurate on short texts, and its language
models load lazily on first use. A detection below
``ROUTING["DETECT_MIN_CONFIDENCE"]`` is treated as unknown: a wrong language
would send the case to the wrong reviewers, an unknown one sends it by
country and then to the translation pool.

Detection yields a bare language (``ar``), never a dialect: lingua cannot
tell Sudanese from Egyptian Arabic, and guessing from the country would
route on an assumption. A bare ``ar`` is an exact match for every reviewer
who reads any Arabic (see ``eligibility.Skills``).
"""

from __future__ import annotations

import collections
import dataclasses
import logging
from functools import lru_cache

import langcodes
from lingua import IsoCode639_1, LanguageDetector, LanguageDetectorBuilder

from trustline.cases.models import Case
from trustline.intake.models import Report, ReportItem
from trustline.routing.choices import LanguageSource
from trustline.routing.conf import routing_settings

logger = logging.getLogger(__name__)

MIN_LETTERS = 3  # below this there is nothing to detect


@dataclasses.dataclass(frozen=True)
class CaseLanguage:
    tag: str  # a BCP 47 tag in standard form, or "" when unknown
    confidence: float | None  # detection confidence (0..1); None when the partner said
    source: str  # a LanguageSource value, or "" when unknown

    @property
    def base(self) -> str:
        return language_base(self.tag)


UNKNOWN = CaseLanguage(tag="", confidence=None, source="")


def language_base(tag: str) -> str:
    """The language subtag of a BCP 47 tag (``ar`` for ``ar-SD``), lower-case; "" for an empty or invalid tag."""
    if not tag:
        return ""
    try:
        return str(langcodes.Language.get(tag).language or "").lower()
    except ValueError:  # LanguageTagError is a ValueError
        return ""


@lru_cache(maxsize=4)
def detector_for(codes: tuple[str, ...]) -> LanguageDetector | None:
    """A detector for these ISO 639-1 codes; codes lingua does not know are skipped with a warning."""
    known: list[IsoCode639_1] = []
    for code in codes:
        try:
            known.append(IsoCode639_1.from_str(code))
        except ValueError:
            logger.warning("lingua cannot detect %r: remove it from ROUTING['DETECT_LANGUAGES']", code)
    if len(known) < 2:  # lingua needs a choice between at least two languages
        return None
    return LanguageDetectorBuilder.from_iso_codes_639_1(*known).build()


def detect_language(text: str) -> CaseLanguage:
    """Detect the language of ``text`` among the configured ones; :data:`UNKNOWN` when unsure."""
    conf = routing_settings()
    sample = (text or "").strip()[: conf.detect_max_chars]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return UNKNOWN
    detector = detector_for(conf.detect_languages)
    if detector is None:
        return UNKNOWN
    values = detector.compute_language_confidence_values(sample)
    if not values or values[0].value < conf.detect_min_confidence:
        return UNKNOWN
    top = values[0]
    return CaseLanguage(
        tag=top.language.iso_code_639_1.name.lower(),
        confidence=round(float(top.value), 4),
        source=LanguageSource.DETECTED,
    )


def partner_language(case: Case) -> str:
    """The tag most of the case's reports give (earliest report on a tie); "" when none gives one."""
    rows = list(
        Report.objects.filter(items__case_id=case.pk)
        .exclude(language="")
        .order_by("received_at", "pk")
        .values_list("pk", "language")
        .distinct()
    )
    counts = collections.Counter(_standard(tag) for _, tag in rows)
    counts.pop("", None)
    if not counts:
        return ""
    first_seen = {tag: i for i, tag in reversed(list(enumerate(_standard(t) for _, t in rows)))}
    return min(counts, key=lambda tag: (-counts[tag], first_seen[tag]))


def _standard(tag: str) -> str:
    try:
        return str(langcodes.standardize_tag(tag)) if tag and langcodes.tag_is_valid(tag) else ""
    except ValueError:  # LanguageTagError is a ValueError
        return ""


def case_language(case: Case) -> CaseLanguage:
    """The partner's language for ``case`` if any report gives one, else detected (excerpts, then explanations)."""
    given = partner_language(case)
    if given:
        return CaseLanguage(tag=given, confidence=None, source=LanguageSource.PARTNER)
    excerpts = [e for e in ReportItem.objects.filter(case_id=case.pk).values_list("excerpt", flat=True) if e]
    found = detect_language("\n".join(excerpts)) if excerpts else UNKNOWN
    if found.tag:
        return found
    explanations = list(
        Report.objects.filter(items__case_id=case.pk).order_by("received_at").values_list("explanation", flat=True)
        .distinct()
    )
    return detect_language("\n".join(e for e in explanations if e))
