"""The chat and responses routes as the benchmark drives them: bodies read through public API, pre-encoded answers.

The endpoints read and validate their own bodies, the non-streaming chat answer is encoded without
building pydantic models, and streams are written in batches. Here: every request of the benchmark's
kinds gets the answer its body calls for, a dependency still runs, and a client that reads nothing
stops a fast generator of either kind.
"""

import asyncio
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_chat.streaming import chat_completion_response
from openai_compat_core import APIKeyAuth
from openai_compat_core.encoding import dumps
from openai_compat_responses import create_responses_router

CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"
MESSAGES = [{"role": "user", "content": "hi"}]
JSON = {"content-type": "application/json"}


def words(count: int) -> Iterator[str]:
    yield from (f"w{i} " for i in range(count))


async def async_words(count: int) -> AsyncIterator[str]:
    for i in range(count):
        yield f"w{i} "


def run(model: str, items: list[Any], body: dict[str, Any]) -> Any:
    """`text` answers a string, `sync-N` / `async-N` stream N words."""
    kind, _, count = model.partition("-")
    if kind == "sync":
        return words(int(count))
    if kind == "async":
        return async_words(int(count))
    return "The answer."


def make_app(**options: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(create_chat_completion_router(list_models=lambda: ["text"], run_completion=run, **options))
    app.include_router(create_responses_router(list_models=lambda: ["text"], run_response=run, **options))
    return app


_MASKS = [
    (re.compile(rb'"(id|item_id|call_id)":"[^"]*"'), rb'"\1":"<id>"'),
    (re.compile(rb'"(created|created_at|completed_at)":\d+'), rb'"\1":0'),
]


def masked(body: bytes) -> bytes:
    for pattern, replacement in _MASKS:
        body = pattern.sub(replacement, body)
    return body


REQUESTS: list[tuple[str, dict[str, Any], int, str | None, str | None]] = [
    # path, request, status, error code, error param
    (CHAT, {"json": {"model": "text", "messages": MESSAGES}}, 200, None, None),
    (CHAT, {"json": {"model": "text", "messages": MESSAGES, "temperature": 0.2, "custom": {"a": [1]}}}, 200, None,
     None),
    (CHAT, {"json": {"model": "sync-3", "messages": MESSAGES, "stream": True}}, 200, None, None),
    (CHAT, {"json": {"model": "async-3", "messages": MESSAGES, "stream": True}}, 200, None, None),
    (CHAT, {"json": {"model": "text"}}, 400, "missing_required_parameter", "messages"),
    (CHAT, {"json": {"model": 3, "messages": MESSAGES}}, 400, "invalid_type", "model"),
    (CHAT, {"json": {"model": "text", "messages": "not a list"}}, 400, "invalid_type", "messages"),
    (CHAT, {"content": b'{"model": "text", "messages": [', "headers": JSON}, 400, "invalid_json", None),
    (CHAT, {"content": b'{"model": "text", "messages": []}', "headers": {"content-type": "text/plain"}}, 400,
     "invalid_body", None),
    (RESPONSES, {"json": {"model": "text", "input": "hi"}}, 200, None, None),
    (RESPONSES, {"json": {"model": "text", "input": "hi", "instructions": "be brief", "temperature": 0.5}}, 200, None,
     None),
    (RESPONSES, {"json": {"model": "sync-3", "input": "hi", "stream": True}}, 200, None, None),
    (RESPONSES, {"json": {"model": "async-3", "input": "hi", "stream": True}}, 200, None, None),
    (RESPONSES, {"json": {"model": "sync-3", "input": "hi"}}, 200, None, None),
    (RESPONSES, {"json": {"input": "hi"}}, 400, "missing_required_parameter", "model"),
    (RESPONSES, {"json": {"model": "text", "input": 12}}, 400, "invalid_type", "input"),
    (RESPONSES, {"content": b"[]", "headers": JSON}, 400, "invalid_body", None),
]  # fmt: skip


@pytest.mark.parametrize("case", REQUESTS)
async def test_each_request_gets_the_answer_its_body_calls_for(case: tuple[Any, ...], asgi_client: Any) -> None:
    path, request_options, status, code, param = case
    async with asgi_client(make_app()) as client:
        response = await client.post(path, **request_options)
    assert response.status_code == status, response.text
    if status == 200:
        stream = request_options["json"].get("stream", False)
        expected = "text/event-stream" if stream else "application/json"
        assert response.headers["content-type"].startswith(expected)
    else:
        error = response.json()["error"]
        assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", code, param)


async def test_the_text_answer_is_the_chat_completion_the_1x_helper_builds(asgi_client: Any) -> None:
    async with asgi_client(make_app()) as client:
        body = (await client.post(CHAT, json={"model": "text", "messages": MESSAGES})).content
    assert masked(body) == masked(dumps(chat_completion_response("The answer.", "chatcmpl-x", "text")))


@pytest.mark.parametrize(
    ("path", "body"), [(CHAT, {"model": "text", "messages": MESSAGES}), (RESPONSES, {"model": "text", "input": "hi"})]
)
async def test_a_route_with_a_dependency_runs_it(path: str, body: dict[str, Any], asgi_client: Any) -> None:
    app = make_app(dependencies=[Depends(APIKeyAuth(["sk-perf"]))])
    async with asgi_client(app) as client:
        refused = await client.post(path, json=body)
        accepted = await client.post(path, json=body, headers={"authorization": "Bearer sk-perf"})
    assert (refused.status_code, accepted.status_code) == (401, 200)


@pytest.mark.parametrize("path", [CHAT, RESPONSES])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_client_that_reads_nothing_stops_a_fast_generator(path: str, kind: str, live_server: Any) -> None:
    produced = 0
    closed = threading.Event()

    def fast_sync() -> Iterator[str]:
        nonlocal produced
        try:
            while True:
                produced += 1
                yield "y" * 512
        finally:
            closed.set()

    async def fast_async() -> AsyncIterator[str]:
        nonlocal produced
        try:
            while True:
                produced += 1
                yield "y" * 512
                if produced % 1000 == 0:
                    await asyncio.sleep(0)
        finally:
            closed.set()

    def endless(model: str, items: list[Any], body: dict[str, Any]) -> Any:
        return fast_sync() if kind == "sync" else fast_async()

    app = FastAPI()
    app.include_router(create_chat_completion_router(list_models=lambda: ["m"], run_completion=endless))
    app.include_router(create_responses_router(list_models=lambda: ["m"], run_response=endless))
    server = live_server(app)
    body = {"model": "m", "messages": MESSAGES, "input": "hi", "stream": True}
    with httpx.Client(timeout=10) as client, client.stream("POST", server.url + path, json=body) as response:
        assert response.status_code == 200
        # Read nothing: once the socket buffers and the bounded buffer are full, production must stop.
        time.sleep(1.0)
        first = produced
        time.sleep(1.0)
        second = produced
    assert second == first, f"the generator kept going ({first} -> {second}) while the client read nothing"
    assert first < 50_000  # socket buffers hold a few MB; an unbounded buffer would be far past this
    assert closed.wait(5), "the generator was not closed after the client left"
