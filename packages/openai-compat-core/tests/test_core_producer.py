"""Producer threads: the bound, the slot's life, the hand-off, back-pressure, on asyncio and on trio.

The tests drive an `EventStreamResponse` as a server does (an ASGI `receive`/`send` pair) on a loop of
their own, `anyio.run(..., backend=...)`: pytest-asyncio's auto mode would run an async test on
asyncio whatever anyio's plugin asks, so each test is sync and starts its own loop, on both backends.
"""

import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio
import pytest
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request

from openai_compat_core import (
    DEFAULT_MAX_STREAM_THREADS,
    EventStreamResponse,
    OpenAIHTTPException,
    _thread_stream,
    stream_thread_limiter,
)
from openai_compat_core.collect import run_to_end
from openai_compat_core.producer import (
    MAX_STREAM_THREADS_ENV,
    STREAM_WAIT_TIMEOUT_ENV,
    Handoff,
)
from openai_compat_core.sse import data_frame

BACKENDS = ["asyncio", "trio"]
WAIT = 10.0  # seconds before a test that waits for something that never happens fails


def run(backend: str, main: Callable[[], Awaitable[Any]]) -> Any:
    """Run `main` on a new event loop of `backend`; a test that hangs fails instead."""

    async def bounded() -> Any:
        with anyio.fail_after(2 * WAIT):
            return await main()

    return anyio.run(bounded, backend=backend)


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait, boundedly, until `condition()` holds (a counter another thread or task moves)."""
    try:
        with anyio.fail_after(WAIT):
            while not condition():  # noqa: ASYNC110 - the condition is moved by threads, which cannot set an anyio.Event
                await anyio.sleep(0.001)
    except TimeoutError:
        raise AssertionError(f"timed out waiting until {what}") from None


async def in_thread(event: threading.Event) -> None:
    """Wait for a `threading.Event` without blocking the event loop."""
    assert await anyio.to_thread.run_sync(event.wait, WAIT), "timed out waiting for a thread"


class Encoder:
    """A minimal StreamEncoder: one data frame per chunk, framed by open/close, `fail` on errors."""

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


def frames(body: bytes) -> list[Any]:
    return [json.loads(block[len(b"data: ") :]) for block in body.split(b"\n\n") if block]


class Client:
    """The server's side of one response: records what is sent; `leave()` makes `receive` report a disconnect."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.first_body = anyio.Event()
        self.done = anyio.Event()
        self.left = anyio.Event()
        self.send_gate: anyio.Event | None = None  # when set to an Event, bodies after the first wait for it

    async def receive(self) -> dict[str, Any]:
        await self.left.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        if message["type"] == "http.response.body":
            if self.first_body.is_set() and self.send_gate is not None:
                await self.send_gate.wait()
            self.first_body.set()

    def leave(self) -> None:
        self.left.set()

    async def run(self, response: Any) -> None:
        try:
            await response({"type": "http", "method": "GET", "path": "/", "headers": []}, self.receive, self.send)
        finally:
            self.done.set()

    @property
    def status(self) -> int | None:
        starts = [m for m in self.messages if m["type"] == "http.response.start"]
        return starts[0]["status"] if starts else None

    @property
    def headers(self) -> dict[str, str]:
        start = next(m for m in self.messages if m["type"] == "http.response.start")
        return {k.decode(): v.decode() for k, v in start["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages if m["type"] == "http.response.body")

    @property
    def complete(self) -> bool:
        bodies = [m for m in self.messages if m["type"] == "http.response.body"]
        return bool(bodies) and not bodies[-1].get("more_body", False)


class Source:
    """A sync generator that counts its chunks and its closing, and waits at `hold_at` for `release`."""

    def __init__(self, chunks: int = 3, *, hold_at: int | None = None, fail_at: int | None = None) -> None:
        self.chunks = chunks
        self.hold_at = hold_at
        self.fail_at = fail_at
        self.produced = 0
        self.holding = threading.Event()
        self.release = threading.Event()
        self.closed = threading.Event()

    def __call__(self) -> Iterator[str]:
        try:
            for i in range(self.chunks):
                if i == self.hold_at:
                    self.holding.set()
                    assert self.release.wait(WAIT)
                if i == self.fail_at:
                    raise RuntimeError("pipeline broke")
                self.produced += 1
                yield f"c{i}"
        finally:
            self.closed.set()


def expected(chunks: int) -> list[Any]:
    return [{"open": True}, *({"chunk": f"c{i}"} for i in range(chunks)), {"close": True}]


# --- the bound ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_stream_waits_for_a_thread_when_all_are_busy_then_gets_the_one_freed(backend: str) -> None:
    async def main() -> None:
        limiter = stream_thread_limiter()
        limiter.total_tokens = 2
        sources = [Source(hold_at=1) for _ in range(3)]
        clients = [Client() for _ in range(3)]
        async with anyio.create_task_group() as group:
            for source, client in zip(sources[:2], clients[:2], strict=True):
                group.start_soon(client.run, EventStreamResponse(source(), Encoder()))
            for source in sources[:2]:
                await in_thread(source.holding)
            assert limiter.borrowed_tokens == 2
            group.start_soon(clients[2].run, EventStreamResponse(sources[2](), Encoder()))
            await until(lambda: limiter.statistics().tasks_waiting == 1, "the third stream waits")
            # It waits before its response starts: nothing was sent, its generator has not started.
            assert clients[2].messages == []
            assert sources[2].produced == 0
            sources[0].release.set()
            await clients[0].done.wait()
            await until(sources[2].holding.is_set, "the third stream got the freed thread")
            assert limiter.borrowed_tokens == 2
            for source in sources[1:]:
                source.release.set()
        for client in clients:
            assert client.status == 200
            assert frames(client.body) == expected(3)
        assert limiter.borrowed_tokens == 0

    run(backend, main)


def refused(client: Client) -> None:
    assert client.status == 503
    assert client.headers["x-should-retry"] == "true"
    assert client.headers["content-type"] == "application/json"
    body = json.loads(client.body)
    assert body["error"]["type"] == "server_error"
    assert body["error"]["code"] == "server_overloaded"
    assert body["error"]["param"] is None
    assert "retry" in body["error"]["message"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("how", ["keyword", "environment"])
def test_at_the_bound_a_stream_gets_a_503_it_may_retry_after_the_wait_timeout(
    backend: str, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if how == "environment":
        monkeypatch.setenv(STREAM_WAIT_TIMEOUT_ENV, "0")
    background_ran = threading.Event()

    async def main() -> None:
        limiter = stream_thread_limiter()
        limiter.total_tokens = 1
        held, refused_source = Source(hold_at=1), Source()
        first, second = Client(), Client()
        async with anyio.create_task_group() as group:
            group.start_soon(first.run, EventStreamResponse(held(), Encoder()))
            await in_thread(held.holding)
            response = EventStreamResponse(
                refused_source(),
                Encoder(),
                wait_timeout=0 if how == "keyword" else None,
                background=BackgroundTask(background_ran.set),
            )
            await second.run(response)
            refused(second)
            assert refused_source.produced == 0
            assert limiter.borrowed_tokens == 1
            held.release.set()
        assert frames(first.body) == expected(3)
        assert limiter.borrowed_tokens == 0

    run(backend, main)
    assert background_ran.is_set(), "the response's background task did not run"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_client_that_leaves_while_waiting_for_a_thread_gives_up_its_place(backend: str) -> None:
    async def main() -> None:
        limiter = stream_thread_limiter()
        limiter.total_tokens = 1
        held, waiting = Source(hold_at=1), Source()
        first, second = Client(), Client()
        async with anyio.create_task_group() as group:
            group.start_soon(first.run, EventStreamResponse(held(), Encoder()))
            await in_thread(held.holding)
            group.start_soon(second.run, EventStreamResponse(waiting(), Encoder()))
            await until(lambda: limiter.statistics().tasks_waiting == 1, "the second stream waits")
            second.leave()
            await second.done.wait()
            assert second.status == 499
            assert limiter.statistics().tasks_waiting == 0
            assert limiter.borrowed_tokens == 1
            assert waiting.produced == 0
            held.release.set()
        assert limiter.borrowed_tokens == 0

    run(backend, main)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("ending", ["end", "raise", "finish early"])
def test_the_thread_gives_its_slot_back_when_the_stream_ends(backend: str, ending: str) -> None:
    async def main() -> None:
        limiter = stream_thread_limiter()
        limiter.total_tokens = 1
        source = Source(fail_at=1 if ending == "raise" else None)
        client = Client()
        items: Any = source()
        encoder = Encoder()
        if ending == "finish early":
            original = encoder.encode

            def encode(chunk: Any) -> bytes:
                encoder.finished = chunk == "c1"
                return original(chunk)

            encoder.encode = encode
        await client.run(EventStreamResponse(items, encoder))
        # The response returns once its producer has closed the generator and given the slot back.
        assert limiter.borrowed_tokens == 0
        assert source.closed.is_set()
        if ending == "raise":
            assert frames(client.body) == [{"open": True}, {"chunk": "c0"}, {"error": "pipeline broke"}]
        elif ending == "finish early":
            assert frames(client.body) == expected(2)
        else:
            assert frames(client.body) == expected(3)
        assert client.complete

    run(backend, main)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_disconnect_closes_the_generator_after_its_current_chunk_and_then_frees_the_slot(backend: str) -> None:
    async def main() -> None:
        limiter = stream_thread_limiter()
        source = Source(chunks=100, hold_at=2)
        client = Client()
        async with anyio.create_task_group() as group:
            group.start_soon(client.run, EventStreamResponse(source(), Encoder()))
            await in_thread(source.holding)  # the generator is making its third chunk
            client.leave()
            # The response ends at once; the thread cannot be interrupted and keeps its slot meanwhile.
            await client.done.wait()
            assert limiter.borrowed_tokens == 1
            assert not source.closed.is_set()
            source.release.set()
            await in_thread(source.closed)
            await until(lambda: limiter.borrowed_tokens == 0, "the slot was given back")
        assert source.produced == 3, "the generator was asked for more chunks after the client left"

    run(backend, main)


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_event_loop_has_its_own_limiter_of_the_default_size(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MAX_STREAM_THREADS_ENV, raising=False)

    async def lower() -> float:
        limiter = stream_thread_limiter()
        assert stream_thread_limiter() is limiter
        size = limiter.total_tokens
        limiter.total_tokens = 1
        return size

    async def size() -> float:
        return stream_thread_limiter().total_tokens

    assert run(backend, lower) == DEFAULT_MAX_STREAM_THREADS
    assert run(backend, size) == DEFAULT_MAX_STREAM_THREADS


@pytest.mark.parametrize(("value", "total"), [("3", 3), (" 1 ", 1), ("", DEFAULT_MAX_STREAM_THREADS)])
def test_the_bound_comes_from_the_environment(value: str, total: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_STREAM_THREADS_ENV, value)

    async def main() -> float:
        return stream_thread_limiter().total_tokens

    assert run("asyncio", main) == total


@pytest.mark.parametrize(("name", "value"), [(MAX_STREAM_THREADS_ENV, "0"), (MAX_STREAM_THREADS_ENV, "many")])
def test_a_bad_bound_in_the_environment_is_refused_by_name(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, value)

    async def main() -> None:
        stream_thread_limiter()

    with pytest.raises(ValueError, match=name):
        run("asyncio", main)


# --- run_to_end: a collected sync generator is bounded the same way ------------------------------------


def request_with(client: Client) -> Request:
    return Request({"type": "http", "method": "POST", "path": "/", "headers": []}, client.receive)


@pytest.mark.parametrize("backend", BACKENDS)
def test_collecting_a_sync_generator_takes_a_thread_of_the_same_bound(backend: str) -> None:
    async def main() -> None:
        limiter = stream_thread_limiter()
        limiter.total_tokens = 1
        held = Source(hold_at=1)
        stream_client = Client()
        collected: list[bytes] = []
        async with anyio.create_task_group() as group:
            group.start_soon(stream_client.run, EventStreamResponse(held(), Encoder()))
            await in_thread(held.holding)
            with pytest.raises(OpenAIHTTPException) as refusal:
                await run_to_end(Source()(), Encoder(), request_with(Client()), wait_timeout=0)
            assert refusal.value.status_code == 503
            assert refusal.value.headers == {"x-should-retry": "true"}

            async def collect() -> None:
                collected.append(await run_to_end(Source()(), Encoder(), request_with(Client())))

            group.start_soon(collect)
            await until(lambda: limiter.statistics().tasks_waiting == 1, "the collection waits for a thread")
            held.release.set()
        assert frames(collected[0]) == expected(3)
        assert limiter.borrowed_tokens == 0

    run(backend, main)


@pytest.mark.parametrize("backend", BACKENDS)
def test_collecting_stops_after_the_current_chunk_when_the_client_leaves_and_keeps_the_slot_until_then(
    backend: str,
) -> None:
    async def main() -> None:
        limiter = stream_thread_limiter()
        source = Source(chunks=100, hold_at=2)
        client = Client()
        failures: list[BaseException] = []

        async def collect() -> None:
            try:
                await run_to_end(source(), Encoder(), request_with(client))
            except ClientDisconnect as exc:
                failures.append(exc)

        async with anyio.create_task_group() as group:
            group.start_soon(collect)
            await in_thread(source.holding)
            client.leave()
            await until(lambda: bool(failures), "the collection gave up")
            assert limiter.borrowed_tokens == 1, "the slot was given back while its thread still ran"
            source.release.set()
            await in_thread(source.closed)
            await until(lambda: limiter.borrowed_tokens == 0, "the slot was given back")
        assert source.produced == 3

    run(backend, main)


@pytest.mark.parametrize("backend", BACKENDS)
def test_collecting_passes_on_what_the_generator_raises_and_frees_the_slot(backend: str) -> None:
    async def main() -> None:
        with pytest.raises(RuntimeError, match="pipeline broke"):
            await run_to_end(Source(fail_at=1)(), Encoder(), request_with(Client()))
        assert stream_thread_limiter().borrowed_tokens == 0

    run(backend, main)


# --- the hand-off -------------------------------------------------------------------------------------


def produce_into(handoff: Handoff, items: list[bytes]) -> threading.Thread:
    def produce() -> None:
        for item in items:
            assert handoff.put(item)
        handoff.put(b"", last=True)

    thread = threading.Thread(target=produce)
    thread.start()
    return thread


async def consume(handoff: Handoff, maxsize: int) -> list[bytes]:
    got: list[bytes] = []
    with anyio.fail_after(WAIT):
        while True:
            items, last, _ = await handoff.take()
            assert len(items) <= maxsize, "more items were queued than the buffer holds"
            got.extend(items)
            if last:
                return got


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("maxsize", [1, 3, 256])
def test_the_handoff_carries_every_item_in_order_between_concurrent_threads_and_the_loop(
    backend: str, maxsize: int
) -> None:
    streams, count = 8, 3000

    async def main() -> None:
        handoffs = [Handoff(maxsize) for _ in range(streams)]
        sent = [[f"{s}:{i}|".encode() * (1 + i % 5) for i in range(count)] for s in range(streams)]
        received: list[list[bytes]] = [[] for _ in range(streams)]

        async def one(n: int) -> None:
            received[n] = await consume(handoffs[n], maxsize)

        threads = [produce_into(handoff, items) for handoff, items in zip(handoffs, sent, strict=True)]
        async with anyio.create_task_group() as group:
            for n in range(streams):
                group.start_soon(one, n)
        for thread in threads:
            thread.join(WAIT)
            assert not thread.is_alive()
        assert received == sent

    run(backend, main)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_full_handoff_blocks_its_producer_until_the_loop_takes(backend: str) -> None:
    async def main() -> None:
        handoff = Handoff(3)
        put: list[int] = []

        def produce() -> None:
            for i in range(5):
                handoff.put(b"x")
                put.append(i)

        thread = threading.Thread(target=produce)
        thread.start()
        await until(lambda: handoff.producer_waiting, "the producer blocks on the full buffer")
        assert len(put) == 3
        items, last, waited = await handoff.take()
        assert (len(items), last, waited) == (3, False, False)
        await until(lambda: not thread.is_alive(), "the producer went on")
        assert len(put) == 5
        handoff.close()
        assert handoff.put(b"refused") is False

    run(backend, main)


@pytest.mark.parametrize("backend", BACKENDS)
def test_closing_the_handoff_releases_a_blocked_producer(backend: str) -> None:
    async def main() -> None:
        handoff = Handoff(1)
        results: list[bool] = []

        def produce() -> None:
            results.append(handoff.put(b"a"))
            results.append(handoff.put(b"b"))  # blocks: the buffer is full

        thread = threading.Thread(target=produce)
        thread.start()
        await until(lambda: handoff.producer_waiting, "the producer blocks")
        handoff.close()
        await until(lambda: not thread.is_alive(), "the producer was released")
        assert results == [True, False]

    run(backend, main)


# --- back-pressure through the response ---------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_client_that_stops_reading_stops_a_fast_generator(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    handoffs: list[Handoff] = []

    class RecordedHandoff(Handoff):
        __slots__ = ()

        def __init__(self, maxsize: int) -> None:
            super().__init__(maxsize)
            handoffs.append(self)

    monkeypatch.setattr(_thread_stream, "Handoff", RecordedHandoff)
    source = Source(chunks=1_000_000)
    max_buffered = 8

    async def main() -> None:
        client = Client()
        client.send_gate = anyio.Event()  # the client reads the first write, then nothing
        async with anyio.create_task_group() as group:
            group.start_soon(client.run, EventStreamResponse(source(), Encoder(), max_buffered=max_buffered))
            await until(lambda: bool(handoffs) and handoffs[0].producer_waiting, "the producer stalls")
            first_write = frames(client.body)
            # Stalled: what the client got, the full buffer, the chunk in the producer's hands, the one in `send`.
            assert source.produced <= len(first_write) + 2 * max_buffered + 1
            client.leave()
        await until(source.closed.is_set, "the generator was closed")
        assert source.produced < 1_000_000

    run(backend, main)
