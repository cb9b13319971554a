"""Kite, the demo platform: believable content for the demo's URLs, and enforcement that really changes it."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from trustline.platforms.choices import ActionType, OutcomeStatus
from trustline.platforms.connectors import ContentRef, DemoPlatformConnector, EnforcementAction
from trustline.platforms.demo import demo_platform_reset
from trustline.platforms.models import DemoContentState
from trustline.platforms.tests.conftest import HALFAYA_POST

pytestmark = pytest.mark.django_db

kite = DemoPlatformConnector()


def act(action_type: ActionType, url: str = HALFAYA_POST, key: str | None = None, **extra: object) -> EnforcementAction:
    action = EnforcementAction(
        action_type=action_type,
        target=ContentRef(url=url, kind="post"),
        case_id="0190c0de-0000-7000-8000-000000000001",
        idempotency_key=key or f"demo:{action_type}:{url}",
        **extra,  # type: ignore[arg-type]  # test helper: the optional fields
    )
    action.validate()
    return action


def test_a_reported_post_of_the_demo_programme_shows_its_text_author_reach_and_media():
    described = kite.describe(ContentRef(url=HALFAYA_POST, kind="post"))

    assert described.available
    assert described.source == "demo"
    assert described.text.startswith("ديل ناس التكية في الحلفايا")
    assert described.author is not None
    assert (described.author.handle, described.author.display_name) == ("halfaya.alaan", "الحلفايا الآن")
    assert described.author.created_at is not None and described.created_at is not None
    assert described.author.created_at < described.created_at < described.fetched_at
    assert described.reach.views and described.reach.shares is not None
    assert [m.kind for m in described.media] == ["image"]
    assert described.media[0].url and described.media[0].url.startswith("https://media.kite.example/")
    assert (described.online, described.restrictions) == (True, ())


def test_every_handle_and_excerpt_of_the_report_templates_is_on_kite():
    templates = json.loads(
        resources.files("trustline.demo").joinpath("data/report_templates.json").read_text("utf-8")
    )
    for template in templates:
        for item in template["items"]:
            if item["kind"] in {"ad", "message"}:
                continue  # no handle in their address: matched by a hash of the id
            path = {"post": "posts", "comment": "comments", "media": "media"}.get(item["kind"])
            if item["kind"] == "account":
                url = f"https://kite.example/@{item['handle']}"
            elif item["kind"] == "group":
                url = f"https://kite.example/groups/{item['handle']}"
            else:
                url = f"https://kite.example/@{item['handle']}/{path}/{item.get('post_id', 7300000001)}"
            described = kite.describe(ContentRef(url=url, kind=item["kind"]))
            assert described.source == "demo", url
            assert described.author is not None and described.author.handle == item["handle"]


def test_content_several_partners_report_by_the_same_id_is_found_by_its_id():
    described = kite.describe(ContentRef(url="https://kite.example/@calais.reveil/posts/7302287734", kind="post"))
    assert described.text.startswith("Encore un campement de Soudanais")


def test_an_unknown_address_gets_the_same_synthetic_description_every_time():
    ref = ContentRef(url="https://kite.example/posts/424242", kind="post")
    first, second = kite.describe(ref), kite.describe(ref)

    assert first.available and first.source == "demo:synthetic"
    assert first.text and first.author is not None and first.author.handle.startswith("kite_user_")
    assert (first.text, first.author, first.reach, first.created_at) == (
        second.text, second.author, second.reach, second.created_at
    )
    other = kite.describe(ContentRef(url="https://kite.example/posts/424243", kind="post"))
    assert other.author != first.author


def test_messages_and_ads_without_a_handle_still_show_something():
    message = kite.describe(ContentRef(platform_id="msg-7345678901", kind="message"))
    ad = kite.describe(ContentRef(url="https://kite.example/ads/7390000000", kind="ad"))

    assert message.available and message.text and message.author is not None
    assert ad.available and ad.text and ad.reach.views


def test_content_on_another_platform_is_not_kites():
    ref = ContentRef(url="https://x.com/someone/status/1", kind="post")
    assert kite.describe(ref).available is False
    assert kite.apply(act(ActionType.REMOVE, url=ref.url)).status == OutcomeStatus.FAILED


def test_removing_a_post_takes_it_offline_and_describe_says_so():
    outcome = kite.apply(act(ActionType.REMOVE))

    assert outcome.status == OutcomeStatus.DONE
    assert outcome.reference.startswith("KITE-ENF-")
    described = kite.describe(ContentRef(url=HALFAYA_POST, kind="post"))
    assert described.online is False
    assert described.restrictions == ("removed",)
    state = DemoContentState.objects.get(url=HALFAYA_POST)
    assert state.removed
    assert [entry["action_type"] for entry in state.history] == ["remove"]


def test_restrictions_add_up_and_a_repeated_action_changes_nothing():
    kite.apply(act(ActionType.GEO_RESTRICT, territorial_scope=("FR", "DE")))
    kite.apply(act(ActionType.LABEL, label="Names private people as collaborators"))
    kite.apply(act(ActionType.AGE_RESTRICT))
    first = kite.apply(act(ActionType.RESTRICT_VISIBILITY))
    again = kite.apply(act(ActionType.RESTRICT_VISIBILITY))

    assert (again.status, again.reference, again.message) == (first.status, first.reference, first.message)
    described = kite.describe(ContentRef(url=HALFAYA_POST, kind="post"))
    assert described.online is True
    assert described.restrictions == (
        "visibility restricted", "geo-restricted in DE, FR", "labelled: Names private people as collaborators",
        "age-restricted",
    )
    assert len(DemoContentState.objects.get(url=HALFAYA_POST).history) == 4


def test_suspending_the_author_takes_all_their_content_offline():
    kite.apply(act(ActionType.SUSPEND_ACCOUNT))

    media = kite.describe(ContentRef(url="https://kite.example/@halfaya.alaan/media/7399", kind="media"))
    account = kite.describe(ContentRef(url="https://kite.example/@halfaya.alaan", kind="account"))
    someone_else = kite.describe(ContentRef(url="https://kite.example/@wad.albalad_77/comments/1", kind="comment"))

    assert (media.online, media.restrictions) == (False, ("account suspended",))
    assert account.online is False
    assert someone_else.online is True
    assert DemoContentState.objects.get(url="https://kite.example/@halfaya.alaan").account_suspended


def test_the_demo_platform_can_be_reset():
    kite.apply(act(ActionType.REMOVE))
    assert demo_platform_reset() == 1
    assert kite.describe(ContentRef(url=HALFAYA_POST, kind="post")).online is True
