"""The streaming response every API of this project uses.

`EventStreamResponse` takes the user's generator (sync or async) and a `StreamEncoder` that knows
one API's wire format, and:

- iterates a sync generator in one producer thread per stream, handing encoded frames to the event
  loop through a bounded buffer, and writes everything that is ready in one `send` (no thread-pool
  round trip per chunk);
- iterates an async generator on the event loop, and writes in one `send` every frame its
  generator makes without waiting (a generator that waits, e.g. for the next token of a model, gets
  each frame sent before it waits);
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
import contextlib
import contextvars
import logging
import threading
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from typing import Any, Protocol

import anyio
from starlette.background import BackgroundTask
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from openai_compat_core._resume import Resume, iterate
from openai_compat_core.cancellation import cancel_on_disconnect
from openai_compat_core.sse import split_frames

logger = logging.getLogger("openai_compat_core.streaming")

DEFAULT_MAX_BUFFERED = 256
"""How many encoded chunks a producer may get ahead of the client: a sync generator's thread then waits,
and an async generator that does not wait itself gets what it made sent (and waits for the write)."""

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
    """Bounded single-producer (a thread) / single-consumer (the event loop) buffer of byte strings.

    The producer's usual step takes no lock (appending to a deque and reading an attribute are
    atomic in CPython), which matters at one step per chunk. Locks are taken only around waiting:
    by the consumer to publish the future it waits on when the buffer is empty, and by the producer
    when the buffer is full. Each side publishes that it waits before it checks the buffer again,
    so no wake-up is lost.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, maxsize: int) -> None:
        self._loop = loop
        self._maxsize = maxsize
        self._cond = threading.Condition(threading.Lock())
        self._items: collections.deque[bytes] = collections.deque()
        self._last = False
        self._waiter: asyncio.Future[None] | None = None
        self._producer_waits = False
        self.closed = False
        self.waited = False
        """Whether the last `take` had to wait for the producer."""

    def put(self, data: bytes, *, last: bool = False) -> bool:
        """Producer side: queue `data`; block while full. Returns False once the consumer has gone."""
        if self._gone():
            return False
        items = self._items
        if len(items) >= self._maxsize:
            with self._cond:
                self._producer_waits = True
                while len(items) >= self._maxsize and not self._gone():
                    self._cond.wait()
                self._producer_waits = False
                if self._gone():
                    return False
        if data:
            items.append(data)
        if last:
            # After the data: a consumer that sees `last` has the data too.
            self._last = True
        if self._waiter is not None:
            with self._cond:
                waiter, self._waiter = self._waiter, None
            if waiter is not None:
                self._loop.call_soon_threadsafe(_wake, waiter)
        return True

    def _gone(self) -> bool:
        return self.closed

    async def take(self) -> tuple[bytes, bool]:
        """Consumer side: wait for data, then return everything queued and whether it ends the stream."""
        items = self._items
        self.waited = False
        while True:
            last = self._last  # before taking: everything queued before `last` was set is taken now
            if items or last:
                data = b"".join([items.popleft() for _ in range(len(items))])
                if self._producer_waits:
                    with self._cond:
                        self._cond.notify()
                return data, last
            waiter = self._loop.create_future()
            with self._cond:
                self._waiter = waiter
            if items or self._last:
                # The producer queued something meanwhile (it may also wake `waiter`; that is harmless).
                with self._cond:
                    if self._waiter is waiter:
                        self._waiter = None
                continue
            self.waited = True
            await waiter

    def close(self) -> None:
        """Consumer side: the client is gone; release a waiting producer and refuse further data."""
        with self._cond:
            self.closed = True
            self._waiter = None
            self._cond.notify_all()


async def _abandon(it: Any, yielded: Any) -> None:
    """Cancel an `__anext__` step that was started by hand and is suspended, as cancelling its task would."""
    if isinstance(yielded, asyncio.Future):
        yielded.cancel()
    # The step ends however it likes (most often with the cancellation itself): the stream is over.
    with anyio.CancelScope(shield=True), contextlib.suppress(BaseException):
        await Resume(it, it.throw(asyncio.CancelledError()))


