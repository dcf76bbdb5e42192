"""Every API's requests as the OpenTelemetry SDK records them: spans, metrics, and `on_usage`'s records.

Each test sets an SDK with in-memory exporters (the `otel` fixture), serves an app in-process, and
reads back the spans of scope `openai_compat_core` and their metrics. Requests are made with the
official `openai` SDK over the in-process transport, or with httpx where the SDK cannot (a client
that leaves, a body that is not JSON).
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import openai
import pytest
from fastapi import FastAPI
from opentelemetry.trace import SpanKind, StatusCode

from openai_compat_chat import ChatCompletion, create_chat_completion_router
from openai_compat_core import OpenAIHTTPException, UsageRecord
from openai_compat_core.testing import StreamingChunk, ToolCallDelta, UsageChunk
from openai_compat_embeddings import EmbeddingResult, create_embeddings_router
from openai_compat_files import FileObject, create_files_router
from openai_compat_responses import Response, create_responses_router

WAIT = 10.0  # reached only when something hangs
CHAT_USAGE = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}


class Records:
    """`on_usage` for tests: keeps the records; a test waits for them on an event, never a sleep."""

    def __init__(self) -> None:
        self.items: list[UsageRecord] = []
        self.arrived = asyncio.Event()

    async def __call__(self, record: UsageRecord) -> None:
        self.items.append(record)
        self.arrived.set()

    async def wait(self, count: int = 1) -> list[UsageRecord]:
        with anyio.fail_after(WAIT):
            while len(self.items) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.items


def sync_tokens() -> Iterator[Any]:
    yield "Hel"
    yield "lo"
    yield UsageChunk(usage=CHAT_USAGE)


async def async_tokens() -> AsyncIterator[Any]:
    for chunk in sync_tokens():
        await asyncio.sleep(0)
        yield chunk


def failing_midway() -> Iterator[str]:
    yield "Hel"
    raise RuntimeError("the model went away")


async def failing_midway_async() -> AsyncIterator[str]:
    yield "Hel"
    raise RuntimeError("the model went away")


def answer(model: str) -> Any:
    """What the callbacks answer, by model name."""
    if model == "sync":
        return sync_tokens()
    if model == "async":
        return async_tokens()
    if model == "fail-midway":
        return failing_midway()
    if model == "fail-midway-async":
        return failing_midway_async()
    if model == "fail":
        raise ValueError("the pipeline is broken")
    if model == "refuse":
        raise OpenAIHTTPException(429, "Slow down", code="rate_limit_exceeded")
    if model == "tools":
        return iter([StreamingChunk(tool_calls=[ToolCallDelta(index=0, tool_name="weather", arguments="{}", id="c1")])])
    return "Hello there"


def app_with(records: Records, **options: Any) -> FastAPI:
    async def run(model: str, items: list[Any], body: dict[str, Any]) -> Any:
        return answer(model)

    app = FastAPI()
    app.include_router(
        create_chat_completion_router(list_models=lambda: ["m"], run_completion=run, on_usage=records, **options)
    )
    app.include_router(create_responses_router(list_models=lambda: ["m"], run_response=run, on_usage=records))
    return app


def sdk(app: FastAPI) -> openai.AsyncOpenAI:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver/v1")
    return openai.AsyncOpenAI(base_url="http://testserver/v1", api_key="unused", http_client=http, max_retries=0)


def only(spans: list[Any]) -> Any:
    assert len(spans) == 1, [span.name for span in spans]
    return spans[0]


def points(otel: Any, name: str) -> dict[frozenset[tuple[str, Any]], Any]:
    return {frozenset(point.attributes.items()): point for point in otel.points(name)}


# --- Chat Completions -------------------------------------------------------------------------------


async def test_chat_whole_answer(otel: Any) -> None:
    records = Records()
    async with sdk(app_with(records)) as client:
        completion = await client.chat.completions.create(
            model="text",
            messages=[{"role": "user", "content": "Hi"}],
            temperature=0.2,
            top_p=0.9,
            max_tokens=64,
            stop=["END"],
            seed=7,
            n=2,
        )
    [record] = await records.wait()
    span = only(otel.ours())
    assert (span.name, span.kind, span.status.status_code) == ("chat text", SpanKind.INTERNAL, StatusCode.UNSET)
    assert dict(span.attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "text",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.max_tokens": 64,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.request.seed": 7,
        "gen_ai.request.choice.count": 2,
        "gen_ai.response.id": completion.id,
        "gen_ai.response.model": "text",
        "gen_ai.response.finish_reasons": ("stop",),
    }
    [duration] = otel.points("gen_ai.server.request.duration")
    assert dict(duration.attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "text",
        "gen_ai.response.model": "text",
    }
    assert (duration.count, duration.sum) == (1, pytest.approx(record.duration))
    assert otel.points("gen_ai.server.time_to_first_token") == []
    assert otel.points("gen_ai.server.token.usage") == []
    assert (record.operation, record.model, record.response_id, record.status) == (
        "chat",
        "text",
        completion.id,
        "completed",
    )
    assert (record.stream, record.usage, record.time_to_first_token, record.error_type) == (False, None, None, None)


@pytest.mark.parametrize("model", ["sync", "async"])
async def test_chat_stream_with_usage(model: str, otel: Any) -> None:
    records = Records()
    async with sdk(app_with(records)) as client:
        stream = await client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "Hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    [record] = await records.wait()
    span = only(otel.ours())
    first = span.attributes["gen_ai.response.time_to_first_chunk"]
    assert 0 < first <= (span.end_time - span.start_time) / 1e9
    assert {key: value for key, value in span.attributes.items() if key != "gen_ai.response.time_to_first_chunk"} == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": model,
        "gen_ai.request.stream": True,
        "gen_ai.response.id": chunks[0].id,
        "gen_ai.response.model": model,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 7,
        "gen_ai.usage.output_tokens": 3,
    }
    labels = {"gen_ai.operation.name": "chat", "gen_ai.request.model": model, "gen_ai.response.model": model}
    [duration] = otel.points("gen_ai.server.request.duration")
    [first_token] = otel.points("gen_ai.server.time_to_first_token")
    [per_token] = otel.points("gen_ai.server.time_per_output_token")
    assert dict(duration.attributes) == dict(first_token.attributes) == dict(per_token.attributes) == labels
    assert first_token.sum == pytest.approx(first) == pytest.approx(record.time_to_first_token)
    # Three output tokens: two after the first, in the time after the first chunk.
    assert per_token.sum == pytest.approx((record.duration - first) / 2)
    usage = points(otel, "gen_ai.server.token.usage")
    assert usage[frozenset({**labels, "gen_ai.token.type": "input"}.items())].sum == 7
    assert usage[frozenset({**labels, "gen_ai.token.type": "output"}.items())].sum == 3
    assert (record.status, record.stream, record.usage, record.response_id) == (
        "completed",
        True,
        CHAT_USAGE,
        chunks[0].id,
    )


async def test_chat_completion_object_and_collected_generator(otel: Any) -> None:
    completion = ChatCompletion.model_validate(
        {
            "id": "chatcmpl-own",
            "object": "chat.completion",
            "created": 1,
            "model": "backend-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "length"}],
            "usage": CHAT_USAGE,
        }
    )

    async def run(model: str, messages: list[Any], body: dict[str, Any]) -> Any:
        return completion if model == "object" else sync_tokens()

    records = Records()
    app = FastAPI()
    app.include_router(create_chat_completion_router(list_models=list, run_completion=run, on_usage=records))
    async with sdk(app) as client:
        await client.chat.completions.create(model="object", messages=[{"role": "user", "content": "Hi"}])
        collected = await client.chat.completions.create(model="gen", messages=[{"role": "user", "content": "Hi"}])
    await records.wait(2)
    whole, gathered = otel.ours()
    assert whole.attributes["gen_ai.response.id"] == "chatcmpl-own"
    assert whole.attributes["gen_ai.response.model"] == "backend-model"
    assert whole.attributes["gen_ai.response.finish_reasons"] == ("length",)
    assert (whole.attributes["gen_ai.usage.input_tokens"], whole.attributes["gen_ai.usage.output_tokens"]) == (7, 3)
    # A generator collected into one answer: what its encoder saw, no time to first token.
    assert gathered.attributes["gen_ai.response.id"] == collected.id
    assert gathered.attributes["gen_ai.usage.output_tokens"] == 3
    assert "gen_ai.response.time_to_first_chunk" not in gathered.attributes
    assert [r.usage for r in records.items] == [CHAT_USAGE, CHAT_USAGE]


# --- failures ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("api", ["chat", "responses"])
async def test_a_failing_callback(api: str, otel: Any) -> None:
    records = Records()
    async with sdk(app_with(records)) as client:
        if api == "chat":
            with pytest.raises(openai.InternalServerError):
                await client.chat.completions.create(model="fail", messages=[{"role": "user", "content": "Hi"}])
        else:
            with pytest.raises(openai.InternalServerError):
                await client.responses.create(model="fail", input="Hi")
    [record] = await records.wait()
    span = only(otel.ours())
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "ValueError"
    [event] = span.events
    assert (event.name, event.attributes["exception.type"]) == ("exception", "ValueError")
    [duration] = otel.points("gen_ai.server.request.duration")
    assert duration.attributes["error.type"] == "ValueError"
    assert (record.status, record.error_type, record.response_id) == ("failed", "ValueError", None)


async def test_an_http_error_the_callback_raises_is_the_clients_fault(otel: Any) -> None:
    records = Records()
    async with sdk(app_with(records)) as client:
        with pytest.raises(openai.RateLimitError):
            await client.chat.completions.create(model="refuse", messages=[{"role": "user", "content": "Hi"}])
    [record] = await records.wait()
    span = only(otel.ours())
    # A 4xx is the answer the code chose: named by its status, not marked as the server's error.
    assert (span.attributes["error.type"], span.status.status_code, span.events) == ("429", StatusCode.UNSET, ())
    assert (record.status, record.error_type) == ("failed", "429")


@pytest.mark.parametrize("api", ["chat", "responses"])
@pytest.mark.parametrize("model", ["fail-midway", "fail-midway-async"])
async def test_a_mid_stream_failure(api: str, model: str, otel: Any) -> None:
    records = Records()
    async with sdk(app_with(records)) as client:
        if api == "chat":
            stream = await client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": "Hi"}], stream=True
            )
            with pytest.raises(openai.APIError, match="the model went away"):
                [chunk async for chunk in stream]
        else:
            events = [event async for event in await client.responses.create(model=model, input="Hi", stream=True)]
            assert events[-1].type == "response.failed"
    [record] = await records.wait()
    span = only(otel.ours())
    assert (span.status.status_code, span.attributes["error.type"]) == (StatusCode.ERROR, "RuntimeError")
    assert span.events[0].attributes["exception.message"] == "the model went away"
    # The first chunk came before the failure; only successful streams count towards the metric.
    assert record.time_to_first_token is not None
    assert otel.points("gen_ai.server.time_to_first_token") == []
    [duration] = otel.points("gen_ai.server.request.duration")
    assert duration.attributes["error.type"] == "RuntimeError"
    assert (record.status, record.error_type) == ("failed", "RuntimeError")
    if api == "responses":
        assert span.attributes["gen_ai.response.finish_reasons"] == ("error",)


async def test_a_body_that_is_not_json(otel: Any) -> None:
    records = Records()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_with(records)), base_url="http://t") as http:
        answer = await http.post(
            "/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"}
        )
    assert answer.status_code == 400
    [record] = await records.wait()
    span = only(otel.ours())
    assert (span.name, span.attributes["error.type"]) == ("chat", "400")
    assert (record.model, record.status, record.error_type) == (None, "failed", "400")


# --- clients that leave -------------------------------------------------------------------------------


def request_scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"host", b"testserver")],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }


async def leave_when(app: FastAPI, path: str, body: dict[str, Any], leave: asyncio.Event) -> list[dict[str, Any]]:
    """Send one request straight to the app; the client leaves once `leave` is set."""
    sent: list[dict[str, Any]] = []
    pending = [{"type": "http.request", "body": json.dumps(body).encode(), "more_body": False}]

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop()
        await leave.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with anyio.fail_after(WAIT):
        await app(request_scope(path), receive, send)
    return sent


@pytest.mark.parametrize("api", ["chat", "responses"])
async def test_a_client_that_leaves_mid_stream(api: str, otel: Any) -> None:
    leave = asyncio.Event()

    async def run(model: str, items: list[Any], body: dict[str, Any]) -> Any:
        async def tokens() -> AsyncIterator[str]:
            yield "Hel"
            leave.set()  # the client leaves while the model thinks about its next token
            await asyncio.Event().wait()
            yield "never"

        return tokens()

    records = Records()
    app = FastAPI()
    app.include_router(create_chat_completion_router(list_models=list, run_completion=run, on_usage=records))
    app.include_router(create_responses_router(list_models=list, run_response=run, on_usage=records))
    if api == "chat":
        body: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "Hi"}], "stream": True}
    else:
        body = {"model": "m", "input": "Hi", "stream": True}
    sent = await leave_when(app, "/v1/chat/completions" if api == "chat" else "/v1/responses", body, leave)
    assert sent[0]["status"] == 200
    [record] = await records.wait()
    span = only(otel.ours())
    # The client's choice, not the server's fault: named, not marked as an error.
    assert (span.attributes["error.type"], span.status.status_code) == ("client_disconnected", StatusCode.UNSET)
    [duration] = otel.points("gen_ai.server.request.duration")
    assert duration.attributes["error.type"] == "client_disconnected"
    assert (record.status, record.error_type, record.stream) == ("disconnected", "client_disconnected", True)
    assert record.response_id is not None
    assert record.response_id == span.attributes["gen_ai.response.id"]


async def test_a_client_that_leaves_before_a_whole_answer(otel: Any) -> None:
    leave = asyncio.Event()
    cancelled = asyncio.Event()

    async def run(model: str, messages: list[Any], body: dict[str, Any]) -> str:
        leave.set()
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()
        return "never"

    records = Records()
    app = FastAPI()
    app.include_router(create_chat_completion_router(list_models=list, run_completion=run, on_usage=records))
    body = {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}
    sent = await leave_when(app, "/v1/chat/completions", body, leave)
    assert sent[0]["status"] == 499
    assert cancelled.is_set()
    [record] = await records.wait()
    span = only(otel.ours())
    assert (span.attributes["error.type"], span.status.status_code) == ("client_disconnected", StatusCode.UNSET)
    assert (record.status, record.stream) == ("disconnected", False)


# --- Responses ----------------------------------------------------------------------------------------


async def test_responses_text_object_and_stream(otel: Any) -> None:
    incomplete = Response(
        id="resp_own",
        created_at=1,
        model="backend-model",
        status="incomplete",
        incomplete_details={"reason": "max_output_tokens"},
        output=[],
        usage={"input_tokens": 4, "output_tokens": 9, "total_tokens": 13},
    )

    async def run(model: str, items: list[Any], body: dict[str, Any]) -> Any:
        return incomplete if model == "object" else answer(model)

    records = Records()
    app = FastAPI()
    app.include_router(create_responses_router(list_models=list, run_response=run, on_usage=records))
    async with sdk(app) as client:
        text = await client.responses.create(model="text", input="Hi", temperature=0.5, max_output_tokens=99)
        await client.responses.create(model="object", input="Hi")
        events = [event async for event in await client.responses.create(model="tools", input="Hi", stream=True)]
    await records.wait(3)
    plain, whole, streamed = otel.ours()
    assert plain.name == "chat text"
    assert {k: v for k, v in plain.attributes.items() if k.startswith("gen_ai.request.")} == {
        "gen_ai.request.model": "text",
        "gen_ai.request.temperature": 0.5,
        "gen_ai.request.max_tokens": 99,
    }
    assert (plain.attributes["gen_ai.response.id"], plain.attributes["gen_ai.response.finish_reasons"]) == (
        text.id,
        ("stop",),
    )
    assert whole.attributes["gen_ai.response.id"] == "resp_own"
    assert whole.attributes["gen_ai.response.model"] == "backend-model"
    assert whole.attributes["gen_ai.response.finish_reasons"] == ("length",)
    assert (whole.attributes["gen_ai.usage.input_tokens"], whole.attributes["gen_ai.usage.output_tokens"]) == (4, 9)
    final = events[-1].response
    assert streamed.attributes["gen_ai.response.id"] == final.id
    assert streamed.attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert streamed.attributes["gen_ai.request.stream"] is True
    # Usage as the client got it: in Responses terms, with the detail objects strict clients require.
    usage = records.items[1].usage
    assert usage is not None
    assert (usage["input_tokens"], usage["output_tokens"], usage["total_tokens"]) == (4, 9, 13)
    assert "input_tokens_details" in usage


# --- embeddings and files -------------------------------------------------------------------------------


async def test_embeddings(otel: Any) -> None:
    async def run(model: str, inputs: list[Any], body: dict[str, Any]) -> Any:
        vectors = [[1.0, 0.0, 0.0, 0.0] for _ in inputs]
        return EmbeddingResult(vectors, prompt_tokens=5) if model == "counted" else vectors

    records = Records()
    app = FastAPI()
    app.include_router(create_embeddings_router(run_embeddings=run, on_usage=records))
    async with sdk(app) as client:
        await client.embeddings.create(model="counted", input=["a", "b"], dimensions=2)
        await client.embeddings.create(model="uncounted", input="a", encoding_format="float")
    counted, uncounted = await records.wait(2)
    first, second = otel.ours()
    assert (first.name, first.attributes["gen_ai.operation.name"]) == ("embeddings counted", "embeddings")
    assert first.attributes["gen_ai.embeddings.dimension.count"] == 2
    assert first.attributes["gen_ai.request.encoding_formats"] == ("base64",)  # what the openai SDK asks for
    assert first.attributes["gen_ai.usage.input_tokens"] == 5
    # Texts the callback did not count: their usage is unknown, not 0.
    assert "gen_ai.usage.input_tokens" not in second.attributes
    assert second.attributes["gen_ai.request.encoding_formats"] == ("float",)
    assert (counted.operation, counted.usage, uncounted.usage) == (
        "embeddings",
        {"prompt_tokens": 5, "total_tokens": 5},
        None,
    )
    [input_tokens] = otel.points("gen_ai.server.token.usage")
    assert (input_tokens.attributes["gen_ai.token.type"], input_tokens.sum) == ("input", 5)


async def test_files(otel: Any) -> None:
    stored: dict[str, FileObject] = {}

    def upload(filename: str | None, content_type: str | None, content: bytes, purpose: str) -> FileObject:
        file = FileObject(
            id=f"file-{len(stored)}", bytes=len(content), created_at=1, filename=filename or "", purpose=purpose
        )
        stored[file.id] = file
        return file

    records = Records()
    app = FastAPI()
    app.include_router(create_files_router(run_file_upload=upload, retrieve_file=stored.get, on_usage=records))
    async with sdk(app) as client:
        created = await client.files.create(file=("notes.txt", b"hello"), purpose="assistants")
        with pytest.raises(openai.NotFoundError):
            await client.files.retrieve("file-unknown")
    uploaded, missing = await records.wait(2)
    upload_span, retrieve_span = otel.ours()
    assert (upload_span.name, upload_span.attributes["gen_ai.response.id"]) == ("upload_file", created.id)
    assert (retrieve_span.name, retrieve_span.attributes["error.type"]) == ("retrieve_file", "404")
    assert (uploaded.operation, uploaded.response_id, uploaded.status) == ("upload_file", created.id, "completed")
    assert (missing.operation, missing.status, missing.error_type) == ("retrieve_file", "failed", "404")
    assert {p.attributes["gen_ai.operation.name"] for p in otel.points("gen_ai.server.request.duration")} == {
        "upload_file",
        "retrieve_file",
    }


# --- on_usage without OpenTelemetry, and failing --------------------------------------------------------


async def test_on_usage_without_an_sdk_and_nothing_without_on_usage() -> None:
    records = Records()
    async with sdk(app_with(records)) as client:
        await client.chat.completions.create(model="text", messages=[{"role": "user", "content": "Hi"}])
        stream = await client.responses.create(model="sync", input="Hi", stream=True)
        [event async for event in stream]
    plain, streamed = await records.wait(2)
    assert (plain.status, streamed.status, streamed.stream) == ("completed", "completed", True)
    assert streamed.usage is not None
    assert (streamed.usage["input_tokens"], streamed.usage["output_tokens"]) == (7, 3)


class Logged(logging.Handler):
    """Keeps what is logged to a logger while it is in a `with`; a test waits for a record on its event."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.logger = logging.getLogger(name)
        self.records: list[logging.LogRecord] = []
        self.arrived = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.arrived.set()

    def __enter__(self) -> "Logged":
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.logger.removeHandler(self)


