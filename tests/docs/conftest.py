"""Fixtures for the tests of the documentation's snippets (``docs/snippets/``).

A test names each snippet it runs by its path under ``docs/snippets/`` (``"chat/app.py"``): that
string is how ``test_docs_wiring.py`` knows the snippet is tested. Server snippets are imported
afresh (each defines ``app``); client snippets, which talk to ``http://127.0.0.1:8000`` as the docs
say, are run against a live server instead, and what they print is compared with the ``.txt`` file
of the same name that the docs show.
"""

import asyncio
import contextlib
import importlib.util
import io
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response

from openai_compat_core.testing import LiveServer
from openai_compat_responses.testing import check_events, check_response_object

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = ROOT / "docs" / "snippets"
DOCUMENTED_URL = "http://127.0.0.1:8000"
"""The server address the docs use; client snippets are pointed at the test's server instead."""

_COUNTER = itertools.count()

LoadSnippet = Callable[[str], ModuleType]
RunClient = Callable[[str, LiveServer], str]


def snippet_path(name: str) -> Path:
    path = SNIPPETS / name
    assert path.is_file(), f"no snippet docs/snippets/{name}"
    return path


def expected_output(name: str) -> str:
    """What the docs say a client snippet prints: ``docs/snippets/<name>`` with ``.txt`` for ``.py``."""
    return snippet_path(name).with_suffix(".txt").read_text(encoding="utf-8")


@pytest.fixture
def snippet_text() -> Callable[[str], str]:
    """The text of a snippet file (a transcript or a payload the docs show)."""
    return lambda name: snippet_path(name).read_text(encoding="utf-8")


@pytest.fixture
def in_tmp_dir(tmp_path: Path) -> Iterator[Path]:
    """Run the test in an empty folder (snippets that write files write them there)."""
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(previous)


@pytest.fixture
def snippet() -> LoadSnippet:
    """Import a snippet as a new module (its state is fresh for every test) and return it."""

    def load(name: str) -> ModuleType:
        path = snippet_path(name)
        spec = importlib.util.spec_from_file_location(f"docs_snippet_{next(_COUNTER)}", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture
def serve(snippet: LoadSnippet, live_server: Callable[[Any], LiveServer]) -> Callable[[str], LiveServer]:
    """Load a server snippet and serve its ``app`` under uvicorn on 127.0.0.1."""

    def start(name: str) -> LiveServer:
        return live_server(snippet(name).app)

    return start


@pytest.fixture
def run_client() -> RunClient:
    """Run a client snippet against ``server`` (as ``__main__``) and return what it printed."""

    def run(name: str, server: LiveServer) -> str:
        path = snippet_path(name)
        source = path.read_text(encoding="utf-8")
        assert DOCUMENTED_URL in source, f"{name} does not talk to {DOCUMENTED_URL}"
        code = compile(source.replace(DOCUMENTED_URL, server.url), str(path), "exec")
        output = io.StringIO()
        namespace: dict[str, Any] = {"__name__": "__main__", "__file__": str(path)}
        try:
            with contextlib.redirect_stdout(output):
                exec(code, namespace)  # noqa: S102 - our own documentation
        finally:
            close_clients(namespace)
        return output.getvalue()

    return run


def close_clients(namespace: dict[str, Any]) -> None:
    """Close the HTTP clients a snippet left open at module level (a user's script ends there; a test goes on).

    Otherwise their sockets are closed by the garbage collector during some later test, as a ResourceWarning.
    """
    for value in list(namespace.values()):
        if isinstance(value, (openai.OpenAI, httpx.Client)):
            value.close()
        elif isinstance(value, (openai.AsyncOpenAI, httpx.AsyncClient)):
            asyncio.run(value.close() if isinstance(value, openai.AsyncOpenAI) else value.aclose())


@pytest.fixture
def check_client(run_client: RunClient) -> Callable[[str, LiveServer], None]:
    """Run a client snippet against ``server`` and assert it prints what its ``.txt`` file (shown in the docs) says."""

    def check(name: str, server: LiveServer) -> None:
        assert run_client(name, server) == expected_output(name)

    return check


class SDK:
    """The official ``openai`` client on a live server, with the checks every answer gets."""

    def __init__(self, server: LiveServer, api_key: str = "unused") -> None:
        self.client = openai.OpenAI(base_url=server.base_url, api_key=api_key, max_retries=0)

    def chat(self, content: str = "hi", model: str = "demo", **options: Any) -> ChatCompletion:
        return self.client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": content}], **options
        )

    def chat_stream(self, content: str = "hi", model: str = "demo", **options: Any) -> list[ChatCompletionChunk]:
        """A streamed chat answer, every chunk one of the SDK's own, with OpenAI's stream invariants."""
        with self.client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": content}], stream=True, **options
        ) as stream:
            chunks = [ChatCompletionChunk.model_validate(chunk.to_dict()) for chunk in stream]
        assert len({(chunk.id, chunk.created, chunk.model) for chunk in chunks}) == 1
        answer = [chunk for chunk in chunks if chunk.choices]
        assert answer[0].choices[0].delta.role == "assistant"
        assert answer[-1].choices[0].finish_reason is not None
        assert all(chunk.choices[0].finish_reason is None for chunk in answer[:-1])
        return chunks

    def response(self, input: str = "hi", model: str = "demo", **options: Any) -> Response:  # noqa: A002 - the SDK's name
        response = self.client.responses.create(model=model, input=input, **options)
        check_response_object(response.to_dict())
        return response

    def response_events(
        self,
        input: str = "hi",  # noqa: A002 - the SDK's name
        model: str = "demo",
        *,
        complete_output: bool = True,
        **options: Any,
    ) -> tuple[list[Any], dict[str, Any]]:
        """A streamed Responses answer: the SDK's events, checked against the wire contract, and the final response."""
        with self.client.responses.create(model=model, input=input, stream=True, **options) as stream:
            events = list(stream)
        final = check_events([(event.type, event.to_dict()) for event in events], complete_output=complete_output)
        return events, final


def text_of(chunks: list[ChatCompletionChunk]) -> str:
    return "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)


@pytest.fixture
def sdk() -> Iterator[Callable[..., SDK]]:
    clients: list[SDK] = []

    def make(server: LiveServer, api_key: str = "unused") -> SDK:
        clients.append(SDK(server, api_key))
        return clients[-1]

    yield make
    for made in clients:
        made.client.close()


@pytest.fixture
def chat_text() -> Callable[[list[ChatCompletionChunk]], str]:
    return text_of
