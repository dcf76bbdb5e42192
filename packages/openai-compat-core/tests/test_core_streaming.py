import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI

from openai_compat_core import EventStreamResponse, _thread_stream
from openai_compat_core.producer import Handoff
from openai_compat_core.sse import data_frame
from openai_compat_core.testing import LiveServer, RequestWatch


class RecordingEncoder:
    """A minimal StreamEncoder: one data frame per chunk, framed by open/close, `fail` on errors."""

    def __init__(self) -> None:
        self.finished = False

    def open(self) -> bytes:
        return data_frame({"open": True})

    def encode(self, chunk: Any) -> bytes:
        if chunk == "explode-in-encoder":
            raise ValueError("encoder cannot take this")
        if chunk == "last":
            self.finished = True
        return data_frame({"chunk": chunk})

    def close(self) -> bytes:
        return data_frame({"close": True})

    def fail(self, exc: Exception) -> bytes:
        return data_frame({"error": str(exc)})


def frames(text: str) -> list[Any]:
    return [json.loads(block[len("data: ") :]) for block in text.split("\n\n") if block]


def app_for(make_source: Callable[[], Any]) -> FastAPI:
    app = FastAPI()

    @app.get("/stream")
    async def stream() -> EventStreamResponse:
        return EventStreamResponse(make_source(), RecordingEncoder())

    return app


def sync_words() -> Iterator[str]:
    yield from ["a", "b", "c"]


async def async_words() -> AsyncIterator[str]:
    for word in ["a", "b", "c"]:
        await asyncio.sleep(0)
        yield word


EXPECTED = [{"open": True}, {"chunk": "a"}, {"chunk": "b"}, {"chunk": "c"}, {"close": True}]


@pytest.mark.parametrize("make_source", [sync_words, async_words, lambda: ["a", "b", "c"]])
async def test_streams_every_chunk_in_order(make_source: Callable[[], Any], asgi_client: Any) -> None:
    async with asgi_client(app_for(make_source)) as client:
        response = await client.get("/stream")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert frames(response.text) == EXPECTED


@pytest.mark.parametrize("make_source", [sync_words, async_words])
def test_streams_over_a_real_socket(make_source: Callable[[], Any], live_server: Any) -> None:
    server = live_server(app_for(make_source))
    response = httpx.get(f"{server.url}/stream", timeout=10)
    assert frames(response.text) == EXPECTED


def failing_sync() -> Iterator[str]:
    yield "a"
    raise RuntimeError("pipeline broke")


async def failing_async() -> AsyncIterator[str]:
    yield "a"
    raise RuntimeError("pipeline broke")


@pytest.mark.parametrize("make_source", [failing_sync, failing_async])
async def test_mid_stream_exception_becomes_error_frame_and_is_logged(
    make_source: Callable[[], Any], asgi_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="openai_compat_core.streaming"):
        async with asgi_client(app_for(make_source)) as client:
            response = await client.get("/stream")
    assert frames(response.text) == [{"open": True}, {"chunk": "a"}, {"error": "pipeline broke"}]
    records = [r for r in caplog.records if r.name == "openai_compat_core.streaming"]
    assert records
    assert records[0].exc_info is not None
    assert "pipeline broke" in str(records[0].exc_info[1])


@pytest.mark.parametrize("as_async", [False, True])
async def test_encoder_errors_and_early_finish(as_async: bool, asgi_client: Any) -> None:
    items = ["a", "explode-in-encoder", "never"]
    finish_items = ["a", "last", "never"]

    def source(values: list[str]) -> Any:
        if not as_async:
            return iter(values)

        async def agen() -> AsyncIterator[str]:
            for value in values:
                yield value

        return agen()

    async with asgi_client(app_for(lambda: source(items))) as client:
        assert frames((await client.get("/stream")).text) == [
            {"open": True},
            {"chunk": "a"},
            {"error": "encoder cannot take this"},
        ]
    async with asgi_client(app_for(lambda: source(finish_items))) as client:
        assert frames((await client.get("/stream")).text) == [
            {"open": True},
            {"chunk": "a"},
            {"chunk": "last"},
            {"close": True},
        ]


async def test_body_iterator_yields_one_str_per_frame_for_1x_code() -> None:
    response = EventStreamResponse(sync_words(), RecordingEncoder())
    seen = [frame async for frame in response.body_iterator]
    assert all(isinstance(frame, str) and frame.endswith("\n\n") for frame in seen)
    assert [json.loads(frame[len("data: ") :]) for frame in seen] == EXPECTED


