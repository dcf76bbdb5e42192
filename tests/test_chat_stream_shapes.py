"""Every shape of chat stream the router sends parses with 1.x's `ChatCompletion` and with the SDK's chunk type.

Consumers written against 1.x (Hayhooks among them) parse each streamed chunk with
`fastapi_openai_compat.ChatCompletion`, whose `Message.role` is required: every delta carries
`"role": "assistant"`, a delta with tool calls or reasoning but no text carries `"content": null`,
and the finish chunk the router adds has the delta `{"role": "assistant", "content": ""}`.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openai.types.chat import ChatCompletionChunk

from fastapi_openai_compat import ChatCompletion, Choice, Message, create_chat_completion_router

ROLE = {"role": "assistant"}


class Chunk:
    """A Haystack-like StreamingChunk (content, tool_calls, reasoning, finish_reason, meta)."""

    def __init__(
        self,
        content: str = "",
        *,
        tool_calls: list[Any] | None = None,
        reasoning: str | None = None,
        finish_reason: str | None = None,
        usage: dict[str, int] | None = None,
    ) -> None:
        self.content = content
        self.tool_calls = tool_calls
        self.reasoning = reasoning
        self.finish_reason = finish_reason
        self.meta = {"usage": usage} if usage else {}


class Delta:
    """A Haystack-like ToolCallDelta."""

    def __init__(self, index: int, *, id: str | None = None, name: str | None = None, arguments: str = "") -> None:  # noqa: A002
        self.index = index
        self.id = id
        self.tool_name = name
        self.arguments = arguments


class FunctionCall:
    """The `function_call_id` chunk shape."""

    def __init__(self, call_id: str, name: str | None, arguments: str) -> None:
        self.function_call_id = call_id
        self.function_call_name = name
        self.function_call_arguments = arguments


class Status:
    def to_event_dict(self) -> dict[str, Any]:
        return {"type": "status", "data": {"description": "working"}}


def completion_chunk(delta: Message, finish: str | None = None) -> ChatCompletion:
    return ChatCompletion(
        id="x",
        object="chat.completion.chunk",
        created=1,
        model="m",
        choices=[Choice(index=0, delta=delta, finish_reason=finish)],
    )


def broken() -> Iterator[Any]:
    yield "partial"
    raise RuntimeError("boom")


async def async_text() -> AsyncIterator[str]:
    for piece in ["async ", "text"]:
        await asyncio.sleep(0)
        yield piece


CALL = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": ""}}

SCENARIOS: dict[str, Callable[[], Any]] = {
    "text": lambda: iter(["Hel", "lo"]),
    "async text": async_text,
    "text with its finish reason": lambda: iter([Chunk("Hel"), Chunk("lo"), Chunk("", finish_reason="length")]),
    "text chunks without text": lambda: iter([Chunk(""), Chunk("hi"), Chunk("")]),
    "reasoning then text": lambda: iter([Chunk(reasoning="Let me think."), Chunk(reasoning=" Done."), "Answer."]),
    "reasoning then a tool call": lambda: iter(
        [Chunk(reasoning="Weather?"), Chunk(tool_calls=[Delta(0, id="c1", name="weather", arguments="{}")])]
    ),
    "one tool call": lambda: iter(
        [
            Chunk(tool_calls=[Delta(0, id="c1", name="weather")]),
            Chunk(tool_calls=[Delta(0, arguments='{"city":')]),
            Chunk(tool_calls=[Delta(0, arguments='"Paris"}')]),
        ]
    ),
    "parallel tool calls": lambda: iter(
        [
            Chunk(tool_calls=[Delta(0, id="c1", name="a", arguments="{")]),
            Chunk(tool_calls=[Delta(1, id="c2", name="b", arguments="{")]),
            Chunk(tool_calls=[Delta(0, arguments="}")]),
            Chunk(tool_calls=[Delta(1, arguments="}")]),
            Chunk(finish_reason="tool_calls"),
        ]
    ),
    "text beside a tool call": lambda: iter(
        ["Let me look.", Chunk("Calling.", tool_calls=[Delta(0, id="c1", name="f")])]
    ),
    "function_call_id chunks": lambda: iter([FunctionCall("call_1", "f", '{"a":'), FunctionCall("call_1", None, "1}")]),
    "ChatCompletion chunks": lambda: iter(
        [
            completion_chunk(Message(role="assistant", content="hi")),
            completion_chunk(Message(role="assistant", tool_calls=[CALL])),
            completion_chunk(Message(role="assistant", reasoning_content="hmm")),
        ]
    ),
    "usage chunk": lambda: iter(["a", Chunk(usage={"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4})]),
    "custom events": lambda: iter([Status(), "a", Status()]),
    "custom events alone": lambda: iter([Status()]),
    "nothing": lambda: iter([]),
    "a str result": lambda: "whole answer",
    "a ChatCompletion result": lambda: ChatCompletion(
        id="x",
        object="chat.completion",
        created=1,
        model="m",
        choices=[Choice(index=0, message=Message(role="assistant", content="whole"), finish_reason="stop")],
    ),
    "a failure mid-stream": broken,
}


def make_app(**options: Any) -> FastAPI:
    def run(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> Any:
        return SCENARIOS[model]()

    app = FastAPI()
    app.include_router(
        create_chat_completion_router(list_models=lambda: list(SCENARIOS), run_completion=run, **options)
    )
    return app


def choice_chunks_of(lines: list[str]) -> list[dict[str, Any]]:
    chunks = [json.loads(line[len("data: ") :]) for line in lines if line.startswith("data: {")]
    return [chunk for chunk in chunks if chunk.get("choices")]


async def stream_lines(app: FastAPI, model: str) -> list[str]:
    body = {
        "model": model,
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    return [block for block in response.text.split("\n\n") if block]


@pytest.mark.parametrize("model", list(SCENARIOS))
async def test_every_chunk_parses_with_chatcompletion_and_the_sdk_chunk_type(model: str) -> None:
    lines = await stream_lines(make_app(), model)
    assert lines.pop() == "data:[DONE]"
    chunks = [json.loads(line.removeprefix("data:").removeprefix(" ")) for line in lines]
    choice_chunks = []
    for chunk in chunks:
        if "event" in chunk or "error" in chunk:
            continue  # side-channel and error frames are not chunks
        ChatCompletion.model_validate(chunk)
        ChatCompletionChunk.model_validate(chunk)
        if chunk["choices"]:
            choice_chunks.append(chunk)
        else:
            assert chunk["usage"] is not None  # the include_usage chunk
    for chunk in choice_chunks:
        delta = chunk["choices"][0]["delta"]
        assert delta["role"] == "assistant", delta
        if (delta.get("tool_calls") or delta.get("reasoning_content")) and not delta.get("content"):
            assert "content" in delta
            assert delta["content"] is None, delta
    if model == "a failure mid-stream":
        assert chunks[-1]["error"]["message"] == "Pipeline execution failed: boom"
    else:
        assert choice_chunks[-1]["choices"][0]["finish_reason"] is not None


@pytest.mark.parametrize(
    ("model", "closing"),
    [
        ("text", {**ROLE, "content": ""}),
        ("one tool call", {**ROLE, "content": ""}),
        ("custom events alone", {**ROLE, "content": ""}),
        ("nothing", {**ROLE, "content": ""}),
        # After reasoning, every delta says it carries none, as DeepSeek's API (and 1.x) do.
        ("reasoning then text", {**ROLE, "content": "", "reasoning_content": None}),
    ],
)
async def test_the_finish_chunk_the_router_adds(model: str, closing: dict[str, Any]) -> None:
    lines = await stream_lines(make_app(), model)
    finish = [chunk for chunk in choice_chunks_of(lines) if chunk["choices"][0]["finish_reason"]]
    assert len(finish) == 1
    assert finish[0]["choices"][0]["delta"] == closing


async def test_a_chunk_without_text_gives_a_frame_as_in_1x() -> None:
    # Haystack generators yield such chunks (a first one with the role, a last one with usage);
    # code written against 1.4.0 counts and indexes the frames they gave.
    lines = await stream_lines(make_app(), "text chunks without text")
    deltas = [chunk["choices"][0]["delta"] for chunk in choice_chunks_of(lines)]
    assert deltas == [
        {**ROLE, "content": ""},
        {**ROLE, "content": "hi"},
        {**ROLE, "content": ""},
        {**ROLE, "content": ""},
    ]


async def test_deltas_of_each_kind() -> None:
    app = make_app()
    lines = await stream_lines(app, "reasoning then a tool call")
    deltas = [chunk["choices"][0]["delta"] for chunk in choice_chunks_of(lines)]
    assert deltas[0] == {**ROLE, "content": None, "reasoning_content": "Weather?"}
    assert deltas[1] == {
        **ROLE,
        "content": None,
        "reasoning_content": None,
        "tool_calls": [
            {"index": 0, "id": "c1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}
        ],
    }
    lines = await stream_lines(app, "text beside a tool call")
    deltas = [chunk["choices"][0]["delta"] for chunk in choice_chunks_of(lines)]
    assert deltas[1]["content"] == "Calling."
    assert deltas[1]["tool_calls"][0]["function"]["name"] == "f"


@pytest.mark.parametrize("model", ["text", "one tool call", "a failure mid-stream"])
async def test_done_frame_false_gives_the_1x_stream_end(model: str) -> None:
    lines = await stream_lines(make_app(done_frame=False), model)
    assert all(line.startswith("data: {") for line in lines)  # every line parses the 1.x way
    assert not any("[DONE]" in line for line in lines)


async def test_the_done_frame_is_on_by_default_and_after_an_error_frame() -> None:
    lines = await stream_lines(make_app(), "a failure mid-stream")
    assert json.loads(lines[-2][len("data: ") :])["error"]["type"] == "server_error"
    assert lines[-1] == "data:[DONE]"
    lines = await stream_lines(make_app(openai_done_frame=True), "text")
    assert lines[-1] == "data: [DONE]"
