"""What a case looks like to clustering: exact keys (author, group, domains) and a MinHash of its text.

Pure functions plus one platform call (``describe``) per case; no writes.

Text similarity uses character shingles, not words, so it works the same for
Arabic, Urdu, Spanish, English or any script without a tokenizer:

1. Normalise: Unicode NFKC, case-folding, links and @mentions removed,
   Arabic-script diacritics, the tatweel and Latin accents removed, the letter variants
   that copy-paste and keyboards mix up folded together (alef forms; Arabic
   and Persian/Urdu yeh and kaf; teh marbuta and heh), everything that is
   not a letter or digit turned into one space.
2. Shingle: every run of ``SHINGLE`` characters (5).
3. MinHash (``datasketch``, ``NUM_PERM`` = 128 permutations, fixed seed): an
   estimate of the Jaccard similarity of two shingle sets.
4. LSH banding: the signature cut into ``BANDS`` = 32 bands of ``ROWS`` = 4
   values; two texts become candidates when any band is equal (probability
   ``1 - (1 - J^4)^32``: 0.99 at J = 0.6, 0.23 at J = 0.3), and candidates are
   confirmed when the estimated Jaccard is at least ``SIMILARITY`` (0.6).

Texts shorter than ``MIN_TEXT_CHARS`` after normalisation are not compared:
"kill them" is reported in every conflict and joins nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from datasketch import MinHash
from django.conf import settings

from trustline.intake.canonical import load_rules
from trustline.platforms.connectors import ContentDescription, ContentRef, get_connector
from trustline.trends.choices import KeyKind

NUM_PERM = 128
BANDS, ROWS = 32, 4
SHINGLE = 5
MIN_TEXT_CHARS = 25
SIMILARITY = 0.6
SEED = 20261206
SCHEME = "affine32"  # datasketch 2.x's default, named so stored signatures stay comparable after upgrades
BAND = "band"

# Hosts that link to everything: sharing them says nothing about a common source.
DEFAULT_IGNORED_DOMAINS = frozenset({
    "bit.ly", "t.co", "tinyurl.com", "goo.gl", "ow.ly", "wa.me", "whatsapp.com", "google.com", "maps.google.com",
    "drive.google.com", "docs.google.com", "wikipedia.org", "archive.org", "web.archive.org", "archive.ph",
    "linktr.ee", "telegram.me", "telegram.org", "apple.com", "play.google.com",
})

_LINK_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)
_MENTION_RE = re.compile(r"(?<!\w)[@#][\w.]+")
_ARABIC_MARKS_RE = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_LATIN_ACCENTS_RE = re.compile("[\u0300-\u036f]")
_NON_WORD_RE = re.compile(r"[\W_]+")
_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",  # alef forms
    "ى": "ی", "ي": "ی", "ئ": "ی",  # Arabic yeh, alef maksura -> Persian/Urdu yeh
    "ك": "ک",  # Arabic kaf -> keheh
    "ة": "ه", "ۃ": "ه", "ہ": "ه", "ھ": "ه",  # teh marbuta and Urdu heh forms
    "ؤ": "و",
})


def normalise_text(text: str) -> str:
    """Step 1 of the module docstring."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = _LINK_RE.sub(" ", text)
    text = _MENTION_RE.sub(" ", text)
    text = _ARABIC_MARKS_RE.sub("", text)
    text = unicodedata.normalize("NFC", _LATIN_ACCENTS_RE.sub("", unicodedata.normalize("NFD", text)))
    text = text.translate(_FOLD)
    return _NON_WORD_RE.sub(" ", text).strip()


def shingles(normalised: str) -> set[bytes]:
    """Step 2: the character shingles of a normalised text (one shingle for a short text)."""
    if len(normalised) <= SHINGLE:
        return {normalised.encode("utf-8")} if normalised else set()
    return {normalised[i:i + SHINGLE].encode("utf-8") for i in range(len(normalised) - SHINGLE + 1)}


@lru_cache(maxsize=1)
def _permutations() -> Any:
    """The seeded permutations, drawn once per process (drawing them is most of a MinHash's cost)."""
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


def minhash_of(text: str) -> MinHash | None:
    """Step 3, or ``None`` for a text too short to compare."""
    normalised = normalise_text(text)
    if len(normalised) < MIN_TEXT_CHARS:
        return None
    signature = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, permutations=_permutations())
    signature.update_batch(list(shingles(normalised)))
    return signature


def minhash_bytes(signature: MinHash) -> bytes:
    return np.asarray(signature.hashvalues, dtype="<u8").tobytes()


