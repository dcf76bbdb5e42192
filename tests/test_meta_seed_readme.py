"""Every Python example of the 1.1.0 README, pasted unchanged, still works against the meta package.

Each snippet lives in `tests/seed_examples/<name>.py` (verbatim, plus the least code it needs around
it). Here each is served under uvicorn and driven with the official `openai` SDK; every streamed
chunk or event is validated against the SDK's own pydantic types.
"""

import importlib.util
import json
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, get_args

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletion as SDKChatCompletion
from openai.types.chat import ChatCompletionChunk
from openai.types.responses import Response as SDKResponse
from openai.types.responses import ResponseStreamEvent
from pydantic import BaseModel, TypeAdapter

from openai_compat_core.testing import LiveServer
from openai_compat_responses.testing import check_events

SEED_EXAMPLES = Path(__file__).resolve().parent / "seed_examples"
MODEL = "my-pipeline"
HELLO: list[Any] = [{"role": "user", "content": "Hello!"}]

StartServer = Callable[[Any], LiveServer]


def _event_classes() -> dict[str, type[BaseModel]]:
    union = get_args(ResponseStreamEvent)[0]
    return {get_args(cls.model_fields["type"].annotation)[0]: cls for cls in get_args(union)}


SDK_EVENTS = _event_classes()
SDK_EVENT_UNION: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)


def load(name: str) -> ModuleType:
    """Import `seed_examples/<name>.py` afresh (its module state is new for every test)."""
    spec = importlib.util.spec_from_file_location(f"seed_example_{name}", SEED_EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def serve(live_server: StartServer) -> Callable[[str], tuple[ModuleType, LiveServer]]:
    """Load a seed example and serve its `app`."""

    def start(name: str) -> tuple[ModuleType, LiveServer]:
        module = load(name)
        return module, live_server(module.app)

    return start


def sdk(server: LiveServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0)


def async_sdk(server: LiveServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server.base_url, api_key="unused", max_retries=0)


def checked_chunks(chunks: list[Any]) -> list[ChatCompletionChunk]:
    """Validate the chunks the SDK yielded against its own model and OpenAI's stream invariants."""
    validated = [ChatCompletionChunk.model_validate(chunk.to_dict()) for chunk in chunks]
    assert len({(c.id, c.created, c.model) for c in validated}) == 1
    assert validated[0].model == MODEL
    # A role on every delta, as 1.x sent it (1.x consumers parse each chunk with `ChatCompletion`).
    assert all(c.choices[0].delta.role == "assistant" for c in validated)
    finishes = [c.choices[0].finish_reason for c in validated]
    assert finishes[-1] is not None, "the last chunk carries the finish reason"
    assert all(reason is None for reason in finishes[:-1]), "exactly one finish reason"
    return validated


def stream_chat(client: openai.OpenAI, messages: list[Any] = HELLO) -> list[ChatCompletionChunk]:
    with client.chat.completions.create(model=MODEL, messages=messages, stream=True) as stream:
        return checked_chunks(list(stream))


def text_of(chunks: list[ChatCompletionChunk]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks)


def tool_calls_of(chunks: list[ChatCompletionChunk]) -> list[tuple[int, str | None, str | None, str]]:
    """Accumulate streamed tool-call deltas: (index, id, name, arguments) per call."""
    calls: dict[int, list[Any]] = {}
    for chunk in chunks:
        for delta in chunk.choices[0].delta.tool_calls or []:
            call = calls.setdefault(delta.index, [delta.index, None, None, ""])
            assert call[1] is None or delta.id is None, "the id is sent on a call's first delta only"
            call[1] = call[1] or delta.id
            if delta.function is not None:
                call[2] = call[2] or delta.function.name
                call[3] += delta.function.arguments or ""
    return [tuple(call) for call in calls.values()]  # type: ignore[misc]


def checked_events(events: list[Any], *, complete_output: bool = True) -> SDKResponse:
    """Validate each Responses event against the SDK's `ResponseStreamEvent` union and the wire contract."""
    for event in events:
        data = event.to_dict()
        assert type(SDK_EVENT_UNION.validate_python(data)) is SDK_EVENTS[event.type]
    check_events([(event.type, event.to_dict()) for event in events], complete_output=complete_output)
    assert events[-1].type == "response.completed"
    final: SDKResponse = events[-1].response
    SDKResponse.model_validate(final.to_dict())
    return final


def stream_response(client: openai.OpenAI, **request: Any) -> tuple[list[Any], SDKResponse]:
    with client.responses.create(model=MODEL, stream=True, **request) as stream:
        events = list(stream)
    return events, checked_events(events)


# --- Chat Completions ---------------------------------------------------------------------------


def test_quick_start(serve: Any) -> None:
    _, server = serve("chat_quick_start")
    with sdk(server) as client:
        raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO)
        SDKChatCompletion.model_validate(raw.http_response.json())
        completion = raw.parse()
        assert [(m.id, m.owned_by) for m in client.models.list()] == [(MODEL, "custom")]
        assert client.models.retrieve(MODEL).id == MODEL
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content == "Hello from Haystack!"
    assert completion.choices[0].finish_reason == "stop"
    # The path without /v1 answers too, as in 1.x.
    alias = httpx.post(f"{server.url}/chat/completions", json={"model": MODEL, "messages": HELLO})
    assert alias.json()["choices"][0]["message"]["content"] == "Hello from Haystack!"


