"""Keep the code in the READMEs identical to the tested snippet files it copies.

PyPI shows a README as it is, without includes, so a README holds copies of snippets, each between
two markers::

    <!-- snippet: docs/snippets/chat/app.py -->
    ```python
    (the file's text)
    ```
    <!-- /snippet -->

and the meta package's README (its PyPI page) is a copy of the top-level README.md.

    python docs/sync_readmes.py          # rewrite every copy from its file
    python docs/sync_readmes.py --check  # exit 1, naming the READMEs, when a copy differs

``tests/docs/test_docs_wiring.py`` runs the check.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
META_README = ROOT / "packages" / "fastapi-openai-compat" / "README.md"
BLOCK = re.compile(r"(?P<open><!-- snippet: (?P<path>[^ ]+) -->\n)(?P<body>.*?)(?P<close><!-- /snippet -->)", re.DOTALL)
LANGUAGES = {".py": "python", ".json": "json", ".txt": "text"}


def readmes() -> list[Path]:
    """Every README of the repository that is written by hand (the meta package's is generated)."""
    found = [ROOT / "README.md", *sorted(ROOT.glob("packages/*/README.md")), *sorted(ROOT.glob("*/README.md"))]
    return [path for path in dict.fromkeys(found) if path != META_README and path.is_file()]


def copied_paths(text: str) -> list[str]:
    """The snippet files a README copies, in order."""
    return [match["path"] for match in BLOCK.finditer(text)]


def render(text: str) -> str:
    """Return ``text`` with every marked block holding the current content of its file."""

    def block(match: re.Match[str]) -> str:
        path = ROOT / match["path"]
        language = LANGUAGES.get(path.suffix, "")
        content = path.read_text(encoding="utf-8")
        if not content.endswith("\n"):
            content += "\n"
        return f"{match['open']}```{language}\n{content}```\n{match['close']}"

    return BLOCK.sub(block, text)


def expected() -> dict[Path, str]:
    """What every README should hold: each hand-written one rendered, and the meta README as a copy."""
    rendered = {path: render(path.read_text(encoding="utf-8")) for path in readmes()}
    rendered[META_README] = rendered[ROOT / "README.md"]
    return rendered


def stale() -> list[Path]:
    """The READMEs whose text differs from what it should be."""
    return [path for path, text in expected().items() if not path.is_file() or path.read_text(encoding="utf-8") != text]


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        outdated = stale()
        for path in outdated:
            print(f"{path.relative_to(ROOT)} is out of date: run `python docs/sync_readmes.py`")
        return 1 if outdated else 0
    if argv:
        print(__doc__)
        return 2
    for path, text in expected().items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
