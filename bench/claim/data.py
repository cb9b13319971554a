"""Synthetic open cases for the claim benchmark, generated inside PostgreSQL (``INSERT ... SELECT generate_series``).

The mix, per case (independent draws unless said otherwise):

* **language** (with dialects), weighted: en 24 %, ar 9 %, ar-SD 8 %, ur 8 %,
  es 8 %, unknown 8 %, ar-EG 6 %, fr 6 %, es-VE 5 %, hi 5 %, pt-BR 4 %, ru 4 %,
  sw 3 %, tl 2 % (no reviewer reads Tagalog: those cases wait for the
  regional or translation pool);
* **country**, drawn from the places where that language is spoken (ar-SD ->
  SD, ur -> PK, es-VE -> VE, ar -> SY/IQ/YE/LY/JO, ...);
* **tier** 1 (10 %), 2 (35 %), 3 (55 %), and a category of that tier from the
  seeded taxonomy (so about 2 % are child sexual exploitation, a restricted
  category that needs the ``child_safety`` clearance); 10 % of tier 1 cases
  are imminent harm;
* **priority** as triage would give it: tier points (600/300/100) + 400 for
  imminence + up to 300 for reach, reporters and waiting;
* **age**: opened up to 14 days ago, skewed to recent (``random()^2``), so
  about 3 % are still in their exact-language window and 7 % have not yet
  reached the translation pool; triaged a minute after opening;
* **routing columns** exactly as ``routing_values`` sets them (base
  language, region, policy area, clearance, the three widening times with the
  default waits of 30 minutes each, 2 for imminent harm).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

LANGUAGES: list[tuple[str, float, list[str]]] = [
    ("en", 0.24, ["GB", "US", "NG", "KE", "IN", "PK", "PH"]),
    ("ar", 0.09, ["SY", "IQ", "YE", "LY", "JO"]),
    ("ar-SD", 0.08, ["SD"]),
    ("ur", 0.08, ["PK"]),
    ("es", 0.08, ["MX", "CO", "AR", "ES", "PE"]),
    ("", 0.08, ["SD", "PK", "NG", "MM", "ET", "BR"]),
    ("ar-EG", 0.06, ["EG"]),
    ("fr", 0.06, ["FR", "SN", "ML", "CD", "HT"]),
    ("es-VE", 0.05, ["VE"]),
    ("hi", 0.05, ["IN"]),
    ("pt-BR", 0.04, ["BR"]),
    ("ru", 0.04, ["RU", "UA", "GE", "AM", "KZ"]),
    ("sw", 0.03, ["KE", "TZ"]),
    ("tl", 0.02, ["PH"]),
]
TIERS = [(1, 0.10), (2, 0.35), (3, 0.55)]
TIER_POINTS = {1: 600, 2: 300, 3: 100}
DECIDE_HOURS = {1: 24, 2: 72, 3: 120}
WAIT_MINUTES = 30
IMMINENT_WAIT_MINUTES = 2
MAX_AGE_HOURS = 14 * 24


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def array(values: Sequence[str]) -> str:
    return "ARRAY[" + ", ".join(quote(v) for v in values) + "]::text[]"


def weighted_case(column: str, choices: Sequence[tuple[Any, float]], render: Callable[[Any], str]) -> str:
    """``CASE WHEN r < p1 THEN v1 WHEN r < p1+p2 THEN v2 ... END`` for a uniform ``column`` in [0, 1)."""
    parts, total = [], 0.0
    for value, weight in choices[:-1]:
        total += weight
        parts.append(f"WHEN {column} < {total:.6f} THEN {render(value)}")
    return f"CASE {' '.join(parts)} ELSE {render(choices[-1][0])} END"


def pick(array_sql: str, r: str) -> str:
    return f"({array_sql})[1 + floor({r} * cardinality({array_sql}))::int]"


def regions() -> dict[str, str]:
    raw = json.loads((ROOT / "trustline/routing/data/regions.json").read_text("utf-8"))
    return {country: name for name, countries in raw["regions"].items() for country in countries}


def insert_sql(categories: list[dict[str, Any]], first: int, last: int) -> str:
    """One ``INSERT ... SELECT`` for cases ``first..last`` (``now()`` is the generation moment)."""
    by_tier = {t: [c["code"] for c in categories if c["severity_tier"] == t] for t, _ in TIERS}
    area = {c["code"]: c["policy_area"] for c in categories}
    clearance = {c["code"]: c["policy_area"].lower().replace(" ", "_") for c in categories if c["restricted"]}
    region_of = regions()

    language = weighted_case("r_lang", [(tag, w) for tag, w, _ in LANGUAGES], quote)
    country = "CASE language " + " ".join(
        f"WHEN {quote(tag)} THEN {pick(array(countries), 'r_country')}" for tag, _, countries in LANGUAGES
    ) + " END"
    tier = weighted_case("r_tier", TIERS, str)
    category = "CASE tier " + " ".join(
        f"WHEN {t} THEN {pick(array(codes), 'r_category')}" for t, codes in by_tier.items() if codes
    ) + " END"
    region = "CASE country " + " ".join(
        f"WHEN {quote(c)} THEN {quote(r)}" for c, r in region_of.items()
    ) + " ELSE '' END"
    policy = "CASE category_code " + " ".join(f"WHEN {quote(k)} THEN {quote(v)}" for k, v in area.items()) + " END"
    clear = "CASE category_code " + " ".join(
        f"WHEN {quote(k)} THEN {quote(v)}" for k, v in clearance.items()
    ) + " ELSE '' END" if clearance else "''"
    points = "CASE tier " + " ".join(f"WHEN {t} THEN {p}" for t, p in TIER_POINTS.items()) + " END"
    decide = "CASE tier " + " ".join(f"WHEN {t} THEN {h}" for t, h in DECIDE_HOURS.items()) + " END"
    wait = f"(CASE WHEN imminent_harm THEN {IMMINENT_WAIT_MINUTES} ELSE {WAIT_MINUTES} END * interval '1 minute')"

    return f"""
