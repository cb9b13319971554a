"""The feed as a STIX 2.1 bundle: parsed by the OASIS stix2 library, fixed TLP 2.0 marking ids, revocation."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import stix2

from trustline.accounts.models import User
from trustline.conftest import ApiClient, assert_error
from trustline.core.clock import frozen_at
from trustline.signals.tests.conftest import SETTLED, T0, ViolatingCase

pytestmark = pytest.mark.django_db

SessionApi = Callable[[User], ApiClient]
# The TLP 2.0 marking-definition ids (docs/formats: never minted by us).
TLP2_IDS = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
}
SHA256 = "9f2c4b6e1d0a8c7b5e3f2a1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b"


@pytest.fixture
def shared(session_api: SessionApi, lead_lena: User, violating_case: ViolatingCase) -> dict[str, str]:
    lena = session_api(lead_lena)
    case = violating_case(items=[{"url": "https://kite.example/posts/it's-a-quote", "kind": "post"}])
    with frozen_at(T0):
        made = {
            "url": lena.post("/signals", {"case_id": str(case.pk), "tlp": "green", "tags": ["el-fasher"]}),
            "video": lena.post("/signals", {"signal_type": "video_sha256", "value": SHA256,
                                            "category": "incitement_violence", "tlp": "amber"}),
            "text": lena.post("/signals", {"signal_type": "raw_text", "value": "Burn the camp at Zamzam tonight",
                                           "category": "hateful_conduct", "tlp": "clear",
                                           "opinion": "INVESTIGATION_SEED"}),
        }
        ids = {name: r.json()["id"] for name, r in made.items()}
        lena.post(f"/signals/{ids['text']}/withdraw", {"reason": "A news quote."})
    return ids


def stix_feed(client: ApiClient, cursor: str = "") -> tuple[dict[str, Any], Any]:
    with frozen_at(SETTLED):
        response = client.get("/signals/feed/stix", {"cursor": cursor})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/stix+json;version=2.1"
    return json.loads(response.content), response


def test_the_bundle_is_valid_stix_with_the_published_tlp_markings(shared: dict[str, str], otter_api: ApiClient):
    bundle, response = stix_feed(otter_api)

    parsed = stix2.parse(bundle, allow_custom=False)  # raises on a missing or malformed property
    by_id = {o["id"]: o for o in bundle["objects"]}
    indicators = {o["id"]: o for o in bundle["objects"] if o["type"] == "indicator"}
    assert len(parsed.objects) == len(bundle["objects"])
    assert set(indicators) == {f"indicator--{i}" for i in shared.values()}
    # Every marking an indicator uses ships in the bundle, with the published id.
    for indicator in indicators.values():
        [marking] = indicator["object_marking_refs"]
        assert marking in TLP2_IDS.values() and by_id[marking]["type"] == "marking-definition"
        assert by_id[indicator["created_by_ref"]]["type"] == "identity"
    url = indicators[f"indicator--{shared['url']}"]
    assert url["pattern"] == "[url:value = 'https://kite.example/posts/it\\'s-a-quote']"
    assert url["object_marking_refs"] == [TLP2_IDS["green"]]
    assert {"incitement_violence", "el-fasher", "opinion:POSITIVE_CLASS"} <= set(url["labels"])
    video = indicators[f"indicator--{shared['video']}"]
    assert (video["pattern_type"], video["pattern"]) == ("stix", f"[file:hashes.'SHA-256' = '{SHA256}']")
    text = indicators[f"indicator--{shared['text']}"]
    assert (text["pattern_type"], text.get("revoked")) == ("raw_text", True)
    assert "opinion:INVESTIGATION_SEED" in text["labels"]
    assert response["Trustline-Has-More"] == "false"
    bundle_again, _ = stix_feed(otter_api, response["Trustline-Next-Cursor"])
    assert [o["type"] for o in bundle_again["objects"]] == ["identity"]  # nothing new


def test_the_stix_feed_is_for_peers_only(shared: dict[str, str], api: ApiClient, sudan_api: ApiClient,
                                         session_api: SessionApi, lead_lena: User, heron_api: ApiClient):
    assert_error(api.get("/signals/feed/stix"), 401, "unauthenticated")
    assert_error(sudan_api.get("/signals/feed/stix"), 403, "forbidden")
    assert_error(session_api(lead_lena).get("/signals/feed/stix"), 403, "forbidden")
    bundle, _ = stix_feed(heron_api)  # GREEN, incitement only: the URL
    assert [o["id"] for o in bundle["objects"] if o["type"] == "indicator"] == [f"indicator--{shared['url']}"]
