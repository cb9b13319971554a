"""The transparency API and commands: who may read what, streaming formats, the partner's own annual report."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from trustline.accounts.models import User
from trustline.conftest import ApiClient, assert_error
from trustline.review.models import Decision
from trustline.transparency.tests.conftest import AUTOMATED_LABEL, NOT_VIOLATING, REMOVE, SUSPEND, Decide

SessionApi = Callable[[User], ApiClient]
PERIOD = {"from": "2026-03-01", "to": "2026-03-31"}
STAFF_ENDPOINTS = [
    ("/transparency/statements", PERIOD),
    ("/transparency/statements/gaps", PERIOD),
    ("/transparency/report", PERIOD),
    ("/transparency/report.xlsx", PERIOD),
    ("/transparency/submissions", {}),
]


@pytest.fixture
def programme(decided: Decide, analyst_bilal: User) -> dict[str, Any]:
    return {
        "remove": decided(REMOVE),
        "suspend": decided(SUSPEND),
        "label": decided(AUTOMATED_LABEL),
        "no": decided(NOT_VIOLATING),
        "pending": decided(None),
        "bilal": decided(REMOVE, reporter=analyst_bilal, category="hateful_conduct", country="PK", language="ur"),
    }


def _lines(response: Any) -> list[dict[str, Any]]:
    body = b"".join(response.streaming_content).decode()
    return [json.loads(line) for line in body.splitlines()]


@pytest.mark.parametrize(("path", "params"), STAFF_ENDPOINTS)
def test_staff_endpoints_refuse_anonymous_partners_and_wrong_roles(
    path: str, params: dict[str, str], api: ApiClient, sudan_api: ApiClient, session_api: SessionApi,
    analyst_amal: User, reviewer_rami: User
) -> None:
    assert api.get(path, params).status_code == 401
    assert_error(sudan_api.get(path, params), 403, "forbidden")
    assert_error(session_api(analyst_amal).get(path, params), 403, "forbidden")
    assert_error(session_api(reviewer_rami).get(path, params), 403, "forbidden")


@pytest.mark.parametrize("persona", ["pm_pablo", "policy_paula", "auditor_aziz", "admin_ada"])
@pytest.mark.parametrize(("path", "params"), STAFF_ENDPOINTS)
def test_staff_endpoints_serve_programme_managers_policy_analysts_auditors_and_admins(
    path: str, params: dict[str, str], persona: str, session_api: SessionApi, request: pytest.FixtureRequest
) -> None:
    assert session_api(request.getfixturevalue(persona)).get(path, params).status_code == 200


def test_it_streams_statements_as_json_lines_and_batches(
    programme: dict[str, Any], session_api: SessionApi, pm_pablo: User, validate: Callable[..., None]
) -> None:
    response = session_api(pm_pablo).get("/transparency/statements", PERIOD)
    assert response.streaming
    assert response["Content-Type"].startswith("application/x-ndjson")
    statements = _lines(response)
    assert len(statements) == 4  # remove, suspend, label and Bilal's removal; not the rest
    for statement in statements:
        validate(statement)
    [batch] = _lines(session_api(pm_pablo).get("/transparency/statements", {**PERIOD, "format": "batches"}))
    assert [s["puid"] for s in batch["statements"]] == [s["puid"] for s in statements]


def test_it_lists_the_gaps(programme: dict[str, Any], session_api: SessionApi, auditor_aziz: User) -> None:
    broken = programme["suspend"].decision
    Decision.objects.filter(pk=broken.pk).update(decision_ground="")
    gaps = session_api(auditor_aziz).get("/transparency/statements/gaps", PERIOD).json()
    assert gaps == [{"decision_id": str(broken.pk), "puid": f"tl-{broken.pk}", "reason": "missing_ground",
                     "detail": gaps[0]["detail"], "needs_attention": True}]


def test_it_refuses_a_bad_period(session_api: SessionApi, pm_pablo: User) -> None:
    client = session_api(pm_pablo)
    assert client.get("/transparency/statements", {"from": "2026-03-31", "to": "2026-03-01"}).status_code == 422
    assert client.get("/transparency/statements", {"from": "yesterday", "to": "2026-03-01"}).status_code == 422
    assert client.get("/transparency/report", {**PERIOD, "section": "9_nope"}).status_code == 422


def test_it_serves_report_sections_as_csv_and_json(
    programme: dict[str, Any], session_api: SessionApi, policy_paula: User
) -> None:
    client = session_api(policy_paula)
    csv_response = client.get("/transparency/report", PERIOD)
    assert csv_response["Content-Type"].startswith("text/csv")
    assert b"STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH" in csv_response.content
    body = client.get("/transparency/report", {**PERIOD, "section": "7_appeals_and_recidivism", "format": "json"})
    assert body.json()["name"] == "7_appeals_and_recidivism"
    xlsx = client.get("/transparency/report.xlsx", PERIOD)
    assert xlsx.content[:2] == b"PK"


# --- The partner's annual report -------------------------------------------------------------------


def test_a_partner_gets_its_own_annual_report_without_personal_data(
    programme: dict[str, Any], session_api: SessionApi, analyst_amal: User
) -> None:
    body = session_api(analyst_amal).get("/transparency/partner-report", {"year": 2026}).json()
    assert body["trusted_flagger"] == "Sudan Digital Rights Monitor"
    assert body["total_notices"] == 5  # Bilal's notice is not Sudan's
    rows = {(r["type_of_content"], r["action_taken"]): r["notices"] for r in body["rows"]}
    assert rows == {
        ("STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", "content_removed_or_disabled"): 2,
        ("STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", "visibility_restricted"): 1,
        ("STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", "no_action"): 1,
        ("STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", "pending"): 1,
    }
    text = json.dumps(body)
    for personal in ("amal", "Amal", "kite.example", "lena", "El Fasher"):
        assert personal not in text


def test_a_partner_downloads_it_as_csv_with_its_api_key(programme: dict[str, Any], pakistan_api: ApiClient) -> None:
    response = pakistan_api.get("/transparency/partner-report", {"year": 2026, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "hosting_provider,period,type_of_content,action_taken,notices,items"
    assert lines[1:] == ["Kite Trust & Safety,2026-01-01/2026-12-31,STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH,"
                         "content_removed_or_disabled,1,1"]


def test_a_partner_cannot_read_another_partners_report(
    programme: dict[str, Any], session_api: SessionApi, analyst_bilal: User, sudan_partner: Any,
) -> None:
    params = {"year": 2026, "organisation": sudan_partner.slug}
    assert_error(session_api(analyst_bilal).get("/transparency/partner-report", params), 404, "not_found")


def test_the_partner_report_refuses_anonymous_and_people_of_no_partner(
    api: ApiClient, session_api: SessionApi, outsider_charlie: User, reviewer_rami: User, admin_ada: User,
) -> None:
    assert api.get("/transparency/partner-report", {"year": 2026}).status_code == 401
    assert session_api(outsider_charlie).get("/transparency/partner-report", {"year": 2026}).status_code in (401, 403)
    assert_error(session_api(reviewer_rami).get("/transparency/partner-report", {"year": 2026}), 403, "forbidden")
    # An administrator is not a partner: without naming one there is no report of "her" organisation.
    assert_error(session_api(admin_ada).get("/transparency/partner-report", {"year": 2026}), 404, "not_found")


def test_staff_may_read_a_named_partners_report(
    programme: dict[str, Any], session_api: SessionApi, pm_pablo: User, pakistan_partner: Any
) -> None:
    body = session_api(pm_pablo).get("/transparency/partner-report",
                                     {"year": 2026, "organisation": pakistan_partner.slug}).json()
    assert body["total_notices"] == 1


# --- Commands --------------------------------------------------------------------------------------


def test_the_command_writes_json_lines_to_stdout(programme: dict[str, Any], validate: Callable[..., None]) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_statements", "--from", "2026-03-01", "--to", "2026-03-31", stdout=out, stderr=err)
    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    for line in lines:
        validate(json.loads(line))
    assert "4 statements written; 0 decisions could not be mapped" in err.getvalue()


def test_the_command_reports_gaps_and_fails_when_strict(programme: dict[str, Any]) -> None:
    Decision.objects.filter(pk=programme["remove"].decision.pk).update(decision_ground="")
    out, err = io.StringIO(), io.StringIO()
    call_command("export_statements", "--from", "2026-03-01", "--to", "2026-03-31", "--batches",
                 stdout=out, stderr=err)
    [batch] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(batch["statements"]) == 3
    assert "missing_ground" in err.getvalue()
    with pytest.raises(CommandError, match="could not be mapped"):
        call_command("export_statements", "--from", "2026-03-01", "--to", "2026-03-31", "--strict",
                     stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("export_statements", "--from", "March", "--to", "2026-03-31")


def test_the_submission_summary_shows_what_needs_a_person(
    programme: dict[str, Any], session_api: SessionApi, auditor_aziz: User
) -> None:
    from trustline.core import clock
    from trustline.transparency.submission import submissions_enqueue

    Decision.objects.filter(pk=programme["label"].decision.pk).update(decision_ground="")
    assert submissions_enqueue(now=clock.now()) == 4
    body = session_api(auditor_aziz).get("/transparency/submissions").json()
    assert body["enabled"] is False
    assert body["counts"] == {"pending": 3, "submitted": 0, "rejected": 0, "unmappable": 1}
    assert body["needs_attention"] == [{"puid": f"tl-{programme['label'].decision.pk}", "status": "unmappable",
                                        "error": body["needs_attention"][0]["error"]}]
    assert "missing_ground" in body["needs_attention"][0]["error"]
