"""The request's `stream` flag decides the answer's form, whatever the callback returned (OpenAI's contract)."""

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openai.types.chat import ChatCompletion as SDKChatCompletion
from openai.types.chat import ChatCompletionChunk

from openai_compat_chat import ChatCompletion, Choice, Message, create_chat_completion_router

MESSAGES = [{"role": "user", "content": "hi"}]


def app_with(run_completion: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(create_chat_completion_router(list_models=lambda: ["m"], run_completion=run_completion))
    return app


async def post(app: FastAPI, **body: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return await client.post("/v1/chat/completions", json={"model": "m", "messages": MESSAGES, **body})


def chunks(response: httpx.Response) -> list[ChatCompletionChunk]:
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = [block.removeprefix("data:").strip() for block in response.text.split("\n\n") if block]
    assert frames[-1] == "[DONE]"
    return [ChatCompletionChunk.model_validate_json(frame) for frame in frames[:-1]]


def tool_delta(index: int, call_id: str | None, name: str | None, arguments: str) -> SimpleNamespace:
    """A Haystack-style chunk carrying one tool-call delta (duck typed)."""
    call = SimpleNamespace(index=index, id=call_id, tool_name=name, arguments=arguments)
    return SimpleNamespace(content="", tool_calls=[call], finish_reason=None, meta={})


async def test_non_streaming_request_collects_parallel_tool_calls_reasoning_and_usage() -> None:
    def run(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> Iterator[Any]:
        yield SimpleNamespace(content="", reasoning=SimpleNamespace(reasoning_text="think "), meta={})
        yield SimpleNamespace(content="", reasoning=SimpleNamespace(reasoning_text="hard"), meta={})
        yield "Calling two tools."
        yield tool_delta(0, "call_a", "weather", '{"city": ')
        yield tool_delta(1, "call_b", "time", '{"tz": ')
        yield tool_delta(0, None, None, '"Paris"}')
        yield tool_delta(1, None, None, '"CET"}')
        usage = {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}
        yield SimpleNamespace(content="", finish_reason="tool_calls", meta={"usage": usage})

    response = await post(app_with(run))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    raw = response.json()
    assert "delta" not in raw["choices"][0]
    completion = SDKChatCompletion.model_validate(raw)
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Calling two tools."
    assert raw["choices"][0]["message"]["reasoning_content"] == "think hard"
    calls = choice.message.tool_calls or []
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("call_a", "weather", {"city": "Paris"}),
        ("call_b", "time", {"tz": "CET"}),
    ]
    assert "index" not in raw["choices"][0]["message"]["tool_calls"][0]
    assert completion.usage is not None
    assert completion.usage.total_tokens == 12


async def test_non_streaming_request_with_async_generator_and_no_usage() -> None:
    async def run(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> AsyncIterator[str]:
        for word in ("one ", "two"):
            await asyncio.sleep(0)
            yield word

    raw = (await post(app_with(run), stream=False)).json()
    assert raw["choices"][0]["message"]["content"] == "one two"
    assert raw["choices"][0]["finish_reason"] == "stop"
    assert raw["usage"] is None


async def test_generator_failing_without_streaming_is_a_500_envelope() -> None:
    def run(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> Iterator[str]:
        yield "partial"
        raise RuntimeError("index offline")

    response = await post(app_with(run))
    assert response.status_code == 500
    assert response.headers["x-should-retry"] == "false"
    assert response.json()["error"]["message"] == "Pipeline execution failed: index offline"


async def test_streaming_request_with_a_completion_result_streams_it() -> None:
    completion = ChatCompletion(
        id="chatcmpl-x",
        object="chat.completion",
        created=1,
        model="m",
        choices=[
            Choice(
                index=0,
                finish_reason="tool_calls",
                message=Message(
                    role="assistant",
                    content=None,
                    tool_calls=[
                        {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                        {"id": "call_2", "type": "function", "function": {"name": "g", "arguments": "{}"}},
                    ],
                ),
            )
        ],
        usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    )
    response = await post(
        app_with(lambda model, messages, body: completion), stream=True, stream_options={"include_usage": True}
    )
    parsed = chunks(response)
    first = parsed[0].choices[0]
    assert first.delta.role == "assistant"
    assert [(c.index, c.id, c.function and c.function.name) for c in first.delta.tool_calls or []] == [
        (0, "call_1", "f"),
        (1, "call_2", "g"),
    ]
    assert first.finish_reason == "tool_calls"
    assert parsed[-1].choices == []
    assert parsed[-1].usage is not None
    assert parsed[-1].usage.total_tokens == 3
    assert len({chunk.id for chunk in parsed}) == 1


async def test_completion_bodies_carry_message_and_chunks_carry_delta_only() -> None:
    completion = ChatCompletion(
        id="chatcmpl-y",
        object="chat.completion",
        created=1,
        model="m",
        choices=[Choice(index=0, finish_reason="stop", message=Message(role="assistant", content="hi"))],
    )
    assert "delta" not in completion.model_dump()["choices"][0]
    assert "delta" not in (await post(app_with(lambda model, messages, body: completion))).json()["choices"][0]
    chunk = ChatCompletion(
        id="c",
        object="chat.completion.chunk",
        created=1,
        model="m",
        choices=[Choice(index=0, delta=Message(role="assistant", content="h"))],
    )
    assert "message" not in json.loads(chunk.model_dump_json())["choices"][0]


async def test_a_client_leaving_a_non_streaming_generator_closes_it() -> None:
    producing, closed = threading.Event(), threading.Event()

    def run(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> Iterator[str]:
        try:
            while True:
                time.sleep(0.01)  # a slow model: one chunk every 10 ms, for as long as it is asked
                yield "x"
                producing.set()
        finally:
            closed.set()

    app = app_with(run)
    body = json.dumps({"model": "m", "messages": MESSAGES}).encode()
    received = False

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": body, "more_body": False}
        # The client leaves once the router is collecting the answer.
        assert await asyncio.to_thread(producing.wait, 5)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        return None

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "path": "/v1/chat/completions",
        "raw_path": b"/v1/chat/completions",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 1),
        "server": ("t", 80),
        "scheme": "http",
        "root_path": "",
    }
    await asyncio.wait_for(app(scope, receive, send), timeout=5)
    assert await asyncio.to_thread(closed.wait, 5)


@pytest.mark.parametrize("stream", [True, False])
async def test_string_result_matches_the_sdk_types_either_way(stream: bool) -> None:
    response = await post(app_with(lambda model, messages, body: "Hello"), stream=stream)
    if stream:
        assert "".join(c.choices[0].delta.content or "" for c in chunks(response) if c.choices) == "Hello"
    else:
        assert SDKChatCompletion.model_validate(response.json()).choices[0].message.content == "Hello"
