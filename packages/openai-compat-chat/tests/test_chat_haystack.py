"""Haystack `StreamingChunk` streams (text, tool calls, reasoning, usage) through the chat router.

Skipped only when haystack-ai is not installed. Haystack 3.x requires `index=` on a chunk that
carries tool calls or reasoning; the same code runs with haystack 3.3 (Python 3.10) and 3.4+.
"""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router

pytest.importorskip("haystack")

from haystack.dataclasses import ReasoningContent, StreamingChunk
from haystack.dataclasses.streaming_chunk import ToolCallDelta


async def stream_of(chunks: list[Any], **body: Any) -> list[Any]:
    def run(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> Iterator[Any]:
        return iter(chunks)

    app = FastAPI()
    app.include_router(create_chat_completion_router(list_models=lambda: ["m"], run_completion=run))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.post(
            "/v1/chat/completions", json={"model": "m", "messages": [], "stream": True, **body}
        )
    out: list[Any] = []
    for block in response.text.split("\n\n"):
        if block:
            value = block.removeprefix("data:").removeprefix(" ")
            out.append(value if value == "[DONE]" else json.loads(value))
    return out


def deltas(frames: list[Any]) -> list[dict[str, Any]]:
    return [f["choices"][0]["delta"] for f in frames if isinstance(f, dict) and f.get("choices")]


async def test_text_chunks_and_their_finish_reason() -> None:
    frames = await stream_of(
        [StreamingChunk(content="Hel"), StreamingChunk(content="lo"), StreamingChunk(content="", finish_reason="stop")]
    )
    assert deltas(frames) == [
        {"role": "assistant", "content": "Hel"},
        {"role": "assistant", "content": "lo"},
        {"role": "assistant", "content": ""},
    ]
    assert [f["choices"][0]["finish_reason"] for f in frames[:-1]] == [None, None, "stop"]
    assert frames[-1] == "[DONE]"


async def test_reasoning_then_text() -> None:
    frames = await stream_of(
        [
            StreamingChunk(content="", reasoning=ReasoningContent(reasoning_text="Let me think."), index=0),
            StreamingChunk(content="", reasoning=ReasoningContent(reasoning_text=" Done."), index=0),
            StreamingChunk(content="Answer", index=1),
        ]
    )
    assert deltas(frames) == [
        {"role": "assistant", "content": None, "reasoning_content": "Let me think."},
        {"role": "assistant", "content": None, "reasoning_content": " Done."},
        {"role": "assistant", "content": "Answer", "reasoning_content": None},
        {"role": "assistant", "content": "", "reasoning_content": None},
    ]
    assert frames[-2]["choices"][0]["finish_reason"] == "stop"


async def test_interleaved_tool_calls_usage_and_tool_calls_finish() -> None:
    usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    frames = await stream_of(
        [
            StreamingChunk(content="", index=0, tool_calls=[ToolCallDelta(index=0, id="call_a", tool_name="weather")]),
            StreamingChunk(content="", index=1, tool_calls=[ToolCallDelta(index=1, id="call_b", tool_name="time")]),
            StreamingChunk(content="", index=0, tool_calls=[ToolCallDelta(index=0, arguments='{"city": "Paris"}')]),
            StreamingChunk(content="", index=1, tool_calls=[ToolCallDelta(index=1, arguments='{"tz": "CET"}')]),
            StreamingChunk(content="", meta={"usage": usage}),
        ],
        stream_options={"include_usage": True},
    )
    calls = [d["tool_calls"][0] for d in deltas(frames) if "tool_calls" in d]
    assert calls == [
        {"index": 0, "id": "call_a", "type": "function", "function": {"name": "weather", "arguments": ""}},
        {"index": 1, "id": "call_b", "type": "function", "function": {"name": "time", "arguments": ""}},
        {"index": 0, "function": {"arguments": '{"city": "Paris"}'}},
        {"index": 1, "function": {"arguments": '{"tz": "CET"}'}},
    ]
    choice_frames = [f for f in frames if isinstance(f, dict) and f["choices"]]
    assert choice_frames[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert frames[-2]["choices"] == []
    assert frames[-2]["usage"] == usage


async def test_explicit_tool_calls_finish_reason_is_kept() -> None:
    frames = await stream_of(
        [
            StreamingChunk(
                content="",
                index=0,
                tool_calls=[ToolCallDelta(index=0, id="call_1", tool_name="f", arguments="{}")],
            ),
            StreamingChunk(content="", finish_reason="tool_calls"),
        ]
    )
    finishes = [f["choices"][0]["finish_reason"] for f in frames if isinstance(f, dict) and f["choices"]]
    assert finishes == [None, "tool_calls"]
