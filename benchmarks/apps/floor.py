"""The floor: a minimal hand-written Starlette app that writes the same bytes as this project.

It runs the same callbacks and answers the benchmark's requests byte for byte as this project
does (the benchmark checks it, ids and timestamps masked), with none of the machinery: no request
validation, no hooks, no error handling, no disconnect handling, a sync generator iterated right on
the event loop, and one `send` per frame. What the library costs is the distance to these numbers.
"""

import array
import base64
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from json.encoder import encode_basestring
from typing import Any

import orjson
from callbacks import run, run_embeddings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

SSE_HEADERS = [
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
    (b"content-type", b"text/event-stream; charset=utf-8"),
]


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, as this project writes it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def text(value: str) -> bytes:
    """A JSON string literal."""
    return encode_basestring(value).encode()


def json_response(value: Any) -> Response:
    return Response(dumps(value), media_type="application/json")


class EventStream:
    """An ASGI response writing the frames of a (sync or async) frame generator, one `send` each."""

    def __init__(self, frames: Iterator[bytes] | AsyncIterator[bytes]) -> None:
        self.frames = frames

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
        if isinstance(self.frames, Iterator):
            for frame in self.frames:
                await send({"type": "http.response.body", "body": frame, "more_body": True})
        else:
            async for frame in self.frames:
                await send({"type": "http.response.body", "body": frame, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


# --- Chat Completions ----------------------------------------------------------------------------


class ChatFrames:
    """The frames of one chat stream: pre-encoded around the delta, as a template would be."""

    def __init__(self, model: str) -> None:
        head = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion.chunk"}
        head |= {"created": int(time.time()), "model": model}
        self.prefix = b"data: " + dumps(head)[:-1] + b',"choices":[{"index":0,"delta":'
        # Every delta carries the role, as 1.x sent it and 1.x consumers parse it.
        self.text = self.prefix + b'{"role":"assistant","content":'
        self.suffix = b'},"logprobs":null,"finish_reason":null}]}\n\n'
        self.end = self.text + b'""},"logprobs":null,"finish_reason":"stop"}]}\n\ndata:[DONE]\n\n'

    def sync(self, chunks: Iterator[str]) -> Iterator[bytes]:
        for chunk in chunks:
            yield self.text + text(chunk) + self.suffix
        yield self.end

    async def asynchronous(self, chunks: AsyncIterator[str]) -> AsyncIterator[bytes]:
        async for chunk in chunks:
            yield self.text + text(chunk) + self.suffix
        yield self.end


async def chat(request: Request) -> Any:
    body = json.loads(await request.body())
    model = body["model"]
    result = await run(model, body["messages"], body)
    if isinstance(result, str):
        message = {"role": "assistant", "content": result, "reasoning_content": None, "tool_calls": None}
        choice = {"index": 0, "finish_reason": "stop", "logprobs": None}
        choice["message"] = message | {"refusal": None}
        return json_response(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [choice],
                "usage": None,
                "system_fingerprint": None,
            }
        )
    frames = ChatFrames(model)
    if isinstance(result, Iterator):
        return EventStream(frames.sync(result))
    return EventStream(frames.asynchronous(result))


# --- Responses -----------------------------------------------------------------------------------

SETTINGS = {
    "instructions": None,
    "previous_response_id": None,
    "tools": [],
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "temperature": 1.0,
    "top_p": 1.0,
    "presence_penalty": 0.0,
    "frequency_penalty": 0.0,
    "top_logprobs": 0,
    "max_output_tokens": None,
    "max_tool_calls": None,
    "truncation": "disabled",
    "text": {"format": {"type": "text"}},
    "reasoning": None,
    "store": False,
    "background": False,
    "service_tier": "default",
    "metadata": {},
    "safety_identifier": None,
    "prompt_cache_key": None,
}


def response_object(
    resp_id: str, model: str, created: int, *, status: str, output: list[Any], completed: int | None
) -> dict[str, Any]:
    head = {"id": resp_id, "object": "response", "created_at": created, "status": status, "model": model}
    tail = {"usage": None, "error": None, "incomplete_details": None, "completed_at": completed}
    return head | {"output": output} | tail | SETTINGS


def part(value: str) -> dict[str, Any]:
    return {"type": "output_text", "text": value, "annotations": [], "logprobs": []}


def message(item_id: str, value: str, status: str) -> dict[str, Any]:
    return {"id": item_id, "type": "message", "status": status, "role": "assistant", "content": [part(value)]}


def event(name: str, seq: int, fields: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + dumps({"type": name, "sequence_number": seq} | fields) + b"\n\n"


class ResponseFrames:
    """The events of one Responses stream: lifecycle events as dicts, the deltas pre-encoded."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.id = f"resp_{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.item = f"msg_{uuid.uuid4().hex}"
        self.seq = 0
        self.parts: list[str] = []
        self.delta = (
            b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":',
            b',"item_id":"' + self.item.encode() + b'","output_index":0,"content_index":0,"delta":',
            b',"logprobs":[]}\n\n',
        )

    def next(self, name: str, fields: dict[str, Any]) -> bytes:
        self.seq += 1
        return event(name, self.seq - 1, fields)

    def head(self) -> bytes:
        snapshot = response_object(self.id, self.model, self.created, status="in_progress", output=[], completed=None)
        return self.next("response.created", {"response": snapshot}) + self.next(
            "response.in_progress", {"response": snapshot}
        )

    def chunk(self, chunk: str) -> bytes:
        out = b""
        if not self.parts:
            item = {"id": self.item, "type": "message", "status": "in_progress", "role": "assistant", "content": []}
            out += self.next("response.output_item.added", {"output_index": 0, "item": item})
            out += self.next(
                "response.content_part.added",
                {"item_id": self.item, "output_index": 0, "content_index": 0, "part": part("")},
            )
        self.parts.append(chunk)
        self.seq += 1
        start, middle, end = self.delta
        return out + start + str(self.seq - 1).encode() + middle + text(chunk) + end

    def tail(self) -> bytes:
        out = b""
        output = []
        if self.parts:
            full = "".join(self.parts)
            position = {"item_id": self.item, "output_index": 0, "content_index": 0}
            out += self.next("response.output_text.done", position | {"text": full, "logprobs": []})
            out += self.next("response.content_part.done", position | {"part": part(full)})
            output = [message(self.item, full, "completed")]
            out += self.next("response.output_item.done", {"output_index": 0, "item": output[0]})
        done = response_object(
            self.id, self.model, self.created, status="completed", output=output, completed=int(time.time())
        )
        return out + self.next("response.completed", {"response": done})

    def sync(self, chunks: Iterator[str]) -> Iterator[bytes]:
        yield self.head()
        for chunk in chunks:
            yield self.chunk(chunk)
        yield self.tail()

    async def asynchronous(self, chunks: AsyncIterator[str]) -> AsyncIterator[bytes]:
        yield self.head()
        async for chunk in chunks:
            yield self.chunk(chunk)
        yield self.tail()


async def responses(request: Request) -> Any:
    body = json.loads(await request.body())
    model = body["model"]
    value = body.get("input")
    items = [{"type": "message", "role": "user", "content": value}] if isinstance(value, str) else value or []
    result = await run(model, items, body)
    if isinstance(result, str):
        now = int(time.time())
        output = [message(f"msg_{uuid.uuid4().hex}", result, "completed")]
        return json_response(
            response_object(f"resp_{uuid.uuid4().hex}", model, now, status="completed", output=output, completed=now)
        )
    frames = ResponseFrames(model)
    if isinstance(result, Iterator):
        return EventStream(frames.sync(result))
    return EventStream(frames.asynchronous(result))


# --- Embeddings ------------------------------------------------------------------------------------


async def embeddings(request: Request) -> Any:
    """The answer built by hand: float32 bytes from numpy or `array`, `base64.b64encode`, orjson."""
    body = orjson.loads(await request.body())
    model = body["model"]
    value = body["input"]
    inputs = [value] if isinstance(value, str) or isinstance(value[0], int) else value
    vectors = await run_embeddings(model, inputs, body)
    if body.get("encoding_format") == "base64":
        if hasattr(vectors, "tobytes"):
            rows: Any = [base64.b64encode(row.tobytes()).decode() for row in vectors]
        else:
            rows = [base64.b64encode(array.array("f", row).tobytes()).decode() for row in vectors]
    else:
        rows = vectors.tolist() if hasattr(vectors, "tolist") else vectors
    data = [{"object": "embedding", "index": index, "embedding": row} for index, row in enumerate(rows)]
    answer = {"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": 0, "total_tokens": 0}}
    return Response(orjson.dumps(answer), media_type="application/json")


app = Starlette(
    routes=[
        Route("/v1/chat/completions", chat, methods=["POST"]),
        Route("/v1/responses", responses, methods=["POST"]),
        Route("/v1/embeddings", embeddings, methods=["POST"]),
    ]
)
