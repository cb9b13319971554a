"""Checking a decision before it is stored, and writing its partner-facing explanation.

:func:`decision_validate` collects every problem at once (``ValidationFailed``
with one entry per field) and returns the normalised decision:

* **violating**: a policy (an active taxonomy category code), at least one
  action (``no_action`` only on its own), a ``decision_ground`` with its
  ground and explanation (DSA Transparency Database names and lengths: 500
  and 2000 characters) and nothing of the other ground; ``geo_restrict``
  needs a territorial scope of ISO 3166-1 alpha-2 codes and ``label`` the
  label text (and neither may be given without its action).
* **every other outcome** takes no actions, scope, label or ground; the
  policy considered may be cited.
* **needs more information** needs a question and an answer due time
  between one hour and 30 days ahead (default seven days); no other
  outcome asks a question.

The explanation is the reviewer's own text when given (e.g. after editing a
preview), else the outcome's template (:func:`selectors.template_choose`)
filled with the case's facts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import pycountry

from trustline.cases.models import Case
from trustline.core.exceptions import NotFound, ValidationFailed
from trustline.platforms.choices import DECISION_ACTIONS, ActionType
from trustline.review.choices import AutomatedDecision, DecisionGround, Outcome
from trustline.review.models import DecisionTemplate
from trustline.review.selectors import case_language, template_choose, template_facts
from trustline.review.templates_text import MAX_EXPLANATION_CHARS, render_explanation
from trustline.taxonomy.models import Category

MAX_GROUND_CHARS = 500
MAX_GROUND_EXPLANATION_CHARS = 2000
MAX_QUESTION_CHARS = 2000
MAX_NOTE_CHARS = 5000
MAX_LABEL_CHARS = 200
DEFAULT_ANSWER_WINDOW = dt.timedelta(days=7)
MIN_ANSWER_WINDOW = dt.timedelta(hours=1)
MAX_ANSWER_WINDOW = dt.timedelta(days=30)


@dataclasses.dataclass(frozen=True)
class DecisionInput:
    """What a reviewer sends (the API's ``DecisionIn`` maps onto this)."""

    outcome: str
    policy: str = ""
    actions: Sequence[str] = ()
    territorial_scope: Sequence[str] = ()
    label_text: str = ""
    decision_ground: str = ""
    illegal_content_legal_ground: str = ""
    illegal_content_explanation: str = ""
    incompatible_content_ground: str = ""
    incompatible_content_explanation: str = ""
    automated_detection: bool = False
    automated_decision: str = AutomatedDecision.NOT_AUTOMATED
    explanation: str = ""
    template_id: int | None = None
    language: str = ""
    internal_note: str = ""
    question: str = ""
    answer_due_at: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class ValidDecision:
    outcome: Outcome
    policy: Category | None
    actions: tuple[str, ...]
    territorial_scope: tuple[str, ...]
    label_text: str
    decision_ground: str
    illegal_content_legal_ground: str
    illegal_content_explanation: str
    incompatible_content_ground: str
    incompatible_content_explanation: str
    automated_detection: bool
    automated_decision: str
    explanation: str
    template: DecisionTemplate | None
    language: str
    internal_note: str
    question: str
    answer_due_at: dt.datetime | None


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, reason: str) -> None:
        self.fields.setdefault(name, []).append(reason)

    def raise_if_any(self) -> None:
        if self.fields:
            first, reasons = next(iter(self.fields.items()))
            more = f" (and {len(self.fields) - 1} more)" if len(self.fields) > 1 else ""
            raise ValidationFailed(f"{first}: {reasons[0]}{more}", fields=self.fields)


def _is_country(code: str) -> bool:
    return len(code) == 2 and code.isalpha() and pycountry.countries.get(alpha_2=code) is not None


def _check_actions(data: DecisionInput, errors: _Errors) -> tuple[tuple[str, ...], tuple[str, ...]]:
    actions: list[str] = []
    for index, raw in enumerate(data.actions):
        if raw not in ActionType.values:
            errors.add(f"actions.{index}", f"unknown action {raw!r}; one of {', '.join(ActionType.values)}")
        elif raw not in DECISION_ACTIONS:
            errors.add(f"actions.{index}", f"{raw} is not a decision's action: Trustline requests it itself when a "
                                           "contest reverses an earlier action")
        elif raw in actions:
            errors.add(f"actions.{index}", f"{raw} is listed twice")
        else:
            actions.append(raw)
    scope = tuple(sorted({str(code).strip().upper() for code in data.territorial_scope}))
    if ActionType.NO_ACTION in actions and len(actions) > 1:
        errors.add("actions", "no_action cannot be combined with other actions")
    if ActionType.GEO_RESTRICT in actions:
        if not scope:
            errors.add("territorial_scope", "a geo-restriction needs at least one country (ISO 3166-1 alpha-2)")
        unknown = [code for code in scope if not _is_country(code)]
        if unknown:
            errors.add("territorial_scope", f"not ISO 3166-1 alpha-2 country codes: {', '.join(unknown)}")
    elif scope:
        errors.add("territorial_scope", "only a geo_restrict action has a territorial scope")
    label = data.label_text.strip()
    if ActionType.LABEL in actions:
        if not label:
            errors.add("label_text", "a label action needs the label text")
        elif len(label) > MAX_LABEL_CHARS:
            errors.add("label_text", f"at most {MAX_LABEL_CHARS} characters")
    elif label:
        errors.add("label_text", "only a label action has label text")
    return tuple(actions), scope