# What `EventStreamResponse._start_step` found.
_READY = object()
_WAITING = object()
_ENDED = object()


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
        status_code: as for Starlette responses.
        headers: as for Starlette responses.
        background: as for Starlette responses.
        max_buffered: how many encoded chunks a producer may get ahead of the client (see `DEFAULT_MAX_BUFFERED`).

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

    def _fail(self, exc: Exception) -> bytes:
        """Log a mid-stream failure and return the encoder's frames reporting it (nothing if it cannot)."""
        self.log.error("Error while streaming the response", exc_info=exc)
        try:
            return self.encoder.fail(exc)
        except Exception:
            # The stream then just ends; a crash here would leave the client waiting or kill the producer.
            self.log.exception("The stream encoder could not report the failure")
            return b""

    def _open(self) -> tuple[bytes, bool]:
        """The encoder's opening frames, and whether the stream may go on."""
        try:
            return self.encoder.open(), True
        except Exception as exc:  # noqa: BLE001 - reported to the client through the encoder
            return self._fail(exc), False

    def _close(self) -> bytes:
        """The encoder's closing frames (or its failure frames if closing raises)."""
        try:
            return self.encoder.close()
        except Exception as exc:  # noqa: BLE001 - reported to the client through the encoder
            return self._fail(exc)

    async def _encoded_async(self, source: AsyncIterator[Any]) -> AsyncGenerator[bytes, None]:
        """Encode an async source, yielding bytes; closes the source however iteration ends."""
        encoder = self.encoder
        try:
            head, ok = self._open()
            if head:
                yield head
            if not ok:
                return
            while True:
                try:
                    chunk = await source.__anext__()
                    data = encoder.encode(chunk)
                except StopAsyncIteration:
                    yield self._close()
                    return
                except Exception as exc:  # noqa: BLE001 - logged and reported by _fail
                    yield self._fail(exc)
                    return
                if data:
                    yield data
                if encoder.finished:
                    yield self._close()
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
        if _running_asyncio() is not None:
            if isinstance(source, AsyncIterable):
                await self._stream_batched(aiter(source), send)
            else:
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

    async def _stream_batched(self, source: AsyncIterator[Any], send: Send) -> None:
        """Stream an async source on asyncio, one `send` for all the frames made without waiting.

        Each `__anext__` is started by hand: when it completes at once, its frame joins the batch;
        when the generator has to wait, the batch is sent first and the task then waits with the
        generator exactly as `await` would have. At most `max_buffered` chunks go into one batch.
        """
        encoder = self.encoder
        limit = self.max_buffered
        next_step = source.__anext__
        head, ok = self._open()
        batch = [head] if head else []
        try:
            while ok:
                state, chunk, yielded = self._start_step(next_step, batch)
                if state is _ENDED:
                    break
                if state is _WAITING:
                    try:
                        chunk = await self._finish_step(chunk, yielded, batch, send)
                    except StopAsyncIteration:
                        batch.append(self._close())
                        break
                    except Exception as exc:  # noqa: BLE001 - logged and reported by _fail
                        batch.append(self._fail(exc))
                        break
                try:
                    data = encoder.encode(chunk)
                except Exception as exc:  # noqa: BLE001 - logged and reported by _fail
                    batch.append(self._fail(exc))
                    break
                if data:
                    batch.append(data)
                if encoder.finished:
                    batch.append(self._close())
                    break
                if len(batch) >= limit:
                    await send(_body(b"".join(batch)))
                    batch.clear()
                    # This generator has not waited for `limit` chunks: let the loop notice a
                    # disconnect (a send to a gone client returns at once) and serve other requests.
                    await asyncio.sleep(0)
            await send(_body(b"".join(batch), more=False))
        finally:
            await _close_async(source)

    def _start_step(self, next_step: Callable[[], Awaitable[Any]], batch: list[bytes]) -> tuple[object, Any, Any]:
        """Start the source's next step by hand.

        Returns `(_READY, chunk, None)` when it completed at once, `(_WAITING, it, yielded)` when it
        waits (see `_finish_step`), or `(_ENDED, None, None)` once the source ended or failed, with
        the encoder's closing or failure frames added to `batch`.
        """
        try:
            it = iterate(next_step())
        except Exception as exc:  # noqa: BLE001 - the end (StopAsyncIteration), or logged and reported
            return self._ended(exc, batch)
        try:
            yielded = it.send(None)
        except StopIteration as stop:
            return _READY, stop.value, None
        except Exception as exc:  # noqa: BLE001 - the end (StopAsyncIteration), or logged and reported
            return self._ended(exc, batch)
        return _WAITING, it, yielded

    def _ended(self, exc: Exception, batch: list[bytes]) -> tuple[object, Any, Any]:
        """Add the closing frames (the source ended) or the failure frames (it raised) to `batch`."""
        batch.append(self._close() if isinstance(exc, StopAsyncIteration) else self._fail(exc))
        return _ENDED, None, None

    @staticmethod
    async def _finish_step(it: Any, yielded: Any, batch: list[bytes], send: Send) -> Any:
        """Send the batch, then wait for the suspended step `it` and return the chunk it makes."""
        if batch:
            data = b"".join(batch)
            batch.clear()
            try:
                await send(_body(data))
            except Exception:
                await _abandon(it, yielded)
                raise
            except BaseException as exc:  # noqa: BLE001 - a cancellation; it is the generator's too
                # Where `await` would have delivered it: into the generator, at the point where it waits.
                try:
                    yielded = it.throw(exc)
                except StopIteration as stop:
                    return stop.value
        return await Resume(it, yielded)

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
                if not handoff.waited:
                    # A producer that never lets the buffer run empty must not keep the event loop
                    # from noticing a disconnect (a send to a gone client returns at once) or from
                    # serving other requests: one pass of the loop per batch.
                    await asyncio.sleep(0)
        finally:
            handoff.close()

    def _produce(self, source: Iterator[Any], handoff: _Handoff) -> None:
        """Producer thread: iterate the sync source, encode, hand frames over; always close the source."""
        encoder = self.encoder
        ended = False
        try:
            head, ok = self._open()
            if not ok:
                ended = True
                handoff.put(head, last=True)
                return
            if not handoff.put(head):
                return
            while True:
                try:
                    chunk = next(source)
                    data = encoder.encode(chunk)
                except StopIteration:
                    ended = True
                    handoff.put(self._close(), last=True)
                    return
                except Exception as exc:  # noqa: BLE001 - logged and reported by _fail
                    ended = True
                    handoff.put(self._fail(exc), last=True)
                    return
                if data and not handoff.put(data):
                    return
                if encoder.finished:
                    ended = True
                    handoff.put(self._close(), last=True)
                    return
        finally:
            _close_sync(source)
            if not ended:
                # Unblock the consumer whatever happened (the client left, or a BaseException here).
                handoff.put(b"", last=True)


