"""The OpenAI Agents SDK in Chat Completions mode, against the chat router under uvicorn."""

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import openai
import pytest
from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_core.testing import LiveServer, ReasoningContent, StreamingChunk, ToolCallDelta

agents = pytest.importorskip("agents")


def call(index: int, arguments: str, *, call_id: str | None = None, name: str | None = None) -> StreamingChunk:
    """A chunk carrying one Haystack-style tool-call fragment."""
    return StreamingChunk(tool_calls=[ToolCallDelta(index, tool_name=name, arguments=arguments, id=call_id)])


def run_completion(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> Iterator[Any]:
    if messages[-1]["role"] == "tool":
        yield from ["It is ", str(messages[-1]["content"]), " in Paris."]
        return
    if body.get("tools"):
        yield StreamingChunk(reasoning=ReasoningContent("I should call the weather tool."))
        yield call(0, "", call_id="call_w", name="get_weather")
        yield call(0, '{"city": "Paris"}')
        return
    yield from ["Hello", ", ", "world!"]


@pytest.fixture
async def chat_model(live_server: Callable[[Any], LiveServer]) -> AsyncIterator[Callable[[str], Any]]:
    agents.set_tracing_disabled(True)  # tracing would export to api.openai.com
    app = FastAPI()
    app.include_router(create_chat_completion_router(list_models=lambda: ["m"], run_completion=run_completion))
    async with openai.AsyncOpenAI(base_url=live_server(app).base_url, api_key="unused") as client:
        yield lambda name: agents.OpenAIChatCompletionsModel(model=name, openai_client=client)


async def test_agents_sdk_streams_a_text_turn(chat_model: Callable[[str], Any]) -> None:
    agent = agents.Agent(name="greeter", instructions="Greet.", model=chat_model("m"))
    result = agents.Runner.run_streamed(agent, "hi")
    async for _ in result.stream_events():
        pass
    assert result.final_output == "Hello, world!"


def text_of(item: Any) -> str:
    return "".join(getattr(part, "text", "") for part in getattr(item.raw_item, "content", []) or [])


async def test_agents_sdk_runs_a_tool_call_turn(chat_model: Callable[[str], Any]) -> None:
    called: list[str] = []

    @agents.function_tool
    def get_weather(city: str) -> str:
        """Return the weather in a city."""
        called.append(city)
        return "sunny"

    agent = agents.Agent(name="forecaster", instructions="Use the tool.", model=chat_model("m"), tools=[get_weather])
    result = agents.Runner.run_streamed(agent, "What is the weather in Paris?")
    async for _ in result.stream_events():
        pass
    assert called == ["Paris"]
    assert result.final_output == "It is sunny in Paris."
    # The streamed reasoning_content became a reasoning item before the call. (Agents SDK releases before
    # 0.20 also make an empty message item of the closing delta's `"content": ""`: left out here.)
    items = [item for item in result.new_items if not (item.type == "message_output_item" and not text_of(item))]
    assert [item.type for item in items] == [
        "reasoning_item",
        "tool_call_item",
        "tool_call_output_item",
        "message_output_item",
    ]