def _check_ground(data: DecisionInput, errors: _Errors, violating: bool) -> None:
    illegal = (data.illegal_content_legal_ground.strip(), data.illegal_content_explanation.strip())
    incompatible = (data.incompatible_content_ground.strip(), data.incompatible_content_explanation.strip())
    if not violating:
        if data.decision_ground or any(illegal) or any(incompatible):
            errors.add("decision_ground", "only a violating decision cites a ground")
        return
    if data.decision_ground not in DecisionGround.values:
        errors.add("decision_ground", f"required for a violating decision: one of {', '.join(DecisionGround.values)}")
        return
    if data.decision_ground == DecisionGround.ILLEGAL_CONTENT:
        own, other, other_prefix = illegal, incompatible, "incompatible_content"
        own_names = ("illegal_content_legal_ground", "illegal_content_explanation")
    else:
        own, other, other_prefix = incompatible, illegal, "illegal_content"
        own_names = ("incompatible_content_ground", "incompatible_content_explanation")
    if any(other):
        errors.add(other_prefix, f"leave the {other_prefix} fields empty for {data.decision_ground}")
    for name, value, limit in zip(own_names, own, (MAX_GROUND_CHARS, MAX_GROUND_EXPLANATION_CHARS), strict=True):
        if not value:
            errors.add(name, f"required with {data.decision_ground}")
        elif len(value) > limit:
            errors.add(name, f"at most {limit} characters")


def _check_policy(data: DecisionInput, errors: _Errors, violating: bool) -> Category | None:
    code = data.policy.strip()
    if not code:
        if violating:
            errors.add("policy", "a violating decision cites the policy broken (a taxonomy category code)")
        return None
    policy = Category.objects.filter(code=code, is_active=True).first()
    if policy is None:
        errors.add("policy", f"unknown policy {code!r}: use a category code from GET /api/v1/taxonomy")
    return policy


def _check_question(data: DecisionInput, errors: _Errors, now: dt.datetime) -> tuple[str, dt.datetime | None]:
    question = data.question.strip()
    if data.outcome != Outcome.NEEDS_MORE_INFORMATION:
        if question or data.answer_due_at is not None:
            errors.add("question", "only a needs_more_information decision asks the partner a question")
        return "", None
    if not question:
        errors.add("question", "required: what do you need to know from the partner?")
    elif len(question) > MAX_QUESTION_CHARS:
        errors.add("question", f"at most {MAX_QUESTION_CHARS} characters")
    due = data.answer_due_at or now + DEFAULT_ANSWER_WINDOW
    if due < now + MIN_ANSWER_WINDOW or due > now + MAX_ANSWER_WINDOW:
        errors.add("answer_due_at", "between one hour and 30 days from now")
    return question, due