INSERT INTO cases_case (
    id, key_hash, canonical_key, canonical_url, item_kind, status, is_open, opened_at, last_reported_at,
    item_count, partner_count, country, category_code, imminent_harm, tier, priority, priority_components,
    priority_computed_at, scored_item_count, triaged_at, sla_policy_snapshot, ack_due_at, decide_due_at,
    ack_breached, decide_breached, language, language_source, routing_language_base, routing_region,
    routing_policy_area, routing_clearance, route_language_at, route_regional_at, route_translation_at,
    routing_pool, routing_reason, hold_reason
)
SELECT
    gen_random_uuid(), encode(sha256(convert_to(key, 'UTF8')), 'hex'), key, key, 'post', 'triaged', true,
    opened_at, opened_at, 1, 1 + (r_extra * 3)::int, country, category_code, imminent_harm, tier, priority,
    jsonb_build_object('tier', {points}, 'imminence', CASE WHEN imminent_harm THEN 400 ELSE 0 END,
                       'other', priority - {points} - CASE WHEN imminent_harm THEN 400 ELSE 0 END),
    triaged_at, 1, triaged_at, '{{}}'::jsonb,
    opened_at + interval '4 hours', opened_at + {decide} * interval '1 hour',
    false, false, language, CASE WHEN language = '' THEN '' ELSE 'partner' END,
    split_part(language, '-', 1), {region}, {policy}, {clear},
    CASE WHEN language = '' THEN triaged_at ELSE triaged_at + {wait} END,
    CASE WHEN language = '' THEN triaged_at ELSE triaged_at + 2 * {wait} END,
    CASE WHEN language = '' THEN triaged_at + {wait} ELSE triaged_at + 3 * {wait} END,
    '', '', ''
FROM (
    SELECT *, {points} + CASE WHEN imminent_harm THEN 400 ELSE 0 END + floor(r_priority * 300)::int AS priority,
           least(now(), opened_at + interval '1 minute') AS triaged_at
    FROM (
        SELECT *, {category} AS category_code, {country} AS country, tier = 1 AND r_imminent < 0.1 AS imminent_harm
        FROM (
            SELECT g, 'https://kite.example/bench/' || g AS key, {language} AS language, {tier} AS tier,
                   now() - (r_age * r_age) * interval '{MAX_AGE_HOURS} hours' AS opened_at,
                   r_country, r_category, r_imminent, r_priority, r_extra
            FROM (
                SELECT g, random() AS r_lang, random() AS r_country, random() AS r_tier, random() AS r_category,
                       random() AS r_imminent, random() AS r_priority, random() AS r_age, random() AS r_extra
                FROM generate_series({first}, {last}) AS g
            ) draws
        ) base
    ) placed
) scored
"""


# The reviewers: 50 people whose skills mirror the case mix, some specialised, a few cleared for child safety.
# (count, languages, countries, regions, policy_areas, clearances)
REVIEWERS: list[tuple[int, list[str], list[str], list[str], list[str], list[str]]] = [
    (6, ["ar-SD", "en"], ["SD"], ["East Africa"], [], []),
    (4, ["ar-EG", "en"], ["EG"], ["MENA"], [], []),
    (4, ["ar", "fr"], [], ["MENA"], [], []),
    (5, ["ur", "en"], ["PK"], ["South Asia"], [], []),
    (3, ["hi", "en"], ["IN"], ["South Asia"], [], []),
    (6, ["en"], ["GB", "US", "NG"], [], [], []),
    (3, ["en"], ["KE"], ["East Africa"], ["Misinformation", "Civic integrity"], []),
    (4, ["es-VE", "es"], ["VE"], ["Latin America"], [], []),
    (3, ["es", "pt-BR"], ["MX", "CO", "BR"], ["Latin America"], [], []),
    (3, ["fr", "en"], ["FR", "SN", "ML"], ["West Africa"], [], []),
    (2, ["ru", "uk"], ["RU", "UA", "GE"], ["Europe", "Caucasus"], [], []),
    (2, ["sw", "en"], ["KE", "TZ"], ["East Africa"], [], []),
    (5, ["en", "ar"], [], [], [], ["child_safety"]),
]