async def test_quick_start_with_async_callables(serve: Any) -> None:
    _, server = serve("chat_quick_start_async")
    async with async_sdk(server) as client:
        completion = await client.chat.completions.create(model=MODEL, messages=HELLO)
        models = [model.id async for model in client.models.list()]
    assert completion.choices[0].message.content == "Hello from Haystack!"
    assert models == [MODEL]


def test_extra_request_fields_reach_the_callback_and_metadata_comes_back(serve: Any) -> None:
    _, server = serve("chat_request_body")
    # The README's curl request, byte for byte the same JSON.
    curl = httpx.post(
        f"{server.base_url}/chat/completions",
        json={
            "model": "my-pipeline",
            "messages": [{"role": "user", "content": "Hello!"}],
            "temperature": 0.7,
            "metadata": {"request_id": "abc-123", "user_tier": "premium"},
        },
    )
    assert curl.status_code == 200
    body = curl.json()
    # The README's own metadata carries a float, which OpenAI's type (string values) does not allow:
    # validate the rest strictly; the SDK reads `metadata` leniently (below).
    SDKChatCompletion.model_validate({key: value for key, value in body.items() if key != "metadata"})
    assert body["id"] == "resp-abc-123"
    assert body["metadata"] == {"request_id": "abc-123", "temperature_used": 0.7}
    message = body["choices"][0]["message"]
    assert (message["role"], message["content"]) == ("assistant", "Hello!")

    with sdk(server) as client:
        completion = client.chat.completions.create(model=MODEL, messages=HELLO, metadata={"request_id": "sdk-1"})
    assert completion.id == "resp-sdk-1"
    # No temperature was sent: the body holds only what the client sent, so the callback's default applies.
    assert completion.metadata == {"request_id": "sdk-1", "temperature_used": 1.0}


def test_returning_a_string(serve: Any) -> None:
    _, server = serve("chat_string")
    with sdk(server) as client:
        completion = client.chat.completions.create(model=MODEL, messages=HELLO)
    assert completion.choices[0].message.content == "You said: Hello!"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.id.startswith("chatcmpl-")


