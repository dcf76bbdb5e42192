"""The callbacks page: every result shape, each served by one callback on both APIs."""

import json
import logging
from typing import Any

import httpx
import pytest
from openai.types.chat import ChatCompletionChunk


def stream_frames(server: Any, path: str, body: dict[str, Any]) -> list[str]:
    text = httpx.post(f"{server.base_url}/{path}", json={**body, "stream": True}).text
    return [frame for frame in text.split("\n\n") if frame]


def test_sync_generator(serve: Any, sdk: Any, chat_text: Any) -> None:
    client = sdk(serve("callbacks/generator.py"))
    chunks = client.chat_stream()
    assert [c.choices[0].delta.content for c in chunks] == ["Hello", " from", " a", " generator", ""]
    assert client.chat().choices[0].message.content == "Hello from a generator"
    events, _ = client.response_events()
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert deltas == ["Hello", " from", " a", " generator"]
    assert client.response().output_text == "Hello from a generator"


def test_async_generator(serve: Any, sdk: Any, chat_text: Any) -> None:
    client = sdk(serve("callbacks/async_generator.py"))
    assert chat_text(client.chat_stream()) == "Hello async world"
    assert client.chat().choices[0].message.content == "Hello async world"
    _, final = client.response_events()
    assert final["output"][0]["content"][0]["text"] == "Hello async world"
    assert client.response().output_text == "Hello async world"


def test_haystack_chunks_with_usage(serve: Any, sdk: Any, chat_text: Any) -> None:
    pytest.importorskip("haystack")
    client = sdk(serve("callbacks/haystack_chunks.py"))
    chunks = client.chat_stream(stream_options={"include_usage": True})
    assert chat_text(chunks) == "Hello world"
    assert chunks[-1].usage is not None
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.total_tokens) == (5, 7)
    completion = client.chat()
    assert (completion.choices[0].message.content, completion.choices[0].finish_reason) == ("Hello world", "stop")
    response = client.response()
    assert response.output_text == "Hello world"
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (5, 2)


def chat_calls(chunks: list[Any]) -> list[tuple[int, str | None, str | None, str]]:
    """Accumulate streamed tool-call deltas: (index, id, name, arguments) per call."""
    calls: dict[int, list[Any]] = {}
    for chunk in chunks:
        for delta in chunk.choices[0].delta.tool_calls or [] if chunk.choices else []:
            call = calls.setdefault(delta.index, [delta.index, None, None, ""])
            assert call[1] is None or delta.id is None, "the id comes on a call's first delta only"
            call[1] = call[1] or delta.id
            if delta.function is not None:
                call[2] = call[2] or delta.function.name
                call[3] += delta.function.arguments or ""
    return [tuple(call) for call in calls.values()]  # type: ignore[misc]


