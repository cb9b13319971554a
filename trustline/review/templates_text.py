"""Partner-facing explanations: the default templates and their safe filling.

A template is plain text with ``{placeholder}`` fields. Filling it never
evaluates anything: :func:`template_problems` parses the text with
:class:`string.Formatter` and accepts only the bare names in
:data:`PLACEHOLDERS` (no ``{a.b}``, ``{a[0]}``, ``{a!r}`` or ``{a:>99}``),
and :func:`render_explanation` then joins the literal text with the string
values of those names. ``{{`` and ``}}`` write literal braces. Templates are
checked when they are saved (admin) and again when they are used.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from trustline.core.exceptions import ValidationFailed
from trustline.review.choices import Outcome
from trustline.review.templates_translated import TRANSLATED_JOINS, TRANSLATED_PHRASES, TRANSLATED_TEMPLATES

MAX_EXPLANATION_CHARS = 5000

PLACEHOLDERS: dict[str, str] = {
    "category": "name of the category the content was reported under",
    "policy": "name of the policy cited (the category name)",
    "policy_area": "the policy area of the policy cited",
    "actions": "what was done on the platform, in words ('removed the content and ...')",
    "territorial_scope": "countries of a geo-restriction, comma separated",
    "ground": "the legal or contractual ground cited",
    "reported_on": "date the content was first reported (YYYY-MM-DD)",
    "decided_on": "date of the decision (YYYY-MM-DD)",
    "question": "the question to the partner (needs more information)",
    "answer_due_on": "date by which the partner is asked to answer (YYYY-MM-DD)",
}

DEFAULT_TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    # outcome -> language -> (name, body); French, Spanish and Arabic in templates_translated.py
    Outcome.VIOLATING: {
        "en": (
            "Violating (default)",
            "Thank you for your report of {reported_on}. We reviewed the content reported as {category} and found "
            "that it violates our {policy_area} policy ({policy}). We {actions}. Ground: {ground}. Decided on "
            "{decided_on}. You can contest this decision within six months.",
        ),
        **TRANSLATED_TEMPLATES[Outcome.VIOLATING],
    },
    Outcome.NOT_VIOLATING: {
        "en": (
            "Not violating (default)",
            "Thank you for your report of {reported_on}. We reviewed the content reported as {category} and found "
            "that it does not violate our policies, so we took no action. Decided on {decided_on}. You can contest "
            "this decision within six months; new context or evidence helps us look again.",
        ),
        **TRANSLATED_TEMPLATES[Outcome.NOT_VIOLATING],
    },
    Outcome.NEEDS_MORE_INFORMATION: {
        "en": (
            "Needs more information (default)",
            "Thank you for your report of {reported_on}. To decide, we need more information from you: {question} "
            "Please answer by {answer_due_on}. The time we wait for your answer does not count against our "
            "response time.",
        ),
        **TRANSLATED_TEMPLATES[Outcome.NEEDS_MORE_INFORMATION],
    },
    Outcome.OUT_OF_SCOPE: {
        "en": (
            "Out of scope (default)",
            "Thank you for your report of {reported_on}. The content reported as {category} falls outside what "
            "this programme and our policies cover, so we took no action. Decided on {decided_on}.",
        ),
        **TRANSLATED_TEMPLATES[Outcome.OUT_OF_SCOPE],
    },
    Outcome.REFERRED_TO_POLICY_REVIEW: {
        "en": (
            "Referred to policy review (default)",
            "Thank you for your report of {reported_on}. The content reported as {category} raises a question our "
            "current policies do not settle, so we referred it to our policy team on {decided_on}. We will tell "
            "you the outcome.",
        ),
        **TRANSLATED_TEMPLATES[Outcome.REFERRED_TO_POLICY_REVIEW],
    },
    Outcome.REFERRED_TO_LAW_ENFORCEMENT: {
        "en": (
            "Referred to law enforcement (default)",
            "Thank you for your report of {reported_on}. On {decided_on} we referred the matter reported as "
            "{category} to our law-enforcement response team, which handles contact with the authorities.",
        ),
        **TRANSLATED_TEMPLATES[Outcome.REFERRED_TO_LAW_ENFORCEMENT],
    },
}

# language -> action -> phrase for {actions}, written with that language's default template.
ACTION_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "remove": "removed the content",
        "restrict_visibility": "restricted its visibility",
        "geo_restrict": "restricted it in {countries}",
        "label": "added a label to it",
        "age_restrict": "restricted it to adults",
        "restrict_account": "restricted the author's account",
        "suspend_account": "suspended the author's account",
        "no_action": "took no action on the platform",
    },
    **TRANSLATED_PHRASES,
}
JOINS: dict[str, tuple[str, str]] = {"en": (", ", " and "), **TRANSLATED_JOINS}


def base_language(language: str) -> str:
    """``pt-BR`` -> ``pt``: the part of a BCP 47 tag the packaged texts are keyed by."""
    return (language or "en").split("-")[0].lower()


def actions_in_words(actions: list[str], territorial_scope: list[str], language: str = "en") -> str:
    """``['remove', 'suspend_account']`` -> ``removed the content and suspended the author's account``.

    In ``language`` when its phrases exist (they fit its default template), else in English.
    """
    lang = base_language(language)
    lang = lang if lang in ACTION_PHRASES else "en"
    words, (between, last) = ACTION_PHRASES[lang], JOINS[lang]
    countries = ", ".join(territorial_scope)
    phrases = [words.get(a, a).replace("{countries}", countries) for a in actions]
    if not phrases:
        return words["no_action"]
    if len(phrases) == 1:
        return phrases[0]
    return between.join(phrases[:-1]) + last + phrases[-1]


def template_problems(body: str) -> list[str]:
    """Why ``body`` is not a usable template (empty list when it is)."""
    problems: list[str] = []
    try:
        parts = list(string.Formatter().parse(body))
    except ValueError as exc:
        return [f"not a valid template: {exc} (write {{{{ and }}}} for literal braces)"]
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in PLACEHOLDERS:
            problems.append(f"unknown placeholder {{{field}}}; use one of: {', '.join(PLACEHOLDERS)}")
        if spec or conversion:
            problems.append(f"placeholder {{{field}}} may not have a format or conversion")
    if not body.strip():
        problems.append("the template is empty")
    return problems


def render_explanation(body: str, facts: Mapping[str, str]) -> str:
    """Fill ``body`` with ``facts`` (names from :data:`PLACEHOLDERS`; a missing fact is an empty string)."""
    problems = template_problems(body)
    if problems:
        raise ValidationFailed("The explanation template cannot be used: " + problems[0],
                               fields={"template": problems})
    out: list[str] = []
    for literal, field, _, _ in string.Formatter().parse(body):
        out.append(literal)
        if field is not None:
            out.append(str(facts.get(field, "")))
    return "".join(out)[:MAX_EXPLANATION_CHARS]
