"""Tests for trustline.intake.canonical (pure Python, no database)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.provisional import urls

from trustline.intake.canonical import (
    MAX_URL_LENGTH,
    CanonicalUrl,
    UrlRejected,
    canonical_platform_id,
    canonicalize_url,
    load_rules,
)


def canon(url: str) -> str:
    return canonicalize_url(url).url


def reason_for(url: str) -> str:
    with pytest.raises(UrlRejected) as excinfo:
        canonicalize_url(url)
    assert str(excinfo.value) == excinfo.value.reason
    return excinfo.value.reason


# --- rejections --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "file:///etc/passwd",
        "data:text/html;base64,PHNjcmlwdD4=",
        "ftp://example.com/file.txt",
        "mailto:someone@example.com",
    ],
)
def test_rejects_non_http_schemes(url: str) -> None:
    assert "only http and https URLs are accepted" in reason_for(url)


@pytest.mark.parametrize("url", ["example.com/post/1", "www.example.com", "localhost:8000/x", "/relative/path"])
def test_rejects_missing_scheme(url: str) -> None:
    assert "no scheme" in reason_for(url)


@pytest.mark.parametrize("url", ["https://", "https:///path", "https:example.com", "http://:80/"])
def test_rejects_missing_host(url: str) -> None:
    assert "no host" in reason_for(url)


@pytest.mark.parametrize(
    "url",
    ["https://user:secret@example.com/", "https://user@example.com/", "https://:pw@example.com/"],
)
def test_rejects_credentials(url: str) -> None:
    assert "user name or password" in reason_for(url)


def test_rejects_overlong_url() -> None:
    url = "https://example.com/" + "a" * (MAX_URL_LENGTH - len("https://example.com/") + 1)
    assert len(url) == MAX_URL_LENGTH + 1
    assert "longer than 2048" in reason_for(url)
    # exactly at the limit is fine
    assert canon(url[:-1]) == url[:-1]


def test_rejects_url_that_only_grows_too_long_when_percent_encoded() -> None:
    url = "https://example.com/" + "é" * 1500  # 1520 chars, but é becomes %C3%A9
    assert "once normalised" in reason_for(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a b",
        "https://example.com/a\tb",
        "https://exa\nmple.com/",
        "https://example.com/a\x00b",
        "https://example.com/a\x7fb",
        "https://example.com/a\u00a0b",  # no-break space
        "https://example.com/a\u200bb",  # zero-width space
        "https://example.com/\u202egnp.exe",  # right-to-left override
    ],
)
def test_rejects_whitespace_and_control_characters(url: str) -> None:
    assert reason_for(url) == "the URL contains whitespace or control characters"


def test_surrounding_whitespace_is_ignored() -> None:
    assert canon("  https://example.com/a\n") == "https://example.com/a"


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://a..b.com/", "empty label"),
        ("https://.example.com/", "empty label"),
        ("https://example..com/", "empty label"),
        ("https://-bad.example.com/", "not a valid domain name"),
        ("https://bad_.exa!mple.com/", "not a valid domain name"),
        ("https://localhost/", "not a public domain name"),
        ("https://example.123/", "numeric top-level domain"),
        ("https://999.1.1.1/", "not a valid IPv4 address"),
        ("https://[not-ipv6]/", "could not be parsed"),
        ("https://example.com:99999/", "could not be parsed"),
        ("https://example.com:port/", "could not be parsed"),
        ("https://" + "a" * 64 + ".com/", "not a valid"),
        ("https://" + ".".join(["abcdefghi"] * 26) + ".com/", "longer than 253"),
    ],
)
def test_rejects_invalid_hosts(url: str, fragment: str) -> None:
    assert fragment in reason_for(url)


def test_empty_url_is_rejected() -> None:
    assert reason_for("   ") == "the URL is empty"


def test_rejection_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="only http and https"):
        canonicalize_url("ftp://example.com/")


# --- generic normalisation -------------------------------------------------------------------------


def test_result_shape() -> None:
    result = canonicalize_url("https://example.com/a")
    assert result == CanonicalUrl(url="https://example.com/a", key="url:https://example.com/a")


def test_scheme_and_host_are_lowercased_but_path_is_not() -> None:
    assert canon("HTTPS://WWW.Example.COM/Some/Path") == "https://www.example.com/Some/Path"


def test_http_and_https_share_a_key() -> None:
    assert canonicalize_url("http://example.com/post/1").key == canonicalize_url("https://example.com/post/1").key
    assert canon("http://example.com/post/1").startswith("https://")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://example.com:80/a", "https://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:8080/a", "https://example.com:8080/a"),
    ],
)
def test_default_ports_are_dropped(url: str, expected: str) -> None:
    assert canon(url) == expected


def test_fragment_is_removed() -> None:
    assert canon("https://example.com/a#comments") == "https://example.com/a"
    assert canonicalize_url("https://example.com/a#x").key == canonicalize_url("https://example.com/a#y").key


def test_query_parameters_are_sorted() -> None:
    a = canonicalize_url("https://example.com/search?b=2&a=1&c=3")
    b = canonicalize_url("https://example.com/search?c=3&a=1&b=2")
    assert a.url == "https://example.com/search?a=1&b=2&c=3"
    assert a.key == b.key


def test_repeated_parameters_are_kept() -> None:
    assert canon("https://example.com/?tag=b&tag=a") == "https://example.com/?tag=a&tag=b"


def test_percent_encoding_is_normalised() -> None:
    assert canon("https://example.com/%7euser/r%c3%a9sum%C3%A9") == "https://example.com/~user/r%C3%A9sum%C3%A9"
    assert canon("https://example.com/résumé") == "https://example.com/r%C3%A9sum%C3%A9"


def test_dot_segments_are_resolved() -> None:
    assert canon("https://example.com/a/b/../c/./d") == "https://example.com/a/c/d"


def test_idn_host_becomes_punycode() -> None:
    assert canon("https://münchen.de/stadt") == "https://xn--mnchen-3ya.de/stadt"
    assert canon("https://MÜNCHEN.DE/stadt") == "https://xn--mnchen-3ya.de/stadt"
    assert canonicalize_url("https://münchen.de/").key == canonicalize_url("https://xn--mnchen-3ya.de/").key


def test_trailing_dot_of_host_is_stripped() -> None:
    assert canon("https://example.com./a") == "https://example.com/a"


def test_ip_hosts() -> None:
    assert canon("http://192.0.2.10:8080/x") == "https://192.0.2.10:8080/x"
    assert canon("https://[2001:DB8:0:0::1]:443/x") == "https://[2001:db8::1]/x"


def test_unknown_hosts_keep_www_and_trailing_slash() -> None:
    assert canon("https://www.example.com/a/") == "https://www.example.com/a/"
    assert canonicalize_url("https://www.example.com/").key != canonicalize_url("https://example.com/").key


# --- tracking parameters ---------------------------------------------------------------------------


def test_tracking_parameters_are_removed_on_any_host() -> None:
    url = (
        "https://news.example.org/story?id=7&utm_source=fb&utm_medium=social&UTM_Campaign=x"
        "&fbclid=abc&gclid=def&igshid=1&igsh=2&si=3&mibextid=4&ref_src=twsrc&ref_url=x"
    )
    assert canon(url) == "https://news.example.org/story?id=7"


def test_only_tracking_parameters_leaves_no_question_mark() -> None:
    assert canon("https://example.com/a?utm_source=x&fbclid=y") == "https://example.com/a"


def test_platform_specific_tracking_is_not_removed_elsewhere() -> None:
    # "s" and "t" are tracking on x.com but meaningful on an arbitrary site.
    assert canon("https://example.com/search?s=cats&t=10") == "https://example.com/search?s=cats&t=10"


# --- platform rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["m.facebook.com", "mobile.facebook.com", "web.facebook.com", "www.facebook.com", "fb.com", "facebook.com"],
)
def test_facebook_hosts_are_mapped(host: str) -> None:
    url = f"https://{host}/permalink.php?story_fbid=123&id=456&mibextid=abc&__cft__[0]=zz&__tn__=R"
    assert canon(url) == "https://facebook.com/permalink.php?id=456&story_fbid=123"


def test_facebook_mobile_story_php_is_a_permalink() -> None:
    assert canon("https://m.facebook.com/story.php?story_fbid=1&id=2&sfnsn=mo") == canon(
        "https://www.facebook.com/permalink.php?id=2&story_fbid=1"
    )


@pytest.mark.parametrize(
    "host", ["twitter.com", "www.twitter.com", "mobile.twitter.com", "x.com", "www.x.com", "mobile.x.com"]
)
def test_x_hosts_are_mapped_and_share_params_dropped(host: str) -> None:
    assert canon(f"http://{host}/SomeUser/status/1234567890?s=20&t=AbC") == "https://x.com/someuser/status/1234567890"


def test_x_status_suffixes_are_dropped() -> None:
    expected = "https://x.com/someuser/status/42"
    assert canon("https://twitter.com/someuser/status/42/photo/1") == expected
    assert canon("https://x.com/someuser/status/42/analytics") == expected
    assert canon("https://twitter.com/someuser/statuses/42/") == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://youtu.be/dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ?si=Abc123&t=42",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share&app=desktop",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ&list=PL123&index=2",
        "https://youtube.com/shorts/dQw4w9WgXcQ?feature=share",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ/",
        "https://www.youtube.com/embed/dQw4w9WgXcQ",
        "http://www.youtube.com/watch?feature=youtu.be&v=dQw4w9WgXcQ#t=10",
    ],
)
def test_youtube_spellings_share_a_key(url: str) -> None:
    assert canon(url) == "https://youtube.com/watch?v=dQw4w9WgXcQ"


def test_youtube_music_is_not_mapped() -> None:
    assert canon("https://music.youtube.com/watch?v=abc&si=x") == "https://music.youtube.com/watch?v=abc"


def test_youtube_short_link_rule_only_applies_to_youtu_be() -> None:
    # youtube.com/<name> is a channel, not a video.
    assert canon("https://www.youtube.com/SomeChannel") == "https://youtube.com/SomeChannel"


@pytest.mark.parametrize("host", ["www.instagram.com", "m.instagram.com", "instagram.com"])
def test_instagram(host: str) -> None:
    assert canon(f"https://{host}/p/CxYz_12-a/?igsh=MTc4&img_index=1") == "https://instagram.com/p/CxYz_12-a"


def test_instagram_user_prefixed_post_path() -> None:
    assert canon("https://www.instagram.com/someone/p/CxYz/") == "https://instagram.com/p/CxYz"


@pytest.mark.parametrize("host", ["www.tiktok.com", "m.tiktok.com", "tiktok.com"])
def test_tiktok(host: str) -> None:
    url = f"https://{host}/@some.user/video/7301234567890?is_from_webapp=1&sender_device=pc"
    assert canon(url) == "https://tiktok.com/@some.user/video/7301234567890"


@pytest.mark.parametrize("url", ["https://telegram.me/durov/123", "https://t.me/s/durov/123", "http://t.me/durov/123/"])
def test_telegram(url: str) -> None:
    assert canon(url) == "https://t.me/durov/123"


@pytest.mark.parametrize(
    "url",
    [
        "https://old.reddit.com/r/Python/comments/abc123/a_title/",
        "https://www.reddit.com/r/python/comments/abc123/?utm_source=share&share_id=x",
        "https://np.reddit.com/r/Python/comments/abc123",
        "https://m.reddit.com/r/Python/comments/abc123/other_title/?rdt=1",
    ],
)
def test_reddit_posts_share_a_key(url: str) -> None:
    assert canon(url) == "https://reddit.com/r/python/comments/abc123"


def test_reddit_comment_permalink_keeps_comment_id() -> None:
    assert canon("https://www.reddit.com/r/Python/comments/abc123/title/def456/") == (
        "https://reddit.com/r/python/comments/abc123/_/def456"
    )


def test_platform_strips_trailing_slash_but_keeps_root() -> None:
    assert canon("https://www.facebook.com/somepage/") == "https://facebook.com/somepage"
    assert canon("https://www.facebook.com/") == "https://facebook.com/"


def test_custom_rules_file(tmp_path: Path) -> None:
    rules_file = tmp_path / "rules.json"
    rules_file.write_text(
        json.dumps(
            {
                "_comment": "test rules",
                "version": 1,
                "tracking_params": {"exact": ["junk"], "prefixes": ["trk_"]},
                "platforms": [
                    {
                        "name": "example",
                        "host": "example.net",
                        "aliases": ["www.example.net", "m.example.net"],
                        "keep_query": None,
                        "drop_query": ["session"],
                        "path_rules": [{"match": "^/v/([0-9]+)$", "replace": "/video?id=\\1"}],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    rules = load_rules(rules_file)
    result = canonicalize_url("https://m.example.net/v/12?session=1&trk_a=2&junk=3&keep=4&utm_source=5", rules)
    assert result.url == "https://example.net/video?id=12&keep=4&utm_source=5"
    # the default rules are unaffected
    assert canon("https://m.facebook.com/x") == "https://facebook.com/x"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"platforms": [{"name": "a", "host": "a.com", "keep_params": []}]}, "unknown key"),
        ({"platforms": [{"name": "a", "host": "a.com", "path_rules": [{"match": "(", "replace": ""}]}]}, "invalid"),
        ({"platforms": [{"name": "a", "host": "a.com", "path_rules": [{"match": "^/x$", "replace": "\\1"}]}]}, "group"),
        (
            {
                "platforms": [
                    {"name": "a", "host": "a.com", "aliases": ["b.com"]},
                    {"name": "b", "host": "b.com"},
                ]
            },
            "listed by",
        ),
        ({"tracking_params": {"prefixes": [""]}}, "empty tracking prefix"),
        ({"version": 2}, "version"),
    ],
)
def test_malformed_rules_fail_loudly(tmp_path: Path, data: dict[str, object], message: str) -> None:
    rules_file = tmp_path / "rules.json"
    rules_file.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_rules(rules_file)


def test_default_rules_are_cached() -> None:
    assert load_rules() is load_rules()


# --- platform identifiers --------------------------------------------------------------------------


def test_platform_id_key() -> None:
    result = canonical_platform_id("TikTok_Video", "  7301234567890 ")
    assert result == CanonicalUrl(url="", key="id:tiktok_video:7301234567890")


def test_platform_id_keeps_case_of_the_id() -> None:
    assert canonical_platform_id("instagram_post", "CxYz").key == "id:instagram_post:CxYz"


@pytest.mark.parametrize(
    ("kind", "platform_id", "message"),
    [
        ("tiktok", "   ", "empty"),
        ("tiktok", "x" * 257, "longer than 256"),
        ("tiktok", "12 34", "whitespace or control"),
        ("tiktok", "12\x0034", "whitespace or control"),
        ("tiktok", "12\u200b34", "whitespace or control"),
        ("", "123", "kind"),
        ("a:b", "123", "kind"),
    ],
)
def test_platform_id_rejections(kind: str, platform_id: str, message: str) -> None:
    with pytest.raises(UrlRejected) as excinfo:
        canonical_platform_id(kind, platform_id)
    assert message in excinfo.value.reason


def test_platform_id_at_limit() -> None:
    assert canonical_platform_id("k", "x" * 256).key == "id:k:" + "x" * 256


def test_platform_ids_and_urls_never_collide() -> None:
    assert canonical_platform_id("url", "https://example.com/").key != canonicalize_url("https://example.com/").key


# --- properties ------------------------------------------------------------------------------------

_label = st.from_regex(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?", fullmatch=True)
_known_hosts = st.sampled_from(
    [
        "www.facebook.com",
        "m.facebook.com",
        "twitter.com",
        "x.com",
        "youtu.be",
        "www.youtube.com",
        "instagram.com",
        "www.tiktok.com",
        "telegram.me",
        "old.reddit.com",
        "münchen.de",
        "www.example.com",
        "192.0.2.1",
    ]
)
_host = st.one_of(
    _known_hosts,
    st.builds(lambda labels, tld: ".".join([*labels, tld]), st.lists(_label, min_size=1, max_size=3), _label).filter(
        lambda h: not h.rsplit(".", 1)[-1].isdigit()
    ),
)
_segment = st.lists(
    st.sampled_from([*"abcXYZ019-._~!$&'()*+,;=:@%é", "%41", "%2F", "%c3%a9", "..", "."]), max_size=6
).map("".join)
_param_name = st.sampled_from(["a", "b", "v", "id", "story_fbid", "utm_source", "fbclid", "s", "t", "si", "Q"])
_param_value = st.lists(st.sampled_from([*"abc123-_.~%+=é/?", "%20", "%2B"]), max_size=6).map("".join)


@st.composite
def generated_urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = draw(_host)
    if draw(st.booleans()):
        host = host.upper()
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":1"]))
    path = "/" + "/".join(draw(st.lists(_segment, max_size=4)))
    if draw(st.booleans()):
        path += "/"
    params = draw(st.lists(st.tuples(_param_name, _param_value), max_size=5))
    query = "&".join(f"{k}={v}" for k, v in params)
    fragment = draw(st.sampled_from(["", "#", "#frag", "#t=10"]))
    return f"{scheme}://{host}{port}{path}{'?' + query if query else ''}{fragment}"


def _assert_idempotent(url: str) -> None:
    try:
        first = canonicalize_url(url)
    except UrlRejected:
        assume(False)
        return
    second = canonicalize_url(first.url)
    assert second == first
    assert first.url.startswith("https://")
    assert "#" not in first.url
    assert first.key == "url:" + first.url


@settings(max_examples=400, deadline=None)
@given(generated_urls())
def test_canonicalize_is_idempotent(url: str) -> None:
    _assert_idempotent(url)


@settings(max_examples=200, deadline=None)
@given(urls())
def test_canonicalize_is_idempotent_for_hypothesis_urls(url: str) -> None:
    _assert_idempotent(url)


@settings(max_examples=200, deadline=None)
@given(generated_urls())
def test_tracking_parameters_never_survive(url: str) -> None:
    try:
        result = canonicalize_url(url)
    except UrlRejected:
        assume(False)
        return
    query = result.url.partition("?")[2]
    names = {pair.partition("=")[0].lower() for pair in query.split("&") if pair}
    assert not names & {"utm_source", "fbclid", "si"}