class Tracker:
    def __init__(self) -> None:
        self.produced = 0
        self.closed = threading.Event()
        self.producer_threads: set[threading.Thread] = set()


def read_frames_then_disconnect(server: LiveServer, count: int) -> None:
    with httpx.Client(timeout=10) as client, client.stream("GET", f"{server.url}/stream") as response:
        seen = 0
        for line in response.iter_lines():
            if line.startswith("data: "):
                seen += 1
                if seen >= count:
                    break


CHUNKS_BEFORE_LEAVING = 5


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_disconnect_closes_the_generator_within_one_chunk(kind: str, live_server: Any) -> None:
    tracker = Tracker()
    watch: RequestWatch

    def slow_sync() -> Iterator[str]:
        tracker.producer_threads.add(threading.current_thread())
        try:
            while True:
                if tracker.produced == CHUNKS_BEFORE_LEAVING:
                    # The model is slow right when the client leaves: the next chunk comes only once the
                    # response has given up. From then on it would go on producing as fast as it is asked.
                    watch.app_returned.wait(10)
                tracker.produced += 1
                yield "x"
        finally:
            tracker.closed.set()

    async def slow_async() -> AsyncIterator[str]:
        try:
            while True:
                if tracker.produced == CHUNKS_BEFORE_LEAVING:
                    await asyncio.Event().wait()  # never set: only a cancellation ends the wait
                tracker.produced += 1
                yield "x"
        finally:
            tracker.closed.set()

    watch = RequestWatch(app_for(slow_sync if kind == "sync" else slow_async))
    server = live_server(watch)
    read_frames_then_disconnect(server, CHUNKS_BEFORE_LEAVING)  # the open frame and 4 chunks
    assert watch.app_returned.wait(10), "the response did not end when the client left"
    assert tracker.closed.wait(10), "the generator was not closed after the client left"
    # A sync generator is asked for at most the chunk it was making; an async one is cancelled at its await.
    assert tracker.produced - CHUNKS_BEFORE_LEAVING <= (1 if kind == "sync" else 0)
    for thread in tracker.producer_threads:
        thread.join(10)
        assert not thread.is_alive(), "a producer thread was left running"


async def test_a_client_that_reads_slowly_holds_a_fast_sync_generator_back() -> None:
    """`max_buffered` bounds how far the producer thread gets ahead of what the client has read."""
    max_buffered, total = 4, 2_000
    produced = read = 0
    leads: list[int] = []

    def fast() -> Iterator[str]:
        nonlocal produced
        for _ in range(total):
            leads.append(produced - read)
            produced += 1
            yield "y"

    async def receive() -> dict[str, Any]:
        await asyncio.Event().wait()  # the client never leaves
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        # The client reads one write at a time, and the event loop turns before the next one: the producer
        # thread runs meanwhile as far as it is let.
        nonlocal read
        await asyncio.sleep(0)
        read += message.get("body", b"").count(b'"chunk"')

    response = EventStreamResponse(fast(), RecordingEncoder(), max_buffered=max_buffered)
    with anyio.fail_after(30):
        await response({"type": "http", "method": "GET", "path": "/stream", "headers": []}, receive, send)
    assert read == produced == total
    # Queued (`max_buffered`) plus one write under way (at most as many), and no more.
    assert max(leads) <= 2 * max_buffered, f"the producer got {max(leads)} chunks ahead of the client"


def test_slow_client_applies_back_pressure_to_a_fast_sync_generator(
    live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    handoffs: list[Handoff] = []

    class RecordedHandoff(Handoff):
        __slots__ = ()

        def __init__(self, maxsize: int) -> None:
            super().__init__(maxsize)
            handoffs.append(self)

    monkeypatch.setattr(_thread_stream, "Handoff", RecordedHandoff)
    tracker = Tracker()
    payload = "y" * 1024

    def fast() -> Iterator[str]:
        try:
            while True:
                tracker.produced += 1
                yield payload
        finally:
            tracker.closed.set()

    server = live_server(app_for(fast))
    with httpx.Client(timeout=10) as client, client.stream("GET", f"{server.url}/stream") as response:
        assert response.status_code == 200
        # Read nothing: once the socket buffers and the hand-off are full, the producer must block.
        stalled = threading.Event()
        for _ in range(1000):
            if handoffs and handoffs[0].producer_waiting:
                stalled.set()
                break
            stalled.wait(0.01)
        assert stalled.is_set(), f"the producer never blocked ({tracker.produced} chunks made)"
        # Socket buffers hold a few MB at most; an unbounded producer would be at millions by now.
        assert tracker.produced < 50_000
    assert tracker.closed.wait(5)
