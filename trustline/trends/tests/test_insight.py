"""The insight report: the right countries, the right counts, and no personal data in the HTML or the PDF."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pypdf import PdfReader

from trustline.accounts.models import Organisation, User
from trustline.conftest import actor_of, kite_url
from trustline.core import clock
from trustline.review.validation import DecisionInput
from trustline.trends.clustering import incidents_cluster_new
from trustline.trends.detection import spikes_detect
from trustline.trends.insight import insight_report_build, insight_report_html, insight_report_pdf
from trustline.trends.models import Incident
from trustline.trends.services import incident_decide
from trustline.trends.tests.conftest import T0, Submit, item

EXPLANATION = "EXPLAIN-7c1e the neighbour Hassan Ibrahim at Block 12 is named in this post"
INTERNAL = "INTERNAL-5d2a reviewer suspects the Block 12 family is targeted"
PARTNER_FACING = "PARTNERTEXT-91fb: removed under the incitement policy"
TEXTS = (
    "EXCERPT-4b8e احرقوا بيت حسن ابراهيم في البلوك ١٢ الليلة قبل ان يهرب مع عائلته يا رجال الحي",
    "EXCERPT-4b8e احرقوا بيت حسن إبراهيم في البلوك ١٢ الليلة قبل أن يهرب مع عائلته يا رجال الحي!!",
)
PERIOD = (dt.date(2026, 3, 1), dt.date(2026, 3, 7))


@pytest.fixture
def programme(submit: Submit, analyst_amal: User, analyst_bilal: User, lead_lena: User) -> Incident:
    """A spike and a decided incident in Sudan, one report in Pakistan; markers in every free text."""
    for n, text in enumerate(TEXTS * 3):
        submit(analyst_amal, at=T0 + dt.timedelta(minutes=n), items=[item(kite_url(), text)], explanation=EXPLANATION)
    submit(analyst_bilal, at=T0, country="PK", language="ur", category="hateful_conduct",
           explanation="EXPLAIN-PK-3e3e a Lahore journalist is threatened")
    spikes_detect(day_from=T0.date(), day_to=T0.date())
    incidents_cluster_new()
    incident = Incident.objects.get()
    with clock.frozen_at(T0 + dt.timedelta(hours=2)):
        incident_decide(actor=actor_of(lead_lena), incident_id=incident.pk, data=DecisionInput(
            outcome="violating", policy="incitement_violence", actions=["remove"],
            decision_ground="DECISION_GROUND_INCOMPATIBLE_CONTENT",
            incompatible_content_ground="Community Guidelines §4", incompatible_content_explanation=PARTNER_FACING,
            explanation=PARTNER_FACING, internal_note=INTERNAL,
        ))
    return incident


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


FORBIDDEN = [
    "EXPLAIN-", "INTERNAL-", "PARTNERTEXT-", "EXCERPT-", "Hassan", "حسن", "kite.example", "@example.org",
    "Amal Analyst", "Bilal Analyst", "Lena Lead", "desk@sudan-monitor",
]
USERNAMES = re.compile(r"\b(amal|bilal|lena|pablo)\b", re.IGNORECASE)


def _assert_no_personal_data(text: str) -> None:
    for marker in FORBIDDEN:
        assert marker not in text, marker
    assert not USERNAMES.search(text)


def test_the_programme_report_has_the_trends_and_no_personal_data(programme: Incident, policy_polly: User) -> None:
    report = insight_report_build(actor=actor_of(policy_polly), period_from=PERIOD[0], period_to=PERIOD[1])
    assert report.reports.count == 7 and report.reports.previous == 0
    assert [line.label for line in report.by_country] == ["Sudan (SD)", "Pakistan (PK)"]
    assert [(s.country, s.observed) for s in report.spikes] == [("Sudan (SD)", 6)]
    assert report.decided_cases == 6
    assert [(line.label, line.count) for line in report.actions] == [("Remove", 6)]
    assert len(report.campaigns) == 1 and report.campaigns[0].cases == 6
    html = insight_report_html(report)
    _assert_no_personal_data(html)
    pdf = _pdf_text(insight_report_pdf(report))
    assert "Sudan (SD)" in pdf and "Insight report" in pdf
    _assert_no_personal_data(pdf)


def test_a_partner_report_covers_only_its_countries(
    programme: Incident, analyst_bilal: User, sudan_partner: Organisation,
) -> None:
    report = insight_report_build(actor=actor_of(analyst_bilal), period_from=PERIOD[0], period_to=PERIOD[1])
    assert report.countries == ["PK"]
    assert [line.label for line in report.by_country] == ["Pakistan (PK)"]
    assert report.spikes == [] and report.campaigns == [] and report.decided_cases == 0
    html = insight_report_html(report)
    assert "Sudan" not in html and sudan_partner.name not in html
    _assert_no_personal_data(html)


def test_the_command_writes_html_and_pdf(programme: Incident, sudan_partner: Organisation, tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("insight_report", "--from", "2026-03-01", "--to", "2026-03-07", "--partner", sudan_partner.slug,
                 "--out", str(tmp_path), stdout=out)
    written = sorted(tmp_path.iterdir())
    assert [p.suffix for p in written] == [".html", ".pdf"]
    assert written[1].read_bytes().startswith(b"%PDF")
    html = written[0].read_text(encoding="utf-8")
    assert "Sudan (SD)" in html and "Pakistan" not in html
    _assert_no_personal_data(html)
    _assert_no_personal_data(_pdf_text(written[1].read_bytes()))
    assert str(written[0]) in out.getvalue()


def test_the_command_refuses_an_unknown_partner(tmp_path: Path, kite: Organisation) -> None:
    with pytest.raises(CommandError):
        call_command("insight_report", "--from", "2026-03-01", "--to", "2026-03-07", "--partner", "nobody",
                     "--out", str(tmp_path))
    assert list(tmp_path.iterdir()) == []
