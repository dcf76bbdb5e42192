"""Producer threads: the bounded threads that iterate users' sync generators.

A sync generator (a Haystack pipeline streaming through a callback, plain LLM client code) blocks
while it waits for its next token, so it cannot run on the event loop: each stream of one is
iterated in a thread of its own, the *producer*, for as long as the stream lasts, and so is a sync
generator that a non-streaming request collects (`run_to_end`). These threads are bounded:

- Each takes a slot of `stream_thread_limiter()`, an `anyio.CapacityLimiter` of its own (one per event
  loop, like AnyIO's default thread limiter), separate from AnyIO's default limiter of 40 threads
  that sync callbacks and hooks run under: long streams never starve callbacks, and callbacks never
  hold up streams. Its size is `DEFAULT_MAX_STREAM_THREADS` (1,000), or the environment variable
  `OPENAI_COMPAT_MAX_STREAM_THREADS` when the limiter is made; set
  `stream_thread_limiter().total_tokens` (for example in the app's lifespan) to change it at run time.
  LLM streams are long and mostly wait for the model, so a waiting thread costs memory, not CPU: lower
  the bound where the platform limits threads per process (a container's pids limit).
- The slot is taken before the response starts. A request that finds every slot taken waits for one
  (first come, first served), watching for its client leaving, for at most `DEFAULT_STREAM_WAIT_TIMEOUT`
  seconds (10; the environment variable `OPENAI_COMPAT_STREAM_WAIT_TIMEOUT`, or the `wait_timeout` of
  `EventStreamResponse` and `run_to_end`); then it gets OpenAI's error envelope with status 503,
  `type` `server_error`, `code` `server_overloaded` and `x-should-retry: true` (the `openai` SDKs retry it).
- The thread returns the slot when its work ends: the generator finished, raised, or was closed
  after its client left. A thread cannot be interrupted, so the slot of a departed client stays taken
  until the chunk being produced is done.

`Handoff` carries the encoded frames of one stream from its producer thread to the event loop.
"""

import asyncio
import contextlib
import contextvars
import math
import os
import threading
from collections.abc import Callable
from typing import Any

import anyio
from anyio.lowlevel import RunVar

from openai_compat_core.errors import OpenAIHTTPException

DEFAULT_MAX_STREAM_THREADS = 1000
"""How many producer threads may run at once (per event loop); `OPENAI_COMPAT_MAX_STREAM_THREADS` overrides it."""

DEFAULT_STREAM_WAIT_TIMEOUT = 10.0
"""Seconds a request waits for a producer thread before its 503; `OPENAI_COMPAT_STREAM_WAIT_TIMEOUT` overrides it."""

MAX_STREAM_THREADS_ENV = "OPENAI_COMPAT_MAX_STREAM_THREADS"
"""Environment variable: the size of `stream_thread_limiter()` (a positive integer), read when it is made."""

STREAM_WAIT_TIMEOUT_ENV = "OPENAI_COMPAT_STREAM_WAIT_TIMEOUT"
"""Environment variable: seconds to wait for a producer thread (0 or more), read whenever a request has to wait."""

THREAD_NAME = "openai-compat-stream"
"""The name of every producer thread."""

_LIMITER: "RunVar[anyio.CapacityLimiter]" = RunVar("openai_compat_stream_thread_limiter")


def _from_env(name: str, default: float, *, integer: bool) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        value = -1
    if value < (1 if integer else 0) or not math.isfinite(value):
        kind = "a positive integer" if integer else "a number of seconds, 0 or more"
        raise ValueError(f"{name} must be {kind}, not {raw!r}")
    return value


def stream_thread_limiter() -> anyio.CapacityLimiter:
    """Return the limiter of producer threads of the running event loop, making it on first use.

    Its size is `OPENAI_COMPAT_MAX_STREAM_THREADS` if set, else `DEFAULT_MAX_STREAM_THREADS`. Change
    it with `stream_thread_limiter().total_tokens = n` from code running on the server's event loop
    (an app's lifespan, for example); `borrowed_tokens` is how many producer threads run now.

    Raises:
        ValueError: `OPENAI_COMPAT_MAX_STREAM_THREADS` is not a positive integer.
    """
    limiter = _LIMITER.get(None)
    if limiter is None:
        size = _from_env(MAX_STREAM_THREADS_ENV, DEFAULT_MAX_STREAM_THREADS, integer=True)
        limiter = anyio.CapacityLimiter(int(size))
        _LIMITER.set(limiter)
    return limiter


