"""The streaming response every API of this project uses.

`EventStreamResponse` takes the user's generator (sync or async) and a `StreamEncoder` that knows
one API's wire format, and:

- iterates a sync generator in one producer thread per stream, handing encoded frames to the event
  loop through a bounded buffer, and writes everything that is ready in one `send` (no thread-pool
  round trip per chunk);
- iterates an async generator on the event loop;
- stops the generator as soon as the client disconnects: an async generator is cancelled and
  closed; a sync generator is closed by its producer thread right after the chunk it is producing,
  so no thread is left running the pipeline;
- turns an exception raised by the generator mid-stream into the encoder's error frames (for
  example a chat `data: {"error": ...}` frame or a Responses `response.failed` event), logs the
  traceback and ends the stream cleanly instead of cutting the connection;
- applies back-pressure: a slow client stops a fast producer once the buffer is full.
"""

import asyncio
import collections
import contextvars
import logging
import threading
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, Protocol

import anyio
from starlette.background import BackgroundTask
from starlette.concurrency import iterate_in_threadpool
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from openai_compat_core.sse import split_frames

logger = logging.getLogger("openai_compat_core.streaming")

DEFAULT_MAX_BUFFERED = 64
"""How many encoded chunks a sync producer may get ahead of the client before it waits."""

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
"""Headers sent with every event stream: no caching, and no buffering by nginx-style proxies."""


class StreamEncoder(Protocol):
    """Turns one API's stream of user chunks into SSE bytes.

    The response calls `open()` once, `encode(chunk)` for each chunk, then exactly one of `close()`
    (the generator ended) or `fail(exc)` (the generator or the encoder raised). Each returns the
    bytes of zero or more whole frames. The encoder sets `finished` to stop the stream early (for
    example when a chunk is itself the final response); the response then calls `close()`.
    With a sync generator these methods run in the producer thread, never concurrently.
    """

    finished: bool

    def open(self) -> bytes: ...

    def encode(self, chunk: Any) -> bytes: ...

    def close(self) -> bytes: ...

    def fail(self, exc: Exception) -> bytes: ...


class _Handoff:
    """Bounded single-producer (thread) / single-consumer (event loop) buffer of byte strings."""

    def __init__(self, loop: asyncio.AbstractEventLoop, maxsize: int) -> None:
        self._loop = loop
        self._maxsize = maxsize
        self._cond = threading.Condition(threading.Lock())
        self._items: collections.deque[bytes] = collections.deque()
        self._last = False
        self._waiter: asyncio.Future[None] | None = None
        self.closed = False

    def put(self, data: bytes, *, last: bool = False) -> bool:
        """Producer side: queue `data`; block while full. Returns False once the consumer has gone."""
        with self._cond:
            while len(self._items) >= self._maxsize and not self.closed:
                self._cond.wait()
            if self.closed:
                return False
            if data:
                self._items.append(data)
            self._last = self._last or last
            waiter, self._waiter = self._waiter, None
        if waiter is not None:
            self._loop.call_soon_threadsafe(_wake, waiter)
        return True

    async def take(self) -> tuple[bytes, bool]:
        """Consumer side: wait for data, then return everything queued and whether it ends the stream."""
        while True:
            with self._cond:
                if self._items or self._last:
                    data = b"".join(self._items)
                    self._items.clear()
                    self._cond.notify()
                    return data, self._last
                waiter = self._loop.create_future()
                self._waiter = waiter
            await waiter

    def close(self) -> None:
        """Consumer side: the client is gone; release a waiting producer and refuse further data."""
        with self._cond:
            self.closed = True
            self._waiter = None
            self._cond.notify_all()


def _wake(waiter: "asyncio.Future[None]") -> None:
    if not waiter.done():
        waiter.set_result(None)


def _close_sync(source: Iterator[Any]) -> None:
    close = getattr(source, "close", None)
    if close is None:
        return
    try:
        close()
    except Exception:
        logger.exception("Closing the stream's generator raised")


async def _close_async(source: AsyncIterator[Any]) -> None:
    aclose = getattr(source, "aclose", None)
    if aclose is None:
        return
    with anyio.CancelScope(shield=True):
        try:
            await aclose()
        except Exception:
            logger.exception("Closing the stream's async generator raised")


