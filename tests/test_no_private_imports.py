"""No module imports another module's private (underscore) names: helpers shared across
modules are public, with a docstring, so layer boundaries stay visible."""

from __future__ import annotations

import ast

from sqlib import config

SOURCES = sorted((config.PROJECT_ROOT / "src" / "sqlib").rglob("*.py"))


def test_no_private_name_is_imported_across_modules():
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                found += [f"{path.name}:{node.lineno} {alias.name}" for alias in node.names
                          if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert SOURCES and not found, found
