"""The code paths that exist for AnyIO's other backend (trio), run on it for real, and on asyncio beside it.

Starlette and FastAPI run on trio (hypercorn's trio worker, for one), and so did 1.4.0. Under trio,
`EventStreamResponse` streams an async generator one `send` per frame (`_encoded_async`),
`cancel_on_disconnect` watches the client with an anyio task group, and a sync callback goes to the
thread pool without the asyncio task bookkeeping. Each test starts its own loop with
`anyio.run(..., backend=...)` (pytest-asyncio's auto mode would put an async test on asyncio).
"""

import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from starlette.requests import ClientDisconnect, Request

from openai_compat_core import EventStreamResponse, cancel_on_disconnect
from openai_compat_core.callbacks import ensure_async
from openai_compat_core.sse import data_frame

BACKENDS = ["asyncio", "trio"]
WAIT = 10.0


def run(backend: str, main: Callable[[], Awaitable[Any]]) -> Any:
    """Run `main` on a new event loop of `backend`; a test that hangs fails instead."""

    async def bounded() -> Any:
        with anyio.fail_after(2 * WAIT):
            return await main()

    return anyio.run(bounded, backend=backend)


class Encoder:
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


class Peer:
    """The server's side of one request: what was sent; `leave()` makes `receive` report a disconnect."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.bodies = 0
        self.first_body = anyio.Event()
        self.left = anyio.Event()

    async def receive(self) -> dict[str, Any]:
        await self.left.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        if message["type"] == "http.response.body":
            self.bodies += 1
            self.first_body.set()

    def leave(self) -> None:
        self.left.set()

    def request(self) -> Request:
        return Request({"type": "http", "method": "POST", "path": "/", "headers": []}, self.receive)

    async def serve(self, response: Any) -> None:
        await response({"type": "http", "method": "GET", "path": "/", "headers": []}, self.receive, self.send)

    @property
    def frames(self) -> list[Any]:
        body = b"".join(m.get("body", b"") for m in self.messages if m["type"] == "http.response.body")
        return [json.loads(block[len(b"data: ") :]) for block in body.split(b"\n\n") if block]


# --- EventStreamResponse with an async generator -------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_async_generator_streams_every_chunk(backend: str) -> None:
    async def words() -> AsyncIterator[str]:
        for word in ["a", "b", "c"]:
            await anyio.lowlevel.checkpoint()
            yield word

    async def main() -> None:
        peer = Peer()
        await peer.serve(EventStreamResponse(words(), Encoder()))
        assert peer.messages[0]["status"] == 200
        assert peer.frames == [{"open": True}, {"chunk": "a"}, {"chunk": "b"}, {"chunk": "c"}, {"close": True}]
        assert peer.messages[-1]["more_body"] is False

    run(backend, main)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_async_generator_that_raises_ends_with_the_encoders_error_frame(backend: str) -> None:
    async def failing() -> AsyncIterator[str]:
        yield "a"
        raise RuntimeError("pipeline broke")

    async def main() -> None:
        peer = Peer()
        await peer.serve(EventStreamResponse(failing(), Encoder()))
        assert peer.frames == [{"open": True}, {"chunk": "a"}, {"error": "pipeline broke"}]

    run(backend, main)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_disconnect_cancels_and_closes_an_async_generator(backend: str) -> None:
    state = {"produced": 0, "cancelled": False, "closed": False}

    async def endless() -> AsyncIterator[str]:
        try:
            while True:
                state["produced"] += 1
                yield "x"
                await anyio.sleep(WAIT)  # waits for the model's next token
        except anyio.get_cancelled_exc_class():
            state["cancelled"] = True
            raise
        finally:
            state["closed"] = True

    async def main() -> None:
        peer = Peer()
        with anyio.fail_after(WAIT / 2):
            async with anyio.create_task_group() as group:
                group.start_soon(peer.serve, EventStreamResponse(endless(), Encoder()))
                await peer.first_body.wait()
                peer.leave()
        assert state == {"produced": 1, "cancelled": True, "closed": True}

    run(backend, main)


# --- cancel_on_disconnect and sync callbacks -----------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_cancel_on_disconnect_returns_the_result_while_the_client_stays(backend: str) -> None:
    async def answer() -> str:
        await anyio.lowlevel.checkpoint()
        return "quick"

    async def main() -> None:
        assert await cancel_on_disconnect(Peer().request(), answer()) == "quick"

    run(backend, main)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cancel_on_disconnect_cancels_async_work_when_the_client_leaves(backend: str) -> None:
    seen: list[str] = []

    async def main() -> None:
        peer = Peer()
        started = anyio.Event()
        left: list[str] = []

        async def slow() -> str:
            started.set()
            try:
                await anyio.sleep(WAIT)
            except anyio.get_cancelled_exc_class():
                seen.append("cancelled")
                raise
            return "late"

        async def call() -> None:
            with pytest.raises(ClientDisconnect):
                await cancel_on_disconnect(peer.request(), slow(), on_disconnect=lambda: left.append("seen"))

        with anyio.fail_after(WAIT / 2):
            async with anyio.create_task_group() as group:
                group.start_soon(call)
                await started.wait()
                peer.leave()
        assert left == ["seen"]

    run(backend, main)
    assert seen == ["cancelled"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_sync_callback_runs_in_a_worker_thread(backend: str) -> None:
    async def main() -> None:
        assert await ensure_async(threading.get_ident)() != threading.get_ident()

    run(backend, main)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_running_sync_callback_is_left_to_finish_and_its_result_dropped_when_the_client_leaves(backend: str) -> None:
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        assert release.wait(WAIT)
        finished.set()
        return "late"

    async def main() -> None:
        peer = Peer()
        outcome: list[str] = []

        async def call() -> None:
            try:
                outcome.append(
                    await cancel_on_disconnect(peer.request(), ensure_async(slow)(), on_disconnect=release.set)
                )
            except ClientDisconnect:
                outcome.append("disconnect")

        with anyio.fail_after(WAIT / 2):
            async with anyio.create_task_group() as group:
                group.start_soon(call)
                assert await anyio.to_thread.run_sync(started.wait, WAIT)
                peer.leave()  # `on_disconnect` releases the thread, which cannot be interrupted
        assert outcome == ["disconnect"]
        assert finished.is_set(), "the call gave up before its thread returned"

    run(backend, main)
