"""The workspace's distributions, read from ``packages/*/pyproject.toml``.

Shared by the docs hooks, ``docs/sync_readmes.py`` and the docs tests, so that a new distribution
appears in the API reference without editing any page.
"""

import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ROOT / "packages"


@dataclass(frozen=True)
class Distribution:
    """One distribution of the workspace."""

    name: str
    """Its name on PyPI, e.g. ``openai-compat-chat``."""
    package: str
    """Its import name, e.g. ``openai_compat_chat``."""
    description: str
    """The one-line description of its ``pyproject.toml``."""
    requires: tuple[str, ...]
    """The sibling distributions it depends on."""
    path: Path
    """Its folder under ``packages/``."""


def _requirement_name(requirement: str) -> str:
    for index, char in enumerate(requirement):
        if not (char.isalnum() or char in "-_."):
            return requirement[:index].lower()
    return requirement.lower()


def distributions() -> list[Distribution]:
    """Return every distribution under ``packages/``, each after the siblings it depends on."""
    found: dict[str, Distribution] = {}
    for pyproject in sorted(PACKAGES.glob("*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        [package] = [init.parent.name for init in (pyproject.parent / "src").glob("*/__init__.py")]
        requires = tuple(_requirement_name(dep) for dep in project.get("dependencies", []))
        found[project["name"]] = Distribution(
            project["name"], package, project["description"], requires, pyproject.parent
        )
    ordered: list[Distribution] = []
    while len(ordered) < len(found):
        placed = {dist.name for dist in ordered}
        ready = [
            dist
            for name, dist in sorted(found.items())
            if name not in placed and all(req in placed for req in dist.requires if req in found)
        ]
        if not ready:
            raise RuntimeError(f"circular dependencies between {sorted(set(found) - placed)}")
        ordered.append(ready[0])
    return ordered
