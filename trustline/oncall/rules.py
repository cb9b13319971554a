"""Imminent-harm triage rules: which cases are an emergency although no partner said so.

``imminent_rules_match(cases)`` is called by triage for each batch it
triages (one query for the active rules; none more when there are none):

1. Read, for the batch's cases, each report's category, language, targets,
   explanation and imminent-harm reason, and each item's excerpt.
2. A rule matches a case when one of its reports satisfies every condition
   the rule sets (see :class:`~trustline.oncall.models.ImminentRule`).
   Keywords are phrases matched case-insensitively after folding case and
   collapsing white space, so "will kill" matches "WILL   kill".
3. The first matching rule (by name) is returned per case.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from trustline.cases.models import Case
from trustline.intake.models import ReportItem
from trustline.oncall.models import ImminentRule


@dataclass
class _ReportText:
    category: str
    language: str
    targets: list[str]
    text: str
    excerpts: list[str] = field(default_factory=list)


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def rule_matches(rule: ImminentRule, report: _ReportText) -> bool:
    """Step 2 for one rule and one report."""
    if rule.category_code and rule.category_code != report.category:
        return False
    if rule.language:
        wanted = rule.language.lower()
        have = report.language.lower()
        if not (have == wanted or have.startswith(wanted + "-")):
            return False
    if rule.targets and not set(rule.targets) & set(report.targets):
        return False
    if rule.keywords:
        haystack = _fold(" ".join([report.text, *report.excerpts]))
        if not any(_fold(str(k)) and _fold(str(k)) in haystack for k in rule.keywords):
            return False
    return bool(rule.category_code or rule.language or rule.targets or rule.keywords)


def imminent_rules_match(cases: Sequence[Case]) -> dict[uuid.UUID, ImminentRule]:
    """The first active rule matching each case, for the cases some rule matches."""
    rules = list(ImminentRule.objects.filter(is_active=True).order_by("name", "pk"))
    if not rules or not cases:
        return {}
    case_ids = [c.pk for c in cases]
    texts: dict[uuid.UUID, dict[uuid.UUID, _ReportText]] = {}
    rows = ReportItem.objects.filter(case_id__in=case_ids).values_list(
        "case_id", "report_id", "excerpt", "report__category__code", "report__language", "report__targets",
        "report__explanation", "report__imminent_harm_reason",
    )
    for case_id, report_id, excerpt, category, language, targets, explanation, reason in rows:
        per_case = texts.setdefault(case_id, {})
        report = per_case.get(report_id)
        if report is None:
            report = per_case[report_id] = _ReportText(
                category=category or "", language=language or "",
                targets=[str(t) for t in targets] if isinstance(targets, list) else [],
                text=f"{explanation or ''} {reason or ''}",
            )
        if excerpt:
            report.excerpts.append(excerpt)
    found: dict[uuid.UUID, ImminentRule] = {}
    for case_id, reports in texts.items():
        for rule in rules:
            if any(rule_matches(rule, r) for r in reports.values()):
                found[case_id] = rule
                break
    return found