def _running_asyncio() -> asyncio.AbstractEventLoop | None:
    """The running asyncio loop, or None under another event loop (trio)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _body(data: bytes, more: bool = True) -> dict[str, Any]:
    return {"type": "http.response.body", "body": data, "more_body": more}


class EventStreamResponse(StreamingResponse):
    """A `text/event-stream` response that drives a user generator through a `StreamEncoder`.

    Args:
        source: the user's sync or async iterable of chunks.
        encoder: the API's encoder (see `StreamEncoder`).
        log: where the traceback of a mid-stream failure goes.
        status_code, headers, background: as for Starlette responses.
        max_buffered: how many encoded chunks a sync producer may queue before waiting for the client.

    For code written against the 1.x helpers, iterating `body_iterator` yields one `str` per SSE
    frame; the response then streams that way instead of through its producer thread.
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        source: Iterable[Any] | AsyncIterable[Any],
        encoder: StreamEncoder,
        *,
        log: logging.Logger | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        background: BackgroundTask | None = None,
        max_buffered: int = DEFAULT_MAX_BUFFERED,
    ) -> None:
        self.source = source
        self.encoder = encoder
        self.log = log or logger
        self.status_code = status_code
        self.background = background
        self.max_buffered = max(1, max_buffered)
        self._compat_iterator: AsyncIterator[str | bytes] | None = None
        self.init_headers({**SSE_HEADERS, **(headers or {})})

    # 1.x compatibility: `body_iterator` is a public attribute of StreamingResponse.
    @property  # type: ignore[override]
    def body_iterator(self) -> AsyncIterator[str | bytes]:
        """An async iterator of the stream's frames, one `str` per SSE frame."""
        if self._compat_iterator is None:
            self._compat_iterator = self._frames_as_text()
        return self._compat_iterator

    @body_iterator.setter
    def body_iterator(self, value: AsyncIterator[str | bytes]) -> None:
        self._compat_iterator = value

    async def _frames_as_text(self) -> AsyncIterator[str]:
        async for data in self._encoded_async(self._as_async(self.source)):
            for frame in split_frames(data):
                yield frame.decode()

    @staticmethod
    def _as_async(source: Iterable[Any] | AsyncIterable[Any]) -> AsyncIterator[Any]:
        if isinstance(source, AsyncIterable):
            return aiter(source)
        return iterate_in_threadpool(iter(source))

    async def _encoded_async(self, source: AsyncIterator[Any]) -> AsyncGenerator[bytes, None]:
        """Encode an async source, yielding bytes; closes the source however iteration ends."""
        encoder = self.encoder
        try:
            head = encoder.open()
            if head:
                yield head
            while True:
                try:
                    chunk = await source.__anext__()
                    data = encoder.encode(chunk)
                except StopAsyncIteration:
                    yield encoder.close()
                    return
                except Exception as exc:
                    self.log.error("Error while streaming the response", exc_info=exc)
                    yield encoder.fail(exc)
                    return
                if data:
                    yield data
                if encoder.finished:
                    yield encoder.close()
                    return
        finally:
            await _close_async(source)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream the response, stopping the source when the client disconnects."""
        if self._compat_iterator is not None or scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async with anyio.create_task_group() as group:

            async def watch_disconnect() -> None:
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        group.cancel_scope.cancel()
                        return

            group.start_soon(watch_disconnect)
            try:
                await self._stream(send)
            except OSError:
                # The server reported the client gone while we wrote; nothing more can be sent.
                pass
            finally:
                group.cancel_scope.cancel()
        if self.background is not None:
            await self.background()

    async def _stream(self, send: Send) -> None:
        source = self.source
        if not isinstance(source, AsyncIterable) and _running_asyncio() is not None:
            await self._stream_from_thread(iter(source), send)
            return
        frames = self._encoded_async(self._as_async(source))
        try:
            async for data in frames:
                await send(_body(data))
            await send(_body(b"", more=False))
        finally:
            with anyio.CancelScope(shield=True):
                await frames.aclose()

    async def _stream_from_thread(self, source: Iterator[Any], send: Send) -> None:
        handoff = _Handoff(asyncio.get_running_loop(), self.max_buffered)
        context = contextvars.copy_context()
        thread = threading.Thread(
            target=context.run, args=(self._produce, source, handoff), name="openai-compat-stream", daemon=True
        )
        thread.start()
        try:
            while True:
                data, last = await handoff.take()
                await send(_body(data, more=not last))
                if last:
                    return
        finally:
            handoff.close()

    def _produce(self, source: Iterator[Any], handoff: _Handoff) -> None:
        """Producer thread: iterate the sync source, encode, hand frames over; always close the source."""
        encoder = self.encoder
        ended = False
        try:
            if not handoff.put(encoder.open()):
                return
            while True:
                try:
                    chunk = next(source)
                    data = encoder.encode(chunk)
                except StopIteration:
                    ended = True
                    handoff.put(encoder.close(), last=True)
                    return
                except Exception as exc:
                    self.log.error("Error while streaming the response", exc_info=exc)
                    ended = True
                    handoff.put(encoder.fail(exc), last=True)
                    return
                if data and not handoff.put(data):
                    return
                if encoder.finished:
                    ended = True
                    handoff.put(encoder.close(), last=True)
                    return
        finally:
            _close_sync(source)
            if not ended:
                # Unblock the consumer whatever happened (the client left, or a BaseException here).
                handoff.put(b"", last=True)


__all__ = ["DEFAULT_MAX_BUFFERED", "SSE_HEADERS", "EventStreamResponse", "StreamEncoder"]
