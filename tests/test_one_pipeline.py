"""Chat and Responses run one request pipeline and read chunks one way: each behaviour the same in both APIs.

Each test drives both routers with the same callback and checks what the client gets from each: the
chunk mapper sees every text chunk, text beside tool calls is kept, an error raised mid-stream keeps
its code, tool-call fragments are grouped by the same rules, and the `stream` flag decides the form.
"""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_core import OpenAIHTTPException
from openai_compat_core.testing import StreamingChunk
from openai_compat_responses import create_responses_router
from openai_compat_responses.testing import check_events, parse_events

CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"


def fragment(index: int | None, call_id: str | None, name: str | None, arguments: str) -> dict[str, Any]:
    """A tool-call fragment in OpenAI's dict shape, which may lack an index or an id."""
    return {"index": index, "id": call_id, "function": {"name": name, "arguments": arguments}}


def app_for(callback: Any, **options: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(create_chat_completion_router(list_models=lambda: ["m"], run_completion=callback, **options))
    app.include_router(create_responses_router(list_models=lambda: ["m"], run_response=callback, **options))
    return app


async def chat_stream(client: Any) -> list[dict[str, Any]]:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    text = (await client.post(CHAT, json=body)).text
    frames = [block.removeprefix("data:").strip() for block in text.split("\n\n") if block]
    return [json.loads(frame) for frame in frames if frame != "[DONE]"]


async def responses_stream(client: Any) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    text = (await client.post(RESPONSES, json={"model": "m", "input": "hi", "stream": True})).text
    events = parse_events(text)
    return events, check_events(events)


def chat_text(frames: list[dict[str, Any]]) -> str:
    return "".join(f["choices"][0]["delta"].get("content") or "" for f in frames if f.get("choices"))


def output_text(response: dict[str, Any]) -> str:
    return "".join(part["text"] for item in response["output"] if item["type"] == "message" for part in item["content"])


async def test_the_chunk_mapper_sees_every_chunk_but_str_in_both(asgi_client: Any) -> None:
    def callback(model: str, items: Any, body: Any) -> Iterator[Any]:
        yield from ["a", StreamingChunk("b"), 3]

    app = app_for(callback, chunk_mapper=lambda chunk: f"<{getattr(chunk, 'content', chunk)}>")
    async with asgi_client(app) as client:
        assert chat_text(await chat_stream(client)) == "a<b><3>"
        _, final = await responses_stream(client)
    assert output_text(final) == "a<b><3>"


async def test_text_beside_tool_calls_is_kept_in_both(asgi_client: Any) -> None:
    def callback(model: str, items: Any, body: Any) -> Iterator[Any]:
        yield StreamingChunk("Let me look.", tool_calls=[fragment(0, "call_1", "weather", '{"city": "Paris"}')])

    async with asgi_client(app_for(callback)) as client:
        frames = await chat_stream(client)
        _, final = await responses_stream(client)
    assert chat_text(frames) == "Let me look."
    assert frames[0]["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] == "weather"
    assert [item["type"] for item in final["output"]] == ["message", "function_call"]
    assert output_text(final) == "Let me look."
    assert final["output"][1]["arguments"] == '{"city": "Paris"}'


async def test_an_http_exception_mid_stream_keeps_its_code_in_both(asgi_client: Any) -> None:
    def callback(model: str, items: Any, body: Any) -> Iterator[Any]:
        yield "partial"
        raise OpenAIHTTPException(429, "Slow down", type="rate_limit_error", code="rate_limit_exceeded")

    async with asgi_client(app_for(callback)) as client:
        frames = await chat_stream(client)
        _, final = await responses_stream(client)
    error = frames[-1]["error"]
    assert (error["message"], error["type"], error["code"]) == ("Slow down", "rate_limit_error", "rate_limit_exceeded")
    assert final["status"] == "failed"
    assert final["error"] == {"code": "rate_limit_exceeded", "message": "Slow down"}


# Fragments of three calls: parallel calls by index (interleaved), then a call without index whose
# new id closes it when a fourth one starts, then a fragment without id or index continuing the last.
FRAGMENTS = [
    fragment(0, "call_a", "first", "{"),
    fragment(1, "call_b", "second", "{"),
    fragment(0, None, None, "}"),
    fragment(1, None, None, "}"),
    fragment(None, "call_c", "third", "["),
    fragment(None, "call_d", "fourth", "("),
    fragment(None, None, None, ")"),
]
EXPECTED_CALLS = [
    ("call_a", "first", "{}"),
    ("call_b", "second", "{}"),
    ("call_c", "third", "["),
    ("call_d", "fourth", "()"),
]


async def test_tool_call_fragments_are_grouped_by_the_same_rules_in_both(asgi_client: Any) -> None:
    def callback(model: str, items: Any, body: Any) -> Iterator[Any]:
        for piece in FRAGMENTS:
            yield StreamingChunk(tool_calls=[piece])

    async with asgi_client(app_for(callback)) as client:
        frames = await chat_stream(client)
        _, final = await responses_stream(client)
    calls: dict[int, list[Any]] = {}
    for frame in frames:
        for delta in (frame.get("choices") or [{}])[0].get("delta", {}).get("tool_calls") or []:
            call = calls.setdefault(delta["index"], [delta.get("id"), None, ""])
            call[1] = call[1] or delta["function"].get("name")
            call[2] += delta["function"].get("arguments", "")
    assert [tuple(calls[index]) for index in sorted(calls)] == EXPECTED_CALLS
    assert [(item["call_id"], item["name"], item["arguments"]) for item in final["output"]] == EXPECTED_CALLS


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("shape", ["text", "generator"])
async def test_the_stream_flag_decides_the_form_in_both(stream: bool, shape: str, asgi_client: Any) -> None:
    def callback(model: str, items: Any, body: Any) -> Any:
        return "Hello." if shape == "text" else iter(["Hel", "lo."])

    async with asgi_client(app_for(callback)) as client:
        chat = await client.post(CHAT, json={"model": "m", "messages": [], "stream": stream})
        responses = await client.post(RESPONSES, json={"model": "m", "input": "hi", "stream": stream})
    expected = "text/event-stream" if stream else "application/json"
    for answer in (chat, responses):
        assert answer.headers["content-type"].startswith(expected)
    if not stream:
        assert chat.json()["choices"][0]["message"]["content"] == "Hello."
        assert output_text(responses.json()) == "Hello."
