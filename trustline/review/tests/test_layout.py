"""Module boundaries the API layer relies on."""

from __future__ import annotations

import ast
from pathlib import Path

import trustline

ROOT = Path(trustline.__file__).parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_api_module_postpones_annotations() -> None:
    """Ninja reads the annotations of operations at import time: postponed (string) ones break it."""
    offenders = [str(p.relative_to(ROOT)) for p in ROOT.glob("*/api.py") if "__future__" in _imports(p)]

    assert offenders == []


def test_no_service_or_selector_imports_review_api() -> None:
    """Shared helpers live in review.inputs and review.paging: importing review.api drags its router along.

    Only API modules (which shape output for the same clients) may reuse review's API helpers.
    """
    importers = [
        str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py")
        if p.name != "api.py" and "tests" not in p.parts
        if "trustline.review.api" in _imports(p)
    ]

    assert importers == []
