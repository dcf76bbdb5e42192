"""Library code uses the public API of its dependencies only: no private names, no introspection of functions.

ruff's SLF001 refuses `obj._private` in library code; this test refuses what it does not see: imports
of private modules or names of fastapi, starlette, pydantic or uvicorn, reading a function's
closure or code, and a `noqa` that silences SLF001.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(ROOT.glob("packages/*/src/**/*.py"))
DEPENDENCIES = {"fastapi", "starlette", "pydantic", "pydantic_core", "uvicorn"}
INTROSPECTION = {"__closure__", "__code__", "__globals__", "cell_contents", "co_freevars", "__kwdefaults__"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def violations(source: str) -> list[str]:
    """What in `source` reaches past a dependency's public API."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] in DEPENDENCIES and any(_private(part) for part in parts):
                    found.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] not in DEPENDENCIES:
                continue
            if any(_private(part) for part in parts):
                found.append(f"line {node.lineno}: from {node.module} import ...")
            found += [f"line {node.lineno}: {alias.name}" for alias in node.names if _private(alias.name)]
        elif isinstance(node, ast.Attribute) and node.attr in INTROSPECTION:
            found.append(f"line {node.lineno}: .{node.attr}")
    found += [
        f"line {number}: silenced SLF001" for number, line in enumerate(source.splitlines(), 1) if "SLF001" in line
    ]
    return found


def test_the_check_sees_what_it_must_refuse() -> None:
    bad = """
from starlette._utils import get_route_path
from fastapi.routing import _IncludedRouter
import pydantic._internal
closure = handler.__closure__
request._body = b""  # noqa: SLF001
"""
    assert len(violations(bad)) == 5
    assert violations("from fastapi.routing import APIRoute\nself._own = 1\n") == []


def test_there_are_sources_to_check() -> None:
    assert len(SOURCES) > 40


@pytest.mark.parametrize("path", SOURCES, ids=[str(path.relative_to(ROOT)) for path in SOURCES])
def test_library_code_uses_public_api_only(path: Path) -> None:
    assert violations(path.read_text()) == []
