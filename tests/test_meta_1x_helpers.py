"""The 1.x low-level stream helpers, frame by frame, as code written against 1.4.0 calls and tests them.

They keep 1.x framing (no `[DONE]` unless asked, no finish chunk after custom events alone, a chunk
without text still gives a frame, a yielded `Response` passed through as given); the routers add to it.
"""

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openai.types.chat import ChatCompletionChunk
from openai.types.responses import Response as SDKResponse
from starlette.responses import StreamingResponse

from fastapi_openai_compat import ChatCompletion
from fastapi_openai_compat.chat_completions.streaming import (
    create_async_streaming_response,
    create_sync_streaming_response,
)
from fastapi_openai_compat.responses.models import Response
from fastapi_openai_compat.responses.streaming import (
    create_async_responses_streaming_response,
    create_responses_streaming_response,
)
from openai_compat_responses.testing import check_events, parse_events


class Status:
    def __init__(self, text: str) -> None:
        self.text = text

    def to_event_dict(self) -> dict[str, Any]:
        return {"type": "status", "data": {"description": self.text}}


class Chunk:
    """A Haystack-like StreamingChunk."""

    def __init__(self, content: str = "", finish_reason: str | None = None) -> None:
        self.content = content
        self.finish_reason = finish_reason


def chat_helper(kind: str, chunks: list[Any], **options: Any) -> StreamingResponse:
    if kind == "sync":
        return create_sync_streaming_response(iter(chunks), "r-1", "m", **options)

    async def agen() -> AsyncIterator[Any]:
        for chunk in chunks:
            yield chunk

    return create_async_streaming_response(agen(), "r-1", "m", **options)


async def frames_of(response: StreamingResponse) -> list[str]:
    return [frame async for frame in response.body_iterator]  # type: ignore[misc]


def payloads(frames: list[str]) -> list[dict[str, Any]]:
    """Each frame parsed the 1.x way: everything after `data: ` is JSON."""
    return [json.loads(frame[len("data: ") :]) for frame in frames]


# --- chat ---------------------------------------------------------------------------------------

KINDS = ["sync", "async"]


@pytest.mark.parametrize("kind", KINDS)
async def test_no_done_frame_from_the_chat_helpers(kind: str) -> None:
    frames = await frames_of(chat_helper(kind, ["Hello ", "world"]))
    assert len(frames) == 3  # two text chunks and the finish chunk, as in 1.4.0
    chunks = payloads(frames)  # would fail on a `[DONE]` frame
    assert [c["choices"][0]["delta"] for c in chunks] == [
        {"role": "assistant", "content": "Hello "},
        {"role": "assistant", "content": "world"},
        {"role": "assistant", "content": ""},
    ]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    for chunk in chunks:
        ChatCompletion.model_validate(chunk)
        ChatCompletionChunk.model_validate(chunk)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("options", "last"),
    [({"done_frame": True}, "data:[DONE]\n\n"), ({"openai_done_frame": True}, "data: [DONE]\n\n")],
)
async def test_the_done_frame_on_request(kind: str, options: dict[str, Any], last: str) -> None:
    frames = await frames_of(chat_helper(kind, ["Hello"], **options))
    assert frames[-1] == last
    assert len(frames) == 3


@pytest.mark.parametrize("kind", KINDS)
async def test_custom_events_alone_get_no_finish_chunk(kind: str) -> None:
    frames = await frames_of(chat_helper(kind, [Status("start"), Status("end")]))
    assert payloads(frames) == [
        {"event": {"type": "status", "data": {"description": "start"}}},
        {"event": {"type": "status", "data": {"description": "end"}}},
    ]


@pytest.mark.parametrize("kind", KINDS)
async def test_an_empty_generator_gives_an_empty_stream(kind: str) -> None:
    assert await frames_of(chat_helper(kind, [])) == []