def test_streaming_with_a_generator(serve: Any) -> None:
    _, server = serve("chat_generator")
    messages = [{"role": "user", "content": "Hello big world"}]
    with sdk(server) as client:
        chunks = stream_chat(client, messages)
        plain = client.chat.completions.create(model=MODEL, messages=messages)  # type: ignore[arg-type]
    assert [c.choices[0].delta.content for c in chunks] == ["Hello ", "big ", "world ", ""]
    # "A finish_reason="stop" sentinel is appended automatically at the end of the stream."
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert plain.choices[0].message.content == "You said: Hello big world"


def test_a_chat_stream_parsed_the_1x_way(serve: Any) -> None:
    """Code written against 1.x takes every `data: ` line as JSON: the end-of-stream frame must not break it."""
    _, server = serve("chat_generator")
    request = {"model": MODEL, "messages": [{"role": "user", "content": "one two"}], "stream": True}
    with httpx.stream("POST", f"{server.base_url}/chat/completions", json=request) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = list(response.iter_lines())

    chunks = [json.loads(l[6:]) for l in lines if l.startswith("data: ")]  # noqa: E741 - as 1.x code has it

    assert [ChatCompletionChunk.model_validate(c).choices[0].delta.content for c in chunks] == ["one ", "two ", ""]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    # The stream still ends with the [DONE] event for clients that wait for it (SSE strips the optional space).
    data_lines = [line for line in lines if line.startswith("data:")]
    assert data_lines[-1] == "data:[DONE]"
    assert len(data_lines) == len(chunks) + 1


async def test_streaming_with_an_async_generator(serve: Any) -> None:
    _, server = serve("chat_async_generator")
    async with async_sdk(server) as client:
        stream = await client.chat.completions.create(model=MODEL, messages=HELLO, stream=True)
        chunks = checked_chunks([chunk async for chunk in stream])
    assert text_of(chunks) == "Hello from Haystack!"
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_returning_a_chat_completion(serve: Any) -> None:
    _, server = serve("chat_completion_object")
    with sdk(server) as client:
        raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO)
    SDKChatCompletion.model_validate(raw.http_response.json())
    completion = raw.parse()
    assert completion.id == "resp-1"
    assert completion.model == MODEL
    assert completion.choices[0].message.content == "Hello!"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens, completion.usage.total_tokens) == (
        10,
        5,
        15,
    )


def test_tool_calls_in_a_returned_chat_completion(serve: Any) -> None:
    _, server = serve("chat_tool_calls")
    with sdk(server) as client:
        raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO)
    SDKChatCompletion.model_validate(raw.http_response.json())
    choice = raw.parse().choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert choice.message.tool_calls is not None
    [call] = choice.message.tool_calls
    assert call.type == "function"
    assert (call.id, call.function.name, call.function.arguments) == ("call_1", "get_weather", '{"city": "Paris"}')


def test_streamed_chat_completion_chunks_with_tool_calls(serve: Any) -> None:
    _, server = serve("chat_tool_call_chunks")
    with sdk(server) as client:
        chunks = stream_chat(client)
        with client.chat.completions.stream(model=MODEL, messages=HELLO) as helper:
            final = helper.get_final_completion()
    assert tool_calls_of(chunks) == [(0, "call_1", "get_weather", '{"city": "Paris"}')]
    assert len(chunks) == 3
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    # The SDK's own accumulator rebuilds the call.
    message = final.choices[0].message
    assert final.choices[0].finish_reason == "tool_calls"
    assert message.tool_calls is not None
    assert [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls] == [  # type: ignore[union-attr]
        ("call_1", "get_weather", '{"city": "Paris"}')
    ]


def test_haystack_streaming_chunks_with_tool_calls(live_server: StartServer) -> None:
    pytest.importorskip("haystack")
    server = live_server(load("chat_haystack_tool_calls").app)
    with sdk(server) as client:
        chunks = stream_chat(client)
    assert tool_calls_of(chunks) == [(0, "call_1", "get_weather", '{"city": "Paris"}')]
    # The finish reason comes from the chunk; no automatic "stop" is added after it.
    assert [c.choices[0].finish_reason for c in chunks] == [None, "tool_calls"]


