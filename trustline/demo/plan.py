"""Planning the demo programme's reports: pure, seeded, no database.

The data files give 80 report *templates* (one partner's report of one
incident, with excerpts in the original language). ``plan_reports`` turns
them into a believable stream of a few hundred submissions over the last 60
days:

1. For every day and partner, draw how many reports the partner sends: a
   steady rate on weekdays, a third of it at weekends, and a crisis week in
   one country (``CRISIS_COUNTRY``) when its partners send several a day.
2. Give each submission a template of that partner, cycling through the
   partner's templates so each is used before any repeats; a repeat is a
   follow-up: same accounts, mostly new posts, sometimes the same post again
   ("still online").
3. Build each item's URL on the demo platform (``https://kite.example``) and
   spell some of them the way real tools do: the mobile host, ``utm_``
   parameters, ``http``, a fragment. Canonicalisation folds them together, so
   the demo shows deduplication merging items into cases. Items that carry a
   ``post_id`` in the templates are reported by two partners: when one
   partner first reports such a post, the other reports it too within hours
   (:data:`ALSO_SEEN_HOURS`), as partners watching the same country do with
   a post that spreads, so the two reports usually meet in one open case.
4. Pick the channel the way partners work: integrated partners use the API
   (often with an ``Idempotency-Key``), others the web form, and busy days are
   sometimes sent as one bulk CSV upload.

The same seed gives the same programme; only the dates move with "now".
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

SEED = 20261123
DAYS = 60
CRISIS_COUNTRY = "SD"
CRISIS_DAYS_AGO = range(15, 22)  # a week, two to three weeks ago
BASE_RATE = 0.62  # reports per partner per weekday
WEEKEND_FACTOR = 0.35
CRISIS_RATE = 7.0  # extra reports per day for partners covering the crisis country
NEVER_REPEATED = frozenset({"child_sexual_exploitation"})
# Partners whose own case-management tools call the API; the others mostly use the web portal.
API_SHARE = {"ngao-mtandaoni": 0.8, "mirador-verifica": 0.85, "vigie-numerique": 0.7, "setu-safety": 0.6}
DEFAULT_API_SHARE = 0.3
BULK_DAY_SHARE = 0.45  # share of days with 3+ reports that a partner sends as one CSV
ALSO_SEEN_HOURS = (0.25, 4.0)  # the second partner's report of a shared post follows the first's by this much


@dataclass(frozen=True)
class DemoData:
    platform: dict[str, Any]
    staff: list[dict[str, Any]]
    partners: list[dict[str, Any]]
    templates: list[dict[str, Any]]

    @property
    def platform_url(self) -> str:
        return str(self.platform.get("platform_url", "https://kite.example")).rstrip("/")


def load_data() -> DemoData:
    folder = resources.files("trustline.demo") / "data"

    def read(name: str) -> Any:
        return json.loads((folder / name).read_text(encoding="utf-8"))

    staff = read("staff.json")
    return DemoData(
        platform=staff["organisation"],
        staff=staff["staff"],
        partners=read("partners.json"),
        templates=read("report_templates.json"),
    )


@dataclass
class PlannedReport:
    at: dt.datetime
    partner: str  # slug
    channel: str  # "api", "web" or "bulk"
    submitter: str  # username for web and web bulk uploads; "" when the partner's API key submits
    payload: dict[str, Any]  # the ReportIn fields
    idempotency_key: str | None = None
    evidence_note: str | None = None
    evidence_screenshot: bool = False  # a drawn screenshot of the first item (demo.screenshots)
    batch: str | None = None  # bulk upload this report belongs to
    template: int = 0
    items_meta: list[dict[str, str]] = field(default_factory=list)


def reference_prefix(slug: str) -> str:
    return "".join(part[0] for part in slug.split("-")).upper()


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method: fine for the small rates used here."""
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