@pytest.mark.parametrize("kind", KINDS)
async def test_a_chunk_without_text_still_gives_a_frame(kind: str) -> None:
    # Haystack generators often yield a first chunk without text; 1.4.0 sent a frame for it.
    frames = await frames_of(chat_helper(kind, [Chunk(""), Chunk("hi"), Chunk("", finish_reason="length")]))
    chunks = payloads(frames)
    assert [c["choices"][0]["delta"]["content"] for c in chunks] == ["", "hi", ""]
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None, None, "length"]


@pytest.mark.parametrize("kind", KINDS)
async def test_a_failure_mid_stream_is_an_error_frame_without_done(kind: str) -> None:
    def broken() -> Iterator[str]:
        yield "partial"
        raise RuntimeError("boom")

    async def abroken() -> AsyncIterator[str]:
        yield "partial"
        raise RuntimeError("boom")

    if kind == "sync":
        response = create_sync_streaming_response(broken(), "r-1", "m")
    else:
        response = create_async_streaming_response(abroken(), "r-1", "m")
    chunks = payloads(await frames_of(response))
    assert chunks[-1] == {
        "error": {"message": "Pipeline execution failed: boom", "type": "server_error", "param": None, "code": None}
    }
    assert len(chunks) == 2


async def test_a_helper_in_a_route_of_ones_own_sends_no_done_frame() -> None:
    app = FastAPI()

    @app.get("/stream")
    def stream() -> StreamingResponse:
        return create_sync_streaming_response(iter(["a", Status("x"), "b"]), "r-1", "m")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        body = (await client.get("/stream")).text
    blocks = [block for block in body.split("\n\n") if block]
    assert len(blocks) == 4
    assert all(block.startswith("data: {") for block in blocks)


# --- responses ----------------------------------------------------------------------------------

USER_ITEM = {
    "id": "msg_user",
    "type": "message",
    "role": "assistant",
    "content": [{"type": "output_text", "text": "Final."}],
}


def user_response() -> Response:
    return Response(
        id="resp_passthrough",
        created_at=1234,
        model="user-model",
        output=[USER_ITEM],
        metadata={"set": "by the user"},
        temperature=0.3,
    )


def responses_helper(kind: str, chunks: list[Any]) -> StreamingResponse:
    if kind == "sync":
        return create_responses_streaming_response(iter(chunks), "resp_1", "m")

    async def agen() -> AsyncIterator[Any]:
        for chunk in chunks:
            yield chunk

    return create_async_responses_streaming_response(agen(), "resp_1", "m")


@pytest.mark.parametrize("kind", KINDS)
async def test_a_yielded_response_reaches_response_completed_as_given(kind: str) -> None:
    frames = await frames_of(responses_helper(kind, [user_response()]))
    events = parse_events("".join(frames))
    # As in 1.4.0: the object alone ends the stream, no item events for what it holds.
    assert [name for name, _ in events] == ["response.created", "response.in_progress", "response.completed"]
    final = check_events(events, complete_output=False)
    assert events[0][1]["response"]["id"] == "resp_1"
    # What the user set, unchanged.
    assert (final["id"], final["created_at"], final["model"]) == ("resp_passthrough", 1234, "user-model")
    assert final["metadata"] == {"set": "by the user"}
    assert final["temperature"] == 0.3
    # What the user left unset, filled: the Response's own defaults and the keys the wire requires.
    assert final["tools"] == []
    assert final["parallel_tool_calls"] is True
    assert isinstance(final["completed_at"], int)
    assert final["output"] == [
        {
            "id": "msg_user",
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Final.", "annotations": [], "logprobs": []}],
        }
    ]
    SDKResponse.model_validate(final)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_response_after_text_closes_the_text_and_keeps_its_own_id(kind: str) -> None:
    frames = await frames_of(responses_helper(kind, ["Hi", user_response(), "never sent"]))
    events = parse_events("".join(frames))
    final = check_events(events, complete_output=False)
    assert final["id"] == "resp_passthrough"
    assert [item["id"] for item in final["output"]] == ["msg_user"]
    assert "never sent" not in "".join(frames)
