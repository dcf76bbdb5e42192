"""Haystack's streaming chunks (text, tool-call deltas, reasoning, usage) through the router."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

haystack = pytest.importorskip("haystack")

from haystack.dataclasses import ReasoningContent, StreamingChunk, ToolCallDelta  # noqa: E402

from openai_compat_responses import create_responses_router  # noqa: E402


def app_streaming(chunks: list[Any]) -> FastAPI:
    def run(model: str, items: Any, body: Any) -> Iterator[Any]:
        yield from chunks

    app = FastAPI()
    app.include_router(create_responses_router(list_models=lambda: ["m"], run_response=run))
    return app


async def test_haystack_chunks(asgi_client: Any, stream_reader: Any) -> None:
    chunks = [
        StreamingChunk(content="", reasoning=ReasoningContent(reasoning_text="Check the weather."), index=0),
        StreamingChunk(content="", index=1, tool_calls=[ToolCallDelta(index=0, id="call_a", tool_name="weather")]),
        StreamingChunk(content="", index=1, tool_calls=[ToolCallDelta(index=1, id="call_b", tool_name="time")]),
        StreamingChunk(content="", index=1, tool_calls=[ToolCallDelta(index=0, arguments='{"city": "Rome"}')]),
        StreamingChunk(content="", index=1, tool_calls=[ToolCallDelta(index=1, arguments='{"tz": "CET"}')]),
        StreamingChunk(content="Calling tools.", index=2),
        StreamingChunk(
            content="",
            finish_reason="tool_calls",
            meta={"usage": {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14}},
        ),
    ]
    async with asgi_client(app_streaming(chunks)) as client:
        response = await client.post("/v1/responses", json={"model": "m", "input": "hi", "stream": True})
    _, final = stream_reader(response.text)
    reasoning, weather, time, message = final["output"]
    assert reasoning["summary"][0]["text"] == "Check the weather."
    assert (weather["call_id"], weather["name"], weather["arguments"]) == ("call_a", "weather", '{"city": "Rome"}')
    assert (time["call_id"], time["name"], time["arguments"]) == ("call_b", "time", '{"tz": "CET"}')
    assert message["content"][0]["text"] == "Calling tools."
    assert final["usage"]["total_tokens"] == 14
    assert final["status"] == "completed"


async def test_haystack_length_finish_reason_is_incomplete(asgi_client: Any, stream_reader: Any) -> None:
    chunks = [StreamingChunk(content="Cut sho"), StreamingChunk(content="", finish_reason="length")]
    async with asgi_client(app_streaming(chunks)) as client:
        response = await client.post("/v1/responses", json={"model": "m", "input": "hi", "stream": True})
    events, final = stream_reader(response.text)
    assert events[-1][0] == "response.incomplete"
    assert final["incomplete_details"] == {"reason": "max_output_tokens"}
