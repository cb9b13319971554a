"""Canonical keys for reported content, so that duplicate reports collapse into one item.

Ten partners reporting the same post paste ten different spellings of it: ``m.facebook.com`` vs
``www.facebook.com``, ``youtu.be/<id>`` vs ``youtube.com/watch?v=<id>``, with or without
``utm_*``/``fbclid``/``igsh`` tracking, in ``http`` or ``https``, with a ``#fragment``, with query
parameters in another order. :func:`canonicalize_url` maps all of them to one :class:`CanonicalUrl`
whose ``key`` is what the intake deduplicates on.

The pipeline, in order:

1. Reject what is not a reportable web address (:class:`UrlRejected` carries a human-readable
   ``reason`` that is shown to the partner): only ``http``/``https``; no credentials (they leak
   the reporter's secrets into our database and are a classic phishing disguise); no whitespace or
   control characters (including invisible bidi/zero-width characters used to spoof URLs); at most
   2048 characters; the host must be a valid domain name or IP address.
2. Generic normalisation by w3lib (we do not hand-roll percent-encoding or query sorting):
   lowercase scheme and host, IDN host to punycode, percent-encoding normalised, dot segments
   resolved, query parameters sorted, fragment dropped. On top of that we drop default ports and
   a trailing dot of the host (``example.com.`` is the same DNS name).
3. ``http`` is upgraded to ``https``: every platform serves the same content on both, and
   partners copy whichever their tool produced, so keeping the scheme would split duplicates.
4. Platform rules from ``data/url_rules.json`` (see below): alias hosts mapped to one host, path
   rewrites (``youtu.be/<id>``, ``/shorts/<id>``, ``/status/<id>/photo/1`` ...), an allow-list of
   meaningful query parameters. Unknown hosts get no alias mapping at all -- not even ``www.``
   stripping, since ``www.example.com`` and ``example.com`` may legitimately differ.
5. Tracking parameters are removed on every host (exact names and prefixes from the config).

The result is a fixed point: canonicalising a canonical URL returns it unchanged.

Rules file format (``url_rules.json``; keys starting with ``_`` are comments and ignored)::

    {
      "version": 1,
      "tracking_params": {"exact": ["fbclid", ...], "prefixes": ["utm_", ...]},
      "platforms": [
        {
          "name": "youtube",                    # label only
          "host": "youtube.com",                # canonical host
          "aliases": ["www.youtube.com", "youtu.be", ...],
          "keep_query": ["v"],                  # null = keep all non-tracking params; [] = drop all
          "drop_query": ["feature", "app"],     # extra params removed on this platform
          "lowercase_path": false,              # optional, default false
          "strip_trailing_slash": true,         # optional, default true
          "path_rules": [                       # first matching rule wins (re.sub, count=1)
            {"hosts": ["youtu.be"], "match": "^/([A-Za-z0-9_-]+)/?$", "replace": "/watch?v=\\\\1"}
          ]
        }
      ]
    }

A ``replace`` template may contain ``?name=value``: those parameters are moved into the query
(replacing same-named ones). ``hosts`` restricts a rule to URLs whose *original* host is listed.
Regular expressions are compiled once in :func:`load_rules`, and the packaged default rules are
cached, because this runs for every row of 10,000-row bulk uploads.

Items that are not URLs (a platform's own post or account identifier) get a key from
:func:`canonical_platform_id` in a separate ``id:`` namespace so they can never collide with URLs.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

from django.utils.translation import gettext
from w3lib.url import canonicalize_url as _w3lib_canonicalize_url
from w3lib.url import url_query_cleaner

__all__ = [
    "MAX_PLATFORM_ID_LENGTH",
    "MAX_URL_LENGTH",
    "CanonicalUrl",
    "PathRule",
    "Platform",
    "UrlRejected",
    "UrlRules",
    "canonical_platform_id",
    "canonicalize_url",
    "load_rules",
]

MAX_URL_LENGTH = 2048
MAX_PLATFORM_ID_LENGTH = 256

_ALLOWED_SCHEMES = frozenset({"http", "https"})
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# One DNS label after IDNA encoding. Underscores are not valid in host names per RFC 952/1123 but
# do occur in real subdomains, and rejecting a real report is worse than accepting an odd host.
_LABEL_RE = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_KIND_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_ASCII_UNSAFE_RE = re.compile(r"[\x00-\x20\x7f]")
# Unicode categories never legitimate inside a URL someone pasted: controls, invisible format
# characters (zero-width joiners, bidi overrides used for spoofing), separators, lone surrogates.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"})
_STRAY_PERCENT_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_TEMPLATE_GROUP_RE = re.compile(r"\\(\d+)|\\g<(\d+)>")
_MAX_HOST_LENGTH = 253
_MAX_STRIP_ROUNDS = 4
_DEFAULT_RULES_RESOURCE = ("trustline.intake", "data/url_rules.json")


class UrlRejected(ValueError):
    """A reported URL or identifier that cannot be accepted; ``reason`` is safe to show partners."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CanonicalUrl:
    """The canonical form of a reported item.

    ``url`` is the canonical URL (empty for platform identifiers); ``key`` is the deduplication key:
    ``"url:<url>"`` or ``"id:<kind>:<platform_id>"``.
    """

    url: str
    key: str

    @property
    def key_hash(self) -> str:
        """SHA-256 of ``key``: what open cases are indexed by (``Case.key_hash``), and what peers' URLs match on."""
        return hashlib.sha256(self.key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class PathRule:
    """A compiled path rewrite; ``hosts`` limits it to URLs whose original host is listed."""

    pattern: re.Pattern[str]
    replace: str
    hosts: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Platform:
    """Compiled rules for one platform (see the module docstring for the meaning of each field)."""

    name: str
    host: str
    aliases: frozenset[str]
    keep_query: frozenset[str] | None
    drop_query: frozenset[str]
    path_rules: tuple[PathRule, ...]
    lowercase_path: bool = False
    strip_trailing_slash: bool = True


@dataclass(frozen=True, slots=True)
class UrlRules:
    """All canonicalisation rules, compiled; build it with :func:`load_rules`."""

    tracking_exact: frozenset[str]
    tracking_prefixes: tuple[str, ...]
    platforms: tuple[Platform, ...]
    by_host: Mapping[str, Platform]


# --------------------------------------------------------------------------------------------
# Rules loading
# --------------------------------------------------------------------------------------------


def load_rules(path: str | Path | None = None) -> UrlRules:
    """Load and compile URL rules; without ``path`` the packaged ``url_rules.json`` (cached).

    Raises ``ValueError`` with the offending key when the file is malformed, so that a typo in a
    deployment's custom rules fails at start-up instead of silently disabling deduplication.
    """
    if path is None:
        return _default_rules()
    file_path = Path(path)
    return _parse_rules(json.loads(file_path.read_text(encoding="utf-8")), str(file_path))


@lru_cache(maxsize=1)
def _default_rules() -> UrlRules:
    package, resource = _DEFAULT_RULES_RESOURCE
    text = resources.files(package).joinpath(resource).read_text(encoding="utf-8")
    return _parse_rules(json.loads(text), resource)


def _parse_rules(data: Any, source: str) -> UrlRules:
    root = _as_object(data, source, {"version", "tracking_params", "platforms"})
    if root.get("version", 1) != 1:
        raise ValueError(f"{source}: unsupported rules version {root.get('version')!r}")
    tracking = _as_object(root.get("tracking_params", {}), f"{source}: tracking_params", {"exact", "prefixes"})
    exact = frozenset(name.lower() for name in _str_list(tracking.get("exact", []), f"{source}: exact"))
    prefixes = tuple(p.lower() for p in _str_list(tracking.get("prefixes", []), f"{source}: prefixes"))
    if "" in prefixes:
        raise ValueError(f"{source}: an empty tracking prefix would remove every parameter")

    raw_platforms = root.get("platforms", [])
    if not isinstance(raw_platforms, list):
        raise ValueError(f"{source}: platforms must be a list")
    platforms = tuple(_parse_platform(entry, f"{source}: platforms[{i}]") for i, entry in enumerate(raw_platforms))
    by_host: dict[str, Platform] = {}
    for platform in platforms:
        for host in platform.aliases:
            if host in by_host:
                raise ValueError(f"{source}: host {host!r} is listed by {by_host[host].name!r} and {platform.name!r}")
            by_host[host] = platform
    return UrlRules(
        tracking_exact=exact,
        tracking_prefixes=prefixes,
        platforms=platforms,
        by_host=MappingProxyType(by_host),
    )


def _parse_platform(data: Any, where: str) -> Platform:
    allowed = {
        "name",
        "host",
        "aliases",
        "keep_query",
        "drop_query",
        "path_rules",
        "lowercase_path",
        "strip_trailing_slash",
    }
    entry = _as_object(data, where, allowed)
    name = entry.get("name")
    host = entry.get("host")
    if not isinstance(name, str) or not name or not isinstance(host, str) or not host:
        raise ValueError(f"{where}: 'name' and 'host' must be non-empty strings")
    aliases = {h.lower().removesuffix(".") for h in _str_list(entry.get("aliases", []), f"{where}.aliases")}
    aliases.add(host.lower())
    keep_raw = entry.get("keep_query")
    keep_query = None if keep_raw is None else frozenset(_str_list(keep_raw, f"{where}.keep_query"))
    drop_query = frozenset(n.lower() for n in _str_list(entry.get("drop_query", []), f"{where}.drop_query"))
    rules_raw = entry.get("path_rules", [])
    if not isinstance(rules_raw, list):
        raise ValueError(f"{where}.path_rules must be a list")
    path_rules = tuple(_parse_path_rule(r, f"{where}.path_rules[{i}]") for i, r in enumerate(rules_raw))
    lowercase_path = entry.get("lowercase_path", False)
    strip_trailing_slash = entry.get("strip_trailing_slash", True)
    if not isinstance(lowercase_path, bool) or not isinstance(strip_trailing_slash, bool):
        raise ValueError(f"{where}: lowercase_path and strip_trailing_slash must be booleans")
    return Platform(
        name=name,
        host=host.lower(),
        aliases=frozenset(aliases),
        keep_query=keep_query,
        drop_query=drop_query,
        path_rules=path_rules,
        lowercase_path=lowercase_path,
        strip_trailing_slash=strip_trailing_slash,
    )


def _parse_path_rule(data: Any, where: str) -> PathRule:
    entry = _as_object(data, where, {"match", "replace", "hosts"})
    match, replace = entry.get("match"), entry.get("replace")
    if not isinstance(match, str) or not isinstance(replace, str):
        raise ValueError(f"{where}: 'match' and 'replace' must be strings")
    try:
        pattern = re.compile(match)
    except re.error as exc:
        raise ValueError(f"{where}: invalid regular expression {match!r}: {exc}") from exc
    for numbered in _TEMPLATE_GROUP_RE.finditer(replace):
        group = int(numbered.group(1) or numbered.group(2))
        if group > pattern.groups:
            raise ValueError(f"{where}: replace refers to group {group} but the pattern has {pattern.groups}")
    hosts_raw = entry.get("hosts")
    hosts = None if hosts_raw is None else frozenset(h.lower() for h in _str_list(hosts_raw, f"{where}.hosts"))
    return PathRule(pattern=pattern, replace=replace, hosts=hosts)


def _as_object(data: Any, where: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError(f"{where} must be a JSON object")
    unknown = sorted(k for k in data if not k.startswith("_") and k not in allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}")
    return data


def _str_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where} must be a list of strings")
    return value


# --------------------------------------------------------------------------------------------
# Canonicalisation
# --------------------------------------------------------------------------------------------


def canonicalize_url(raw: str, rules: UrlRules | None = None) -> CanonicalUrl:
    """Return the canonical form and dedup key of a reported URL, or raise :class:`UrlRejected`.

    Surrounding whitespace is ignored (pasted URLs often carry a newline); whitespace inside is not.
    """
    if rules is None:
        rules = _default_rules()
    text = raw.strip()
    if not text:
        raise UrlRejected(gettext("the URL is empty"))
    if len(text) > MAX_URL_LENGTH:
        raise UrlRejected(gettext("the URL is longer than %(most)d characters") % {"most": MAX_URL_LENGTH})
    if _has_unsafe_chars(text):
        raise UrlRejected(gettext("the URL contains whitespace or control characters"))

    scheme_match = _SCHEME_RE.match(text)
    if scheme_match is None or _looks_like_host_and_port(text, scheme_match):
        raise UrlRejected(gettext("the URL has no scheme; it must start with http:// or https://"))
    scheme = scheme_match.group(1).lower()
    if scheme not in _ALLOWED_SCHEMES:
        raise UrlRejected(gettext("only http and https URLs are accepted (got %(scheme)s)")
                          % {"scheme": repr(scheme + ":")})

    _check_authority(text)
    # A "%" that does not start an escape means a literal percent sign. Escape it first: w3lib
    # would otherwise decode "%%41" to "%A" and re-emit it as an escape, changing the URL on
    # every pass.
    text = _STRAY_PERCENT_RE.sub("%25", text)
    try:
        generic = _w3lib_canonicalize_url(text)
    except (ValueError, UnicodeError) as exc:
        raise UrlRejected(gettext("the URL could not be parsed")) from exc
    # w3lib parses with its own (WHATWG-like) parser; re-check what it produced.
    parts = _check_authority(generic)

    host = _normalise_host(parts.hostname, parts.netloc)
    port = parts.port
    # 443 is default for the https we emit; 80 only for URLs that really were http. Dropping
    # exactly these keeps the output a fixed point.
    if port == 443 or (port == 80 and scheme == "http"):
        port = None
    path = parts.path or "/"
    query = parts.query

    platform = rules.by_host.get(host)
    if platform is not None:
        path, query = _apply_platform(platform, host, path, query)
        host = platform.host
    query = _remove_query_params(query, rules, platform)

    netloc = host if port is None else f"{host}:{port}"
    url = urlunsplit(("https", netloc, path, query, ""))
    if platform is not None:
        # Path rules may have lowercased escapes, added characters or appended query parameters:
        # one more generic pass re-normalises encoding and query order.
        url = _w3lib_canonicalize_url(url)
        if platform.strip_trailing_slash:
            url = _strip_trailing_slash_stable(url)
    if len(url) > MAX_URL_LENGTH:
        raise UrlRejected(gettext("the URL is longer than %(most)d characters once normalised")
                          % {"most": MAX_URL_LENGTH})
    return CanonicalUrl(url=url, key="url:" + url)


def canonical_platform_id(kind: str, platform_id: str) -> CanonicalUrl:
    """Dedup key for an item identified by a platform's own id (e.g. kind ``"tiktok_video"``).

    ``kind`` is lowercased and limited to ``[a-z0-9_.-]`` so that it cannot contain ``:`` -- otherwise
    ``("a:b", "c")`` and ``("a", "b:c")`` would share a key. The id keeps its case (ids are often
    case-sensitive). Raises :class:`UrlRejected` so callers handle one exception for every item.
    """
    normal_kind = kind.strip().lower()
    if not _KIND_RE.fullmatch(normal_kind):
        raise UrlRejected(gettext("the identifier kind must be 1-64 characters of a-z, 0-9, '_', '.', '-'"))
    value = platform_id.strip()
    if not value:
        raise UrlRejected(gettext("the platform identifier is empty"))
    if len(value) > MAX_PLATFORM_ID_LENGTH:
        raise UrlRejected(gettext("the platform identifier is longer than %(most)d characters")
                          % {"most": MAX_PLATFORM_ID_LENGTH})
    if _has_unsafe_chars(value):
        raise UrlRejected(gettext("the platform identifier contains whitespace or control characters"))
    return CanonicalUrl(url="", key=f"id:{normal_kind}:{value}")


def _looks_like_host_and_port(text: str, scheme_match: re.Match[str]) -> bool:
    """``example.com/x`` or ``localhost:8000/x`` parse as scheme ``example.com``/``localhost``.

    Telling the partner "the scheme is missing" is more useful than "'localhost:' is not http".
    """
    rest = text[scheme_match.end() :]
    if rest.startswith("//"):
        return False
    return "." in scheme_match.group(1) or rest[:1].isdigit()


def _has_unsafe_chars(text: str) -> bool:
    if text.isascii():  # the common case, one regex scan
        return _ASCII_UNSAFE_RE.search(text) is not None
    return any(ch.isspace() or unicodedata.category(ch) in _UNSAFE_CATEGORIES for ch in text)


def _check_authority(url: str) -> SplitResult:
    """Structural checks on the authority part; returns the ``urlsplit`` result."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError as exc:
        raise UrlRejected(gettext("the URL could not be parsed (malformed host or port)")) from exc
    netloc = parts.netloc
    if not netloc or not parts.hostname:
        raise UrlRejected(gettext("the URL has no host"))
    if "@" in netloc:
        raise UrlRejected(gettext("URLs with a user name or password (user:pass@) are not accepted"))
    if "\\" in netloc or "%" in netloc:
        # Browsers treat these differently from urllib; refuse rather than guess.
        raise UrlRejected(gettext("the URL's host is not a valid domain name or IP address"))
    if port == 0:
        raise UrlRejected(gettext("the URL could not be parsed (malformed host or port)"))
    return parts


def _normalise_host(hostname: str | None, netloc: str) -> str:
    """Validate the (already lowercased, punycoded) host and return its canonical spelling."""
    if not hostname:
        raise UrlRejected(gettext("the URL has no host"))
    if netloc.startswith("["):
        try:
            return f"[{ipaddress.IPv6Address(hostname).compressed}]"
        except ValueError as exc:
            raise UrlRejected(gettext("the URL's host is not a valid IPv6 address")) from exc
    host = hostname.removesuffix(".")
    shown = host if len(host) <= 64 else host[:61] + "..."
    if not host.isascii():
        # w3lib leaves the host as-is when IDNA encoding fails (e.g. disallowed characters).
        raise UrlRejected(gettext("the URL's host %(host)s is not a valid internationalised domain name")
                          % {"host": repr(shown)})
    if len(host) > _MAX_HOST_LENGTH:
        raise UrlRejected(gettext("the URL's host is longer than 253 characters"))
    labels = host.split(".")
    if all(label.isdigit() for label in labels if label) and labels[-1].isdigit():
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError as exc:
            raise UrlRejected(gettext("the URL's host %(host)s is not a valid IPv4 address")
                              % {"host": repr(shown)}) from exc
    if "" in labels:
        raise UrlRejected(gettext("the URL's host %(host)s is not valid (empty label)") % {"host": repr(shown)})
    for label in labels:
        if not _LABEL_RE.fullmatch(label):
            raise UrlRejected(gettext("the URL's host %(host)s is not a valid domain name") % {"host": repr(shown)})
    if len(labels) < 2:
        raise UrlRejected(gettext("the URL's host %(host)s is not a public domain name") % {"host": repr(shown)})
    if labels[-1].isdigit():
        raise UrlRejected(gettext("the URL's host %(host)s is not valid (numeric top-level domain)")
                          % {"host": repr(shown)})
    return host


def _apply_platform(platform: Platform, original_host: str, path: str, query: str) -> tuple[str, str]:
    if platform.lowercase_path:
        path = path.lower()
    for rule in platform.path_rules:
        if rule.hosts is not None and original_host not in rule.hosts:
            continue
        rewritten, count = rule.pattern.subn(rule.replace, path, count=1)
        if count:
            path, _, moved = rewritten.partition("?")
            if moved:
                query = _merge_query(query, moved)
            break
    if platform.strip_trailing_slash:
        path = path.rstrip("/") or "/"
    if not path.startswith("/"):
        path = "/" + path
    return path, query


def _strip_trailing_slash_stable(url: str) -> str:
    """Strip a trailing slash that w3lib's last pass re-created, until the result is stable.

    w3lib drops empty path parameters and resolves dot segments, so a stripped "//;/" comes back
    as "//"; without this loop the output would not be a fixed point. Each round shortens the path,
    and it practically never takes more than one.
    """
    for _ in range(_MAX_STRIP_ROUNDS):
        parts = urlsplit(url)
        if parts.path == "/" or not parts.path.endswith("/"):
            break
        url = _w3lib_canonicalize_url(parts._replace(path=parts.path.rstrip("/") or "/").geturl())
    return url


def _merge_query(query: str, moved: str) -> str:
    """Add parameters produced by a path rule, replacing same-named existing ones."""
    names = [pair.partition("=")[0] for pair in moved.split("&") if pair]
    kept = _query_without(query, names) if query else ""
    return f"{kept}&{moved}" if kept else moved


def _remove_query_params(query: str, rules: UrlRules, platform: Platform | None) -> str:
    if not query:
        return ""
    remove: list[str] = []
    for pair in query.split("&"):
        name = pair.partition("=")[0]
        lowered = name.lower()
        if (
            lowered in rules.tracking_exact
            or lowered.startswith(rules.tracking_prefixes)
            or (
                platform is not None
                and (
                    lowered in platform.drop_query
                    or (platform.keep_query is not None and name not in platform.keep_query)
                )
            )
        ):
            remove.append(name)
    return _query_without(query, remove) if remove else query


def _query_without(query: str, names: list[str]) -> str:
    # unique=False keeps repeated parameters (?tag=a&tag=b); w3lib has already sorted them.
    cleaned = url_query_cleaner("?" + query, names, remove=True, unique=False)
    return cleaned.partition("?")[2]
