"""A client that leaves stops the work: 100 disconnects per case, under uvicorn, over real sockets.

For the Chat Completions and Responses routers, each case opens a raw TCP connection, sends a
request, waits until the pipeline is producing, then closes the socket (alternately with a FIN and
with a reset). Counted and asserted on every trial:

- sync generator (streamed): the generator is closed (its `finally` runs) after at most one more
  chunk than the client had received, and its producer thread ends;
- async generator (streamed): the generator is cancelled at its `await` (no further chunk) and closed;
- slow sync callback (non-streaming): a thread cannot be interrupted, so the callback runs to its
  end, but its result is dropped (the post hook never sees it) and no thread is left running it;
- slow async callback (non-streaming): the callback is cancelled (`CancelledError`) and its result
  never computed;
- sync generator without `stream` (the router collects it into one answer): the generator is closed
  after its current chunk.

Every wait is bounded (a hang fails the trial instead of blocking the run), and nothing is timed:
the test waits for the server to report each step through an ASGI middleware before the next one.
"""

import asyncio
import itertools
import json
import logging
import socket
import struct
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from openai_compat_chat import create_chat_completion_router
from openai_compat_core.testing import LiveServer, RequestWatch
from openai_compat_responses import create_responses_router

TRIALS = 100
CHUNKS_BEFORE_LEAVING = 3
WAIT = 10.0  # upper bound of every wait: reached only when something hangs
PRODUCER_THREAD = "openai-compat-stream"


@dataclass
class Trial:
    """What the server side did during one trial."""

    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    closed: threading.Event = field(default_factory=threading.Event)
    produced: int = 0
    cancelled: bool = False
    returned: bool = False
    post_hook_calls: int = 0
    running: int = 0
    thread: threading.Thread | None = None


class Pipeline:
    """Callbacks whose behaviour the current trial decides; they record what happened to them."""

    def __init__(self) -> None:
        self.trial = Trial()

    def sync_stream(self) -> Iterator[str]:
        trial = self.trial
        trial.thread = threading.current_thread()
        try:
            for i in itertools.count():
                if i >= CHUNKS_BEFORE_LEAVING:
                    # Hold the next chunk until the test has seen the server notice the disconnect.
                    trial.started.set()
                    trial.release.wait(WAIT)
                trial.produced += 1
                yield f"w{i}"
                if i > 10_000:
                    return
        finally:
            trial.closed.set()

    async def async_stream(self) -> AsyncIterator[str]:
        trial = self.trial
        try:
            for i in range(CHUNKS_BEFORE_LEAVING):
                trial.produced += 1
                yield f"w{i}"
            await asyncio.Event().wait()  # never set: only a cancellation ends it
            trial.produced += 1
            yield "late"
        except asyncio.CancelledError:
            trial.cancelled = True
            raise
        finally:
            trial.closed.set()

    def slow_sync(self) -> str:
        trial = self.trial
        trial.running += 1
        trial.started.set()
        try:
            trial.release.wait(WAIT)
            return "late"
        finally:
            trial.returned = True
            trial.running -= 1
            trial.closed.set()

    async def slow_async(self) -> str:
        trial = self.trial
        trial.started.set()
        try:
            await asyncio.Event().wait()  # never set: only a cancellation ends it
            trial.returned = True
            return "late"
        except asyncio.CancelledError:
            trial.cancelled = True
            raise
        finally:
            trial.closed.set()

    def run(self, model: str, items: list[Any], body: dict[str, Any]) -> Any:
        """The sync callback: dispatches on the model name."""
        if model == "sync-stream":
            return self.sync_stream()
        return self.slow_sync()

    async def run_async(self, model: str, items: list[Any], body: dict[str, Any]) -> Any:
        """The async callback: dispatches on the model name."""
        if model == "async-stream":
            return self.async_stream()
        return await self.slow_async()

    def post_hook(self, result: Any) -> None:
        self.trial.post_hook_calls += 1


def build_app(api: str, pipeline: Pipeline, *, use_async: bool) -> FastAPI:
    run = pipeline.run_async if use_async else pipeline.run
    app = FastAPI()
    if api == "chat":
        app.include_router(
            create_chat_completion_router(list_models=list, run_completion=run, post_hook=pipeline.post_hook)
        )
    else:
        app.include_router(create_responses_router(list_models=list, run_response=run, post_hook=pipeline.post_hook))
    return app