async def run_to_end(
    source: Iterable[Any] | AsyncIterable[Any],
    encoder: StreamEncoder,
    request: Request,
    *,
    keep: bool = True,
) -> bytes:
    """Run a generator through `encoder` to its end without streaming it; return the bytes it made.

    For a non-streaming request whose callback returned a generator: the router turns the frames
    (or the encoder's own state, with `keep=False`, which returns `b""`) into one JSON answer. The
    encoder's `open()`, `encode()` for each chunk and `close()` are called; an exception from the
    generator or the encoder propagates (nothing was sent yet, so the router can answer an error).
    A sync generator runs in one worker thread; if the client disconnects meanwhile, an async
    generator is cancelled and a sync one is closed after its current chunk (`ClientDisconnect`).
    """
    parts: list[bytes] = []
    add = parts.append if keep else _discard
    add(encoder.open())
    if isinstance(source, AsyncIterable):
        await cancel_on_disconnect(request, _drain_async(aiter(source), encoder, add))
    else:
        stop = threading.Event()
        await cancel_on_disconnect(
            request, run_in_threadpool(_drain_sync, iter(source), encoder, add, stop), on_disconnect=stop.set
        )
    add(encoder.close())
    return b"".join(parts)


def _discard(data: bytes) -> None:
    return None


def _drain_sync(
    source: Iterator[Any], encoder: StreamEncoder, add: Callable[[bytes], None], stop: threading.Event
) -> None:
    try:
        for chunk in source:
            if stop.is_set():  # the client left: stop after the chunk the generator just made
                break
            add(encoder.encode(chunk))
            if encoder.finished:
                break
    finally:
        _close_sync(source)


async def _drain_async(source: AsyncIterator[Any], encoder: StreamEncoder, add: Callable[[bytes], None]) -> None:
    try:
        async for chunk in source:
            add(encoder.encode(chunk))
            if encoder.finished:
                break
    finally:
        await _close_async(source)


__all__ = ["DEFAULT_MAX_BUFFERED", "SSE_HEADERS", "EventStreamResponse", "StreamEncoder", "run_to_end"]