def response_calls(output: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    assert all(item["type"] == "function_call" for item in output)
    return [(item["call_id"], item["name"], item["arguments"]) for item in output]


def test_parallel_tool_calls(serve: Any, sdk: Any) -> None:
    client = sdk(serve("callbacks/tool_calls.py"))
    chunks = client.chat_stream()
    assert chat_calls(chunks) == [
        (0, "call_a", "get_weather", '{"city": "Oslo"}'),
        (1, "call_b", "get_time", '{"tz": "CET"}'),
    ]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    calls = client.chat().choices[0].message.tool_calls or []
    assert [(c.id, c.function.arguments) for c in calls] == [
        ("call_a", '{"city": "Oslo"}'),
        ("call_b", '{"tz": "CET"}'),
    ]
    _, final = client.response_events()
    expected = [("call_a", "get_weather", '{"city": "Oslo"}'), ("call_b", "get_time", '{"tz": "CET"}')]
    assert response_calls(final["output"]) == expected
    assert response_calls([item.to_dict() for item in client.response().output]) == expected


def test_haystack_tool_call_deltas(serve: Any, sdk: Any) -> None:
    pytest.importorskip("haystack")
    client = sdk(serve("callbacks/haystack_tool_calls.py"))
    expected = [("call_weather", "get_weather", '{"city": "Paris"}'), ("call_time", "get_time", '{"timezone": "CET"}')]
    assert [call[1:] for call in chat_calls(client.chat_stream())] == expected
    _, final = client.response_events()
    assert response_calls(final["output"]) == expected


def test_function_calls_one_at_a_time_and_the_tool_result(serve: Any, sdk: Any) -> None:
    client = sdk(serve("callbacks/function_calls.py"))
    assert chat_calls(client.chat_stream()) == [(0, "call_1", "get_weather", '{"city": "Paris"}')]
    events, final = client.response_events()
    assert response_calls(final["output"]) == [("call_1", "get_weather", '{"city": "Paris"}')]
    deltas = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
    assert deltas == ['{"city":', ' "Paris"}']
    # The client runs the tool and sends its result back.
    call = {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": '{"city": "Paris"}'}
    result = {"type": "function_call_output", "call_id": "call_1", "output": "sunny"}
    response = client.client.responses.create(model="demo", input=[call, result])  # type: ignore[list-item]
    assert response.output_text == "It is sunny in Paris."
    messages = [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": call}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "rainy"},
    ]
    answer = client.client.chat.completions.create(model="demo", messages=messages)  # type: ignore[arg-type]
    assert answer.choices[0].message.content == "It is rainy in Paris."


def test_reasoning(serve: Any, sdk: Any, chat_text: Any) -> None:
    client = sdk(serve("callbacks/reasoning.py"))
    chunks = client.chat_stream()
    reasoning = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks)
    assert reasoning == "The user greets me; I greet back."
    assert chat_text(chunks) == "Hello!"
    events, final = client.response_events()
    summary = [e.delta for e in events if e.type == "response.reasoning_summary_text.delta"]
    assert summary == ["The user greets me; ", "I greet back."]
    assert [item["type"] for item in final["output"]] == ["reasoning", "message"]


def test_custom_events(serve: Any, sdk: Any, chat_text: Any) -> None:
    server = serve("callbacks/custom_events.py")
    frames = stream_frames(
        server, "chat/completions", {"model": "demo", "messages": [{"role": "user", "content": "hi"}]}
    )
    payloads = [json.loads(frame.removeprefix("data:")) for frame in frames[:-1]]
    assert [p["event"] for p in payloads if "event" in p] == [
        {"type": "status", "data": {"description": "Searching documents...", "done": False}},
        {"type": "status", "data": {"description": "Done", "done": True}},
    ]
    # Between them, ordinary chunks (the SDK would hand the event frames over as chunks: see the docs).
    chunks = [ChatCompletionChunk.model_validate(p) for p in payloads if "event" not in p]
    assert chat_text(chunks) == "Found it: 42."
    assert frames[-1].removeprefix("data:").strip() == "[DONE]"
    client = sdk(server)
    events, final = client.response_events()
    assert [e.type for e in events].count("status") == 2
    assert final["output"][0]["content"][0]["text"] == "Found it: 42."


def test_finish_reason(serve: Any, sdk: Any, chat_text: Any) -> None:
    client = sdk(serve("callbacks/finish_reason.py"))
    chunks = client.chat_stream()
    assert chat_text(chunks) == "This answer was cut"
    assert chunks[-1].choices[0].finish_reason == "length"
    assert client.chat().choices[0].finish_reason == "length"
    with client.client.responses.create(model="demo", input="hi", stream=True) as stream:
        events = list(stream)
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.incomplete_details.reason == "max_output_tokens"


def test_usage(serve: Any, check_client: Any) -> None:
    check_client("callbacks/usage_client.py", serve("callbacks/usage.py"))


def test_chunk_mapper(serve: Any, sdk: Any, chat_text: Any) -> None:
    client = sdk(serve("callbacks/chunk_mapper.py"))
    assert chat_text(client.chat_stream()) == "Hello world"
    assert client.response().output_text == "Hello world"


def test_request_headers(serve: Any, check_client: Any) -> None:
    check_client("callbacks/headers_client.py", serve("callbacks/headers.py"))


def test_transformer_hooks(serve: Any, sdk: Any, chat_text: Any) -> None:
    server = serve("callbacks/hooks.py")
    assert chat_text(sdk(server).chat_stream()) == "HELLO WORLD"
    assert sdk(server).chat().choices[0].message.content == "HELLO WORLD"
    refused = httpx.post(f"{server.base_url}/chat/completions", json={"model": "demo", "messages": []})
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == "messages must not be empty"


def test_observer_hooks(serve: Any, sdk: Any, caplog: pytest.LogCaptureFixture) -> None:
    server = serve("callbacks/observer_hooks.py")
    with caplog.at_level(logging.INFO, logger="chat"):
        assert sdk(server).chat().choices[0].message.content == "hello"
    assert [r.getMessage() for r in caplog.records if r.name == "chat"] == ["model=demo messages=1", "result type: str"]
