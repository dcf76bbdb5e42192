"""The built site, opened in headless Chromium: the getting-started page and the API reference render.

The site is the one ``nox -s docs`` just built (``$OPENAI_COMPAT_DOCS_SITE``), or, when MkDocs is
installed (``uv sync`` installs the docs group), one this module builds in strict mode. Without
either, or without Debian's ``chromium``, the browser tests are skipped, saying why; in CI the docs
session must run them, so there a missing browser fails.
"""

import functools
import html.parser
import importlib.util
import inspect
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE_ENV = "OPENAI_COMPAT_DOCS_SITE"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site's folder."""
    if os.environ.get(SITE_ENV):
        path = Path(os.environ[SITE_ENV])
        assert (path / "index.html").is_file(), f"${SITE_ENV} is {path}, which holds no built site"
        return path
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("mkdocstrings") is None:
        pytest.skip(f"no built site: MkDocs is not installed and ${SITE_ENV} is unset (`nox -s docs` runs this test)")
    path = tmp_path_factory.mktemp("site")
    build = subprocess.run(  # noqa: S603 - MkDocs of this environment, on this repository
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert build.returncode == 0, build.stderr
    return path


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """Serve the site on 127.0.0.1 (a random port), as a browser would fetch it."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, name="docs-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI") and os.environ.get(SITE_ENV):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium for the docs session")
        pytest.skip("Debian's chromium is not installed (`apt-get install chromium`; .ci/run installs it in CI)")
    return path


class Page(html.parser.HTMLParser):
    """What a rendered page shows: its title, headings, the text of its article, ids and links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.h1: list[str] = []
        self.ids: set[str] = set()
        self.links: set[str] = set()
        self._article = 0
        self._in: list[str] = []
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "a" and values.get("href"):
            self.links.add(str(values["href"]))
        if tag == "article":
            self._article += 1
        self._in.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self._article -= 1
        if tag in self._in:
            while self._in.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] == "title":
            self.title += data
        if "h1" in self._in and self._article:
            self.h1.append(data.strip())
        if self._article:
            self._text.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self._text).split())


def render(chromium: str, url: str, profile: Path) -> Page:
    """Open ``url`` in headless Chromium and parse the DOM it rendered."""
    result = subprocess.run(  # noqa: S603 - our own browser call on our own local URL
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    page = Page()
    page.feed(result.stdout)
    assert page.text, f"{url} rendered no article:\n{result.stdout[:2000]}"
    return page


def test_the_getting_started_page_renders(served: str, chromium: str, tmp_path: Path) -> None:
    page = render(chromium, f"{served}/getting-started/", tmp_path)
    assert page.title.startswith("Getting started")
    assert "".join(page.h1).startswith("Getting started")
    # The prose, and the included snippets as code (not the include lines).
    assert "Your first server" in page.text
    assert "Any OpenAI client works; point it at the server." in page.text
    assert "def run_completion(model: str, messages: list[dict], body: dict)" in page.text
    assert 'client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")' in page.text
    assert "You said: Hello there" in page.text  # what the client prints, from its tested output file
    assert "--8<--" not in page.text
    # The navigation leads to the API reference.
    assert any(link.rstrip("/").endswith("reference") for link in page.links)


def test_the_api_reference_renders_documented_names(served: str, chromium: str, tmp_path: Path) -> None:
    import openai_compat_chat

    page = render(chromium, f"{served}/reference/openai-compat-chat/", tmp_path)
    assert "".join(page.h1).rstrip("¶") == "openai-compat-chat"
    assert "openai_compat_chat.create_chat_completion_router" in page.ids
    summary = inspect.getdoc(openai_compat_chat.create_chat_completion_router).splitlines()[0]  # type: ignore[union-attr]
    assert summary.replace("`", "") in page.text
    assert "create_chat_completion_router(" in page.text  # its signature
    assert "run_completion" in page.text
    # A name chat re-exports from core links to where core documents it.
    assert "../openai-compat-core/#openai_compat_core.ListModelsFn" in page.links
    assert ":::" not in page.text


def test_the_limits_table_shows_the_code_defaults(served: str, chromium: str, tmp_path: Path) -> None:
    from openai_compat_core import DEFAULT_MAX_BODY_SIZE

    page = render(chromium, f"{served}/limits/", tmp_path)
    assert f"{DEFAULT_MAX_BODY_SIZE // (1024 * 1024)} MiB (DEFAULT_MAX_BODY_SIZE)" in page.text
    assert "<!-- limits-table -->" not in page.text


def test_every_exported_name_has_its_place_in_the_reference(site: Path) -> None:
    """Each name of each package's ``__all__`` is documented on its page or linked from it."""
    spec = importlib.util.spec_from_file_location("docs_workspace", ROOT / "docs" / "hooks" / "workspace.py")
    assert spec is not None
    assert spec.loader is not None
    workspace = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(workspace)
    for dist in workspace.distributions():
        page = Page()
        page.feed((site / "reference" / dist.name / "index.html").read_text(encoding="utf-8"))
        package = __import__(dist.package)
        missing = [
            name
            for name in package.__all__
            if f"{dist.package}.{name}" not in page.ids and not any(link.endswith(f".{name}") for link in page.links)
        ]
        assert missing == [], f"{dist.name}: {missing}"