def stream_threads_busy() -> OpenAIHTTPException:
    """The answer to a request that found no producer thread free in time: a 503 the client may retry."""
    return OpenAIHTTPException(
        503,
        "The server is streaming as many answers as it can at once; please retry shortly.",
        type="server_error",
        code="server_overloaded",
        headers={"x-should-retry": "true"},
    )


def running_asyncio() -> asyncio.AbstractEventLoop | None:
    """The running asyncio loop, or None under AnyIO's other backend (trio)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _trio_call_soon() -> Callable[..., object]:
    """Trio's `call_soon_threadsafe`: schedule a sync call on the running trio loop from any thread."""
    import trio  # noqa: PLC0415 - AnyIO's only other backend; imported only when it is the one running

    return trio.lowlevel.current_trio_token().run_sync_soon


_FREE, _TAKEN, _RUNNING, _RETURNED = "free", "taken", "running", "returned"


class ProducerSlot:
    """One slot of `stream_thread_limiter()`: taken on the event loop, then held by a producer thread.

    `take()` (or `try_take()`), then `start(fn, ...)` runs `fn` in a new thread that returns the
    slot when `fn` returns; `finished()` waits for that. A slot taken but never started is given
    back with `give_back()`. Make and use it on the event loop; only `start`'s thread runs elsewhere.
    """

    __slots__ = ("_call_soon", "_finished", "_limiter", "_state")

    def __init__(self) -> None:
        self._limiter = stream_thread_limiter()
        self._state = _FREE
        loop = running_asyncio()
        self._call_soon = loop.call_soon_threadsafe if loop is not None else _trio_call_soon()
        self._finished = anyio.Event()

    def try_take(self) -> bool:
        """Take a slot if one is free and nobody waits for one; tell whether it was taken."""
        try:
            self._limiter.acquire_on_behalf_of_nowait(self)
        except anyio.WouldBlock:
            return False
        self._state = _TAKEN
        return True

    async def take(self, wait_timeout: float | None = None) -> None:
        """Take a slot, waiting for one at most `wait_timeout` seconds (by default `OPENAI_COMPAT_STREAM_WAIT_TIMEOUT`).

        Raises:
            OpenAIHTTPException: 503 (`stream_threads_busy()`), no slot came free in time.
            ValueError: `OPENAI_COMPAT_STREAM_WAIT_TIMEOUT` is not a number of seconds.
        """
        if self.try_take():
            return
        if wait_timeout is None:
            wait_timeout = _from_env(STREAM_WAIT_TIMEOUT_ENV, DEFAULT_STREAM_WAIT_TIMEOUT, integer=False)
        with anyio.move_on_after(wait_timeout):
            await self._limiter.acquire_on_behalf_of(self)
            self._state = _TAKEN
            return
        raise stream_threads_busy()

    def start(self, fn: Callable[..., object], *args: Any) -> None:
        """Run `fn(*args)` (in a copy of the current context) in a new daemon thread holding this slot.

        Raises:
            RuntimeError: the system refused another thread; the slot is still taken (`give_back()` it).
        """
        self._state = _RUNNING
        thread = threading.Thread(
            target=self._work, args=(contextvars.copy_context(), fn, args), name=THREAD_NAME, daemon=True
        )
        try:
            thread.start()
        except BaseException:
            self._state = _TAKEN
            raise

    def _work(self, context: contextvars.Context, fn: Callable[..., object], args: tuple[Any, ...]) -> None:
        try:
            context.run(fn, *args)
        finally:
            # The event loop may have closed meanwhile (the server stopped), and its limiter with it.
            with contextlib.suppress(RuntimeError):
                self._call_soon(self._release)

    def _release(self) -> None:
        """On the event loop, once the thread's work has ended."""
        self._state = _RETURNED
        self._limiter.release_on_behalf_of(self)
        self._finished.set()

    def give_back(self) -> None:
        """Return the slot if it is taken and no thread holds it (a thread returns it itself)."""
        if self._state == _TAKEN:
            self._state = _RETURNED
            self._limiter.release_on_behalf_of(self)

    async def finished(self) -> None:
        """Wait until the thread started by `start` has ended and returned the slot."""
        await self._finished.wait()


