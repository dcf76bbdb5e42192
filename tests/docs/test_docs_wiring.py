"""The docs hold no untested code: every block is an included snippet, every snippet is run by a test.

Also: the READMEs' code blocks are exact copies of snippets, their links into the site point at pages
that exist, and the generated limits table has a row for every ``DEFAULT_MAX_*`` default.
"""

import ast
import importlib
import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SNIPPETS = DOCS / "snippets"
TESTS = Path(__file__).resolve().parent
FENCE = re.compile(
    r"^(?P<indent> *)(?P<fence>```+|~~~+)(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)(?P=fence)\s*$", re.M | re.S
)
INCLUDE = re.compile(r'^\s*--8<-- "(?P<path>[^"]+)"\s*$')
SHELL_LANGUAGES = {"bash"}
"""The only blocks written in a page: commands to type. Everything else is included from a tested file."""


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_tool_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def pages() -> list[Path]:
    """Every Markdown page of the site, and the stand-ins for pages other branches write."""
    found = [path for path in DOCS.rglob("*.md") if SNIPPETS not in path.parents]
    assert DOCS / "index.md" in found
    return sorted(found)


def fences(text: str) -> Iterator[tuple[str, str]]:
    for match in FENCE.finditer(text):
        info = match["info"].strip()
        yield (info.split()[0] if info else ""), match["body"]


def snippet_files() -> list[Path]:
    files = (path for path in SNIPPETS.rglob("*") if path.is_file() and path.name != "ruff.toml")
    # Caches that tools leave next to the files (ruff, Python) are not snippets.
    return sorted(path for path in files if not any(part.startswith((".", "__")) for part in relative(path).split("/")))


def relative(path: Path) -> str:
    return path.relative_to(SNIPPETS).as_posix()


def included_by_pages() -> set[str]:
    included: set[str] = set()
    for page in pages():
        for line in page.read_text(encoding="utf-8").splitlines():
            if (match := INCLUDE.match(line)) is not None:
                included.add(match["path"])
    return included


def test_every_code_block_of_the_docs_is_an_included_snippet() -> None:
    problems = []
    for page in pages():
        for language, body in fences(page.read_text(encoding="utf-8")):
            lines = [line for line in body.splitlines() if line.strip()]
            if language in SHELL_LANGUAGES:
                assert not any(INCLUDE.match(line) for line in lines), f"{page}: an include in a {language} block"
                continue
            if not lines or not all(INCLUDE.match(line) for line in lines):
                problems.append(f"{page.relative_to(ROOT)}: a ```{language} block written in the page:\n{body}")
                continue
            for line in lines:
                target = INCLUDE.match(line)["path"]  # type: ignore[index]
                if not target.startswith("docs/snippets/") or not (ROOT / target).is_file():
                    problems.append(f"{page.relative_to(ROOT)}: includes {target}, not a file of docs/snippets/")
    assert not problems, "\n".join(problems)


def test_includes_outside_code_blocks_come_from_snippets_too() -> None:
    for page in pages():
        outside = FENCE.sub("", page.read_text(encoding="utf-8"))
        for line in outside.splitlines():
            if (match := INCLUDE.match(line)) is not None:
                assert match["path"].startswith("docs/snippets/"), f"{page}: includes {match['path']}"


