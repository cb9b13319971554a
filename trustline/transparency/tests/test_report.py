"""The transparency report's figures against values computed by hand on a small programme.

The programme (March 2026; Sudan's status awarded by a DSC, Pakistan's not,
and only DSC-awarded partners count as trusted flaggers here):

=====  ========  ======================  ============================  ==============
notice  partner   category (DSA)          decision                      time to action
=====  ========  ======================  ============================  ==============
A      Sudan TF  incitement (SPEECH)     remove, terms (T&C)           2 h
C      Sudan TF  incitement (SPEECH)     geo-restrict, illegal (law)   6 h
D      Pakistan  hateful (SPEECH)        remove, terms (T&C)           10 h
E      Sudan TF  harassment (CYBER_V.)   not violating                 -
F      Sudan TF  incitement (SPEECH)     not decided                   -
old    Sudan TF  incitement              remove (in February)          outside
=====  ========  ======================  ============================  ==============

SPEECH: 4 notices (3 TF), 4 items (3 TF); law 1 (TF 1), terms 2 (TF 1);
median of {2, 6, 10} h = 6 h, of TF {2, 6} h = 4 h. CYBER_VIOLENCE: 1 notice,
no action. TOTAL: 5 notices (4 TF), law 1, terms 2, medians 6 h and 4 h.
Contests: Sudan contests E (no action) on 3 March 10:00, upheld at 15:00
(5 h); Sudan contests A (a removal) and it stays open.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from trustline.accounts.models import Organisation, User
from trustline.appeals.services import appeal_claim_next, appeal_decide, appeal_submit
from trustline.conftest import actor_of
from trustline.core.clock import frozen_at
from trustline.partners.models import Accreditation
from trustline.transparency.report import NOTICE_COLUMNS, transparency_report
from trustline.transparency.tests.conftest import HOUR, ILLEGAL_GEO, NOT_VIOLATING, REMOVE, T0, Decide

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


@pytest.fixture
def programme(decided: Decide, analyst_amal: User, analyst_bilal: User, reviewer_rami: User,
              sudan_partner: Organisation, settings: Any) -> dict[str, Any]:
    settings.TRUSTLINE_TDB = {"TRUSTED_FLAGGER_NEEDS_DSC": True}
    Accreditation.objects.filter(organisation=sudan_partner).update(awarding_dsc="Coimisiún na Meán (IE)")
    made = {
        "A": decided(REMOVE, decided_at=T0 + 2 * HOUR),
        "C": decided(ILLEGAL_GEO, decided_at=T0 + 6 * HOUR),
        "D": decided(REMOVE, decided_at=T0 + 10 * HOUR, reporter=analyst_bilal, category="hateful_conduct",
                     country="PK", language="ur"),
        "E": decided(NOT_VIOLATING, category="harassment"),
        "F": decided(None),
        "old": decided(REMOVE, reported_at=T0 - dt.timedelta(days=20)),
    }
    with frozen_at(T0 + dt.timedelta(days=1, hours=1)):
        appeal = appeal_submit(actor=actor_of(analyst_amal), reasons="This is harassment.",
                               decision_id=made["E"].decision.pk)
        claimed = appeal_claim_next(actor=actor_of(reviewer_rami))
        assert claimed is not None and claimed.pk == appeal.pk
    with frozen_at(T0 + dt.timedelta(days=1, hours=6)):
        appeal_decide(actor=actor_of(reviewer_rami), appeal_id=appeal.pk, outcome="upheld",
                      explanation="We looked again: no violation.")
        appeal_submit(actor=actor_of(analyst_amal), reasons="Remove the account too.",
                      decision_id=made["A"].decision.pk)
    return made


def _by_key(rows: list[list[object]]) -> dict[str, dict[str, object]]:
    return {str(row[3]): dict(zip(NOTICE_COLUMNS, row, strict=True)) for row in rows}


def test_it_counts_notices_actions_and_medians_by_category(programme: dict[str, Any]) -> None:
    report = transparency_report(start=MARCH[0], end=MARCH[1])
    rows = _by_key(report.section("4_notices").rows)
    speech = rows["STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"]
    assert speech["Reporting period"] == "2026-03-01/2026-03-31"
    assert speech["Number of notices received"] == 4
    assert speech["Number of notices received from Trusted flaggers"] == 3
    assert speech["Number of specific items of information included in the total number of notices"] == 4
    assert speech["Median time to take action"] == 6.0
    assert speech["Median time to take action (Trusted Flagger notices)"] == 4.0
    assert speech["Number of actions taken on the basis of the law"] == 1
    assert speech["Number of actions taken on the basis of the law (Trusted Flagger notices)"] == 1
    assert speech["Number of actions taken on the basis of the terms and conditions of the service"] == 2
    assert speech[
        "Number of actions taken on the basis of the terms and conditions of the service (Trusted Flagger notices)"
    ] == 1
    cyber = rows["STATEMENT_CATEGORY_CYBER_VIOLENCE"]
    assert (cyber["Number of notices received"], cyber["Median time to take action"]) == (1, "")
    assert cyber["Number of actions taken on the basis of the terms and conditions of the service"] == 0
    total = rows["TOTAL"]
    assert (total["Number of notices received"], total["Number of notices received from Trusted flaggers"]) == (5, 4)
    assert (total["Median time to take action"], total["Median time to take action (Trusted Flagger notices)"]) \
        == (6.0, 4.0)
    assert rows["STATEMENT_CATEGORY_ANIMAL_WELFARE"]["Number of notices received"] == 0
    assert len(rows) == 17  # TOTAL and the 16 TDB categories


def test_it_counts_complaints_by_what_the_contested_decision_did(programme: dict[str, Any]) -> None:
    rows = transparency_report(start=MARCH[0], end=MARCH[1]).section("7_appeals_and_recidivism").rows
    figures = {(str(r[4]), str(r[5])): r[6] for r in rows}
    everything = "Number of complaints submitted to the internal-complaints mechanism"
    assert figures[(everything, "Total number")] == 2
    assert figures[(everything, "Decisions upheld")] == 1
    assert figures[(everything, "Decisions reversed")] == 0
    assert figures[(everything, "Median time")] == 5.0
    visibility = ("Complaint regarding a decision to remove or disable access to or restrict visibility of "
                  "information")
    assert figures[(visibility, "Total number")] == 1
    assert figures[(visibility, "Median time")] == ""
    tf_no_action = ("Complaint regarding a decision not to take action on a notice submitted by a Trusted Flagger "
                    "in accordance with Article 16")
    assert (figures[(tf_no_action, "Total number")], figures[(tf_no_action, "Decisions upheld")]) == (1, 1)
    no_action = "Complaint regarding a decision not to take action on a notice submitted in accordance with Article 16"
    assert figures[(no_action, "Total number")] == 0
    assert figures[("Number of restrictions newly imposed as a result of an internal complaint", "Total number")] == 0


def test_the_government_orders_section_is_empty_without_orders_but_keeps_its_header(
    programme: dict[str, Any]
) -> None:
    section = transparency_report(start=MARCH[0], end=MARCH[1]).section("3_member_states_orders")
    # Only the TOTAL row, with nothing counted; rows per Member State: trustline/lawenforcement/tests/test_figures.py
    assert [row[5:9] for row in section.rows] == [["TOTAL", 0, 0, None]]
    assert section.csv().startswith("Applicability,Service,Reporting period,Type of order")


def test_the_command_writes_the_csv_files_and_the_workbook(programme: dict[str, Any], tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("transparency_report", "--from", "2026-03-01", "--to", "2026-03-31", "--out", str(tmp_path),
                 stdout=out)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["3_member_states_orders.csv", "4_notices.csv", "7_appeals_and_recidivism.csv",
                     "transparency_report.xlsx", "x_notices_by_trusted_flagger.csv"]
    with (tmp_path / "4_notices.csv").open(encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    total = next(r for r in table if r["Category of illegal content"] == "TOTAL")
    assert total["Number of notices received"] == "5"
    assert total["Median time to take action"] == "6.0"
    book = load_workbook(tmp_path / "transparency_report.xlsx")
    assert book.sheetnames == ["3_member_states_orders", "4_notices", "7_appeals_and_recidivism",
                               "x_notices_by_trusted_flagger"]
    assert book["4_notices"]["D2"].value == "TOTAL"
    assert book["4_notices"]["F2"].value == 5


def test_it_counts_notices_per_trusted_flagger(programme: dict[str, Any]) -> None:
    rows = transparency_report(start=MARCH[0], end=MARCH[1]).section("x_notices_by_trusted_flagger").rows
    # Only Sudan is a trusted flagger here (DSC-awarded); A, C, E, F in March; actions A (T&C, 2 h), C (law, 6 h).
    assert rows == [["2026-03-01/2026-03-31", "Sudan Digital Rights Monitor", 4, 4, 4.0, 1, 1]]
