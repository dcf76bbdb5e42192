"""Real clients against the Responses router under uvicorn: the `openai` SDK and the OpenAI Agents SDK."""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, get_args

import openai
import pytest
from fastapi import FastAPI
from openai.types.responses import Response as SDKResponse
from openai.types.responses import ResponseStreamEvent
from pydantic import BaseModel, TypeAdapter, ValidationError

from openai_compat_core.testing import FunctionCallChunk, LiveServer, ReasoningContent, StreamingChunk
from openai_compat_responses import create_responses_router
from openai_compat_responses.testing import check_events


def _event_classes() -> dict[str, type[BaseModel]]:
    union = get_args(ResponseStreamEvent)[0]
    return {get_args(cls.model_fields["type"].annotation)[0]: cls for cls in get_args(union)}


SDK_EVENTS = _event_classes()
SDK_EVENT_UNION: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)


def weather_turns(model: str, input_items: list[Any], body: dict[str, Any]) -> Iterator[Any]:
    """Answer with a function call first, then with text once the call's output comes back."""
    outputs = [item for item in input_items if item.get("type") == "function_call_output"]
    if not outputs:
        yield StreamingChunk(reasoning=ReasoningContent("The user wants the weather."))
        yield FunctionCallChunk("call_weather", "get_weather", '{"city":')
        yield FunctionCallChunk("call_weather", None, ' "Paris"}')
        return
    yield from ["It is ", str(outputs[-1]["output"]), " in Paris."]


async def async_words(model: str, input_items: list[Any], body: dict[str, Any]) -> AsyncIterator[str]:
    for word in ["Hello", ", ", "world", "!"]:
        await asyncio.sleep(0)
        yield word


def parallel_calls(model: str, input_items: list[Any], body: dict[str, Any]) -> Iterator[Any]:
    def delta(index: int, arguments: str, **first: str) -> StreamingChunk:
        function = {"arguments": arguments, **({"name": first["name"]} if first else {})}
        return StreamingChunk(
            tool_calls=[{"index": index, "function": function, **({"id": first["id"]} if first else {})}]
        )

    yield "Checking both."
    yield delta(0, '{"city":', id="call_0", name="get_weather")
    yield delta(1, '{"tz":', id="call_1", name="get_time")
    yield delta(0, '"Oslo"}')
    yield delta(1, '"CET"}')


def failing(model: str, input_items: list[Any], body: dict[str, Any]) -> Iterator[str]:
    yield "partial"
    raise RuntimeError("model crashed")


RUNS: dict[str, Callable[..., Any]] = {
    "weather": weather_turns,
    "words": async_words,
    "parallel": parallel_calls,
    "failing": failing,
}


def dispatch(model: str, input_items: list[Any], body: dict[str, Any]) -> Any:
    if model == "plain":
        return f"You said: {input_items[0]['content']}"
    return RUNS[model](model, input_items, body)


@pytest.fixture
def server(live_server: Callable[[Any], LiveServer]) -> LiveServer:
    app = FastAPI()
    app.include_router(
        create_responses_router(list_models=lambda: ["plain", *RUNS], run_response=dispatch, validate_model=True)
    )
    return live_server(app)


@pytest.fixture
def client(server: LiveServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key="unused") as sync_client:
        yield sync_client


@pytest.fixture
async def async_client(server: LiveServer) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="unused", max_retries=0) as client:
        yield client


def validate(event: Any) -> None:
    """Validate an event the SDK parsed leniently against its own types (sequence_number is required there).

    The SDK builds stream events without validating them; `to_dict()` gives back what the server sent.
    """
    data = event.to_dict()
    assert type(SDK_EVENT_UNION.validate_python(data)) is SDK_EVENTS[event.type]
    SDK_EVENTS[event.type].model_validate(data)


def test_the_sdk_types_require_sequence_number_and_logprobs() -> None:
    delta = {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0}
    SDK_EVENTS[delta["type"]].model_validate({**delta, "delta": "x", "logprobs": [], "sequence_number": 0})
    for missing in ("sequence_number", "logprobs"):
        complete = {**delta, "delta": "x", "logprobs": [], "sequence_number": 0}
        del complete[missing]
        with pytest.raises(ValidationError):
            SDK_EVENTS[delta["type"]].model_validate(complete)


def check_stream(events: list[Any]) -> SDKResponse:
    for event in events:
        validate(event)
    check_events([(event.type, event.to_dict()) for event in events])
    assert [event.sequence_number for event in events] == list(range(len(events)))
    terminal = events[-1]
    assert terminal.type in ("response.completed", "response.failed", "response.incomplete")
    response: SDKResponse = terminal.response
    return response


def test_plain_create(client: openai.OpenAI) -> None:
    raw = client.responses.with_raw_response.create(
        model="plain", input="hi", instructions="Be brief.", temperature=0.4
    )
    SDKResponse.model_validate(raw.http_response.json())
    response = raw.parse()
    assert response.output_text == "You said: hi"
    assert response.status == "completed"
    assert response.instructions == "Be brief."
    assert response.temperature == 0.4
    assert response.id.startswith("resp_")


async def test_plain_create_async(async_client: openai.AsyncOpenAI) -> None:
    client = async_client
    response = await client.responses.create(model="plain", input="hello")
    assert response.output_text == "You said: hello"