def sse_data(body: str) -> list[str]:
    """The data of each SSE frame of a `data:`-only stream."""
    frames = [frame for frame in body.split("\n\n") if frame]
    assert all(frame.startswith("data:") and "\n" not in frame for frame in frames), frames
    return [frame[len("data:") :].removeprefix(" ") for frame in frames]


def test_custom_sse_events(serve: Any) -> None:
    _, server = serve("chat_custom_events")
    request = {"model": MODEL, "messages": HELLO, "stream": True}
    response = httpx.post(f"{server.base_url}/chat/completions", json=request)
    data = sse_data(response.text)
    assert data[-1] == "[DONE]"
    payloads = [json.loads(item) for item in data[:-1]]
    kinds = ["event" if "event" in payload else "chunk" for payload in payloads]
    assert kinds == ["event", "chunk", "chunk", "chunk", "chunk", "event", "chunk"]
    assert [payload for payload in payloads if "event" in payload] == [
        {"event": {"type": "status", "data": {"description": "Processing your request...", "done": False}}},
        {"event": {"type": "status", "data": {"description": "Done", "done": True}}},
    ]
    # The events leave the chat chunks and the finish-reason tracking alone.
    chunks = checked_chunks([ChatCompletionChunk.model_validate(p) for p in payloads if "event" not in p])
    assert text_of(chunks) == "Hello from Haystack!"
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_transformer_hooks(serve: Any) -> None:
    module, server = serve("chat_transformer_hooks")
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    with sdk(server) as client:
        completion = client.chat.completions.create(model=MODEL, messages=messages)  # type: ignore[arg-type]
    # The request went through the pre-hook unchanged, and the result through the post-hook.
    assert module.received == [(MODEL, messages)]
    assert completion.choices[0].message.content == "my-pipeline got 2 message(s)"


