"""The chat router under uvicorn, driven by the official `openai` SDK (sync and async).

Every streamed chunk is validated against the SDK's own `ChatCompletionChunk` model.
"""

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import openai
import pytest
from fastapi import FastAPI
from openai.types.chat import ChatCompletion as SDKChatCompletion
from openai.types.chat import ChatCompletionChunk

from openai_compat_chat import ChatCompletion, Choice, Message, create_chat_completion_router
from openai_compat_core.testing import LiveServer, ReasoningContent, StreamingChunk, ToolCallDelta, UsageChunk

MESSAGES: list[Any] = [{"role": "user", "content": "Say hello"}]

StartServer = Callable[[Any], LiveServer]


def call(index: int, arguments: str, *, call_id: str | None = None, name: str | None = None) -> StreamingChunk:
    """A chunk carrying one Haystack-style tool-call fragment."""
    return StreamingChunk(tool_calls=[ToolCallDelta(index, tool_name=name, arguments=arguments, id=call_id)])


def thought(text: str) -> StreamingChunk:
    return StreamingChunk(reasoning=ReasoningContent(text))


def run_completion(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> Any:
    """One callback for every scenario, chosen by model name."""
    if model == "text":
        return "Hello there!"
    if model == "completion":
        return ChatCompletion(
            id="chatcmpl-fixed",
            object="chat.completion",
            created=1,
            model=model,
            choices=[Choice(index=0, message=Message(role="assistant", content="full"), finish_reason="stop")],
            usage={"prompt_tokens": 4, "completion_tokens": 1, "total_tokens": 5},
        )
    if model == "words":
        return iter(
            ["Hello", " ", "world", "!", UsageChunk({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7})]
        )
    if model == "tools":
        return iter(
            [
                call(0, "", call_id="call_weather", name="get_weather"),
                call(1, "", call_id="call_time", name="get_time"),
                call(0, '{"city": '),
                call(1, '{"tz": "CET"}'),
                call(0, '"Paris"}'),
            ]
        )
    if model == "reasoning":
        return iter([thought("Thinking"), thought(" hard."), "Answer."])
    if model == "async-words":

        async def words() -> AsyncIterator[str]:
            for word in ["async", " ", "hello"]:
                await asyncio.sleep(0)
                yield word

        return words()
    if model == "broken":

        def broken() -> Iterator[str]:
            yield "partial"
            raise RuntimeError("the pipeline fell over")

        return broken()
    raise RuntimeError(f"no scenario {model}")


def make_app(**options: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(
        create_chat_completion_router(
            list_models=lambda: ["text", "completion", "words", "tools", "reasoning", "async-words", "broken"],
            run_completion=options.pop("run_completion", run_completion),
            **options,
        )
    )
    return app


def sync_client(server: LiveServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="unused")


def async_client(server: LiveServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server.base_url, api_key="unused")


def validated(chunks: list[Any]) -> list[ChatCompletionChunk]:
    """Validate each chunk the SDK yielded, from the keys that were on the wire, against the SDK's model."""
    return [ChatCompletionChunk.model_validate(chunk.to_dict()) for chunk in chunks]


def check_stream_shape(chunks: list[ChatCompletionChunk]) -> None:
    """OpenAI's invariants (one id/created/model, one finish chunk) and 1.x's role on every delta.

    Every chunk also parses with our own `ChatCompletion` (whose `Message.role` is required), as
    consumers written against 1.x parse them.
    """
    assert len({(c.id, c.created, c.model) for c in chunks}) == 1
    assert chunks[0].id.startswith("chatcmpl-")
    for chunk in chunks:
        ChatCompletion.model_validate(chunk.to_dict())
    choice_chunks = [c for c in chunks if c.choices]
    assert all(c.choices[0].delta.role == "assistant" for c in choice_chunks)
    finishes = [c.choices[0].finish_reason for c in choice_chunks]
    assert finishes[-1] is not None
    assert all(f is None for f in finishes[:-1])


# --- non-streaming ------------------------------------------------------------------------------


def test_sync_plain_completion(live_server: StartServer) -> None:
    with sync_client(live_server(make_app())) as client:
        completion = client.chat.completions.create(model="text", messages=MESSAGES)
    SDKChatCompletion.model_validate(completion.to_dict())
    assert completion.id.startswith("chatcmpl-")
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content == "Hello there!"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].logprobs is None
    assert completion.usage is None


async def test_async_completion_object_with_usage_and_raw_response(live_server: StartServer) -> None:
    async with async_client(live_server(make_app())) as client:
        raw = await client.chat.completions.with_raw_response.create(model="completion", messages=MESSAGES)
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "application/json"
    completion = raw.parse()
    SDKChatCompletion.model_validate(completion.to_dict())
    assert completion.choices[0].message.content == "full"
    assert completion.usage is not None
    assert completion.usage.total_tokens == 5


# --- streaming ----------------------------------------------------------------------------------


def test_sync_stream_of_text(live_server: StartServer) -> None:
    with sync_client(live_server(make_app())) as client:
        chunks = validated(list(client.chat.completions.create(model="words", messages=MESSAGES, stream=True)))
    check_stream_shape(chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello world!"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks)


async def test_async_stream_of_an_async_generator(live_server: StartServer) -> None:
    async with async_client(live_server(make_app())) as client:
        stream = await client.chat.completions.create(model="async-words", messages=MESSAGES, stream=True)
        chunks = validated([chunk async for chunk in stream])
    check_stream_shape(chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "async hello"


def test_sync_stream_with_raw_response_and_usage(live_server: StartServer) -> None:
    with sync_client(live_server(make_app())) as client:
        raw = client.chat.completions.with_raw_response.create(
            model="words", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        assert raw.headers["content-type"].startswith("text/event-stream")
        assert raw.headers["cache-control"] == "no-cache"
        chunks = validated(list(raw.parse()))
    check_stream_shape(chunks)
    *choice_chunks, usage_chunk = chunks
    assert all(c.usage is None for c in choice_chunks)
    assert all("usage" in c.model_fields_set for c in choice_chunks)
    assert usage_chunk.choices == []
    assert usage_chunk.usage is not None
    assert (usage_chunk.usage.prompt_tokens, usage_chunk.usage.completion_tokens) == (3, 4)
    assert usage_chunk.usage.total_tokens == 7


async def test_async_stream_with_raw_response_and_zero_usage(live_server: StartServer) -> None:
    async with async_client(live_server(make_app())) as client:
        raw = await client.chat.completions.with_raw_response.create(
            model="async-words", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        chunks = validated([chunk async for chunk in raw.parse()])
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 0


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_interleaved_parallel_tool_calls(live_server: StartServer, mode: str) -> None:
    server = live_server(make_app())
    if mode == "sync":
        with sync_client(server) as client:
            chunks = list(client.chat.completions.create(model="tools", messages=MESSAGES, stream=True))
    else:
        async with async_client(server) as aclient:
            stream = await aclient.chat.completions.create(model="tools", messages=MESSAGES, stream=True)
            chunks = [chunk async for chunk in stream]
    parsed = validated(chunks)
    check_stream_shape(parsed)
    assert parsed[-1].choices[0].finish_reason == "tool_calls"
    calls: dict[int, dict[str, str]] = {}
    for chunk in parsed:
        for delta in chunk.choices[0].delta.tool_calls or []:
            call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
            assert delta.function is not None
            call["id"] += delta.id or ""
            call["name"] += delta.function.name or ""
            call["arguments"] += delta.function.arguments or ""
    assert calls == {
        0: {"id": "call_weather", "name": "get_weather", "arguments": '{"city": "Paris"}'},
        1: {"id": "call_time", "name": "get_time", "arguments": '{"tz": "CET"}'},
    }


def test_sdk_stream_helper_accumulates_tool_calls(live_server: StartServer) -> None:
    with (
        sync_client(live_server(make_app())) as client,
        client.chat.completions.stream(model="tools", messages=MESSAGES) as stream,
    ):
        for event in stream:
            if event.type == "chunk":
                ChatCompletionChunk.model_validate(event.chunk.to_dict())
        final = stream.get_final_completion()
    message = final.choices[0].message
    assert final.choices[0].finish_reason == "tool_calls"
    assert message.tool_calls is not None
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls] == [  # type: ignore[union-attr]
        ("call_weather", "get_weather", {"city": "Paris"}),
        ("call_time", "get_time", {"tz": "CET"}),
    ]


async def test_async_sdk_stream_helper_accumulates_text(live_server: StartServer) -> None:
    async with (
        async_client(live_server(make_app())) as client,
        client.chat.completions.stream(model="words", messages=MESSAGES) as stream,
    ):
        final = await stream.get_final_completion()
    assert final.choices[0].message.content == "Hello world!"
    # The SDK's stream helper concatenates every string field of the deltas, `role` included: with a
    # role on every delta (as 1.x sent them) its final role is "assistant" once per chunk.
    role = final.choices[0].message.role
    assert role.startswith("assistant")
    assert not role.replace("assistant", "")


def test_reasoning_content_reaches_the_client(live_server: StartServer) -> None:
    with sync_client(live_server(make_app())) as client:
        chunks = validated(list(client.chat.completions.create(model="reasoning", messages=MESSAGES, stream=True)))
    check_stream_shape(chunks)
    # After the reasoning, deltas carry `"reasoning_content": null` (as DeepSeek's API does).
    reasoning = "".join((c.choices[0].delta.model_extra or {}).get("reasoning_content") or "" for c in chunks)
    assert reasoning == "Thinking hard."
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Answer."


# --- errors -------------------------------------------------------------------------------------


def test_failure_mid_stream_raises_api_error_after_the_partial_chunks(
    live_server: StartServer, caplog: pytest.LogCaptureFixture
) -> None:
    with sync_client(live_server(make_app())) as client:
        chunks = iter(client.chat.completions.create(model="broken", messages=MESSAGES, stream=True))
        first = next(chunks)
        with pytest.raises(openai.APIError) as caught:
            next(chunks)
    assert "the pipeline fell over" in caught.value.message
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["type"] == "server_error"
    assert [c.choices[0].delta.content for c in validated([first])] == ["partial"]
    assert any(
        r.name == "fastapi_openai_compat.chat_completions" and r.exc_info and "fell over" in str(r.exc_info[1])
        for r in caplog.records
    )


async def test_async_failure_mid_stream_raises_api_error(live_server: StartServer) -> None:
    async with async_client(live_server(make_app())) as client:
        stream = await client.chat.completions.create(model="broken", messages=MESSAGES, stream=True)
        with pytest.raises(openai.APIError, match="the pipeline fell over"):
            async for _ in stream:
                pass


def test_failing_callback_is_not_retried_by_the_sdk(live_server: StartServer) -> None:
    calls: list[str] = []

    def failing(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> str:
        calls.append(model)
        raise ValueError("bad input")

    with (
        sync_client(live_server(make_app(run_completion=failing))) as client,
        pytest.raises(openai.InternalServerError) as caught,
    ):
        client.chat.completions.create(model="text", messages=MESSAGES)
    assert caught.value.status_code == 500
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["message"] == "Pipeline execution failed: bad input"
    assert calls == ["text"]


def test_unknown_model_with_validate_model_is_not_found(live_server: StartServer) -> None:
    with (
        sync_client(live_server(make_app(validate_model=True))) as client,
        pytest.raises(openai.NotFoundError) as caught,
    ):
        client.chat.completions.create(model="gpt-unknown", messages=MESSAGES)
    assert caught.value.code == "model_not_found"
    assert caught.value.param == "model"


def test_models_are_listed_and_retrieved(live_server: StartServer) -> None:
    with sync_client(live_server(make_app())) as client:
        assert "words" in [model.id for model in client.models.list()]
        assert client.models.retrieve("tools").id == "tools"


def test_request_headers_reach_a_callback_that_asks(live_server: StartServer) -> None:
    seen: list[dict[str, str]] = []

    def with_headers(model: str, messages: list[dict[str, Any]], body: dict[str, Any], headers: dict[str, str]) -> str:
        seen.append(headers)
        assert threading.current_thread() is not threading.main_thread()
        return "ok"

    with sync_client(live_server(make_app(run_completion=with_headers))) as client:
        client.chat.completions.create(model="text", messages=MESSAGES, extra_headers={"X-User": "ada"})
    assert seen[0]["x-user"] == "ada"
    assert seen[0]["authorization"] == "Bearer unused"


# --- the raw wire -------------------------------------------------------------------------------


@pytest.mark.parametrize(("openai_done_frame", "done_line"), [(False, "data:[DONE]"), (True, "data: [DONE]")])
def test_every_frame_on_the_wire_is_a_valid_chunk_and_the_stream_ends_with_done(
    live_server: StartServer, openai_done_frame: bool, done_line: str
) -> None:
    server = live_server(make_app(openai_done_frame=openai_done_frame))
    body = {"model": "tools", "messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}}
    with httpx.stream("POST", f"{server.base_url}/chat/completions", json=body) as response:
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == done_line
    chunks = [ChatCompletionChunk.model_validate(json.loads(line[len("data: ") :])) for line in lines[:-1]]
    check_stream_shape(chunks)
    assert chunks[-1].choices == []


def test_haystack_streaming_chunks_through_the_sdk(live_server: StartServer) -> None:
    pytest.importorskip("haystack")
    from haystack.dataclasses import ReasoningContent, StreamingChunk
    from haystack.dataclasses.streaming_chunk import ToolCallDelta

    def haystack_run(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> Iterator[StreamingChunk]:
        yield StreamingChunk(content="", index=0, reasoning=ReasoningContent(reasoning_text="Need the weather."))
        yield StreamingChunk(content="", index=1, tool_calls=[ToolCallDelta(index=0, id="c1", tool_name="weather")])
        yield StreamingChunk(content="", index=1, tool_calls=[ToolCallDelta(index=0, arguments='{"city": "Rome"}')])
        yield StreamingChunk(content="", finish_reason="tool_calls", meta={"usage": {"prompt_tokens": 9}})

    with sync_client(live_server(make_app(run_completion=haystack_run))) as client:
        stream = client.chat.completions.create(
            model="text", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        chunks = validated(list(stream))
    check_stream_shape(chunks)
    assert (chunks[0].choices[0].delta.model_extra or {})["reasoning_content"] == "Need the weather."
    tool_deltas = [d for c in chunks if c.choices for d in c.choices[0].delta.tool_calls or []]
    assert tool_deltas[0].id == "c1"
    assert "".join(d.function.arguments or "" for d in tool_deltas if d.function) == '{"city": "Rome"}'
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.prompt_tokens == 9