def named_by_tests() -> tuple[set[str], set[str]]:
    """The snippet paths the docs tests name, and those whose printed output they compare (``check_client``)."""
    named: set[str] = set()
    outputs: set[str] = set()
    for test_file in TESTS.glob("test_docs_*.py"):
        tree = ast.parse(test_file.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                named.add(node.value)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "check_client"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                outputs.add(str(node.args[0].value))
    return named, outputs


def test_every_snippet_is_run_by_a_test() -> None:
    named, outputs = named_by_tests()
    checked_outputs = {str(Path(name).with_suffix(".txt")) for name in outputs}
    untested = [
        relative(path)
        for path in snippet_files()
        if relative(path) not in named and relative(path) not in checked_outputs
    ]
    assert not untested, f"snippets no test in tests/docs/test_docs_*.py runs or compares: {untested}"


def test_every_snippet_is_shown_somewhere() -> None:
    shown = {path.removeprefix("docs/snippets/") for path in included_by_pages()}
    sync = load(DOCS / "sync_readmes.py")
    for readme in sync.readmes():
        shown.update(path.removeprefix("docs/snippets/") for path in sync.copied_paths(readme.read_text()))
    assert sorted(set(map(relative, snippet_files())) - shown) == []


def test_the_readmes_copy_their_snippets_exactly() -> None:
    sync = load(DOCS / "sync_readmes.py")
    assert [path.relative_to(ROOT) for path in sync.stale()] == [], "run `python docs/sync_readmes.py`"


def all_readmes() -> list[Path]:
    """Every README.md of the repository's sources (not of virtual environments or build outputs)."""
    skipped = {"node_modules", "site", "dist", "build"}
    return sorted(
        path
        for path in ROOT.glob("**/README.md")
        if not any(part.startswith(".") or part in skipped for part in path.relative_to(ROOT).parts)
    )


@pytest.mark.parametrize("readme", all_readmes(), ids=lambda path: str(path.relative_to(ROOT)))
def test_python_in_a_readme_is_a_copy_of_a_snippet(readme: Path) -> None:
    sync = load(DOCS / "sync_readmes.py")
    text = readme.read_text(encoding="utf-8")
    outside = sync.BLOCK.sub("", text)
    stray = [body for language, body in fences(outside) if language in {"python", "py", "pycon", "python3"}]
    assert stray == [], f"{readme}: Python blocks must be copies of docs/snippets files (between snippet markers)"
    for path in sync.copied_paths(text):
        assert path.startswith("docs/snippets/"), path
        assert (ROOT / path).is_file(), path


def site_url() -> str:
    match = re.search(r"^site_url:\s*(\S+)\s*$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    assert match is not None
    return match[1]


def test_links_from_the_readmes_into_the_site_point_at_pages() -> None:
    workspace = load(DOCS / "hooks" / "workspace.py")
    generated = {"reference/"} | {f"reference/{dist.name}/" for dist in workspace.distributions()}
    base = site_url()
    problems = []
    readmes = [ROOT / "README.md", *ROOT.glob("packages/*/README.md"), *ROOT.glob("*/README.md")]
    for readme in readmes:
        for link in re.findall(re.escape(base) + r"([^)\s>*]*)", readme.read_text(encoding="utf-8")):
            page, _, _ = link.partition("#")
            exists = page in generated or page == "" or (DOCS / f"{page.rstrip('/')}.md").is_file()
            exists = exists or (DOCS / "hooks" / "pending" / f"{page.rstrip('/')}.md").is_file()
            if not exists:
                problems.append(f"{readme.relative_to(ROOT)}: {base}{link}")
    assert not problems


def test_each_distribution_readme_links_to_its_docs() -> None:
    base = site_url()
    for readme in ROOT.glob("packages/*/README.md"):
        text = readme.read_text(encoding="utf-8")
        assert base in text, f"{readme} has no link to the documentation"
        assert "```bash\npip install" in text, f"{readme} does not say how to install"


def test_the_top_level_readme_stays_a_landing_page() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 200


def test_every_default_limit_has_a_row_in_the_limits_table() -> None:
    workspace = load(DOCS / "hooks" / "workspace.py")
    limits = load(DOCS / "hooks" / "limits.py")
    rows = {limit.constant.rsplit(".", 1)[1] for limit in limits.LIMITS}
    defaults = {
        name
        for dist in workspace.distributions()
        for name in importlib.import_module(dist.package).__all__
        if name.startswith("DEFAULT_MAX_")
    }
    assert defaults
    assert sorted(defaults - rows) == [], "add a row to docs/hooks/limits.py"
    for limit in limits.LIMITS:  # every row reads a constant that exists
        limits.read_constant(limit.constant)
    assert "16 MiB" in limits.table()
