"""From review's API shape of a decision to the service's input, shared by every API that takes a decision.

The review API (``POST /review/cases/{id}/decisions``) and the contest API
(a reversal's ``new_decision``) both accept :class:`DecisionFields` and hand
the services a :class:`DecisionInput`. The mapping lives here, not in an
``api`` module, so other apps import it without importing review's router
(and its operations) as a side effect.
"""

from __future__ import annotations

from trustline.review.schemas import DecisionFields
from trustline.review.validation import DecisionInput

__all__ = ["DecisionFields", "DecisionInput", "decision_input"]


def decision_input(payload: DecisionFields) -> DecisionInput:
    """The service input of a validated API payload (the services validate the content again)."""
    return DecisionInput(
        outcome=payload.outcome,
        policy=payload.policy,
        actions=[str(a) for a in payload.actions],
        territorial_scope=list(payload.territorial_scope),
        label_text=payload.label_text,
        decision_ground=payload.decision_ground or "",
        illegal_content_legal_ground=payload.illegal_content_legal_ground,
        illegal_content_explanation=payload.illegal_content_explanation,
        incompatible_content_ground=payload.incompatible_content_ground,
        incompatible_content_explanation=payload.incompatible_content_explanation,
        automated_detection=payload.automated_detection,
        automated_decision=payload.automated_decision,
        explanation=payload.explanation,
        template_id=payload.template_id,
        language=payload.language,
        internal_note=payload.internal_note,
        question=payload.question,
        answer_due_at=payload.answer_due_at,
    )