@pytest.mark.parametrize("model", ["words", "plain"])
def test_streamed_create(model: str, client: openai.OpenAI) -> None:
    events = list(client.responses.create(model=model, input="hi", stream=True, metadata={"run": "1"}))
    final = check_stream(events)
    deltas = "".join(event.delta for event in events if event.type == "response.output_text.delta")
    assert final.output_text == deltas
    assert final.status == "completed"
    assert final.metadata == {"run": "1"}
    assert events[0].type == "response.created"


async def test_streamed_create_async_with_function_calls(async_client: openai.AsyncOpenAI) -> None:
    client = async_client
    stream = await client.responses.create(model="weather", input="Weather?", stream=True)
    events = [event async for event in stream]
    final = check_stream(events)
    assert [item.type for item in final.output] == ["reasoning", "function_call"]
    call = final.output[1]
    assert call.type == "function_call"
    assert (call.call_id, call.name, call.arguments) == ("call_weather", "get_weather", '{"city": "Paris"}')
    done = next(event for event in events if event.type == "response.function_call_arguments.done")
    assert done.to_dict()["name"] == "get_weather"


@pytest.mark.parametrize("model", ["words", "weather", "parallel"])
def test_stream_helper_and_final_response(model: str, client: openai.OpenAI) -> None:
    with client.responses.stream(model=model, input="hi") as stream:
        events = list(stream)
        final = stream.get_final_response()
    assert final.status == "completed"
    assert [event.sequence_number for event in events] == list(range(len(events)))
    if model == "parallel":
        assert final.output_text == "Checking both."
        calls = [(item.call_id, item.name, item.arguments) for item in final.output if item.type == "function_call"]
        assert calls == [("call_0", "get_weather", '{"city":"Oslo"}'), ("call_1", "get_time", '{"tz":"CET"}')]
        assert [item.type for item in final.output] == ["message", "function_call", "function_call"]


async def test_async_stream_helper(async_client: openai.AsyncOpenAI) -> None:
    client = async_client
    async with client.responses.stream(model="words", input="hi") as stream:
        text = "".join([event.delta async for event in stream if event.type == "response.output_text.delta"])
        final = await stream.get_final_response()
    assert text == final.output_text == "Hello, world!"


def test_a_failure_mid_stream_is_a_response_failed_event(client: openai.OpenAI) -> None:
    events = list(client.responses.create(model="failing", input="hi", stream=True))
    final = check_stream(events)
    assert [event.type for event in events].count("response.failed") == 1
    assert final.status == "failed"
    assert final.error is not None
    assert final.error.code == "server_error"
    assert final.error.message == "Pipeline execution failed: model crashed"


def test_unknown_models_are_404_with_validate_model(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as error:
        client.responses.create(model="nope", input="hi")
    assert error.value.code == "model_not_found"


def test_a_failing_callback_is_not_retried(live_server: Callable[[Any], LiveServer]) -> None:
    calls: list[str] = []

    def run(model: str, input_items: list[Any], body: dict[str, Any]) -> str:
        calls.append(model)
        raise RuntimeError("broken")

    app = FastAPI()
    app.include_router(create_responses_router(list_models=lambda: ["m"], run_response=run))
    with (
        openai.OpenAI(base_url=live_server(app).base_url, api_key="unused") as client,
        pytest.raises(openai.InternalServerError) as error,
    ):
        client.responses.create(model="m", input="hi")
    assert error.value.type == "server_error"
    assert error.value.body == {
        "message": "Pipeline execution failed: broken",
        "type": "server_error",
        "param": None,
        "code": None,
    }
    assert calls == ["m"]


# --- the OpenAI Agents SDK ------------------------------------------------------------------------

agents = pytest.importorskip("agents")


@pytest.fixture
def agents_client(async_client: openai.AsyncOpenAI) -> openai.AsyncOpenAI:
    agents.set_tracing_disabled(True)  # tracing would export to api.openai.com
    return async_client


async def run_agent(agent: Any, prompt: str) -> tuple[Any, list[Any]]:
    result = agents.Runner.run_streamed(agent, prompt)
    raw = [event.data async for event in result.stream_events() if event.type == "raw_response_event"]
    return result, raw


async def test_agents_sdk_streams_a_text_turn(agents_client: openai.AsyncOpenAI) -> None:
    model = agents.OpenAIResponsesModel(model="words", openai_client=agents_client)
    agent = agents.Agent(name="greeter", instructions="Greet.", model=model)
    result, raw = await run_agent(agent, "hi")
    assert result.final_output == "Hello, world!"
    for event in raw:
        validate(event)
    assert raw[-1].type == "response.completed"


async def test_agents_sdk_runs_a_function_call_turn(agents_client: openai.AsyncOpenAI) -> None:
    called: list[str] = []

    @agents.function_tool
    def get_weather(city: str) -> str:
        """Return the weather in a city."""
        called.append(city)
        return "sunny"

    model = agents.OpenAIResponsesModel(model="weather", openai_client=agents_client)
    agent = agents.Agent(name="forecaster", instructions="Use the tool.", model=model, tools=[get_weather])
    result, raw = await run_agent(agent, "What is the weather in Paris?")
    assert called == ["Paris"]
    assert result.final_output == "It is sunny in Paris."
    for event in raw:
        validate(event)
    # Two model turns, each ending with exactly one response.completed.
    assert [event.type for event in raw].count("response.completed") == 2
    item_types = [item.type for item in result.new_items]
    assert "tool_call_item" in item_types
    assert "tool_call_output_item" in item_types