class _UrlBook:
    """Stable identifiers and URL spellings for items on the demo platform."""

    def __init__(self, rng: random.Random, base_url: str) -> None:
        self.rng = rng
        self.base = base_url
        self.host = base_url.split("://", 1)[1]
        self.current: dict[tuple[int, int], str] = {}

    def new_id(self) -> str:
        return str(self.rng.randrange(7_300_000_000, 7_399_999_999))

    def item_id(self, template: int, position: int, item: dict[str, Any], follow_up: bool) -> str:
        if item.get("post_id"):
            return str(item["post_id"])
        key = (template, position)
        if key not in self.current or (follow_up and self.rng.random() > 0.35):
            self.current[key] = self.new_id()
        return self.current[key]

    def path(self, kind: str, handle: str, ident: str) -> str:
        return {
            "post": f"/@{handle}/posts/{ident}",
            "comment": f"/@{handle}/comments/{ident}",
            "media": f"/@{handle}/media/{ident}",
            "account": f"/@{handle}",
            "group": f"/groups/{handle}",
            "ad": f"/ads/{ident}",
        }.get(kind, f"/@{handle}/items/{ident}")

    def spell(self, path: str) -> str:
        """One of the ways partners' tools write the same address."""
        roll = self.rng.random()
        if roll < 0.50:
            return f"{self.base}{path}"
        if roll < 0.65:
            return f"https://m.{self.host}{path}"
        if roll < 0.80:
            source = self.rng.choice(["whatsapp", "telegram", "share", "copy_link"])
            return f"{self.base}{path}?utm_source={source}&utm_medium=social"
        if roll < 0.86:
            return f"http://{self.host}{path}"
        if roll < 0.95:
            return f"{self.base}{path}#{self.rng.choice(['comments', 'media', 'top'])}"
        return f"https://{self.host.upper()}{path}"


def _days(now: dt.datetime) -> Iterator[tuple[int, dt.date]]:
    today = now.date()
    for days_ago in range(DAYS - 1, -1, -1):
        yield days_ago, today - dt.timedelta(days=days_ago)


def _moment(rng: random.Random, day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    hour = min(23, max(5, int(rng.gauss(13, 3.5))))
    return dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=tz)


def plan_reports(data: DemoData, *, now: dt.datetime, seed: int = SEED) -> list[PlannedReport]:
    """Every demo submission in time order (see the module docstring)."""
    rng = random.Random(seed)
    urls = _UrlBook(rng, data.platform_url)
    by_partner: dict[str, list[int]] = defaultdict(list)
    shared: dict[str, list[int]] = defaultdict(list)  # post_id -> templates reporting it
    for index, template in enumerate(data.templates):
        by_partner[template["partner_slug"]].append(index)
        for item in template["items"]:
            if item.get("post_id"):
                shared[str(item["post_id"])].append(index)
    analysts = {p["slug"]: [a["username"] for a in p["analysts"]] for p in data.partners}
    decks: dict[tuple[str, bool], list[int]] = {}
    uses: dict[int, list[tuple[str, dt.datetime]]] = defaultdict(list)  # template -> (reference, when)
    counters: dict[str, int] = defaultdict(int)
    planned: list[PlannedReport] = []
    latest = now - dt.timedelta(minutes=10)

    def next_template(slug: str, crisis: bool) -> int | None:
        deck = decks.setdefault((slug, crisis), [])
        for _attempt in range(2):
            while deck:
                index = deck.pop()
                if not (uses[index] and data.templates[index]["category"] in NEVER_REPEATED):
                    return index
            pool = [i for i in by_partner[slug]
                    if not crisis or data.templates[i]["country"] == CRISIS_COUNTRY]
            rng.shuffle(pool)
            deck.extend(pool)
        return None

    for days_ago, day in _days(now):
        weekend = day.weekday() >= 5
        for partner in data.partners:
            slug = partner["slug"]
            rate = BASE_RATE * (WEEKEND_FACTOR if weekend else 1.0)
            count = _poisson(rng, rate)
            crisis_count = 0
            if days_ago in CRISIS_DAYS_AGO and CRISIS_COUNTRY in partner["countries"]:
                crisis_count = _poisson(rng, CRISIS_RATE * (0.7 if weekend else 1.0))
            day_reports: list[PlannedReport] = []
            for n in range(count + crisis_count):
                chosen = next_template(slug, crisis=n >= count)
                if chosen is None:
                    continue
                at = _moment(rng, day, now.tzinfo or dt.UTC)
                if at > latest:
                    continue
                day_reports.append(_build(rng, urls, data, chosen, slug, at, uses, counters, analysts[slug]))
                planned.extend(_also_seen(rng, urls, data, chosen, at, latest, shared, uses, counters, analysts))
            if len(day_reports) >= 3 and rng.random() < BULK_DAY_SHARE:
                batch = f"{slug}-{day:%Y%m%d}"
                first = min(r.at for r in day_reports)
                submitter = rng.choice(analysts[slug]) if rng.random() < 0.5 else ""
                for report in day_reports:
                    report.channel, report.batch, report.at = "bulk", batch, first
                    report.submitter, report.idempotency_key = submitter, None
            planned.extend(day_reports)
    planned.sort(key=lambda r: (r.at, r.partner, r.payload["reference"]))
    return planned


