"""Where the routers' spans sit: under the HTTP server span, over the spans the user's code makes.

The app is instrumented with `opentelemetry-instrumentation-fastapi` and served by uvicorn; the
official `openai` SDK calls it over HTTP. Every kind of callback (sync or async function, sync or
async generator) opens a span of its own, which must be a child of the request's GenAI span. Also:
prompts and outputs go on the span only when the conventions' environment variable says so.
"""

import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import openai
import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.trace import SpanKind

from openai_compat_chat import create_chat_completion_router
from openai_compat_core import UsageRecord
from openai_compat_core.telemetry import CAPTURE_CONTENT_ENV
from openai_compat_responses import create_responses_router

WAIT = 10.0


def span(name: str) -> Any:
    """A span of the user's own code (its tracer taken now: each test sets its own SDK)."""
    return trace.get_tracer("user.pipeline").start_as_current_span(name)


def sync_answer(model: str, items: list[Any], body: dict[str, Any]) -> Any:
    with span("retrieve"):
        pass
    if not body.get("stream"):
        return "sync answer"

    def tokens() -> Iterator[str]:
        with span("generate"):
            yield "sync "
            yield "stream"

    return tokens()


async def async_answer(model: str, items: list[Any], body: dict[str, Any]) -> Any:
    with span("retrieve"):
        pass
    if not body.get("stream"):
        return "async answer"

    async def tokens() -> AsyncIterator[str]:
        with span("generate"):
            yield "async "
            yield "stream"

    return tokens()


class Finished:
    """`on_usage` that lets the test wait (from its own thread) until the server finished each request."""

    def __init__(self) -> None:
        self.records: list[UsageRecord] = []
        self.condition = threading.Condition()

    def __call__(self, record: UsageRecord) -> None:
        with self.condition:
            self.records.append(record)
            self.condition.notify_all()

    def wait(self, count: int) -> None:
        with self.condition:
            assert self.condition.wait_for(lambda: len(self.records) >= count, WAIT), self.records


def served(live_server: Any, callback: Any, finished: Finished) -> Any:
    app = FastAPI()
    app.include_router(create_chat_completion_router(list_models=list, run_completion=callback, on_usage=finished))
    app.include_router(create_responses_router(list_models=list, run_response=callback, on_usage=finished))
    FastAPIInstrumentor.instrument_app(app)
    server = live_server(app)
    return openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0)


def ancestors(span: Any, by_id: dict[int, Any]) -> list[Any]:
    chain = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        chain.append(span)
    return chain


@pytest.mark.parametrize("callback", [sync_answer, async_answer], ids=["sync", "async"])
def test_our_span_nests_under_the_server_span_and_over_the_users(otel: Any, live_server: Any, callback: Any) -> None:
    finished = Finished()
    with served(live_server, callback, finished) as client:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "Hi"}])
        list(client.chat.completions.create(model="m", messages=[{"role": "user", "content": "Hi"}], stream=True))
        client.responses.create(model="m", input="Hi")
        list(client.responses.create(model="m", input="Hi", stream=True))
    finished.wait(4)
    spans = otel.spans()
    by_id = {span.context.span_id: span for span in spans}
    ours = otel.ours()
    assert [span.name for span in ours] == ["chat m"] * 4
    for index, span in enumerate(ours):
        chain = ancestors(span, by_id)
        server = [s for s in chain if s.kind is SpanKind.SERVER]
        assert len(server) == 1, f"request {index}: no server span above ours: {[s.name for s in chain]}"
        assert server[0].instrumentation_scope.name == "opentelemetry.instrumentation.fastapi"
        assert server[0].attributes["http.route"] in ("/v1/chat/completions", "/v1/responses")
        children = [s for s in spans if s.parent is not None and s.parent.span_id == span.context.span_id]
        mine = [s for s in children if s.instrumentation_scope.name == "user.pipeline"]
        expected = ["retrieve", "generate"] if index % 2 else ["retrieve"]
        assert sorted(s.name for s in mine) == sorted(expected), f"request {index}"
        assert all(s.context.trace_id == span.context.trace_id for s in mine)


def content_of(span: Any) -> dict[str, Any]:
    return {key: value for key, value in span.attributes.items() if key in CONTENT_KEYS}


CONTENT_KEYS = {"gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions"}


@pytest.mark.parametrize("capture", ["true", None])
def test_message_content_only_when_asked(
    otel: Any, live_server: Any, monkeypatch: pytest.MonkeyPatch, capture: str | None
) -> None:
    if capture is None:
        monkeypatch.delenv(CAPTURE_CONTENT_ENV, raising=False)
    else:
        monkeypatch.setenv(CAPTURE_CONTENT_ENV, capture)
    finished = Finished()
    messages: list[Any] = [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [{"type": "text", "text": "Weather?"}, {"type": "image_url", "image_url": {"url": "x"}}],
        },
        {
            "role": "assistant",
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
    ]
    with served(live_server, sync_answer, finished) as client:
        client.chat.completions.create(model="m", messages=messages)
        list(client.chat.completions.create(model="m", messages=messages, stream=True))
        client.responses.create(model="m", input="Hi", instructions="Be brief.")
        list(client.responses.create(model="m", input="Hi", instructions="Be brief.", stream=True))
    finished.wait(4)
    spans = otel.ours()
    if capture is None:
        assert [content_of(span) for span in spans] == [{}] * 4
        return
    import json

    chat_input = [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Weather?"}, {"type": "image_url"}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "weather", "arguments": "{}"}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "sunny"}]},
    ]

    def output(text: str) -> list[Any]:
        return [{"role": "assistant", "parts": [{"type": "text", "content": text}], "finish_reason": "stop"}]

    chat, chat_stream, responses, responses_stream = (
        {k: json.loads(v) for k, v in content_of(s).items()} for s in spans
    )
    assert chat == {"gen_ai.input.messages": chat_input, "gen_ai.output.messages": output("sync answer")}
    assert chat_stream == {"gen_ai.input.messages": chat_input, "gen_ai.output.messages": output("sync stream")}
    responses_input = [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]
    instructions = [{"type": "text", "content": "Be brief."}]
    for got, text in ((responses, "sync answer"), (responses_stream, "sync stream")):
        assert got == {
            "gen_ai.input.messages": responses_input,
            "gen_ai.system_instructions": instructions,
            "gen_ai.output.messages": output(text),
        }
