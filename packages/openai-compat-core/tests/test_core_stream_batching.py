"""The streaming hot paths: batched async streams, the sync hand-off, the lazy disconnect watcher.

Each optimisation must give exactly what the plain path gives; these tests compare the two, and check
the properties the optimisations must keep (back-pressure, no added latency).
"""

import asyncio
import json
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from openai_compat_core import EventStreamResponse
from openai_compat_core.cancellation import cancel_on_disconnect
from openai_compat_core.sse import data_frame


class Encoder:
    """One data frame per chunk, framed by open and close."""

    def __init__(self) -> None:
        self.finished = False

    def open(self) -> bytes:
        return data_frame({"open": True})

    def encode(self, chunk: Any) -> bytes:
        return data_frame({"chunk": chunk})

    def close(self) -> bytes:
        return data_frame({"close": True})

    def fail(self, exc: Exception) -> bytes:
        return data_frame({"error": str(exc)})


class Wire:
    """An ASGI `send` that records body messages, and a `receive` that never reports a disconnect."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.ended = asyncio.Event()
        self._never = asyncio.Event()

    async def send(self, message: Any) -> None:
        if message["type"] == "http.response.body":
            self.bodies.append(message["body"])
            if not message.get("more_body", False):
                self.ended.set()

    async def receive(self) -> Any:
        await self._never.wait()
        return {"type": "http.disconnect"}

    @property
    def data(self) -> bytes:
        return b"".join(self.bodies)


async def wire_bytes(make_source: Any) -> tuple[bytes, list[bytes]]:
    """What a response writes to the socket (the optimised path), and its sends."""
    wire = Wire()
    await EventStreamResponse(make_source(), Encoder())({"type": "http"}, wire.receive, wire.send)
    return wire.data, wire.bodies


async def compat_bytes(make_source: Any) -> bytes:
    """What the 1.x `body_iterator` gives for the same source (the plain path: one frame per step)."""
    response = EventStreamResponse(make_source(), Encoder())
    return "".join([frame async for frame in response.body_iterator]).encode()


def sync_words() -> Iterator[str]:
    yield from (f"w{i}" for i in range(300))


async def async_words() -> AsyncIterator[str]:
    for i in range(300):
        yield f"w{i}"


async def async_words_waiting() -> AsyncIterator[str]:
    for i in range(300):
        if i % 7 == 0:
            await asyncio.sleep(0)
        yield f"w{i}"


@pytest.mark.parametrize("make_source", [sync_words, async_words, async_words_waiting])
async def test_optimised_streams_write_exactly_the_bytes_of_the_plain_path(make_source: Any) -> None:
    data, _ = await wire_bytes(make_source)
    assert data == await compat_bytes(make_source)
    assert data.count(b"\n\n") == 302


async def test_async_frames_made_without_waiting_share_one_send() -> None:
    data, bodies = await wire_bytes(async_words)
    sends_with_data = [body for body in bodies if body]
    # 300 chunks and 2 frames of its own, at most 64 chunks a send: 5 sends, not 302.
    assert len(sends_with_data) <= 6
    assert data.count(b"\n\n") == 302


async def test_frames_ready_are_sent_before_the_async_generator_waits() -> None:
    gate = asyncio.Event()

    async def source() -> AsyncIterator[str]:
        yield "a"
        yield "b"
        await gate.wait()  # e.g. the next token of a model: what is ready must not wait with it
        yield "late"

    wire = Wire()
    streaming = asyncio.ensure_future(
        EventStreamResponse(source(), Encoder())({"type": "http"}, wire.receive, wire.send)
    )
    for _ in range(1000):
        if wire.bodies:
            break
        await asyncio.sleep(0)
    assert [json.loads(f[6:]) for f in wire.data.split(b"\n\n") if f] == [
        {"open": True},
        {"chunk": "a"},
        {"chunk": "b"},
    ]
    assert len(wire.bodies) == 1
    gate.set()
    await asyncio.wait_for(streaming, 10)
    assert wire.data.endswith(data_frame({"chunk": "late"}) + data_frame({"close": True}))


async def test_a_cancellation_while_frames_are_sent_reaches_the_waiting_generator() -> None:
    seen: list[str] = []
    gate = asyncio.Event()

    async def source() -> AsyncIterator[str]:
        yield "a"
        try:
            await gate.wait()
        except asyncio.CancelledError:
            seen.append("cancelled at its await")
            raise
        yield "never"

    async def send(message: Any) -> None:
        if message["type"] == "http.response.body":
            raise asyncio.CancelledError  # as when the task is cancelled while the write waits

    async def receive() -> Any:
        await asyncio.Event().wait()

    with pytest.raises(asyncio.CancelledError):
        await EventStreamResponse(source(), Encoder())({"type": "http"}, receive, send)
    assert seen == ["cancelled at its await"]


def test_slow_client_applies_back_pressure_to_a_fast_async_generator(live_server: Any) -> None:
    produced = 0
    closed = threading.Event()

    async def fast() -> AsyncIterator[str]:
        nonlocal produced
        try:
            while True:
                produced += 1
                yield "y" * 1024
        finally:
            closed.set()

    app = FastAPI()

    @app.get("/stream")
    async def stream() -> EventStreamResponse:
        return EventStreamResponse(fast(), Encoder())

    server = live_server(app)
    with httpx.Client(timeout=10) as client, client.stream("GET", f"{server.url}/stream") as response:
        assert response.status_code == 200
        # Read nothing: once the socket buffers and one batch are full, the generator must stall.
        time.sleep(1.0)
        first = produced
        time.sleep(1.0)
        second = produced
    assert second == first, f"the generator kept going ({first} -> {second}) while the client read nothing"
    assert first < 50_000
    assert closed.wait(5)


# --- cancel_on_disconnect ----------------------------------------------------------------------


def _request() -> Request:
    async def receive() -> Any:
        await asyncio.Event().wait()

    return Request({"type": "http", "headers": []}, receive)


async def test_work_that_needs_no_waiting_is_answered_without_a_watcher_task() -> None:
    async def ready() -> str:
        return "at once"

    before = len(asyncio.all_tasks())
    tasks_seen: list[int] = []

    async def counting() -> str:
        tasks_seen.append(len(asyncio.all_tasks()))
        return await ready()

    assert await cancel_on_disconnect(_request(), counting()) == "at once"
    assert tasks_seen == [before]


async def test_work_that_waits_gets_its_result_through_the_watcher() -> None:
    async def slow() -> str:
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return "later"

    assert await cancel_on_disconnect(_request(), slow()) == "later"


async def test_a_disconnect_cancels_waiting_work() -> None:
    disconnect = asyncio.Event()
    cancelled = asyncio.Event()

    async def receive() -> Any:
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def slow() -> str:
        disconnect.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    from starlette.requests import ClientDisconnect

    with pytest.raises(ClientDisconnect):
        await cancel_on_disconnect(Request({"type": "http", "headers": []}, receive), slow())
    assert cancelled.is_set()
    current = asyncio.current_task()
    assert current is not None
    if sys.version_info >= (3, 11):
        assert current.cancelling() == 0  # our own cancellation was withdrawn


class Ticks:
    """An async iterator written by hand: `__anext__` returns an awaitable whose `__await__` is a plain iterator."""

    def __init__(self, count: int) -> None:
        self.left = count

    def __aiter__(self) -> "Ticks":
        return self

    def __anext__(self) -> Any:
        if not self.left:
            raise StopAsyncIteration
        self.left -= 1
        value = f"t{self.left}"
        return Ready(value)


class Ready:
    """An awaitable whose `__await__` returns a list iterator: no `send`, no `throw`."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __await__(self) -> Any:
        return iter(())  # completes at once; `await Ready(v)` gives None

    def __repr__(self) -> str:
        return self.value


async def test_a_hand_written_async_iterator_streams_as_the_plain_path_does() -> None:
    data, _ = await wire_bytes(lambda: Ticks(5))
    assert data == await compat_bytes(lambda: Ticks(5))
    assert data.count(b"\n\n") == 7