def _also_seen(
    rng: random.Random,
    urls: _UrlBook,
    data: DemoData,
    index: int,
    at: dt.datetime,
    latest: dt.datetime,
    shared: dict[str, list[int]],
    uses: dict[int, list[tuple[str, dt.datetime]]],
    counters: dict[str, int],
    analysts: dict[str, list[str]],
) -> list[PlannedReport]:
    """The other partners' first reports of the shared posts in template ``index`` (module docstring, step 3)."""
    others = {other for item in data.templates[index]["items"] if item.get("post_id")
              for other in shared[str(item["post_id"])] if other != index and not uses[other]}
    reports = []
    for other in sorted(others):
        when = (at + dt.timedelta(hours=rng.uniform(*ALSO_SEEN_HOURS))).replace(microsecond=0)
        if when <= latest:
            slug = data.templates[other]["partner_slug"]
            reports.append(_build(rng, urls, data, other, slug, when, uses, counters, analysts[slug]))
    return reports


def _build(
    rng: random.Random,
    urls: _UrlBook,
    data: DemoData,
    index: int,
    slug: str,
    at: dt.datetime,
    uses: dict[int, list[tuple[str, dt.datetime]]],
    counters: dict[str, int],
    analysts: list[str],
) -> PlannedReport:
    template = data.templates[index]
    follow_up = bool(uses[index])
    counters[slug] += 1
    reference = f"{reference_prefix(slug)}-{at:%y}-{counters[slug]:04d}"
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, item in enumerate(template["items"]):
        kind = item["kind"]
        ident = urls.item_id(index, position, item, follow_up)
        if kind == "message":
            entry: dict[str, Any] = {"platform_id": f"msg-{ident}", "kind": kind}
            key = entry["platform_id"]
        else:
            path = urls.path(kind, item["handle"], ident)
            entry = {"url": urls.spell(path), "kind": kind}
            key = path
        if key in seen:
            continue
        seen.add(key)
        if item.get("excerpt"):
            entry["excerpt"] = item["excerpt"]
        items.append(entry)
    explanation = template["explanation"]
    if follow_up:
        previous_ref, previous_at = uses[index][-1]
        explanation = (
            f"Follow-up to our report {previous_ref} of {previous_at:%d %B}: the same accounts are still "
            f"active and posted again; the content below is still online or new. {explanation}"
        )
    payload: dict[str, Any] = {
        "items": items,
        "category": template["category"],
        "explanation": explanation,
        "country": template["country"],
        "imminent_harm": bool(template["imminent_harm"]),
        "imminent_harm_reason": template.get("imminent_harm_reason") or "",
        "targets": list(template.get("targets") or []),
        "bona_fide": True,
        "reference": reference,
    }
    if template.get("language"):
        payload["language"] = template["language"]
    uses[index].append((reference, at))
    api = rng.random() < API_SHARE.get(slug, DEFAULT_API_SHARE)
    report = PlannedReport(
        at=at,
        partner=slug,
        channel="api" if api else "web",
        submitter="" if api else rng.choice(analysts),
        payload=payload,
        idempotency_key=f"{reference.lower()}-{rng.randrange(16**8):08x}" if api and rng.random() < 0.6 else None,
        template=index,
    )
    if template["category"] not in NEVER_REPEATED and rng.random() < 0.12:
        report.evidence_note = (
            f"Monitoring note {reference}\n"
            f"Captured {at:%Y-%m-%d %H:%M} UTC by the {slug} monitoring desk.\n"
            f"Items: {len(items)}. Archived copies and full-resolution screenshots are kept by the partner "
            "and can be shared with the platform's reviewers on request.\n"
        )
        # About half of them also have a screenshot, by the partner's counter: no draw from rng,
        # so the rest of the plan stays as it was.
        report.evidence_screenshot = counters[slug] % 2 == 0
    return report
