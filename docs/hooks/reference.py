"""MkDocs hook: the API reference, one generated page per distribution, from the ``__all__`` lists.

Each distribution's page documents every name of its package's ``__all__`` and of the ``__all__`` of
its public modules (no ``_`` in the dotted path). A name defined in the distribution is rendered by
mkdocstrings (``::: package.name``); a name re-exported from another distribution is one row of a
table linking to where it is documented, so every object is documented once. Nothing here names a
package or a page: a new distribution, module or name appears without editing anything.

The pages are virtual (``reference/<distribution>.md``), and the ``reference/index.md`` entry of the
``nav`` grows one child per distribution.
"""

import importlib
import inspect
import pkgutil
import warnings
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from workspace import Distribution, distributions

INDEX = "reference/index.md"


@dataclass
class Section:
    """The names one module adds to a distribution's reference."""

    module: str
    own: dict[str, list[str]] = field(default_factory=dict)  # kind -> names documented here
    reexported: list[tuple[str, str]] = field(default_factory=list)  # (name, identifier of its docs)


def _import(name: str) -> ModuleType:
    # The 1.x root modules of the meta package warn when imported; the reference lists them all the same.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return importlib.import_module(name)


def public_modules(package: str) -> list[ModuleType]:
    """The package and its public submodules (no ``_`` in the dotted path) that declare ``__all__``."""
    root = _import(package)
    modules = [root]
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        module = _import(info.name)
        if hasattr(module, "__all__"):
            modules.append(module)
    return modules


def kind(obj: Any) -> str:
    if inspect.isclass(obj):
        return "Classes"
    if inspect.isroutine(obj):
        return "Functions"
    return "Types and constants"


KINDS = ("Functions", "Classes", "Types and constants")


def build_sections(dists: list[Distribution]) -> dict[str, list[Section]]:
    """Walk the distributions in dependency order; the first module to export an object documents it."""
    documented: dict[tuple[str, int], str] = {}  # (name, id(object)) -> identifier of its rendering
    pages: dict[str, list[Section]] = {}
    for dist in dists:
        sections: list[Section] = []
        root_names = set(_import(dist.package).__all__)
        for module in public_modules(dist.package):
            is_root = module.__name__ == dist.package
            section = Section(module.__name__)
            for name in module.__all__:
                if not is_root and name in root_names:
                    continue  # covered on the package's own section
                obj = getattr(module, name)
                key = (name, id(obj))
                if key in documented:
                    if is_root or not documented[key].startswith(f"{dist.package}."):
                        section.reexported.append((name, documented[key]))
                    continue
                documented[key] = f"{module.__name__}.{name}"
                section.own.setdefault(kind(obj), []).append(name)
            if section.own or section.reexported:
                sections.append(section)
        pages[dist.name] = sections
    return pages


def first_paragraph(module: ModuleType) -> str:
    doc = inspect.getdoc(module) or ""
    return doc.split("\n\n", 1)[0].replace("\n", " ")


def private_base_members(obj: Any) -> list[str]:
    """The public members a class inherits from private bases (``_`` in their module's path) of its package.

    A class split over private modules (a store's conversation methods in a ``_...`` module) is documented
    with those members as its own.
    """
    if not inspect.isclass(obj):
        return []
    package = obj.__module__.split(".")[0]
    names: list[str] = []
    for base in obj.__mro__[1:]:
        parts = base.__module__.split(".")
        if parts[0] != package or not any(part.startswith("_") for part in parts):
            continue
        names += [name for name in vars(base) if not name.startswith("_") and name not in names]
    return [name for name in names if name not in vars(obj)]


def render_section(section: Section, level: int) -> list[str]:
    heading = "#" * level
    module = _import(section.module)
    lines: list[str] = []
    for kind_name in KINDS:
        names = section.own.get(kind_name, [])
        if not names:
            continue
        lines += [f"{heading} {kind_name}", ""]
        for name in names:
            lines += [f"::: {section.module}.{name}", "    options:", f"      heading_level: {level + 1}"]
            inherited = private_base_members(getattr(module, name))
            if inherited:
                lines.append(f"      inherited_members: [{', '.join(inherited)}]")
            lines.append("")
    if section.reexported:
        lines += [
            f"{heading} Re-exported names",
            "",
            "Importable from here; documented where they are defined.",
            "",
            "| name | documented as |",
            "|---|---|",
        ]
        lines += [f"| `{name}` | [`{target}`][{target}] |" for name, target in section.reexported]
        lines.append("")
    return lines


def render_page(dist: Distribution, sections: list[Section]) -> str:
    lines = [f"# {dist.name}", ""]
    for section in sections:
        module = _import(section.module)
        if section.module == dist.package:
            lines += [inspect.getdoc(module) or dist.description, ""]
            lines += [f"`pip install {dist.name}`, then `import {dist.package}`.", ""]
            lines += render_section(section, 2)
        else:
            lines += [f"## `{section.module}`", "", first_paragraph(module), ""]
            lines += render_section(section, 3)
    return "\n".join(lines)


def render_index(dists: list[Distribution]) -> str:
    lines = [
        "# API reference",
        "",
        "Every public name of every distribution: what its package exports (`__all__`) and what its",
        "public modules export. A name is documented in the distribution that defines it; the others",
        "that export it link there.",
        "",
        "| distribution | import | what it holds |",
        "|---|---|---|",
    ]
    lines += [f"| [{d.name}]({d.name}.md) | `{d.package}` | {d.description} |" for d in dists]
    return "\n".join(lines) + "\n"


def _expand_nav(nav: Any, children: list[dict[str, str]]) -> bool:
    """Turn the nav entry whose page is ``reference/index.md`` into a section with the generated pages."""
    if isinstance(nav, list):
        for index, item in enumerate(nav):
            if isinstance(item, dict) and len(item) == 1:
                [(title, value)] = item.items()
                if value == INDEX:
                    nav[index] = {title: [INDEX, *children]}
                    return True
                if _expand_nav(value, children):
                    return True
    return False


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    children = [{dist.name: f"reference/{dist.name}.md"} for dist in distributions()]
    if config.nav is not None and not _expand_nav(config.nav, children):
        raise ValueError(f"mkdocs.yml: no nav entry for {INDEX}")
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    dists = distributions()
    pages = build_sections(dists)
    generated = {INDEX: render_index(dists)}
    generated.update({f"reference/{dist.name}.md": render_page(dist, pages[dist.name]) for dist in dists})
    for uri, content in generated.items():
        file = File.generated(config, uri, content=content)
        file.edit_uri = None  # no source file to edit
        files.append(file)
    return files
