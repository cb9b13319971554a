from __future__ import annotations

from ninja import Schema


class CategoryOut(Schema):
    code: str
    name: str
    description: str
    policy_area: str
    dsa_category: str
    dsa_keywords: list[str]
    restricted: bool


class CodeName(Schema):
    code: str
    name: str


class TaxonomyOut(Schema):
    categories: list[CategoryOut]
    item_kinds: list[CodeName]
    targets: list[CodeName]
