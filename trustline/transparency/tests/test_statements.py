"""Statements of reasons: every kind of restriction maps to a statement that validates against the TDB schema."""

from __future__ import annotations

import dataclasses
import datetime as dt
import filecmp
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from trustline.accounts.models import Organisation
from trustline.partners.models import Accreditation
from trustline.review.models import Decision
from trustline.transparency.choices import SkipReason
from trustline.transparency.statements import (
    SCHEMA_PATH,
    Skipped,
    batches,
    eea_codes,
    jsonl_batches,
    only_statements,
    statement_from_row,
    statements_iter,
)
from trustline.transparency.tests.conftest import (
    AUTOMATED_LABEL,
    ILLEGAL_GEO,
    NO_ACTION,
    NOT_VIOLATING,
    REMOVE,
    SUSPEND,
    T0,
    Decide,
)

DAY = T0.date()
Validate = Callable[[dict[str, Any]], None]


def export(start: dt.date = DAY, end: dt.date = DAY) -> list[dict[str, Any] | Skipped]:
    return list(statements_iter(start=start, end=end))


def only(items: list[dict[str, Any] | Skipped]) -> dict[str, Any]:
    assert len(items) == 1, items
    item = items[0]
    assert isinstance(item, dict), item
    return item


def test_it_maps_a_removal_by_a_trusted_partner(decided: Decide, validate: Validate) -> None:
    made = decided(REMOVE)
    statement = only(export())
    validate(statement)
    assert statement["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert statement["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert statement["incompatible_content_ground"] == REMOVE.incompatible_content_ground
    assert statement["incompatible_content_explanation"] == REMOVE.incompatible_content_explanation
    assert "illegal_content_legal_ground" not in statement
    assert statement["category"] == "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
    assert statement["category_specification"] == ["KEYWORD_INCITEMENT_VIOLENCE_HATRED"]
    assert statement["source_type"] == "SOURCE_TRUSTED_FLAGGER"
    assert "source_identity" not in statement
    assert statement["territorial_scope"] == list(eea_codes())
    assert statement["application_date"] == "2026-03-02"
    assert statement["content_date"] == "2026-03-02"
    assert statement["content_language"] == "AR"
    assert statement["content_type"] == ["CONTENT_TYPE_OTHER"]
    assert statement["automated_detection"] == "No"
    assert statement["automated_decision"] == "AUTOMATED_DECISION_NOT_AUTOMATED"
    assert statement["puid"] == f"tl-{made.decision.pk}"


def test_it_never_leaks_the_internal_note_or_the_partner(decided: Decide) -> None:
    decided(REMOVE)
    text = "".join(jsonl_batches(only_statements(export())))
    assert "INTERNAL-7f3a" not in text
    assert "Sudan" not in text
    assert "El Fasher" not in text  # the partner's explanation of the notice


def test_it_limits_a_geo_restriction_to_the_eea_countries_on_the_illegal_ground(
    decided: Decide, validate: Validate
) -> None:
    decided(ILLEGAL_GEO)
    statement = only(export())
    validate(statement)
    assert statement["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_DISABLED"]
    assert statement["territorial_scope"] == ["DE", "FR"]  # SD is outside the Union
    assert statement["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert statement["illegal_content_legal_ground"] == ILLEGAL_GEO.illegal_content_legal_ground
    assert statement["illegal_content_explanation"] == ILLEGAL_GEO.illegal_content_explanation
    assert "incompatible_content_ground" not in statement
    assert "in DE, FR" in statement["decision_facts"]


def test_it_reports_a_geo_restriction_outside_the_eea_as_owing_no_statement(decided: Decide) -> None:
    decided(dataclasses.replace(ILLEGAL_GEO, territorial_scope=("SD", "PK")))
    [item] = export()
    assert isinstance(item, Skipped)
    assert item.reason == SkipReason.OUTSIDE_EEA
    assert not item.needs_attention


def test_it_maps_an_account_suspension(decided: Decide, validate: Validate) -> None:
    decided(SUSPEND)
    statement = only(export())
    validate(statement)
    assert statement["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert statement["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"


def test_it_maps_automated_flags_and_every_other_restriction(decided: Decide, validate: Validate) -> None:
    decided(AUTOMATED_LABEL, items=[{"url": "https://kite.example/posts/77/comments/1", "kind": "comment"}])
    statement = only(export())
    validate(statement)
    assert statement["decision_visibility"] == [
        "DECISION_VISIBILITY_CONTENT_LABELLED", "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
        "DECISION_VISIBILITY_CONTENT_DEMOTED",
    ]
    assert statement["decision_provision"] == "DECISION_PROVISION_PARTIAL_SUSPENSION"
    assert statement["automated_detection"] == "Yes"
    assert statement["automated_decision"] == "AUTOMATED_DECISION_PARTIALLY"
    assert statement["content_type"] == ["CONTENT_TYPE_TEXT"]


@pytest.mark.parametrize("kind", ["post", "comment", "account", "group", "ad", "message", "media", "other"])
def test_it_gives_every_item_kind_a_valid_content_type(decided: Decide, validate: Validate, kind: str) -> None:
    decided(REMOVE, items=[{"url": f"https://kite.example/x/{kind}", "kind": kind}])
    validate(only(export()))


def test_it_needs_a_dsc_award_for_the_trusted_flagger_source_when_configured(
    decided: Decide, validate: Validate, sudan_partner: Organisation, settings: Any
) -> None:
    settings.TRUSTLINE_TDB = {"TRUSTED_FLAGGER_NEEDS_DSC": True}
    decided(REMOVE)
    statement = only(export())
    validate(statement)
    assert statement["source_type"] == "SOURCE_ARTICLE_16"
    Accreditation.objects.filter(organisation=sudan_partner).update(awarding_dsc="Coimisiún na Meán (IE)")
    assert only(export())["source_type"] == "SOURCE_TRUSTED_FLAGGER"


def test_it_marks_notices_of_other_kinds_of_organisation_as_other_notifications(validate: Validate) -> None:
    statement = statement_from_row(_row(
        decision_ground="DECISION_GROUND_INCOMPATIBLE_CONTENT", incompatible_content_ground="Terms §9",
        incompatible_content_explanation="Spam.", notice_rank=1))
    assert isinstance(statement, dict)
    validate(statement)
    assert statement["source_type"] == "SOURCE_TYPE_OTHER_NOTIFICATION"


def test_it_counts_only_restrictions(decided: Decide) -> None:
    decided(NO_ACTION)
    decided(NOT_VIOLATING)
    assert export() == []


def test_it_filters_by_the_day_the_restriction_took_effect(decided: Decide) -> None:
    decided(REMOVE, reported_at=T0, decided_at=T0 + dt.timedelta(days=1, hours=1))
    assert export(DAY, DAY) == []
    assert len(export(DAY, DAY + dt.timedelta(days=1))) == 1


def _row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": "0190-a", "actions_json": ["remove"], "scope_json": "[]", "decision_ground": "",
        "illegal_content_legal_ground": "", "illegal_content_explanation": "", "incompatible_content_ground": "",
        "incompatible_content_explanation": "", "automated_detection": False,
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED", "effective_at": T0, "case__opened_at": T0,
        "case__item_kind": "post", "case__language": "", "policy__name": "Other", "policy__policy_area": "",
        "policy__dsa_category": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC", "keywords_json": '["KEYWORD_OTHER"]',
        "notice_rank": None,
    }
    row.update(overrides)
    return row


def test_it_reports_a_decision_without_ground_instead_of_emitting_an_invalid_statement() -> None:
    item = statement_from_row(_row())
    assert isinstance(item, Skipped)
    assert item.reason == SkipReason.MISSING_GROUND
    assert item.needs_attention
    item = statement_from_row(_row(decision_ground="DECISION_GROUND_ILLEGAL_CONTENT",
                                   illegal_content_legal_ground="§1"))
    assert isinstance(item, Skipped)
    assert item.reason == SkipReason.MISSING_GROUND_TEXT
    assert "illegal_content_explanation" in item.detail


def test_it_reports_a_broken_decision_stored_in_the_database(decided: Decide) -> None:
    made = decided(REMOVE)
    Decision.objects.filter(pk=made.decision.pk).update(decision_ground="")  # a legacy row, before validation
    [item] = export()
    assert isinstance(item, Skipped)
    assert item.decision_id == str(made.decision.pk)
    assert item.reason == SkipReason.MISSING_GROUND


def test_it_maps_own_initiative_and_keyword_other(validate: Validate) -> None:
    statement = statement_from_row(_row(
        decision_ground="DECISION_GROUND_INCOMPATIBLE_CONTENT", incompatible_content_ground="Terms §9",
        incompatible_content_explanation="Spam.", case__language="pt-BR"))
    assert isinstance(statement, dict)
    validate(statement)
    assert statement["source_type"] == "SOURCE_VOLUNTARY"
    assert statement["category_specification_other"] == "Other"
    assert statement["content_language"] == "PT"


def test_it_batches_250_statements_into_three_tdb_batches(validate: Validate) -> None:
    rows = [_row(id=f"d-{n}", decision_ground="DECISION_GROUND_INCOMPATIBLE_CONTENT",
                 incompatible_content_ground="Terms §9", incompatible_content_explanation="Spam.")
            for n in range(250)]
    statements = [statement_from_row(r) for r in rows]
    groups = list(batches(s for s in statements if isinstance(s, dict)))
    assert [len(g) for g in groups] == [100, 100, 50]
    assert [s["puid"] for g in groups for s in g] == [f"tl-d-{n}" for n in range(250)]
    for group in groups:
        for statement in group:
            validate(statement)
    with pytest.raises(ValueError, match="1 to 100"):
        list(batches([], 101))


def test_the_packaged_schema_is_the_shared_reference_copy() -> None:
    shared = Path("/work/shared/reference/schemas/dsa_tdb_statement.derived.schema.json")
    if not shared.exists():
        pytest.skip("the shared reference folder is not on this machine")
    assert filecmp.cmp(SCHEMA_PATH, shared, shallow=False)


def test_a_restriction_reversed_after_a_contest_keeps_its_statement_and_the_new_one_gets_its_own(
    decided: Decide, validate: Validate, analyst_amal: Any, reviewer_rami: Any
) -> None:
    from trustline.appeals.services import appeal_claim_next, appeal_decide, appeal_submit
    from trustline.conftest import actor_of
    from trustline.core.clock import frozen_at

    made = decided(REMOVE)
    with frozen_at(T0 + dt.timedelta(hours=5)):
        appeal = appeal_submit(actor=actor_of(analyst_amal), reasons="A label is enough.",
                               decision_id=made.decision.pk)
        assert appeal_claim_next(actor=actor_of(reviewer_rami)) is not None
        appeal_decide(actor=actor_of(reviewer_rami), appeal_id=appeal.pk, outcome="partially_reversed",
                      explanation="We label it instead.",
                      new_decision=dataclasses.replace(REMOVE, actions=("label",), label_text="Disputed"))
    statements = [s for s in export() if isinstance(s, dict)]
    assert len(statements) == 2
    first, second = statements
    assert first["puid"] == f"tl-{made.decision.pk}"  # imposed, then lifted: the statement stands
    assert second["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_LABELLED"]
    for statement in statements:
        validate(statement)


def test_it_sends_the_stream_in_chunks_of_whole_lines() -> None:
    from trustline.transparency.statements import buffered

    chunks = list(buffered((f"line {n}\n" for n in range(1000)), size=100))
    assert all(chunk.endswith(b"\n") for chunk in chunks)
    assert b"".join(chunks).decode().splitlines() == [f"line {n}" for n in range(1000)]
    assert 50 < len(chunks) < 1000