def minhash_from_bytes(raw: bytes) -> MinHash:
    values = np.frombuffer(bytes(raw), dtype="<u8").astype(np.uint64)
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashvalues=values, permutations=_permutations())


def band_keys(signature: MinHash) -> list[str]:
    """Step 4: one key per band (``<band>:<digest of its rows>``)."""
    values = np.asarray(signature.hashvalues, dtype="<u8")
    return [
        f"{b}:{hashlib.blake2b(values[b * ROWS:(b + 1) * ROWS].tobytes(), digest_size=10).hexdigest()}"
        for b in range(BANDS)
    ]


def similarity(a: MinHash, b: MinHash) -> float:
    return float(a.jaccard(b))


# --- Exact keys --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def platform_hosts() -> frozenset[str]:
    """Hosts of the platforms Trustline knows (their content is not "a shared domain")."""
    return frozenset(load_rules().by_host)


def ignored_domains() -> frozenset[str]:
    extra = getattr(settings, "TRENDS_IGNORED_DOMAINS", None) or ()
    return DEFAULT_IGNORED_DOMAINS | platform_hosts() | frozenset(str(d).lower() for d in extra)


def domain_of(url: str) -> str | None:
    """The host of a link, without ``www.``; ``None`` for platforms and hosts that link to everything."""
    candidate = url if "://" in url else f"http://{url}"
    try:
        host = (urlsplit(candidate).hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    if host.startswith("www."):
        host = host[4:]
    if not host or "." not in host:
        return None
    ignored = ignored_domains()
    if host in ignored or f"www.{host}" in ignored:
        return None
    if any(host.endswith(f".{d}") for d in ignored):
        return None
    return host[:250]


def domains_in(urls: Iterable[str], texts: Iterable[str]) -> set[str]:
    found = {d for d in (domain_of(u) for u in urls if u) if d}
    for text in texts:
        found |= {d for d in (domain_of(m.group(0)) for m in _LINK_RE.finditer(text or "")) if d}
    return found


@dataclasses.dataclass(frozen=True)
class CaseFacts:
    """What the clustering job reads about a case before fingerprinting it."""

    case_id: str
    item_kind: str
    canonical_url: str
    platform_id: str
    excerpts: tuple[str, ...]


@dataclasses.dataclass
class Fingerprint:
    """A case's clustering keys and text signature."""

    author: str = ""
    keys: set[tuple[str, str]] = dataclasses.field(default_factory=set)
    minhash: MinHash | None = None
    text_chars: int = 0
    described: bool = False


def _describe(facts: CaseFacts) -> ContentDescription | None:
    if not getattr(settings, "TRENDS_DESCRIBE", True):
        return None
    description = get_connector().describe(
        ContentRef(url=facts.canonical_url, platform_id=facts.platform_id, kind=facts.item_kind)
    )
    return description if description.available else None


def fingerprint(facts: CaseFacts) -> Fingerprint:
    """Exact keys and MinHash of one case (calls the platform connector's ``describe`` once).

    * Author: the account the platform says posted the content (a group's
      own page counts as its author); for a reported account or group, the
      item itself.
    * Domains: the item's host when it is not a known platform, and the
      hosts linked from its text (minus link shorteners and the like).
    * Text: the platform's text of the content, else the longest excerpt the
      partners copied. A description the connector marks as synthetic (the
      demo platform's filler for unknown addresses) is not evidence of text.
    """
    result = Fingerprint()
    description = _describe(facts)
    key = facts.canonical_url or f"id:{facts.platform_id}"
    if description is not None and description.author is not None and description.author.id:
        result.author = f"{description.source.split(':', 1)[0]}:{description.author.id}"
        result.described = True
    elif facts.item_kind == "account":
        result.author = key
    if result.author:
        kind = KeyKind.GROUP if facts.item_kind == "group" else KeyKind.AUTHOR
        result.keys.add((str(kind), result.author[:300]))
    platform_text = ""
    if description is not None and not description.source.endswith(":synthetic"):
        platform_text = description.text
    excerpts: Sequence[str] = sorted(facts.excerpts, key=len, reverse=True)
    text = platform_text or (excerpts[0] if excerpts else "")
    for domain in domains_in([facts.canonical_url], [text, *excerpts]):
        result.keys.add((str(KeyKind.DOMAIN), domain))
    signature = minhash_of(text)
    if signature is not None:
        result.minhash = signature
        result.text_chars = len(normalise_text(text))
        result.keys.update((BAND, band) for band in band_keys(signature))
    return result