def _wake(waiter: "asyncio.Future[None]") -> None:
    if not waiter.done():
        waiter.set_result(None)


class Handoff:
    """Bounded buffer of byte strings from one producer thread to the event loop; make it on the loop.

    Every read and write of the shared state happens under one lock, so the hand-off is correct on any
    interpreter, free-threaded builds included; the lock is held for a few operations at a time, never
    while waiting or sending. The producer blocks (on a condition of that lock) while `maxsize` items
    are queued: a slow client stops a fast generator. The consumer takes everything queued in one go,
    so the frames of a fast producer go out in batches; when nothing is queued it waits, and the
    producer wakes it through the loop's thread-safe call (`loop.call_soon_threadsafe`, or trio's
    `run_sync_soon`) only then.
    """

    __slots__ = (
        "_call_soon",
        "_closed",
        "_items",
        "_last",
        "_lock",
        "_loop",
        "_not_full",
        "_producer_waits",
        "_room",
        "_waiter",
    )

    def __init__(self, maxsize: int) -> None:
        self._room = max(1, maxsize)  # how many items may be queued; 0 once closed
        self._loop = running_asyncio()
        self._call_soon = self._loop.call_soon_threadsafe if self._loop is not None else _trio_call_soon()
        self._lock = threading.Lock()
        self._not_full = threading.Condition(self._lock)
        self._items: list[bytes] = []
        self._last = False
        self._closed = False
        self._producer_waits = False
        self._waiter: Any = None  # what the consumer waits on: an asyncio future, or an anyio Event

    def put(self, data: bytes, *, last: bool = False) -> bool:
        """Producer side: queue `data` (`last`: nothing follows); block while full.

        Returns False, queueing nothing, once the consumer has closed the hand-off (the client left).
        """
        lock = self._lock
        # acquire/release rather than `with`: this runs once per chunk, and `with` costs twice as much.
        lock.acquire()
        try:
            if len(self._items) >= self._room and not self._wait_for_room():
                return False
            if data:
                self._items.append(data)
            if last:
                self._last = True
            waiter = self._waiter
            if waiter is not None:
                self._waiter = None
        finally:
            lock.release()
        if waiter is not None:
            # The loop may have closed meanwhile (the server stopped): nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                if self._loop is not None:
                    self._call_soon(_wake, waiter)
                else:
                    self._call_soon(waiter.set)
        return True

    def _wait_for_room(self) -> bool:
        """With the lock held: wait until an item fits; False if the hand-off was closed instead."""
        self._producer_waits = True
        while len(self._items) >= self._room and not self._closed:
            self._not_full.wait()
        self._producer_waits = False
        return not self._closed

    async def take(self) -> tuple[list[bytes], bool, bool]:
        """Consumer side: wait until something is queued, then take all of it.

        Returns `(items, last, waited)`: the queued byte strings, whether they end the stream, and
        whether this call had to wait for the producer.
        """
        waited = False
        while True:
            with self._lock:
                if self._items or self._last:
                    items, self._items = self._items, []
                    if self._producer_waits:
                        self._not_full.notify()
                    return items, self._last, waited
                waiter = self._waiter = self._loop.create_future() if self._loop is not None else anyio.Event()
            waited = True
            if isinstance(waiter, anyio.Event):
                await waiter.wait()
            else:
                await waiter

    def close(self) -> None:
        """Consumer side: the client is gone; release a waiting producer and refuse what it puts from now on."""
        with self._lock:
            self._closed = True
            self._room = 0  # every `put` now takes the slow path, which sees `_closed`
            self._waiter = None
            self._not_full.notify_all()

    @property
    def producer_waiting(self) -> bool:
        """Whether the producer is blocked because `maxsize` items are queued (back-pressure)."""
        with self._lock:
            return self._producer_waits


__all__ = [
    "DEFAULT_MAX_STREAM_THREADS",
    "DEFAULT_STREAM_WAIT_TIMEOUT",
    "MAX_STREAM_THREADS_ENV",
    "STREAM_WAIT_TIMEOUT_ENV",
    "THREAD_NAME",
    "Handoff",
    "ProducerSlot",
    "running_asyncio",
    "stream_thread_limiter",
    "stream_threads_busy",
]