def test_observer_hooks(serve: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _, server = serve("chat_observer_hooks")
    with sdk(server) as client:
        completion = client.chat.completions.create(model=MODEL, messages=HELLO)
        chunks = stream_chat(client)
    # Observers return None: the request and the result are kept as they were.
    assert completion.choices[0].message.content == "Hello there"
    assert text_of(chunks) == "Hello there"
    assert capsys.readouterr().out.splitlines() == [
        "Request for model: my-pipeline",
        "Got result type: str",
        "Request for model: my-pipeline",
        "Got result type: generator",
    ]


def test_custom_chunk_mapper_for_a_dataclass(serve: Any) -> None:
    _, server = serve("chat_chunk_mapper")
    with sdk(server) as client:
        chunks = stream_chat(client)
    assert [c.choices[0].delta.content for c in chunks] == ["Hello", " world", ""]


def test_custom_chunk_mapper_for_dicts(serve: Any) -> None:
    _, server = serve("chat_dict_mapper")
    with sdk(server) as client:
        chunks = stream_chat(client)
    assert text_of(chunks) == "Hello world"
    assert chunks[-1].choices[0].finish_reason == "stop"


# --- Responses ----------------------------------------------------------------------------------


def test_responses_quick_start(serve: Any) -> None:
    _, server = serve("responses_quick_start")
    with sdk(server) as client:
        raw = client.responses.with_raw_response.create(model=MODEL, input="Hi")
        SDKResponse.model_validate(raw.http_response.json())
        response = raw.parse()
        models = [model.id for model in client.models.list()]
        events, streamed = stream_response(client, input="Hi")
    assert response.output_text == "Hello from the Responses API!"
    assert response.status == "completed"
    assert response.id.startswith("resp_")
    assert models == [MODEL]  # include_models_endpoints=True
    assert streamed.output_text == "Hello from the Responses API!"
    assert events[0].type == "response.created"


def test_responses_streaming_text(serve: Any) -> None:
    _, server = serve("responses_streaming_text")
    with sdk(server) as client:
        events, final = stream_response(client, input="Hi")
        plain = client.responses.create(model=MODEL, input="Hi")
        with client.responses.stream(model=MODEL, input="Hi") as helper:
            helped = helper.get_final_response()
    deltas = [event.delta for event in events if event.type == "response.output_text.delta"]
    assert deltas == ["Hello", " from", " streaming", "!"]
    assert [event.type for event in events][:3] == ["response.created", "response.in_progress",
                                                     "response.output_item.added"]  # fmt: skip
    assert final.output_text == helped.output_text == "Hello from streaming!"
    assert plain.output_text == "Hello!"


async def test_responses_streaming_function_calls(serve: Any) -> None:
    _, server = serve("responses_function_calls")
    async with async_sdk(server) as client:
        stream = await client.responses.create(model=MODEL, input="Weather in Paris?", stream=True)
        events = [event async for event in stream]
        plain = await client.responses.create(model=MODEL, input="Weather in Paris?")
    final = checked_events(events)
    deltas = [event.delta for event in events if event.type == "response.function_call_arguments.delta"]
    assert deltas == ['{"city":', ' "Paris"}']
    done = [event for event in events if event.type == "response.output_item.done"]
    assert len(done) == 1
    for output in (final.output, plain.output):
        [call] = output
        assert call.type == "function_call"
        assert (call.call_id, call.name, call.arguments) == ("call_1", "get_weather", '{"city": "Paris"}')


def test_returning_a_response_object(serve: Any) -> None:
    _, server = serve("responses_response_object")
    with sdk(server) as client:
        raw = client.responses.with_raw_response.create(model=MODEL, input="Hi")
        with client.responses.create(model=MODEL, input="Hi", stream=True) as stream:
            events = list(stream)
    SDKResponse.model_validate(raw.http_response.json())
    response = raw.parse()
    assert response.output_text == "Hello!"
    assert response.model == MODEL
    assert response.id.startswith("resp_")
    assert checked_events(events, complete_output=False).output_text == "Hello!"


def test_combining_with_chat_completions(serve: Any) -> None:
    module, server = serve("responses_combining")
    # One owner for /v1/models: FastAPI warns about a duplicate operation id while building the schema.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paths = module.app.openapi()["paths"]
    operation_ids = [operation["operationId"] for path in paths.values() for operation in path.values()]
    assert len(operation_ids) == len(set(operation_ids))
    assert {"/v1/models", "/v1/chat/completions", "/v1/responses"} <= set(paths)
    with sdk(server) as client:
        assert [model.id for model in client.models.list()] == [MODEL]
        chat = client.chat.completions.create(model=MODEL, messages=HELLO)
        chunks = stream_chat(client)
        response = client.responses.create(model=MODEL, input="Hi")
        _, streamed = stream_response(client, input="Hi")
    assert chat.choices[0].message.content == "chat: Hello!"
    assert text_of(chunks) == "chat: Hello!"
    assert response.output_text == streamed.output_text == "responses: 1 item(s)"


def test_responses_hooks(serve: Any) -> None:
    module, server = serve("responses_hooks")
    with sdk(server) as client:
        response = client.responses.create(model=MODEL, input="Hi", instructions="Be brief.")
    assert response.output_text == "my-pipeline got 1 item(s)"
    assert response.instructions == "Be brief."
    [(model, items)] = module.received
    assert model == MODEL
    assert items == [{"type": "message", "role": "user", "content": "Hi"}]  # the string shorthand, normalised


def iter_examples() -> Iterator[str]:
    return (path.stem for path in SEED_EXAMPLES.glob("*.py"))


def test_every_seed_example_is_exercised() -> None:
    """A snippet added to seed_examples/ without a test here would go unchecked."""
    source = Path(__file__).read_text()
    assert sorted(iter_examples()) == sorted(name for name in iter_examples() if f'"{name}"' in source)
    assert len(list(iter_examples())) == 21