def decision_validate(*, case: Case, data: DecisionInput, now: dt.datetime) -> ValidDecision:
    """Check ``data`` for ``case`` and fill in the explanation (see the module docstring)."""
    errors = _Errors()
    if data.outcome not in Outcome.values:
        errors.add("outcome", f"one of {', '.join(Outcome.values)}")
        errors.raise_if_any()
    outcome = Outcome(data.outcome)
    violating = outcome == Outcome.VIOLATING
    actions, scope = _check_actions(data, errors)
    if violating and not actions:
        errors.add("actions", "a violating decision lists at least one action (no_action if none)")
    if not violating and (actions or scope or data.label_text.strip()):
        errors.add("actions", f"a decision of {outcome} takes no actions")
    _check_ground(data, errors, violating)
    policy = _check_policy(data, errors, violating)
    question, due = _check_question(data, errors, now)
    if data.automated_decision not in AutomatedDecision.values:
        errors.add("automated_decision", f"one of {', '.join(AutomatedDecision.values)}")
    note = data.internal_note.strip()
    if len(note) > MAX_NOTE_CHARS:
        errors.add("internal_note", f"at most {MAX_NOTE_CHARS} characters")
    explanation = data.explanation.strip()
    if len(explanation) > MAX_EXPLANATION_CHARS:
        errors.add("explanation", f"at most {MAX_EXPLANATION_CHARS} characters")
    language = data.language.strip() or case_language(case)
    if len(language) > 35:
        errors.add("language", "a BCP 47 tag of at most 35 characters")
    errors.raise_if_any()

    ground = data.illegal_content_legal_ground.strip() if data.decision_ground == DecisionGround.ILLEGAL_CONTENT \
        else data.incompatible_content_ground.strip()
    template: DecisionTemplate | None = None
    if not explanation:
        try:
            chosen = template_choose(outcome=outcome, language=language, template_id=data.template_id)
        except NotFound as exc:
            raise ValidationFailed.field("template_id", exc.message) from exc
        template, language = chosen.template, chosen.language
        facts = template_facts(case=case, policy=policy, actions=actions, territorial_scope=scope,
                               ground=ground if violating else "", decided_at=now, question=question,
                               answer_due_at=due, language=language)
        explanation = render_explanation(chosen.body, facts)
    return ValidDecision(
        outcome=outcome,
        policy=policy,
        actions=actions,
        territorial_scope=scope,
        label_text=data.label_text.strip(),
        decision_ground=data.decision_ground if violating else "",
        illegal_content_legal_ground=data.illegal_content_legal_ground.strip(),
        illegal_content_explanation=data.illegal_content_explanation.strip(),
        incompatible_content_ground=data.incompatible_content_ground.strip(),
        incompatible_content_explanation=data.incompatible_content_explanation.strip(),
        automated_detection=data.automated_detection,
        automated_decision=data.automated_decision,
        explanation=explanation,
        template=template,
        language=language,
        internal_note=note,
        question=question,
        answer_due_at=due,
    )


@dataclasses.dataclass(frozen=True)
class Preview:
    template: DecisionTemplate | None
    language: str
    explanation: str


def explanation_preview(*, case: Case, data: DecisionInput, now: dt.datetime) -> Preview:
    """The explanation a decision like ``data`` would get, without checking the rest of the decision.

    Lenient on purpose: a reviewer previews while still filling the form.
    Unknown policies, actions or countries are shown as they were typed.
    """
    outcome = Outcome(data.outcome)
    policy = Category.objects.filter(code=data.policy.strip()).first() if data.policy.strip() else None
    language = data.language.strip() or case_language(case)
    try:
        chosen = template_choose(outcome=outcome, language=language, template_id=data.template_id)
    except NotFound as exc:
        raise ValidationFailed.field("template_id", exc.message) from exc
    scope = sorted({str(code).strip().upper() for code in data.territorial_scope})
    ground = (data.illegal_content_legal_ground if data.decision_ground == DecisionGround.ILLEGAL_CONTENT
              else data.incompatible_content_ground).strip()
    facts = template_facts(case=case, policy=policy, actions=[str(a) for a in data.actions], territorial_scope=scope,
                           ground=ground, decided_at=now, question=data.question.strip(),
                           answer_due_at=data.answer_due_at or now + DEFAULT_ANSWER_WINDOW,
                           language=chosen.language)
    return Preview(template=chosen.template, language=chosen.language,
                   explanation=render_explanation(chosen.body, facts))


# --------------------------------------------------------------------------------------------
# Second-review rules' parameters
# --------------------------------------------------------------------------------------------

def second_review_rule_param_problems(name: str, value: object) -> list[str]:
    """What is wrong with one parameter of a second-review rule (``targets``, ``tiers`` or ``outcomes``).

    The one place these are checked: the admin's and the console's form call
    it per field, ``services.second_review_rule_set`` for all three, so a rule
    can never hold what ``selectors.second_review_reasons`` cannot read (a
    tier it would compare, an outcome that does not exist, a target that is
    not text).
    """
    if not isinstance(value, list):
        return ["must be a list, e.g. []"]
    if name == "outcomes":
        unknown = [o for o in value if o not in Outcome.values]
        return [f"unknown outcomes: {', '.join(map(str, unknown))}"] if unknown else []
    if name == "tiers":
        return ["tiers are 1, 2 or 3"] if any(type(t) is not int or t not in (1, 2, 3) for t in value) else []
    if name == "targets":
        return ["targets are text values"] if any(not isinstance(t, str) for t in value) else []
    return []


def second_review_rule_problems(*, targets: object, tiers: object, outcomes: object) -> dict[str, list[str]]:
    """Every parameter's problems, by field name (empty when the rule may be saved)."""
    given = {"targets": targets, "tiers": tiers, "outcomes": outcomes}
    problems = {name: second_review_rule_param_problems(name, value) for name, value in given.items()}
    return {name: reasons for name, reasons in problems.items() if reasons}