def request_bytes(api: str, model: str, *, stream: bool) -> bytes:
    if api == "chat":
        path = "/v1/chat/completions"
        payload: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": stream}
    else:
        path = "/v1/responses"
        payload = {"model": model, "input": "hi", "stream": stream}
    body = json.dumps(payload).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def last_chunk_marker(api: str) -> bytes:
    text = f"w{CHUNKS_BEFORE_LEAVING - 1}"
    return f'"content":"{text}"'.encode() if api == "chat" else f'"delta":"{text}"'.encode()


def connect(server: LiveServer, request: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
    sock.sendall(request)
    return sock


def read_until(sock: socket.socket, marker: bytes) -> bytes:
    """Read until `marker` arrived; a socket timeout (a hang) fails the trial."""
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection before {marker!r}: {data[-500:]!r}"
        data += chunk
    return data


def leave(sock: socket.socket, trial_number: int) -> None:
    """Close the connection: a normal close (FIN) on even trials, a reset (RST) on odd ones."""
    if trial_number % 2:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class ErrorLog(logging.Handler):
    """Collects error records (uvicorn's "Exception in ASGI application", our callback failures)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def error_log() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    loggers = [logging.getLogger(name) for name in ("", "uvicorn.error", "fastapi_openai_compat")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def producer_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == PRODUCER_THREAD and t.is_alive()}


Runner = Callable[[LiveServer, RequestWatch, Pipeline, str, int], None]


def sync_stream_trial(server: LiveServer, watch: RequestWatch, pipeline: Pipeline, api: str, n: int) -> None:
    trial = pipeline.trial
    sock = connect(server, request_bytes(api, "sync-stream", stream=True))
    read_until(sock, last_chunk_marker(api))
    received = trial.produced
    leave(sock, n)
    # Once the app has returned, the stream has given up: the producer's next hand-over is refused.
    assert watch.app_returned.wait(WAIT), "the streaming response did not end after the disconnect"
    trial.release.set()
    assert trial.closed.wait(WAIT), "the generator was not closed"
    assert trial.produced - received <= 1, f"{trial.produced - received} chunks made after the client left"
    assert trial.thread is not None
    trial.thread.join(WAIT)
    assert not trial.thread.is_alive(), "the producer thread kept running"


def async_stream_trial(server: LiveServer, watch: RequestWatch, pipeline: Pipeline, api: str, n: int) -> None:
    trial = pipeline.trial
    sock = connect(server, request_bytes(api, "async-stream", stream=True))
    read_until(sock, last_chunk_marker(api))
    leave(sock, n)
    assert trial.closed.wait(WAIT), "the async generator was not closed"
    assert trial.cancelled, "the async generator was not cancelled at its await"
    assert trial.produced == CHUNKS_BEFORE_LEAVING
    assert watch.app_returned.wait(WAIT)


def slow_sync_trial(server: LiveServer, watch: RequestWatch, pipeline: Pipeline, api: str, n: int) -> None:
    trial = pipeline.trial
    sock = connect(server, request_bytes(api, "slow", stream=False))
    assert trial.started.wait(WAIT)
    leave(sock, n)
    assert watch.disconnect_seen.wait(WAIT), "the server did not notice the disconnect"
    # The thread cannot be interrupted: let it finish now that the disconnect is known.
    trial.release.set()
    assert trial.closed.wait(WAIT), "the callback did not return"
    assert watch.app_returned.wait(WAIT)
    assert trial.returned
    assert trial.running == 0, "a thread is still running the callback"
    assert trial.post_hook_calls == 0, "the result of a departed client was used"


def slow_async_trial(server: LiveServer, watch: RequestWatch, pipeline: Pipeline, api: str, n: int) -> None:
    trial = pipeline.trial
    sock = connect(server, request_bytes(api, "slow", stream=False))
    assert trial.started.wait(WAIT)
    leave(sock, n)
    assert trial.closed.wait(WAIT), "the async callback kept running"
    assert trial.cancelled, "the async callback was not cancelled"
    assert not trial.returned
    assert watch.app_returned.wait(WAIT)
    assert trial.post_hook_calls == 0


def collected_stream_trial(server: LiveServer, watch: RequestWatch, pipeline: Pipeline, api: str, n: int) -> None:
    trial = pipeline.trial
    sock = connect(server, request_bytes(api, "sync-stream", stream=False))
    # The router collects the generator for a non-streaming answer: nothing reaches the client yet.
    assert trial.started.wait(WAIT), "the generator did not produce its first chunks"
    received = trial.produced
    leave(sock, n)
    assert watch.disconnect_seen.wait(WAIT), "the server did not notice the disconnect"
    trial.release.set()
    assert trial.closed.wait(WAIT), "the generator was not closed"
    assert trial.produced - received <= 1, f"{trial.produced - received} chunks made after the client left"
    assert watch.app_returned.wait(WAIT)


CASES: list[tuple[str, str, bool, Runner]] = [
    (api, kind, use_async, runner)
    for api in ("chat", "responses")
    for kind, use_async, runner in (
        ("sync generator", False, sync_stream_trial),
        ("async generator", True, async_stream_trial),
        ("slow sync callback", False, slow_sync_trial),
        ("slow async callback", True, slow_async_trial),
    )
] + [(api, "collected sync generator", False, collected_stream_trial) for api in ("chat", "responses")]


@pytest.mark.parametrize(
    ("api", "kind", "use_async", "runner"), CASES, ids=[f"{api}-{kind.replace(' ', '-')}" for api, kind, _, _ in CASES]
)
def test_a_departed_client_stops_the_work(
    api: str, kind: str, use_async: bool, runner: Runner, error_log: ErrorLog
) -> None:
    pipeline = Pipeline()
    watch = RequestWatch(build_app(api, pipeline, use_async=use_async))
    threads_before = producer_threads()
    completed = 0
    with LiveServer(watch) as server:
        for n in range(TRIALS):
            pipeline.trial = Trial()
            watch.reset()
            runner(server, watch, pipeline, api, n)
            completed += 1
    assert completed == TRIALS
    assert producer_threads() <= threads_before, "producer threads were left running"
    # A departed client is not an error: nothing was logged as one (no "Exception in ASGI application").
    assert [record.getMessage() for record in error_log.records] == []


class Pool:
    """Counts the sync callbacks that start, run at once, and end."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started = 0
        self.running = 0
        self.peak = 0
        self.ended = 0
        self.release = threading.Event()

    def run(self, model: str, messages: list[Any], body: dict[str, Any]) -> str:
        with self.lock:
            self.started += 1
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            self.release.wait(WAIT)
            return "late"
        finally:
            with self.lock:
                self.running -= 1
                self.ended += 1


class Counting:
    """ASGI middleware: counts the requests that entered the app and those whose app returned."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.entered = 0
        self.returned = 0
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with self.lock:
            self.entered += 1
        try:
            await self.app(scope, receive, send)
        finally:
            with self.lock:
                self.returned += 1


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Wait (boundedly) until `condition()` holds: a hang fails with `what`."""
    done = threading.Event()
    for _ in range(int(WAIT / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError(f"timed out waiting until {what}")


def test_abandoned_sync_callbacks_never_run_more_threads_than_the_pool_allows(error_log: ErrorLog) -> None:
    # A thread cannot be stopped, but it keeps its slot of the thread pool until it returns, and a call
    # still waiting for a slot when its client leaves never starts: disconnecting clients cannot pile
    # up threads.
    limit, clients, rounds = 4, 12, 5
    pool = Pool()
    app = FastAPI()
    app.include_router(create_chat_completion_router(list_models=list, run_completion=pool.run))

    @app.get("/pool-limit")
    async def set_pool_limit() -> dict[str, int]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = limit
        return {"limit": limit}

    counting = Counting(app)
    with LiveServer(counting) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
            sock.sendall(b"GET /pool-limit HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            assert read_until(sock, b'{"limit":4}')
        for round_number in range(rounds):
            pool.release.clear()
            wait_for(lambda: counting.returned == counting.entered, "the previous requests were over")
            before_started, before_entered, before_returned = pool.started, counting.entered, counting.returned
            socks = [connect(server, request_bytes("chat", "slow", stream=False)) for _ in range(clients)]
            # Every request reached the app (a reset would otherwise drop one still unread), and the pool is full.
            wait_for(lambda: counting.entered - before_entered == clients, "every request arrived")  # noqa: B023
            wait_for(lambda: pool.started - before_started == limit, "the pool was full")  # noqa: B023
            for n, sock in enumerate(socks):
                leave(sock, n)
            # The calls still waiting for a slot are called off at once; the running ones finish.
            waiting = clients - limit
            wait_for(lambda: counting.returned - before_returned == waiting, "the waiting calls were over")  # noqa: B023
            pool.release.set()
            wait_for(lambda: counting.returned - before_returned == clients, "every request was over")  # noqa: B023
            assert pool.running == 0
            assert pool.started - before_started == limit, f"round {round_number}: abandoned calls started"
    assert pool.peak == limit, f"{pool.peak} sync callbacks ran at once with a pool of {limit}"
    assert pool.ended == pool.started == limit * rounds
    assert [record.getMessage() for record in error_log.records] == []
