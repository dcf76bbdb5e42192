"""The 1.x streaming helpers: same signatures, return types and framing as 1.x (no `[DONE]` unless asked)."""

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.responses import StreamingResponse

from openai_compat_chat import (
    ChatCompletion,
    chat_completion_response,
    create_async_streaming_response,
    create_sse_data_msg,
    create_sync_streaming_response,
    event_to_sse_msg,
    new_completion_id,
)
from openai_compat_core import EventStreamResponse


def words() -> Iterator[str]:
    yield from ["a", "b"]


async def async_words() -> AsyncIterator[str]:
    for word in ["a", "b"]:
        await asyncio.sleep(0)
        yield word


def test_create_sse_data_msg_is_one_chunk_frame() -> None:
    frame = create_sse_data_msg("id-1", "m", "hi", created=7)
    assert isinstance(frame, str)
    assert frame.startswith("data: ")
    assert frame.endswith("\n\n")
    assert json.loads(frame[len("data: ") :]) == {
        "id": "id-1",
        "object": "chat.completion.chunk",
        "created": 7,
        "model": "m",
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": "hi"}, "logprobs": None, "finish_reason": None}
        ],
    }


def test_create_sse_data_msg_defaults() -> None:
    payload = json.loads(create_sse_data_msg("id-1", "m", finish_reason="stop")[len("data: ") :])
    assert payload["choices"][0]["delta"]["content"] == ""
    assert payload["choices"][0]["finish_reason"] == "stop"
    assert isinstance(payload["created"], int)


def test_event_to_sse_msg() -> None:
    frame = event_to_sse_msg({"type": "status", "data": {"done": True}})
    assert isinstance(frame, str)
    assert frame.endswith("\n\n")
    assert json.loads(frame[len("data: ") :]) == {"event": {"type": "status", "data": {"done": True}}}


def test_chat_completion_response() -> None:
    completion = chat_completion_response("hello", "id-2", "m")
    assert isinstance(completion, ChatCompletion)
    assert completion.object == "chat.completion"
    assert completion.choices[0].message is not None
    assert completion.choices[0].message.content == "hello"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].logprobs is None


def test_new_completion_id() -> None:
    first, second = new_completion_id(), new_completion_id()
    assert first != second
    assert first.startswith("chatcmpl-")
    assert len(first) == 41


async def collect(response: StreamingResponse) -> list[Any]:
    return [frame async for frame in response.body_iterator]


async def test_sync_helper_returns_the_streaming_response_and_str_frames() -> None:
    response = create_sync_streaming_response(words(), "id-3", "m")
    assert isinstance(response, EventStreamResponse)
    assert isinstance(response, StreamingResponse)
    assert response.media_type == "text/event-stream"
    frames = await collect(response)
    assert all(isinstance(frame, str) and frame.endswith("\n\n") for frame in frames)
    chunks = [json.loads(frame[len("data: ") :]) for frame in frames]
    assert [c["choices"][0]["delta"] for c in chunks] == [
        {"role": "assistant", "content": "a"},
        {"role": "assistant", "content": "b"},
        {"role": "assistant", "content": ""},
    ]
    assert {c["id"] for c in chunks} == {"id-3"}
    assert len({c["created"] for c in chunks}) == 1


async def test_async_helper_with_a_chunk_mapper_and_openai_done_frame() -> None:
    async def payloads() -> AsyncIterator[dict[str, str]]:
        for word in ["a", "b"]:
            await asyncio.sleep(0)
            yield {"payload": word}

    mapper = lambda chunk: chunk["payload"].upper()  # noqa: E731
    response = create_async_streaming_response(payloads(), "id-4", "m", mapper, openai_done_frame=True)
    assert isinstance(response, EventStreamResponse)
    frames = await collect(response)
    assert frames[-1] == "data: [DONE]\n\n"
    chunks = [json.loads(frame[len("data: ") :]) for frame in frames[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "AB"


async def test_helpers_serve_from_an_endpoint() -> None:
    app = FastAPI()

    @app.get("/sync")
    def sync_stream() -> StreamingResponse:
        return create_sync_streaming_response(words(), "id-5", "m", include_usage=True)

    @app.get("/async")
    def async_stream() -> StreamingResponse:
        return create_async_streaming_response(async_words(), "id-6", "m")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        sync_text = (await client.get("/sync")).text
        async_text = (await client.get("/async")).text
    sync_chunks = [json.loads(b[len("data: ") :]) for b in sync_text.split("\n\n") if b.startswith("data: ")]
    assert sync_chunks[-1]["choices"] == []
    assert all("usage" in c for c in sync_chunks)
    assert "DONE" not in sync_text
    assert "DONE" not in async_text