async def test_a_failing_on_usage_is_logged_and_the_answer_unchanged(otel: Any) -> None:
    def on_usage(record: UsageRecord) -> None:
        raise RuntimeError("billing is down")

    async def run(model: str, messages: list[Any], body: dict[str, Any]) -> str:
        return "fine"

    app = FastAPI()
    app.include_router(create_chat_completion_router(list_models=list, run_completion=run, on_usage=on_usage))
    with Logged("fastapi_openai_compat.chat_completions") as logged:
        async with sdk(app) as client:
            completion = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "Hi"}])
            # The sync on_usage runs in a worker thread after the answer; its failure is logged from the loop.
            with anyio.fail_after(WAIT):
                await logged.arrived.wait()
    [record] = logged.records
    assert (record.getMessage(), type(record.exc_info[1] if record.exc_info else None)) == (
        "on_usage raised",
        RuntimeError,
    )
    assert completion.choices[0].message.content == "fine"
    assert only(otel.ours()).status.status_code is StatusCode.UNSET


@pytest.mark.parametrize("api", ["embeddings", "files"])
async def test_a_failing_callback_of_embeddings_and_files(api: str, otel: Any) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("the store is down")

    records = Records()
    app = FastAPI()
    if api == "embeddings":
        app.include_router(create_embeddings_router(run_embeddings=broken, on_usage=records))
    else:
        app.include_router(create_files_router(run_file_upload=broken, on_usage=records))
    async with sdk(app) as client:
        if api == "embeddings":
            with pytest.raises(openai.InternalServerError):
                await client.embeddings.create(model="e", input="a")
        else:
            with pytest.raises(openai.InternalServerError):
                await client.files.create(file=("notes.txt", b"hello"), purpose="assistants")
    [record] = await records.wait()
    span = only(otel.ours())
    assert (span.status.status_code, span.attributes["error.type"]) == (StatusCode.ERROR, "ValueError")
    assert span.events[0].attributes["exception.message"] == "the store is down"
    assert (record.status, record.error_type) == ("failed", "ValueError")
