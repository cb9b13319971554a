"""GET /api/v1/taxonomy: what a partner can report, mapped to the DSA Transparency Database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from trustline.conftest import ApiClient, assert_error

pytestmark = pytest.mark.django_db


def test_a_partner_gets_categories_item_kinds_and_targets(sudan_api: ApiClient):
    response = sudan_api.get("/taxonomy")

    assert response.status_code == 200, response.content
    body = response.json()
    categories = {c["code"]: c for c in body["categories"]}
    assert {"threat_to_life", "hateful_conduct", "misinformation", "child_sexual_exploitation", "other"} <= set(
        categories
    )
    assert all(c["dsa_category"].startswith("STATEMENT_CATEGORY_") for c in categories.values())
    assert all(k.startswith("KEYWORD_") for c in categories.values() for k in c["dsa_keywords"])
    assert categories["child_sexual_exploitation"]["restricted"] is True
    assert categories["hateful_conduct"]["restricted"] is False
    assert all(c["name"] and c["policy_area"] for c in categories.values())
    assert {k["code"] for k in body["item_kinds"]} == {
        "post", "comment", "account", "group", "ad", "message", "media", "other",
    }
    targets = {t["code"] for t in body["targets"]}
    assert {"journalist", "human_rights_defender", "minor", "election_candidate"} <= targets


def test_every_listed_category_is_accepted_by_the_intake(
    sudan_api: ApiClient, report_payload: Callable[..., dict[str, Any]]
):
    codes = [c["code"] for c in sudan_api.get("/taxonomy").json()["categories"]]

    for code in codes:
        response = sudan_api.submit(report_payload(category=code))
        assert response.status_code == 201, (code, response.content)


def test_staff_read_the_taxonomy(session_api: Callable[..., ApiClient], reviewer_rita: Any):
    assert session_api(reviewer_rita).get("/taxonomy").status_code == 200


def test_anonymous_cannot_read_the_taxonomy(api: ApiClient):
    assert_error(api.get("/taxonomy"), 401, "unauthenticated")
